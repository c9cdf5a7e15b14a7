package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GetInfo fetches server version information from the /info endpoint.
func (c *SlicerClient) GetInfo(ctx context.Context) (*SlicerInfo, error) {
	var out SlicerInfo
	if err := c.doJSON(ctx, http.MethodGet, "/info", nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetHostGroups fetches all host groups from the API.
func (c *SlicerClient) GetHostGroups(ctx context.Context) ([]SlicerHostGroup, error) {
	out := []SlicerHostGroup{}
	if err := c.doJSON(ctx, http.MethodGet, "/hostgroup", nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

func listQuery(opts []ListOptions) url.Values {
	if len(opts) == 0 {
		return nil
	}
	q := url.Values{}
	if opts[0].Tag != "" {
		q.Set("tag", opts[0].Tag)
	}
	if opts[0].TagPrefix != "" {
		q.Set("tag_prefix", opts[0].TagPrefix)
	}
	return q
}

// GetHostGroupNodes fetches nodes for a specific host group. Optional filters
// (tag / tag_prefix) may be supplied; only the first opts entry is honored.
// The filter travels in the query string (PROTOCOL.md §4.2).
func (c *SlicerClient) GetHostGroupNodes(ctx context.Context, groupName string, opts ...ListOptions) ([]SlicerNode, error) {
	out := []SlicerNode{}
	p := "/hostgroup/" + esc(groupName) + "/nodes"
	if err := c.doJSON(ctx, http.MethodGet, p, listQuery(opts), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// ListVMs fetches all VMs (nodes). Optional filters (tag / tag_prefix) may be
// supplied; only the first opts entry is honored.
func (c *SlicerClient) ListVMs(ctx context.Context, opts ...ListOptions) ([]SlicerNode, error) {
	out := []SlicerNode{}
	if err := c.doJSON(ctx, http.MethodGet, "/nodes", listQuery(opts), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateVM creates a new VM in the specified host group.
func (c *SlicerClient) CreateVM(ctx context.Context, groupName string, request SlicerCreateNodeRequest) (*SlicerCreateNodeResponse, error) {
	return c.CreateVMWithOptions(ctx, groupName, request, SlicerCreateNodeOptions{})
}

// CreateVMWithOptions creates a new VM in the specified host group with
// optional wait/query behavior. An empty groupName is resolved by listing the
// host groups: exactly one must exist.
func (c *SlicerClient) CreateVMWithOptions(ctx context.Context, groupName string, request SlicerCreateNodeRequest, options SlicerCreateNodeOptions) (*SlicerCreateNodeResponse, error) {
	if strings.TrimSpace(groupName) == "" {
		groups, err := c.GetHostGroups(ctx)
		if err != nil {
			return nil, fmt.Errorf("resolve host group: %w", err)
		}
		switch len(groups) {
		case 0:
			return nil, errors.New("slicer: no host groups configured")
		case 1:
			groupName = groups[0].Name
		default:
			names := make([]string, len(groups))
			for i, g := range groups {
				names[i] = g.Name
			}
			return nil, fmt.Errorf("slicer: host group is required when more than one is configured (have: %s)", strings.Join(names, ", "))
		}
	}
	// As in the SDK, the wait value is checked after the group is resolved.
	q := url.Values{}
	switch options.Wait {
	case "":
	case SlicerCreateNodeWaitAgent, SlicerCreateNodeWaitUserdata:
		q.Set("wait", string(options.Wait))
	default:
		return nil, fmt.Errorf("invalid wait value %q: use %q or %q", options.Wait, SlicerCreateNodeWaitAgent, SlicerCreateNodeWaitUserdata)
	}
	if options.Timeout > 0 {
		q.Set("timeout", options.Timeout.String())
	}
	var out SlicerCreateNodeResponse
	p := "/hostgroup/" + esc(groupName) + "/nodes"
	if err := c.doJSON(ctx, http.MethodPost, p, q, request, &out, http.StatusOK, http.StatusCreated); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteVM deletes a VM from a host group. A 200 answer whose "error" field
// is set is reported as an error.
func (c *SlicerClient) DeleteVM(ctx context.Context, groupName, hostname string) (*SlicerDeleteResponse, error) {
	req, err := c.newRequest(ctx, http.MethodDelete, "/hostgroup/"+esc(groupName)+"/nodes/"+esc(hostname), nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return nil, err
	}
	defer drainClose(resp.Body)
	out := &SlicerDeleteResponse{}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read delete response: %w", err)
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("decode delete response: %w", err)
		}
	}
	if out.Error != "" {
		return out, fmt.Errorf("delete VM %s: %s", hostname, out.Error)
	}
	return out, nil
}

// DeleteNode deletes a node from the specified host group.
func (c *SlicerClient) DeleteNode(groupName, nodeName string) error {
	req, err := c.newRequest(context.Background(), http.MethodDelete, "/hostgroup/"+esc(groupName)+"/nodes/"+esc(nodeName), nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.send(req, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	drainClose(resp.Body)
	return nil
}

// RelaunchVM relaunches a known stopped persistent VM.
func (c *SlicerClient) RelaunchVM(ctx context.Context, hostname string) (*SlicerCreateNodeResponse, error) {
	var out SlicerCreateNodeResponse
	if err := c.doJSON(ctx, http.MethodPost, vmEndpoint(hostname, "/relaunch"), nil, nil, &out, http.StatusOK, http.StatusCreated); err != nil {
		return nil, err
	}
	return &out, nil
}

// postEmpty sends a body-less POST and expects 200.
func (c *SlicerClient) postEmpty(ctx context.Context, p string, q url.Values) error {
	return c.doJSON(ctx, http.MethodPost, p, q, nil, nil, http.StatusOK)
}

// Shutdown shuts down or reboots a VM. The action always travels as the
// action query parameter; a nil request or empty Action sends "reboot", the
// graceful stop under Firecracker (PROTOCOL.md §5.2).
func (c *SlicerClient) Shutdown(ctx context.Context, hostname string, request *SlicerShutdownRequest) error {
	action := "reboot"
	if request != nil && request.Action != "" {
		action = request.Action
	}
	return c.postEmpty(ctx, vmEndpoint(hostname, "/shutdown"), url.Values{"action": {action}})
}

// PauseVM pauses a running VM.
func (c *SlicerClient) PauseVM(ctx context.Context, hostname string) error {
	return c.postEmpty(ctx, vmEndpoint(hostname, "/pause"), nil)
}

// ResumeVM resumes a paused VM.
func (c *SlicerClient) ResumeVM(ctx context.Context, hostname string) error {
	return c.postEmpty(ctx, vmEndpoint(hostname, "/resume"), nil)
}

// SuspendVM suspends a running VM to disk (snapshot).
func (c *SlicerClient) SuspendVM(ctx context.Context, hostname string) error {
	return c.postEmpty(ctx, vmEndpoint(hostname, "/suspend"), nil)
}

// RestoreVM restores a VM from a snapshot with no readiness wait.
func (c *SlicerClient) RestoreVM(ctx context.Context, hostname string) error {
	return c.RestoreVMWithOptions(ctx, hostname, SlicerRestoreVMOptions{})
}

// RestoreVMWithOptions restores a VM and optionally waits server-side for the
// guest agent. timeout is only sent together with wait.
func (c *SlicerClient) RestoreVMWithOptions(ctx context.Context, hostname string, opts SlicerRestoreVMOptions) error {
	var q url.Values
	if opts.Wait != SlicerRestoreVMWaitNone {
		q = url.Values{"wait": {string(opts.Wait)}}
		if opts.Timeout > 0 {
			q.Set("timeout", opts.Timeout.String())
		}
	}
	return c.postEmpty(ctx, vmEndpoint(hostname, "/restore"), q)
}

// GetVMLogs fetches the serial console log of a VM. lines > 0 asks for that
// many lines from the end; 0 or a negative value asks for the whole log
// (lines=0), which is what the vendor SDK's documented "-1 for all" means
// (PROTOCOL.md §6.1, §17 item 14).
func (c *SlicerClient) GetVMLogs(ctx context.Context, hostname string, lines int) (*SlicerLogsResponse, error) {
	if lines < 0 {
		lines = 0
	}
	q := url.Values{"lines": {strconv.Itoa(lines)}}
	var out SlicerLogsResponse
	if err := c.doJSON(ctx, http.MethodGet, vmEndpoint(hostname, "/logs"), q, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetVMStats fetches stats for all VMs (empty hostname, GET /nodes/stats) or
// for one VM (GET /node/{hostname}/stats). A single VM's stats are accepted
// as an object or as an array (PROTOCOL.md §6.2).
func (c *SlicerClient) GetVMStats(ctx context.Context, hostname string) ([]SlicerNodeStat, error) {
	p := "/nodes/stats"
	if hostname != "" {
		p = "/node/" + esc(hostname) + "/stats"
	}
	var raw json.RawMessage
	if err := c.doJSON(ctx, http.MethodGet, p, nil, nil, &raw, http.StatusOK); err != nil {
		return nil, err
	}
	return decodeStats(raw)
}

func decodeStats(raw []byte) ([]SlicerNodeStat, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return []SlicerNodeStat{}, nil
	case raw[0] == '{':
		var one SlicerNodeStat
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("decode stats: %w", err)
		}
		return []SlicerNodeStat{one}, nil
	default:
		out := []SlicerNodeStat{}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("decode stats: %w", err)
		}
		return out, nil
	}
}

// GetAgentHealth fetches the health of the guest agent. includeStats=false
// sends HEAD and only checks the status; includeStats=true sends GET and
// decodes the report.
func (c *SlicerClient) GetAgentHealth(ctx context.Context, hostname string, includeStats bool) (*SlicerAgentHealthResponse, error) {
	p := vmEndpoint(hostname, "/health")
	if !includeStats {
		req, err := c.newRequest(ctx, http.MethodHead, p, nil, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(req, http.StatusOK)
		if err != nil {
			return nil, err
		}
		drainClose(resp.Body)
		return &SlicerAgentHealthResponse{Hostname: hostname}, nil
	}
	var out SlicerAgentHealthResponse
	if err := c.doJSON(ctx, http.MethodGet, p, nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}
