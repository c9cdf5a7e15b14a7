package localdaemon_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// tarEntries builds a tar stream of regular files in the given order.
func tarEntries(t *testing.T, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		must(t, tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(f[1]))
		must(t, err)
	}
	must(t, tw.Close())
	return buf.Bytes()
}

// homeEntries lists /home/ubuntu (dot files included) inside the VM.
func homeEntries(t *testing.T, c *client.SlicerClient, vm, dir string) []string {
	t.Helper()
	return strings.Fields(sh(t, c, vm, "ls -A "+dir))
}

// leftovers reports the names in dir that a failed upload must not leave:
// the given destination and any staging or temporary entry.
func leftovers(t *testing.T, c *client.SlicerClient, vm, dir string, dest string) []string {
	t.Helper()
	var bad []string
	for _, n := range homeEntries(t, c, vm, dir) {
		if n == dest || strings.HasPrefix(n, ".slicer-") {
			bad = append(bad, n)
		}
	}
	return bad
}

// cutBody is a request body that sends head, then blocks until release is
// closed and fails, so the client drops the connection mid-body.
type cutBody struct {
	head    []byte
	release chan struct{}
}

func (b *cutBody) Read(p []byte) (int, error) {
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	<-b.release
	return 0, errors.New("client gave up")
}

