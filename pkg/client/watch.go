package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxSSELine is the longest SSE line accepted.
const maxSSELine = 1 << 20

func watchQuery(req SlicerFSWatchRequest) (url.Values, error) {
	q := url.Values{}
	for _, p := range req.Paths {
		if p = strings.TrimSpace(p); p != "" {
			q.Add("paths", p)
		}
	}
	if len(q["paths"]) == 0 {
		return nil, errors.New("watch: paths is required: give at least one path to watch")
	}
	for _, p := range req.Patterns {
		if p = strings.TrimSpace(p); p != "" {
			q.Add("patterns", p)
		}
	}
	for _, e := range req.Events {
		if e = strings.TrimSpace(e); e != "" {
			q.Add("events", e)
		}
	}
	if req.UID != 0 && req.UID != NonRootUser {
		q.Set("uid", strconv.FormatUint(uint64(req.UID), 10))
	}
	if req.Recursive {
		q.Set("recursive", "true")
	}
	if req.OneShot {
		q.Set("one_shot", "true")
	}
	if d := strings.TrimSpace(req.Debounce); d != "" {
		q.Set("debounce", d)
	}
	if t := strings.TrimSpace(req.Timeout); t != "" {
		q.Set("timeout", t)
	}
	if req.MaxEvents > 0 {
		q.Set("max_events", strconv.Itoa(req.MaxEvents))
	}
	return q, nil
}

// WatchFS opens a filesystem watch stream at /vm/{vmName}/fs/watch and
// returns a channel of decoded events and a channel carrying any terminal
// error. Both channels are closed when the stream ends. Heartbeat comments
// and event: lines are discarded; each event carries its SSE id.
func (c *SlicerClient) WatchFS(ctx context.Context, vmName string, req SlicerFSWatchRequest) (<-chan SlicerFSWatchEvent, <-chan error) {
	events := make(chan SlicerFSWatchEvent)
	errc := make(chan error, 1)
	fail := func(err error) (<-chan SlicerFSWatchEvent, <-chan error) {
		errc <- err
		close(errc)
		close(events)
		return events, errc
	}
	q, err := watchQuery(req)
	if err != nil {
		return fail(err)
	}
	hreq, err := c.newRequest(ctx, http.MethodGet, vmEndpoint(vmName, "/fs/watch"), q, nil)
	if err != nil {
		return fail(err)
	}
	hreq.Header.Set("Accept", "text/event-stream")
	if id := strings.TrimSpace(req.LastEventID); id != "" {
		hreq.Header.Set("Last-Event-ID", id)
	}
	resp, err := c.send(hreq, http.StatusOK)
	if err != nil {
		return fail(err)
	}
	go func() {
		defer close(errc)
		defer close(events)
		defer resp.Body.Close()
		err := readSSE(resp.Body, func(ev SlicerFSWatchEvent) bool {
			select {
			case events <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		})
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			errc <- err
		}
	}()
	return events, errc
}

// readSSE parses the watch stream (PROTOCOL.md §10.6) and hands each event to
// emit until it returns false. It returns nil at a clean end of stream.
func readSSE(r io.Reader, emit func(SlicerFSWatchEvent) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var (
		data    []string
		hasData bool
		lastID  uint64
	)
	flush := func() (bool, error) {
		if !hasData {
			return true, nil
		}
		payload := strings.Join(data, "\n")
		data, hasData = data[:0], false
		var ev SlicerFSWatchEvent
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			return false, fmt.Errorf("decode watch event: %w", err)
		}
		if ev.ID == 0 {
			ev.ID = lastID
		}
		return emit(ev), nil
	}
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if ok, err := flush(); !ok || err != nil {
				return err
			}
		case line[0] == ':':
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, strings.TrimSpace(string(line[5:])))
			hasData = true
		case bytes.HasPrefix(line, []byte("id:")):
			if id, err := strconv.ParseUint(strings.TrimSpace(string(line[3:])), 10, 64); err == nil {
				lastID = id
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("watch stream: %w", err)
	}
	_, err := flush()
	return err
}

// WatchFSIter is a range-over-func adapter over WatchFS. The sequence ends
// after yielding a terminal error (or when the loop breaks, which stops the
// watch).
func (c *SlicerClient) WatchFSIter(ctx context.Context, vmName string, req SlicerFSWatchRequest) iter.Seq2[SlicerFSWatchEvent, error] {
	return func(yield func(SlicerFSWatchEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, errc := c.WatchFS(ctx, vmName, req)
		for ev := range events {
			if !yield(ev, nil) {
				cancel()
				for range events {
				}
				return
			}
		}
		if err := <-errc; err != nil {
			yield(SlicerFSWatchEvent{}, err)
		}
	}
}

// newLineScanner returns a scanner for NDJSON lines up to 16 MiB.
func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	return sc
}
