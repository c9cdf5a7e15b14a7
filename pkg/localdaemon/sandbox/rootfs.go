package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// usrLinks are the top-level directories that merged-/usr systems make
// symlinks into /usr. The VM gets the same symlinks when the host has them,
// and a read-only bind of the host directory otherwise.
var usrLinks = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

const (
	ubuntuUID = 1000
	ubuntuGID = 1000
)

// prepareRoot creates the VM's skeleton on first start and refreshes the
// hostname files. Every host-side file operation goes through an os.Root, so
// links planted by the VM's root cannot redirect them outside the VM.
func prepareRoot(dir, hostname string, secrets bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()

	privileged := os.Geteuid() == 0
	// Mount points must be real directories (bwrap would follow a link).
	mountDirs := []string{"usr", "proc", "dev", "run", "run/slicer"}
	if secrets {
		mountDirs = append(mountDirs, "run/slicer/secrets")
	}
	for _, d := range mountDirs {
		if err := ensureDir(r, d, 0o755); err != nil {
			return err
		}
	}
	if err := ensureFile(r, strings.TrimPrefix(agentPath, "/")); err != nil {
		return err
	}
	for _, name := range usrLinks {
		fi, err := os.Lstat("/" + name)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink("/" + name)
			if err != nil {
				return err
			}
			if cur, err := r.Readlink(name); err == nil && cur == target {
				continue
			}
			if err := r.RemoveAll(name); err != nil {
				return err
			}
			if err := r.Symlink(target, name); err != nil {
				return err
			}
		} else if fi.IsDir() {
			if err := ensureDir(r, name, 0o755); err != nil {
				return err
			}
		}
	}

	for _, d := range []struct {
		name string
		mode fs.FileMode
	}{
		{"etc", 0o755}, {"root", 0o700}, {"home", 0o755}, {"tmp", 0o777 | fs.ModeSticky},
		{"var", 0o755}, {"var/tmp", 0o777 | fs.ModeSticky}, {"var/log", 0o755}, {"opt", 0o755}, {"mnt", 0o755}, {"srv", 0o755},
	} {
		if _, err := r.Lstat(d.name); errors.Is(err, fs.ErrNotExist) {
			if err := r.Mkdir(d.name, d.mode.Perm()); err != nil {
				return err
			}
			if err := r.Chmod(d.name, d.mode); err != nil { // umask
				return err
			}
		}
	}
	if _, err := r.Lstat("home/ubuntu"); errors.Is(err, fs.ErrNotExist) {
		if err := r.Mkdir("home/ubuntu", 0o750); err != nil {
			return err
		}
		if privileged {
			if err := r.Lchown("home/ubuntu", ubuntuUID, ubuntuGID); err != nil {
				return err
			}
		}
	}

	files := []struct {
		name    string
		mode    fs.FileMode
		content string
		always  bool
	}{
		{"etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/bash\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
			"ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n", false},
		{"etc/group", 0o644, "root:x:0:\nadm:x:4:ubuntu\nsudo:x:27:ubuntu\nnogroup:x:65534:\nubuntu:x:1000:\n", false},
		{"etc/shadow", 0o640, "root:*:20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\nubuntu:*:20000:0:99999:7:::\n", false},
		{"etc/gshadow", 0o640, "root:*::\nadm:*::ubuntu\nsudo:*::ubuntu\nnogroup:*::\nubuntu:!::\n", false},
		{"etc/nsswitch.conf", 0o644, "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n", false},
		{"etc/resolv.conf", 0o644, "# slicer local: VMs have a loopback-only network\nnameserver 127.0.0.1\n", false},
		{"etc/os-release", 0o644, "NAME=\"slicer local\"\nID=slicer-local\nPRETTY_NAME=\"slicer local sandbox\"\n", false},
		{"etc/hostname", 0o644, hostname + "\n", true},
		{"etc/hosts", 0o644, "127.0.0.1 localhost\n127.0.1.1 " + hostname + "\n::1 localhost ip6-localhost ip6-loopback\n", true},
	}
	for _, f := range files {
		if !f.always {
			if _, err := r.Lstat(f.name); err == nil {
				continue
			}
		}
		if err := writeFileIn(r, f.name, f.content, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// ensureDir makes name a real directory, replacing a symlink or file.
func ensureDir(r *os.Root, name string, mode fs.FileMode) error {
	fi, err := r.Lstat(name)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err == nil {
		if err := r.Remove(name); err != nil {
			return fmt.Errorf("replace %s with a directory: %w", name, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := r.Mkdir(name, mode); err != nil {
		return err
	}
	return r.Chmod(name, mode)
}

// ensureFile makes name an empty regular file (a bind mount point).
func ensureFile(r *os.Root, name string) error {
	fi, err := r.Lstat(name)
	if err == nil && fi.Mode().IsRegular() {
		return nil
	}
	if err == nil {
		if err := r.RemoveAll(name); err != nil {
			return err
		}
	}
	f, err := r.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	return f.Close()
}

// writeFileIn replaces name with content without following a link at name.
func writeFileIn(r *os.Root, name, content string, mode fs.FileMode) error {
	if fi, err := r.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		if err := r.RemoveAll(name); err != nil {
			return err
		}
	}
	tmp := name + ".slicer-tmp"
	_ = r.Remove(tmp)
	f, err := r.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		_ = r.Remove(tmp)
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		_ = r.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	return r.Rename(tmp, name)
}
