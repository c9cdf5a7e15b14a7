// Package config reads and writes the slicer config file
// ($XDG_CONFIG_HOME/slicer/config.yaml, named contexts kubectl-style) and
// resolves which daemon a command talks to, with which credentials:
// flag > environment > context > the `slicer local` daemon's socket when it
// answers > the vendor's defaults.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Context is one named daemon.
type Context struct {
	Name      string `yaml:"name" json:"name"`
	URL       string `yaml:"url" json:"url"`
	Token     string `yaml:"token,omitempty" json:"-"`
	TokenFile string `yaml:"token-file,omitempty" json:"token_file,omitempty"`
	Insecure  bool   `yaml:"insecure,omitempty" json:"insecure,omitempty"`
}

// File is the config file's content.
type File struct {
	CurrentContext string    `yaml:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts,omitempty"`

	path string
}

// Env looks up environment variables.
type Env func(string) string

// Dir is the slicer config directory: $XDG_CONFIG_HOME/slicer, else
// ~/.config/slicer.
func Dir(getenv Env) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "slicer")
	}
	return filepath.Join(home(getenv), ".config", "slicer")
}

// LocalStateDir is the default state directory of `slicer local`:
// $XDG_STATE_HOME/slicer/local, else ~/.local/state/slicer/local.
func LocalStateDir(getenv Env) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "slicer", "local")
	}
	return filepath.Join(home(getenv), ".local", "state", "slicer", "local")
}

// LocalSocketName is the socket file of `slicer local` inside its state dir.
const LocalSocketName = "slicer.sock"

func home(getenv Env) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// Path is the config file path.
func Path(getenv Env) string { return filepath.Join(Dir(getenv), "config.yaml") }

// Load reads the config file at path. A missing file is an empty config.
func Load(path string) (*File, error) {
	f := &File{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("parse config %s: %w (fix or remove the file)", path, err)
	}
	seen := map[string]bool{}
	for _, c := range f.Contexts {
		if c.Name == "" {
			return nil, fmt.Errorf("parse config %s: a context has no name", path)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("parse config %s: context %q appears twice", path, c.Name)
		}
		seen[c.Name] = true
	}
	return f, nil
}

// Path returns where the file is stored.
func (f *File) Path() string { return f.path }

// Find returns the named context.
func (f *File) Find(name string) (*Context, bool) {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			return &f.Contexts[i], true
		}
	}
	return nil, false
}

// Names lists context names, sorted.
func (f *File) Names() []string {
	var out []string
	for _, c := range f.Contexts {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

// Upsert adds or replaces a context.
func (f *File) Upsert(c Context) {
	if existing, ok := f.Find(c.Name); ok {
		*existing = c
		return
	}
	f.Contexts = append(f.Contexts, c)
}

// Remove deletes a context; it reports whether it existed. Removing the
// current context clears current-context.
func (f *File) Remove(name string) bool {
	for i, c := range f.Contexts {
		if c.Name == name {
			f.Contexts = append(f.Contexts[:i], f.Contexts[i+1:]...)
			if f.CurrentContext == name {
				f.CurrentContext = ""
			}
			return true
		}
	}
	return false
}

// Save writes the file atomically with mode 0600 (it may hold tokens).
func (f *File) Save() error {
	if f.path == "" {
		return errors.New("config file has no path")
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}
