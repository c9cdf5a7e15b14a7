package localdaemon

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// secretMeta is one secret's metadata; the value lives in data/<name>.
type secretMeta struct {
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	Permissions string    `json:"permissions"`
	UID         uint32    `json:"uid,omitempty"`
	GID         uint32    `json:"gid,omitempty"`
	ModifiedAt  time.Time `json:"modified_at"`
}

// secretStore keeps secrets under <state>/secrets: data/<name> (0600) and
// meta.json (0600).
type secretStore struct {
	dir  string
	mu   sync.Mutex
	meta map[string]secretMeta
}

var secretNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)

func openSecretStore(dir string) (*secretStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	s := &secretStore{dir: dir, meta: map[string]secretMeta{}}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err == nil {
		if err := json.Unmarshal(b, &s.meta); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "meta.json"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

func (s *secretStore) saveLocked() error {
	b, err := json.MarshalIndent(s.meta, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, "meta.json"), b, 0o600)
}

func (s *secretStore) exists(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.meta[name]
	return ok
}

func (s *secretStore) get(name string) (secretMeta, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meta[name]
	if !ok {
		return secretMeta{}, nil, false
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "data", name))
	if err != nil {
		return secretMeta{}, nil, false
	}
	return m, b, true
}

// secretResponse is what GET /secrets returns: the SDK reads modified_at,
// openapi.yaml names it mod_time; both are sent. openapi.yaml requires uid
// and gid, which the SDK's struct omits when 0, so they are always sent here.
type secretResponse struct {
	client.Secret
	UID     uint32    `json:"uid"`
	GID     uint32    `json:"gid"`
	ModTime time.Time `json:"mod_time"`
}

func (d *Daemon) handleListSecrets(w http.ResponseWriter, r *http.Request) error {
	s := d.secrets
	s.mu.Lock()
	out := make([]secretResponse, 0, len(s.meta))
	for _, m := range s.meta {
		t := m.ModifiedAt
		out = append(out, secretResponse{
			Secret:  client.Secret{Name: m.Name, Size: m.Size, Permissions: m.Permissions, UID: m.UID, GID: m.GID, ModifiedAt: &t},
			UID:     m.UID,
			GID:     m.GID,
			ModTime: t,
		})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
	return nil
}

func decodeSecretData(data string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, badRequest("data must be base64-encoded (standard encoding): %v", err)
	}
	return b, nil
}

func (d *Daemon) handleCreateSecret(w http.ResponseWriter, r *http.Request) error {
	var req client.CreateSecretRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if !secretNameRE.MatchString(req.Name) {
		return badRequest("invalid secret name %q: use letters, digits, '.', '_' and '-' (at most 253 characters, not starting with '.', '_' or '-')", req.Name)
	}
	if req.Data == "" {
		return badRequest("data is required (base64 of the secret's content)")
	}
	val, err := decodeSecretData(req.Data)
	if err != nil {
		return err
	}
	perms := "0600"
	if req.Permissions != "" {
		m, err := parseMode(req.Permissions, "permissions")
		if err != nil {
			return err
		}
		perms = formatMode(m)
	}
	s := d.secrets
	s.mu.Lock()
	if _, ok := s.meta[req.Name]; ok {
		s.mu.Unlock()
		return errorf(http.StatusConflict, "secret %s already exists", req.Name)
	}
	if err := writeFileAtomic(filepath.Join(s.dir, "data", req.Name), val, 0o600); err != nil {
		s.mu.Unlock()
		return err
	}
	s.meta[req.Name] = secretMeta{Name: req.Name, Size: int64(len(val)), Permissions: perms, UID: req.UID, GID: req.GID, ModifiedAt: time.Now()}
	err = s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	d.syncSecretToVMs(req.Name)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// handlePatchSecret updates metadata and, when data is non-empty, the
// content. An empty "data" (which the SDK always sends) leaves the content
// unchanged.
func (d *Daemon) handlePatchSecret(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var req client.UpdateSecretRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	var val []byte
	if req.Data != "" {
		b, err := decodeSecretData(req.Data)
		if err != nil {
			return err
		}
		val = b
	}
	var perms string
	if req.Permissions != "" {
		m, err := parseMode(req.Permissions, "permissions")
		if err != nil {
			return err
		}
		perms = formatMode(m)
	}
	s := d.secrets
	s.mu.Lock()
	m, ok := s.meta[name]
	if !ok {
		s.mu.Unlock()
		return errorf(http.StatusNotFound, "secret %s not found", name)
	}
	if val != nil {
		if err := writeFileAtomic(filepath.Join(s.dir, "data", name), val, 0o600); err != nil {
			s.mu.Unlock()
			return err
		}
		m.Size = int64(len(val))
	}
	if perms != "" {
		m.Permissions = perms
	}
	if req.UID != 0 {
		m.UID = req.UID
	}
	if req.GID != 0 {
		m.GID = req.GID
	}
	m.ModifiedAt = time.Now()
	s.meta[name] = m
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	d.syncSecretToVMs(name)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (d *Daemon) handleDeleteSecret(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	s := d.secrets
	s.mu.Lock()
	if _, ok := s.meta[name]; !ok {
		s.mu.Unlock()
		return errorf(http.StatusNotFound, "secret %s not found", name)
	}
	delete(s.meta, name)
	err := s.saveLocked()
	_ = os.Remove(filepath.Join(s.dir, "data", name))
	s.mu.Unlock()
	if err != nil {
		return err
	}
	d.syncSecretToVMs(name)
	w.WriteHeader(http.StatusOK)
	return nil
}

// syncSecretToVMs refreshes one secret in every VM allowed to have it.
func (d *Daemon) syncSecretToVMs(name string) {
	for _, vm := range d.sortedVMs() {
		vm.mu.Lock()
		allowed := false
		for _, s := range vm.rec.Secrets {
			allowed = allowed || s == name
		}
		if allowed && !vm.deleted {
			if err := d.syncVMSecrets(vm); err != nil {
				d.logger.Printf("VM %s: sync secrets: %v", vm.name, err)
			}
		}
		vm.mu.Unlock()
	}
}

// syncVMSecrets makes <vm>/secrets hold exactly the VM's allowed secrets
// that exist, with their permissions and owners; vm.mu must be held. The
// directory is bind-mounted read-only at /run/slicer/secrets.
func (d *Daemon) syncVMSecrets(vm *VM) error {
	dir := vm.secretsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, name := range vm.rec.Secrets {
		m, val, ok := d.secrets.get(name)
		if !ok {
			continue
		}
		want[name] = true
		mode, _ := parseMode(m.Permissions, "permissions")
		tmp, err := os.CreateTemp(dir, ".tmp-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(val)
		if werr == nil {
			werr = tmp.Chmod(os.FileMode(mode))
		}
		if werr == nil {
			werr = tmp.Chown(int(m.UID), int(m.GID))
		}
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), filepath.Join(dir, name))
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return werr
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !want[e.Name()] {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}
