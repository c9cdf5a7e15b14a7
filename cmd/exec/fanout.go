package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/output"
)

// fanOutTargets lists the VMs a fan-out exec runs on.
func fanOutTargets(ctx context.Context, c client.Interface, opts *ExecOptions) ([]string, error) {
	var names []string
	switch {
	case len(opts.VMs) > 0:
		seen := map[string]bool{}
		for _, v := range opts.VMs {
			host, err := cmdutil.ResolveVM(ctx, c, v)
			if err != nil {
				return nil, err
			}
			if !seen[host] {
				seen[host] = true
				names = append(names, host)
			}
		}
		return names, nil
	case opts.Tag != "":
		nodes, err := c.ListVMs(ctx, client.ListOptions{Tag: opts.Tag})
		if err != nil {
			return nil, fmt.Errorf("list VMs tagged %q: %w", opts.Tag, err)
		}
		for _, n := range nodes {
			names = append(names, n.Hostname)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no VM has the tag %q (see `slicer vm list`)", opts.Tag)
		}
	default:
		nodes, err := c.ListVMs(ctx)
		if err != nil {
			return nil, fmt.Errorf("list VMs: %w", err)
		}
		for _, n := range nodes {
			names = append(names, n.Hostname)
		}
		if len(names) == 0 {
			return nil, errors.New("there are no VMs")
		}
	}
	sort.Strings(names)
	return names, nil
}

// fanOutRun runs the command on every target, at most opts.Parallel at a
// time. Each VM's output is written line by line with a "[vm] " prefix (or
// as JSON lines), so lines from different VMs never mix. The exit status is
// the largest of the VMs' statuses.
func fanOutRun(ctx context.Context, c client.Interface, opts *ExecOptions) error {
	targets, err := fanOutTargets(ctx, c, opts)
	if err != nil {
		return err
	}
	out := NewLockedWriter(opts.IO.Out)
	errOut := NewLockedWriter(opts.IO.ErrOut)
	sem := make(chan struct{}, opts.Parallel)
	codes := make([]int, len(targets))
	var wg sync.WaitGroup
	for i, vm := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				codes[i] = 130
				return
			}
			defer func() { <-sem }()
			codes[i] = runOne(ctx, c, vm, opts, out, errOut)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	worst := 0
	for _, code := range codes {
		if code > worst {
			worst = code
		}
	}
	if worst != 0 {
		return cmdutil.ExitCodeError{Code: worst}
	}
	return nil
}

func runOne(ctx context.Context, c client.Interface, vm string, opts *ExecOptions, out, errOut io.Writer) int {
	if opts.Output.Format == output.JSON {
		jl := newJSONLines(out, vm, opts.Output)
		res, err := Stream(ctx, c, vm, opts.request(), nil, jl.stream("stdout"), jl.stream("stderr"))
		return jl.finish(res, err)
	}
	prefix := "[" + vm + "] "
	so, se := NewPrefixWriter(out, prefix), NewPrefixWriter(errOut, prefix)
	res, err := Stream(ctx, c, vm, opts.request(), nil, so, se)
	_ = so.Flush()
	_ = se.Flush()
	switch {
	case err != nil && errors.Is(err, cmdutil.ErrConnectionLost):
		fmt.Fprintf(errOut, "%s%v\n", prefix, err)
		return 255
	case err != nil && ctx.Err() != nil:
		return 130
	case err != nil:
		fmt.Fprintf(errOut, "%s%v\n", prefix, err)
		return 1
	}
	if res.Error != "" {
		fmt.Fprintf(errOut, "%s%s\n", prefix, res.Error)
	}
	return res.Code()
}

// jsonLines writes a command's output as one JSON object per line:
// {"vm":..,"stream":"stdout"|"stderr","data":..} for each output line, then
// {"vm":..,"exit_code":N} (plus "signal" and "error" when set).
type jsonLines struct {
	w  io.Writer
	vm string
	mu sync.Mutex
	ps []*PrefixWriter
	// jq and tmpl, when set, render each event (--jq, --template).
	jq, tmpl string
}

func newJSONLines(w io.Writer, vm string, o output.Options) *jsonLines {
	return &jsonLines{w: w, vm: vm, jq: o.JQ, tmpl: o.Template}
}

type lineEvent struct {
	VM       string `json:"vm"`
	Stream   string `json:"stream,omitempty"`
	Data     string `json:"data"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (j *jsonLines) emit(ev lineEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.jq != "":
		_ = output.RunJQ(j.w, j.jq, ev)
		return
	case j.tmpl != "":
		_ = output.RunTemplate(j.w, j.tmpl, ev)
		return
	}
	b, _ := json.Marshal(ev)
	b = append(b, '\n')
	_, _ = j.w.Write(b)
}

type lineSink struct {
	j      *jsonLines
	stream string
}

func (s lineSink) Write(p []byte) (int, error) {
	line := p
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	s.j.emit(lineEvent{VM: s.j.vm, Stream: s.stream, Data: string(line)})
	return len(p), nil
}

// stream returns a writer that turns each line written to it into an event.
func (j *jsonLines) stream(name string) io.Writer {
	p := NewPrefixWriter(lineSink{j: j, stream: name}, "")
	j.ps = append(j.ps, p)
	return p
}

// finish flushes partial lines and writes the final event; it returns the
// exit status for the result.
func (j *jsonLines) finish(res Result, err error) int {
	for _, p := range j.ps {
		_ = p.Flush()
	}
	code := res.Code()
	ev := lineEvent{VM: j.vm, Signal: res.Signal, Error: res.Error}
	switch {
	case err != nil && errors.Is(err, cmdutil.ErrConnectionLost):
		code = 255
		ev.Error = err.Error()
	case err != nil && errors.Is(err, context.Canceled):
		code = 130
		ev.Error = "interrupted"
	case err != nil:
		code = 1
		ev.Error = err.Error()
	}
	ev.ExitCode = &code
	j.emit(ev)
	return code
}
