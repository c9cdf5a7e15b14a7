package client

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzReadSSE(f *testing.F) {
	f.Add("id: 1\nevent: watch\ndata: {\"id\":1,\"type\":\"create\",\"path\":\"/a\"}\n\n:\n\n")
	f.Add("data: {\"type\":\n data: \"write\"}\n\nid: x\n")
	f.Add("data: {not json")
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		_ = readSSE(strings.NewReader(s), func(ev SlicerFSWatchEvent) bool {
			n++
			return n < 1000
		})
	})
}

func FuzzExecFrames(f *testing.F) {
	f.Add(`{"type":"stdout","encoding":"base64","data":"aGVsbG8K","exit_code":0}` + "\n" + `{"type":"exit","exit_code":3}`)
	f.Add(`{"stdout":"x","stderr":"y","exit_code":0}`)
	f.Add(`{"encoding":"base64","stdout":"!!"}`)
	f.Fuzz(func(t *testing.T, s string) {
		streamFrames(context.Background(), strings.NewReader(s), func(fr SlicerExecWriteResult, err error) bool {
			if err == nil && fr.Encoding == ExecStdioBase64 {
				t.Fatalf("frame left base64-encoded: %+v", fr)
			}
			frameOutput(&fr)
			return true
		})
	})
}

func FuzzFSInfoJSON(f *testing.F) {
	f.Add([]byte(`{"name":"a","type":"file","size":1,"mtime":1776024825,"mode":"0644"}`))
	f.Add([]byte(`{"mtime":"2025-09-02T08:32:37.667253315+01:00"}`))
	f.Add([]byte(`{"mtime":1.5e3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fi SlicerFSInfo
		if json.Unmarshal(b, &fi) != nil {
			return
		}
		// What decodes re-encodes and decodes to the same time.
		out, err := json.Marshal(fi)
		if err != nil {
			return // times outside year 0..9999 cannot be marshalled
		}
		var back SlicerFSInfo
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("round trip of %s: %v", out, err)
		}
		if !back.Mtime.Equal(fi.Mtime) || !bytes.Equal([]byte(back.Name), []byte(fi.Name)) {
			t.Fatalf("round trip changed %+v to %+v", fi, back)
		}
	})
}
