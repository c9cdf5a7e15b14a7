package client

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// Exec output is NDJSON whose frames are flat objects of strings and
// integers, the output itself a long base64 string without escapes
// (PROTOCOL.md §8.2). encoding/json scans such a string byte by byte through
// its state machine, which made it the bottleneck of `slicer exec` output
// (bench/). parseFrameFast decodes exactly that shape; anything else (an
// escape, a non-ASCII byte, a nested value, an unknown or differently cased
// key, a float) makes it report false and the line goes through
// json.Unmarshal, so the result never differs from encoding/json's.

// readFrameLine returns the next line of r without its newline. A line that
// fits r's buffer is returned in place (valid until the next read), saving a
// copy of every frame; a longer one is assembled in *buf, which is reused
// between calls. A last line without a newline is returned as a line; io.EOF
// comes only when nothing is left.
func readFrameLine(r *bufio.Reader, buf *[]byte) ([]byte, error) {
	chunk, err := r.ReadSlice('\n')
	if err == nil {
		return chunk[:len(chunk)-1], nil
	}
	b := append((*buf)[:0], chunk...)
	for errors.Is(err, bufio.ErrBufferFull) {
		chunk, err = r.ReadSlice('\n')
		b = append(b, chunk...)
	}
	*buf = b
	switch {
	case err == nil:
		return b[:len(b)-1], nil
	case err == io.EOF && len(b) > 0:
		return b, nil
	}
	return b, err
}

// decodeFrameLine decodes one NDJSON line into f, base64 output included.
// scratch is a reusable decoding buffer.
func decodeFrameLine(line []byte, f *SlicerExecWriteResult, scratch *[]byte) error {
	if parseFrameFast(line, f, scratch) {
		return nil
	}
	*f = SlicerExecWriteResult{}
	if err := json.Unmarshal(line, f); err != nil {
		return err
	}
	return decodeFrame(f)
}

// plainJSONString reports whether s (the bytes between two quotes) needs no
// unescaping: printable ASCII without backslashes.
func plainJSONString(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// parseFrameFast decodes line into f when it has the plain shape described
// above, with base64 output already decoded; false leaves f unspecified.
func parseFrameFast(line []byte, f *SlicerExecWriteResult, scratch *[]byte) bool {
	sc := frameScratch{*scratch}
	out, ok := parseFrameRaw(line, f, &sc)
	*scratch = sc[0]
	if !ok {
		return false
	}
	for _, p := range [...]struct {
		raw []byte
		dst *string
	}{{out.Data, &f.Data}, {out.Stdout, &f.Stdout}, {out.Stderr, &f.Stderr}} {
		if len(p.raw) > 0 {
			*p.dst = string(p.raw)
		}
	}
	return true
}

// frameScratch holds reusable base64 decoding buffers, one per output field
// (data, stdout, stderr).
type frameScratch [3][]byte

// parseFrameRaw is parseFrameFast without the strings: it fills f's other
// fields, leaves Data, Stdout, Stderr empty (and Encoding, once decoded) and
// returns the output fields' bytes, base64-decoded into sc's buffers or, for
// text, in place in line. They stay valid until sc or line is reused.
func parseFrameRaw(line []byte, f *SlicerExecWriteResult, sc *frameScratch) (ExecOutput, bool) {
	*f = SlicerExecWriteResult{}
	var data, stdout, stderr []byte
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return ExecOutput{}, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			// key
			if i >= len(line) || line[i] != '"' {
				return ExecOutput{}, false
			}
			end := bytes.IndexByte(line[i+1:], '"')
			if end < 0 {
				return ExecOutput{}, false
			}
			key := line[i+1 : i+1+end]
			if !plainJSONString(key) {
				return ExecOutput{}, false
			}
			i = skipSpace(line, i+2+end)
			if i >= len(line) || line[i] != ':' {
				return ExecOutput{}, false
			}
			i = skipSpace(line, i+1)
			if i >= len(line) {
				return ExecOutput{}, false
			}
			// value: a plain string, an integer or null
			var str []byte
			var num int64
			kind := byte(0)
			switch c := line[i]; {
			case c == '"':
				end := bytes.IndexByte(line[i+1:], '"')
				if end < 0 {
					return ExecOutput{}, false
				}
				str = line[i+1 : i+1+end]
				// Output strings are checked below, once the encoding is
				// known: the base64 decoder rejects every byte that would
				// need unescaping, so they are scanned only once.
				if !isOutputKey(key) && !plainJSONString(str) {
					return ExecOutput{}, false
				}
				kind = 's'
				i += end + 2
			case c == '-' || (c >= '0' && c <= '9'):
				j := i + 1
				for j < len(line) && line[j] >= '0' && line[j] <= '9' {
					j++
				}
				if j < len(line) && (line[j] == '.' || line[j] == 'e' || line[j] == 'E') {
					return ExecOutput{}, false
				}
				v, err := parseFrameInt(line[i:j])
				if err != nil || (line[i] == '0' && j > i+1) || (line[i] == '-' && j > i+2 && line[i+1] == '0') {
					return ExecOutput{}, false
				}
				num, kind, i = v, 'n', j
			case bytes.HasPrefix(line[i:], []byte("null")):
				kind, i = 'z', i+4
			default:
				return ExecOutput{}, false
			}
			if !setFrameField(f, string(key), kind, str, num, &data, &stdout, &stderr) {
				return ExecOutput{}, false
			}
			i = skipSpace(line, i)
			if i >= len(line) {
				return ExecOutput{}, false
			}
			if line[i] == '}' {
				i++
				break
			}
			if line[i] != ',' {
				return ExecOutput{}, false
			}
			i = skipSpace(line, i+1)
		}
	}
	if skipSpace(line, i) != len(line) {
		return ExecOutput{}, false
	}
	raws := [...][]byte{data, stdout, stderr}
	if f.Encoding == ExecStdioBase64 {
		var out [3][]byte
		for i, raw := range raws {
			if len(raw) == 0 {
				continue
			}
			if need := base64.StdEncoding.DecodedLen(len(raw)); cap(sc[i]) < need {
				sc[i] = make([]byte, need)
			}
			b := sc[i][:cap(sc[i])]
			n, ok := decodeBase64(b, raw)
			if !ok {
				// The rare frame the fast decoder leaves alone. encoding/base64
				// skips raw CR, which JSON does not allow in a string.
				if bytes.IndexByte(raw, '\r') >= 0 {
					return ExecOutput{}, false
				}
				var err error
				if n, err = base64.StdEncoding.Decode(b, raw); err != nil {
					return ExecOutput{}, false // json.Unmarshal + decodeFrame decide (and report it)
				}
			}
			out[i] = b[:n]
		}
		f.Encoding = ""
		return ExecOutput{Data: out[0], Stdout: out[1], Stderr: out[2]}, true
	}
	for _, raw := range raws {
		if !plainJSONString(raw) {
			return ExecOutput{}, false
		}
	}
	return ExecOutput{Data: data, Stdout: stdout, Stderr: stderr}, true
}