// cutUpload posts head as the start of a body to /vm/{vm}/cp?query, waits
// until started() reports that the daemon is writing, then breaks the
// connection and returns once the request has failed.
func cutUpload(t *testing.T, url string, hc *http.Client, head []byte, started func() bool) {
	t.Helper()
	body := &cutBody{head: head, release: make(chan struct{})}
	req, err := http.NewRequest("POST", url, body)
	must(t, err)
	done := make(chan error, 1)
	go func() {
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New("upload succeeded: " + resp.Status)
		}
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !started() {
		if time.Now().After(deadline) {
			close(body.release)
			t.Fatal("the daemon never started writing the upload")
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(body.release)
	if err := <-done; err == nil || strings.Contains(err.Error(), "upload succeeded") {
		t.Fatalf("cut upload: %v", err)
	}
}

// eventually polls cond for a while (the daemon notices a dropped client
// asynchronously) and fails with msg if it never holds.
func eventually(t *testing.T, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCpUploadFailureLeavesNothing(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	good := tarEntries(t, [2]string{"a.txt", "aaaa"}, [2]string{"sub/b.txt", strings.Repeat("b", 5000)})

	// A tar stream cut in the middle of the second file, to a new directory
	// with missing parents: nothing of it stays.
	err := c.CpToVMFromReader(ctx, vm, bytes.NewReader(good[:2048]), "/home/ubuntu/new/deep/dst", 1000, 1000, "", "tar")
	wantStatus(t, err, 400)
	if !strings.Contains(err.Error(), "invalid tar stream") {
		t.Errorf("truncated tar: %v", err)
	}
	if bad := leftovers(t, c, vm, "/home/ubuntu", "new"); len(bad) > 0 {
		t.Fatalf("truncated tar left %v in /home/ubuntu", bad)
	}

	// An unsafe entry after good ones.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"ok1.txt", "dir/ok2.txt", "../escape.txt"} {
		must(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}))
		_, _ = tw.Write([]byte("ok"))
	}
	must(t, tw.Close())
	err = c.CpToVMFromReader(ctx, vm, &buf, "/home/ubuntu/unsafe", 1000, 1000, "", "tar")
	wantStatus(t, err, 400)
	if !strings.Contains(err.Error(), "escape.txt") {
		t.Errorf("unsafe entry: %v", err)
	}
	if bad := leftovers(t, c, vm, "/home/ubuntu", "unsafe"); len(bad) > 0 {
		t.Fatalf("unsafe entry left %v in /home/ubuntu", bad)
	}
	if got := sh(t, c, vm, "ls -A /home; test ! -e /home/escape.txt && echo clean"); got != "ubuntu\nclean" {
		t.Fatalf("/home after the unsafe upload: %q", got)
	}

	// A client that disconnects mid-stream, after the daemon began writing.
	hc := unixHTTP(d)
	defer hc.CloseIdleConnections()
	writing := func(dest string) func() bool {
		return func() bool {
			for _, n := range homeEntries(t, c, vm, "/home/ubuntu") {
				if n == dest || strings.HasPrefix(n, ".slicer-") {
					return true
				}
			}
			return false
		}
	}
	cutUpload(t, "http://unix/vm/"+vm+"/cp?mode=tar&path=%2Fhome%2Fubuntu%2Fcut&uid=1000&gid=1000", hc, good[:1536], writing("cut"))
	eventually(t, func() bool { return len(leftovers(t, c, vm, "/home/ubuntu", "cut")) == 0 }, func() string {
		return "a dropped tar upload left " + strings.Join(leftovers(t, c, vm, "/home/ubuntu", "cut"), " ")
	})

	// A binary upload cut off mid-body, to a file in missing directories:
	// neither the file nor the directories appear.
	cutUpload(t, "http://unix/vm/"+vm+"/cp?mode=binary&path=%2Fhome%2Fubuntu%2Fbin%2Fsub%2Ff.bin&uid=1000&gid=1000", hc,
		bytes.Repeat([]byte("x"), 100000), writing("bin"))
	eventually(t, func() bool { return len(leftovers(t, c, vm, "/home/ubuntu", "bin")) == 0 }, func() string {
		return "a dropped binary upload left " + strings.Join(leftovers(t, c, vm, "/home/ubuntu", "bin"), " ")
	})
	// Onto an existing file: the old content stays whole.
	must(t, c.WriteFile(ctx, vm, "/home/ubuntu/keep.txt", []byte("old\n"), 1000, 1000, "0644"))
	cutUpload(t, "http://unix/vm/"+vm+"/cp?mode=binary&path=%2Fhome%2Fubuntu%2Fkeep.txt&uid=1000&gid=1000", hc,
		bytes.Repeat([]byte("y"), 100000), func() bool {
			for _, n := range homeEntries(t, c, vm, "/home/ubuntu") {
				if strings.HasPrefix(n, ".slicer-upload-") {
					return true
				}
			}
			return false
		})
	eventually(t, func() bool { return len(leftovers(t, c, vm, "/home/ubuntu", "")) == 0 }, func() string {
		return "a dropped binary upload left " + strings.Join(leftovers(t, c, vm, "/home/ubuntu", ""), " ")
	})
	if got := sh(t, c, vm, "cat ~/keep.txt"); got != "old" {
		t.Fatalf("existing file after a dropped upload: %q", got)
	}

	// An existing directory receives the files that completed before the
	// stream broke, and no temporary file.
	sh(t, c, vm, "mkdir ~/exist && echo before > ~/exist/before.txt")
	wantStatus(t, c.CpToVMFromReader(ctx, vm, bytes.NewReader(good[:2048]), "/home/ubuntu/exist", 1000, 1000, "", "tar"), 400)
	if got := sh(t, c, vm, "cd ~/exist && ls -A | sort && cat a.txt"); got != "a.txt\nbefore.txt\nsub\naaaa" {
		t.Fatalf("existing directory after a truncated upload: %q", got)
	}

	// A successful upload to a new directory is unchanged: contents, owner
	// and permissions as asked, and nothing else beside it.
	must(t, c.CpToVMFromReader(ctx, vm, bytes.NewReader(good), "/home/ubuntu/made/dst", 1000, 1000, "0640", "tar"))
	if got := sh(t, c, vm, "cd ~/made && stat -c '%n %U:%G %a' . dst dst/a.txt dst/sub dst/sub/b.txt && ls -A . && cat dst/a.txt"); got !=
		". ubuntu:ubuntu 755\ndst ubuntu:ubuntu 755\ndst/a.txt ubuntu:ubuntu 640\ndst/sub ubuntu:ubuntu 755\ndst/sub/b.txt ubuntu:ubuntu 640\ndst\naaaa" {
		t.Fatalf("successful upload: %q", got)
	}
	req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/cp?mode=tar&path=%2Fopt%2Frootdir&uid=0&gid=0", bytes.NewReader(good))
	if resp := doRaw(t, d, req); resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("root tar upload: %d %s", resp.StatusCode, b)
	}
	if got := shAs(t, c, vm, 0, "stat -c '%n %u:%g %a' /opt/rootdir /opt/rootdir/a.txt; ls -A /opt | grep -c slicer- || true"); got != "/opt/rootdir 0:0 755\n/opt/rootdir/a.txt 0:0 644\n0" {
		t.Fatalf("root-owned tar upload: %q", got)
	}
}
