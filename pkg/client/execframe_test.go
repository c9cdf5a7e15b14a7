package client

import (
	"bufio"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// slowFrame is the reference: encoding/json plus decodeFrame.
func slowFrame(line []byte) (SlicerExecWriteResult, error) {
	var f SlicerExecWriteResult
	if err := json.Unmarshal(line, &f); err != nil {
		return f, err
	}
	err := decodeFrame(&f)
	return f, err
}

var frameLines = []string{
	`{"type":"started","pid":812,"started_at":"2026-04-11T08:48:47.101Z","timestamp":"2026-04-11T08:48:47.101Z","exit_code":0}`,
	`{"type":"stdout","encoding":"base64","data":"aGVsbG8K","timestamp":"2026-04-11T08:48:47.105Z","exit_code":0}`,
	`{"data":"aGVsbG8K","encoding":"base64","type":"stdout","exit_code":0}`,
	`{"type":"stderr","encoding":"base64","data":"b29wcwo=","exit_code":0}`,
	`{"type":"exit","pid":812,"exit_code":3,"ended_at":"2026-04-11T08:48:47.110Z","signal":"KILL"}`,
	`{"timestamp":"2026-04-11T08:48:47Z","stdout":"Hello from VM\n","stderr":"","exit_code":0}`,
	`{"stdout":"tab\there \"q\" \u00e9","exit_code":0}`,
	`{"stdout":"caf` + "\xc3\xa9" + `","exit_code":0}`,
	`{"stdout":"bad ` + "\xff" + `","exit_code":0}`,
	`{"error":"Some error message","exit_code":1}`,
	`{"type":"stdout","encoding":"base64","data":"not base64!","exit_code":0}`,
	`{"type":"stdout","encoding":"base64","data":"aGVs\u0062G8K","exit_code":0}`,
	`{"type":"stdout","encoding":"base64","data":"aGVs` + "\r" + `bG8K","exit_code":0}`,
	`{"type":"stdout","encoding":"text","data":"plain","exit_code":0}`,
	`{"Type":"stdout","DATA":"x","exit_code":0}`,
	`{"type":"stdout","data":null,"exit_code":0,"extra":{"a":[1,2]}}`,
	`{"exit_code":-1,"pid":0,"id":5,"dropped_bytes":10,"dropped_frames":2,"message":"m"}`,
	`{"exit_code":1.5}`, `{"exit_code":1e2}`, `{"exit_code":01}`, `{"exit_code":-0}`,
	`{"exit_code":99999999999999999999}`, `{"id":-1}`,
	`{"timestamp":"yesterday","exit_code":0}`, `{"timestamp":5}`,
	` { "type" : "stdout" , "data" : "x" } `, `{}`, `{"type":"stdout",}`, `{"type":"stdout"`,
	`{"type":"stdout"} x`, `[]`, `null`, `{"type":true}`, `{"type":"a","type":"b"}`,
}

func TestParseFrameFastMatchesEncodingJSON(t *testing.T) {
	for _, line := range frameLines {
		var got SlicerExecWriteResult
		var scratch []byte
		gotErr := decodeFrameLine([]byte(line), &got, &scratch)
		want, wantErr := slowFrame([]byte(line))
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, encoding/json says %v", line, gotErr, wantErr)
			continue
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %+v\n want %+v", line, got, want)
		}
	}
}

func FuzzParseFrameFast(f *testing.F) {
	for _, l := range frameLines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var got SlicerExecWriteResult
		var scratch []byte
		gotErr := decodeFrameLine([]byte(line), &got, &scratch)
		want, wantErr := slowFrame([]byte(line))
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json says %v", line, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got  %+v\n want %+v", line, got, want)
		}
	})
}

func TestReadFrameLine(t *testing.T) {
	long := strings.Repeat("x", 100)
	r := bufio.NewReaderSize(strings.NewReader("a\n\n"+long+"\nlast"), 16)
	var buf []byte
	var got []string
	for {
		line, err := readFrameLine(r, &buf)
		if err != nil {
			break
		}
		got = append(got, string(line))
	}
	want := []string{"a", "", long, "last"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

// The frames of a large output are parsed without allocating: the output is
// decoded into reused buffers and the repeated words are constants.
func TestParseFrameRawAllocs(t *testing.T) {
	line := []byte(`{"timestamp":"2026-04-11T08:48:47.105Z","type":"stdout","encoding":"base64","data":"aGVsbG8K","exit_code":0,"pid":812}`)
	var f SlicerExecWriteResult
	var sc frameScratch
	allocs := testing.AllocsPerRun(100, func() {
		out, ok := parseFrameRaw(line, &f, &sc)
		if !ok || string(out.Data) != "hello\n" || f.Type != "stdout" || f.Pid != 812 {
			t.Fatalf("parseFrameRaw: %v %+v %q", ok, f, out.Data)
		}
	})
	if allocs != 0 {
		t.Errorf("parseFrameRaw allocates %v times per frame, want 0", allocs)
	}
}
