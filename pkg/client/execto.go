package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrExecStream is wrapped by the error ExecTo returns when the NDJSON stream
// breaks off or carries a malformed frame after the daemon accepted the exec.
var ErrExecStream = errors.New("exec stream")

// ExecOutput is the output one exec frame carries, as ExecTo hands it over:
// the bytes of the frame's data, stdout and stderr fields, base64 already
// decoded (PROTOCOL.md §8.2 says which of them to use). The slices are valid
// only until the callback returns.
type ExecOutput struct {
	Data, Stdout, Stderr []byte
}

// ExecTo runs a command like ExecWithReader, with the same request (stdin is
// sent only when execReq.Stdin is set and stdin is not nil), but hands each
// frame to fn in the calling goroutine instead of sending it on a channel:
// the frame's fields in f, with Data, Stdout, Stderr and a decoded Encoding
// left empty, and its output as bytes in out. It is meant for copying large
// outputs: no allocation and no goroutine handoff per frame.
//
// It stops after the first frame carrying an error or a non-zero exit code
// (fn sees that frame), when fn returns false, or at the end of the stream,
// and then returns nil. A failure to start (e.g. *APIError) is returned as
// is; a cancelled ctx returns ctx.Err(); a stream that breaks off or a
// malformed frame returns an error wrapping ErrExecStream.
func (c *SlicerClient) ExecTo(ctx context.Context, nodeName string, execReq SlicerExecRequest, stdin io.Reader, fn func(f *SlicerExecWriteResult, out ExecOutput) bool) error {
	q, err := execQuery(execReq, true)
	if err != nil {
		return err
	}
	if !execReq.Stdin {
		stdin = nil
	}
	resp, stop, err := c.startExec(ctx, nodeName, q, stdin)
	if err != nil {
		return err
	}
	defer stop()
	defer resp.Body.Close()
	err = streamFramesTo(resp.Body, func(f *SlicerExecWriteResult, out ExecOutput) bool {
		return fn(f, out) && f.Error == "" && f.ExitCode == 0
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// streamFramesTo decodes NDJSON frames from r and hands each to fn until fn
// returns false (nil) or the stream ends (nil at EOF, otherwise an error
// wrapping ErrExecStream). f and out are reused from frame to frame.
func streamFramesTo(r io.Reader, fn func(f *SlicerExecWriteResult, out ExecOutput) bool) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var buf []byte
	var sc frameScratch
	var f SlicerExecWriteResult
	for {
		line, err := readFrameLine(br, &buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrExecStream, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out, ok := parseFrameRaw(line, &f, &sc)
		if !ok {
			// Not the plain shape: encoding/json decides, as in the SDK path.
			f = SlicerExecWriteResult{}
			if err := json.Unmarshal(line, &f); err != nil {
				return fmt.Errorf("%w: %w", ErrExecStream, err)
			}
			if err := decodeFrame(&f); err != nil {
				return fmt.Errorf("%w: %w", ErrExecStream, err)
			}
			out = ExecOutput{Data: []byte(f.Data), Stdout: []byte(f.Stdout), Stderr: []byte(f.Stderr)}
			f.Data, f.Stdout, f.Stderr = "", "", ""
		}
		if !fn(&f, out) {
			return nil
		}
	}
}
