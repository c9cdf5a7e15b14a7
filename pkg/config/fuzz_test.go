package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: a damaged config file is an error, never a panic, and what
// loads saves and loads back the same.
func FuzzLoad(f *testing.F) {
	f.Add("current-context: a\ncontexts:\n  - name: a\n    url: http://h:1\n")
	f.Add("contexts: [{name: x, url: /s.sock, insecure: true}]")
	f.Add(":\n- [")
	f.Fuzz(func(t *testing.T, data string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := Load(path)
		if err != nil {
			return
		}
		if err := file.Save(); err != nil {
			t.Fatalf("save: %v", err)
		}
		again, err := Load(path)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if len(again.Contexts) != len(file.Contexts) || again.CurrentContext != file.CurrentContext {
			t.Fatalf("round trip changed the file: %+v vs %+v", file, again)
		}
	})
}