// parseFrameInt parses a JSON integer (an optional '-' then digits) without
// the string conversion strconv needs, which allocated on every frame.
func parseFrameInt(b []byte) (int64, error) {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 { // 18 digits cannot overflow int64
		return strconv.ParseInt(string(b), 10, 64)
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return strconv.ParseInt(string(b), 10, 64)
		}
		v = v*10 + int64(c-'0')
	}
	if len(d) != len(b) {
		v = -v
	}
	return v, nil
}

// frameWord returns the values of type and encoding that every frame
// repeats as constants, so they cost no allocation.
func frameWord(b []byte) string {
	switch string(b) {
	case "stdout":
		return "stdout"
	case "stderr":
		return "stderr"
	case "started":
		return "started"
	case "exit":
		return "exit"
	case "base64":
		return "base64"
	case "text":
		return "text"
	}
	return string(b)
}

func isOutputKey(k []byte) bool {
	switch string(k) {
	case "data", "stdout", "stderr":
		return true
	}
	return false
}

// setFrameField stores one key's value; false for anything parseFrameFast
// leaves to encoding/json. Output strings are kept raw for base64 decoding.
func setFrameField(f *SlicerExecWriteResult, key string, kind byte, str []byte, num int64, data, stdout, stderr *[]byte) bool {
	if kind == 'z' { // null leaves a field unchanged, as in encoding/json
		switch key {
		case "timestamp", "type", "pid", "encoding", "data", "started_at", "ended_at", "signal",
			"stdout", "stderr", "exit_code", "error", "id", "dropped_bytes", "dropped_frames", "message":
			return true
		}
		return false
	}
	switch key {
	case "timestamp", "started_at", "ended_at":
		if kind != 's' {
			return false
		}
		t := &f.Timestamp
		if key == "started_at" {
			t = &f.StartedAt
		} else if key == "ended_at" {
			t = &f.EndedAt
		}
		return t.UnmarshalText(str) == nil
	case "type", "encoding", "signal", "error", "message":
		if kind != 's' {
			return false
		}
		switch key {
		case "type":
			f.Type = frameWord(str)
		case "encoding":
			f.Encoding = frameWord(str)
		case "signal":
			f.Signal = string(str)
		case "error":
			f.Error = string(str)
		case "message":
			f.Message = string(str)
		}
		return true
	case "data", "stdout", "stderr":
		if kind != 's' {
			return false
		}
		switch key {
		case "data":
			*data = str
		case "stdout":
			*stdout = str
		case "stderr":
			*stderr = str
		}
		return true
	case "pid", "exit_code", "dropped_frames":
		if kind != 'n' || num != int64(int(num)) {
			return false
		}
		switch key {
		case "pid":
			f.Pid = int(num)
		case "exit_code":
			f.ExitCode = int(num)
		case "dropped_frames":
			f.DroppedFrames = int(num)
		}
		return true
	case "dropped_bytes":
		if kind != 'n' {
			return false
		}
		f.DroppedBytes = num
		return true
	case "id":
		if kind != 'n' || num < 0 {
			return false
		}
		f.ID = uint64(num)
		return true
	}
	return false
}
