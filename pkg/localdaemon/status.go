package localdaemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// StatusFile is written into the state directory while a daemon serves it.
const StatusFile = "daemon.json"

// Status describes the daemon of a state directory.
type Status struct {
	StateDir  string    `json:"state_dir"`
	Socket    string    `json:"socket"`
	TCPAddr   string    `json:"tcp_addr,omitempty"`
	TokenFile string    `json:"token_file,omitempty"`
	PID       int       `json:"pid,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Running   bool      `json:"running"`
}

func (d *Daemon) writeStatus() error {
	st := Status{
		StateDir: d.stateDir, Socket: d.socket, TCPAddr: d.tcpAddr, PID: os.Getpid(), StartedAt: d.started.UTC(), Running: true,
	}
	if d.tcpAddr != "" {
		st.TokenFile = filepath.Join(d.stateDir, TokenName)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(d.stateDir, StatusFile), append(b, '\n'), 0o600)
}

// ReadStatus reports whether a daemon serves stateDir (it holds the
// directory's lock) and, if so, where.
func ReadStatus(stateDir string) (Status, error) {
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return Status{}, err
	}
	st := Status{StateDir: dir, Socket: filepath.Join(dir, SocketName)}
	lf, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read daemon status: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		return st, nil
	}
	st.Running = true
	if b, err := os.ReadFile(filepath.Join(dir, StatusFile)); err == nil {
		var rec Status
		if json.Unmarshal(b, &rec) == nil {
			st.TCPAddr, st.TokenFile, st.PID, st.StartedAt = rec.TCPAddr, rec.TokenFile, rec.PID, rec.StartedAt
		}
	}
	return st, nil
}

// Stop asks the daemon serving stateDir to stop (SIGTERM) and waits until it
// has released the directory. It returns false when no daemon was running.
func Stop(ctx context.Context, stateDir string) (bool, error) {
	st, err := ReadStatus(stateDir)
	if err != nil || !st.Running {
		return false, err
	}
	if st.PID <= 0 {
		return true, fmt.Errorf("a daemon holds %s but its pid is unknown (%s is missing)", st.StateDir, StatusFile)
	}
	if st.PID == os.Getpid() {
		return true, errors.New("the daemon runs in this process; close it instead")
	}
	if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
		return true, fmt.Errorf("stop daemon (pid %d): %w", st.PID, err)
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, fmt.Errorf("daemon (pid %d) did not stop: %w", st.PID, ctx.Err())
		case <-t.C:
			cur, err := ReadStatus(stateDir)
			if err != nil {
				return true, err
			}
			if !cur.Running {
				return true, nil
			}
		}
	}
}
