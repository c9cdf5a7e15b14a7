package localdaemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"

	"go.yaml.in/yaml/v3"
)

// Config is the daemon's small YAML configuration: the host groups it offers.
//
//	host_groups:
//	  - name: vm          # hostnames are <name>-1, <name>-2, ...
//	    cpus: 2           # default and maximum per VM
//	    ram_gb: 4         # or ram_bytes:
//	    count: 0          # VMs declared by config (created at start, protected)
type Config struct {
	HostGroups []HostGroupConfig `yaml:"host_groups"`
}

// HostGroupConfig describes one host group.
type HostGroupConfig struct {
	Name     string `yaml:"name"`
	CPUs     int    `yaml:"cpus"`
	RAMBytes int64  `yaml:"ram_bytes"`
	RAMGB    int64  `yaml:"ram_gb"`
	Count    int    `yaml:"count"`
	// Userdata is run once as root at the first boot of the VMs declared by
	// Count (API-created VMs bring their own userdata).
	Userdata string `yaml:"userdata"`
}

// DefaultGroupName is the host group offered when no config file is given.
const DefaultGroupName = "vm"

var groupNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// DefaultConfig is one host group "vm" with 2 vCPUs and 4 GiB of RAM.
func DefaultConfig() Config {
	return Config{HostGroups: []HostGroupConfig{{Name: DefaultGroupName, CPUs: 2, RAMBytes: 4 << 30}}}
}

// LoadConfig reads and validates a config file. An empty path yields
// DefaultConfig.
func LoadConfig(path string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("parse config %s: %w", path, err)
	}
	if err := c.normalize(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

func (c *Config) normalize() error {
	if len(c.HostGroups) == 0 {
		*c = DefaultConfig()
		return nil
	}
	seen := map[string]bool{}
	for i := range c.HostGroups {
		g := &c.HostGroups[i]
		if !groupNameRE.MatchString(g.Name) {
			return fmt.Errorf("host group %d: name %q must be a lowercase DNS label (a-z, 0-9, '-'; at most 32 characters)", i+1, g.Name)
		}
		if seen[g.Name] {
			return fmt.Errorf("host group %q is declared twice", g.Name)
		}
		seen[g.Name] = true
		if g.RAMBytes != 0 && g.RAMGB != 0 {
			return fmt.Errorf("host group %q: set ram_bytes or ram_gb, not both", g.Name)
		}
		if g.RAMGB < 0 || g.RAMBytes < 0 || g.CPUs < 0 || g.Count < 0 {
			return fmt.Errorf("host group %q: cpus, ram and count must not be negative", g.Name)
		}
		if g.RAMGB > 0 {
			g.RAMBytes = g.RAMGB << 30
			g.RAMGB = 0
		}
		if g.RAMBytes == 0 {
			g.RAMBytes = 4 << 30
		}
		if g.CPUs == 0 {
			g.CPUs = 2
		}
	}
	return nil
}

// hostArch is the architecture name the host groups report (uname style).
func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	default:
		return runtime.GOARCH
	}
}
