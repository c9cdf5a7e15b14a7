package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// Output encodings for exec frames (the stdio query parameter).
const (
	ExecStdioText   = "text"
	ExecStdioBase64 = "base64"
)

// Secret types. Empty value is treated as bearer for backwards compat with
// state files / API callers that predate the field.
const (
	SecretTypeBearer             = "bearer"
	SecretTypeBasic              = "basic"
	SecretTypeOAuthCodex         = "oauth-codex"
	SecretTypeOAuthClaude        = "oauth-claude"
	SecretTypeOAuthGitHubCopilot = "oauth-github-copilot"
	SecretTypeOAuthXAI           = "oauth-xai"
	SecretTypeGitHubAppUser      = "github-app-user"
	SecretTypeGitHubApp          = "github-app"
)

// NonRootUser is the uid/gid sentinel meaning "not specified, let the guest
// choose".
const NonRootUser = uint32(math.MaxUint32)

// GiB returns gb gibibytes in bytes.
func GiB(gb int64) int64 { return gb * 1024 * 1024 * 1024 }

// MiB returns mb mebibytes in bytes.
func MiB(mb int64) int64 { return mb * 1024 * 1024 }

// ParseFSWatchTimestamp parses the wire timestamp from a watch event. The
// timestamp is RFC3339Nano when present; an empty value returns the zero time
// without error.
func ParseFSWatchTimestamp(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse watch timestamp %q: %w", v, err)
	}
	return t, nil
}

// AddProxyAllowRequest is the input to AddProxyAllow.
type AddProxyAllowRequest struct {
	Client      string   `json:"client"`
	Host        string   `json:"host"`
	Secret      string   `json:"secret,omitempty"`
	Methods     []string `json:"methods,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Ports       []int    `json:"ports,omitempty"`
	TTLSeconds  int      `json:"ttl_seconds,omitempty"`
	Passthrough bool     `json:"passthrough,omitempty"`
}

// CreateProxySecretRequest is the input to CreateProxySecret. Type defaults
// to SecretTypeBearer when empty; see the SecretType* constants for the Value
// each type expects.
type CreateProxySecretRequest struct {
	Name  string `json:"name"`
	Host  string `json:"host"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
	Force bool   `json:"force,omitempty"`
}

// CreateSecretRequest is the payload for creating a new secret via the REST
// API. Data must already be base64-encoded.
type CreateSecretRequest struct {
	// Name is the unique name of the secret
	Name string `json:"name"`
	// Data is the secret content
	Data string `json:"data"`
	// Permissions specifies the file permissions (defaults to system default)
	Permissions string `json:"permissions,omitempty"`
	// UID is the user ID that should own the secret file.
	UID uint32 `json:"uid,omitempty"`
	// GID is the group ID that should own the secret file.
	GID uint32 `json:"gid,omitempty"`
}

// UpdateSecretRequest is the payload for updating an existing secret via the
// REST API.
type UpdateSecretRequest struct {
	// Data is the updated secret content
	Data string `json:"data"`
	// Permissions specifies the file permissions
	Permissions string `json:"permissions,omitempty"`
	// UID is the user ID that should own the secret file.
	UID uint32 `json:"uid,omitempty"`
	// GID is the group ID that should own the secret file.
	GID uint32 `json:"gid,omitempty"`
}

// Secret represents a secret stored in the slicer system. Values are never
// returned by the API.
type Secret struct {
	// Name is the unique name of the secret
	Name string `json:"name"`
	// Size is the size of the secret data in bytes
	Size int64 `json:"size"`
	// Permissions specifies the file permissions for the secret (e.g., "0600")
	Permissions string `json:"permissions"`
	// UID is the user ID that owns the secret file.
	UID uint32 `json:"uid,omitempty"`
	// GID is the group ID that owns the secret file.
	GID uint32 `json:"gid,omitempty"`
	// ModifiedAt is the time the secret was last modified
	ModifiedAt *time.Time `json:"modified_at,omitempty"`
}

// UnmarshalJSON accepts the modification time as "modified_at" (what the
// SDKs read) or "mod_time" (what OpenAPI documents); see PROTOCOL.md §7.1.
func (s *Secret) UnmarshalJSON(b []byte) error {
	type plain Secret
	var aux struct {
		plain
		ModTime *time.Time `json:"mod_time,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*s = Secret(aux.plain)
	if s.ModifiedAt == nil && aux.ModTime != nil {
		s.ModifiedAt = aux.ModTime
	}
	return nil
}

// ExecBackgroundDeleteResponse is returned by ExecDelete.
type ExecBackgroundDeleteResponse struct {
	ExecID string `json:"exec_id"`
	Reaped bool   `json:"reaped"`
}

// ExecBackgroundInfo mirrors the server's info shape for a background exec.
type ExecBackgroundInfo struct {
	ExecID       string     `json:"exec_id"`
	PID          int        `json:"pid"`
	Command      string     `json:"command"`
	Args         []string   `json:"args,omitempty"`
	Cwd          string     `json:"cwd,omitempty"`
	UID          uint32     `json:"uid,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	Running      bool       `json:"running"`
	ExitCode     *int       `json:"exit_code,omitempty"`
	Signal       string     `json:"signal,omitempty"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	BytesWritten int64      `json:"bytes_written"`
	BytesDropped int64      `json:"bytes_dropped"`
	NextID       uint64     `json:"next_id"`
	RingBytes    int64      `json:"ring_bytes"`
}

// ExecBackgroundKillResponse is returned by ExecKill.
type ExecBackgroundKillResponse struct {
	ExecID     string `json:"exec_id"`
	PID        int    `json:"pid"`
	Running    bool   `json:"running"`
	SignalSent string `json:"signal_sent"`
}

// ExecBackgroundRequest carries parameters to launch a long-running process
// inside a VM via POST /vm/{hostname}/exec?background=true.
type ExecBackgroundRequest struct {
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	Env     []string `json:"env,omitempty"`
	UID     uint32   `json:"uid,omitempty"`
	GID     uint32   `json:"gid,omitempty"`
	Shell   string   `json:"shell,omitempty"`
	Cwd     string   `json:"cwd,omitempty"`
	// RingBytes sets the per-process ring buffer cap. Zero means server
	// default (1 MiB). Negative values are rejected.
	RingBytes int64 `json:"ring_bytes,omitempty"`
}

// ExecBackgroundResponse is returned by ExecBackground on success.
type ExecBackgroundResponse struct {
	ExecID    string    `json:"exec_id"`
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	RingBytes int64     `json:"ring_bytes"`
}

// ExecBackgroundWaitExitResponse is returned by ExecWaitExit.
type ExecBackgroundWaitExitResponse struct {
	ExecID   string     `json:"exec_id"`
	Running  bool       `json:"running"`
	ExitCode *int       `json:"exit_code,omitempty"`
	Signal   string     `json:"signal,omitempty"`
	EndedAt  *time.Time `json:"ended_at,omitempty"`
	TimedOut bool       `json:"timed_out"`
}

// ExecResult is the single reply of a buffered exec.
type ExecResult struct {
	Stdout    string    `json:"stdout,omitempty"`
	Stderr    string    `json:"stderr,omitempty"`
	Encoding  string    `json:"encoding,omitempty"`
	Pid       int       `json:"pid,omitempty"`
	StartedAt time.Time `json:"started_at,omitempty,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitempty,omitzero"`
	Signal    string    `json:"signal,omitempty"`
	ExitCode  int       `json:"exit_code"`
	Error     string    `json:"error,omitempty"`
}

// StdoutBytes returns the stdout payload, base64-decoded when Encoding says so.
func (r ExecResult) StdoutBytes() ([]byte, error) { return decodeStdio(r.Encoding, r.Stdout) }

// StderrBytes returns the stderr payload, base64-decoded when Encoding says so.
func (r ExecResult) StderrBytes() ([]byte, error) { return decodeStdio(r.Encoding, r.Stderr) }

// KillOptions tunes POST /vm/{hostname}/exec/{exec_id}/kill.
type KillOptions struct {
	Signal  string `json:"signal,omitempty"`
	GraceMs int    `json:"grace_ms,omitempty"`
}

// ListOptions filters applied to node listing endpoints. Tag (exact match)
// and TagPrefix are mutually exclusive. The zero value applies no filter.
type ListOptions struct {
	// Tag matches nodes whose tags contain exactly this value.
	Tag string
	// TagPrefix matches nodes whose tags start with this value.
	TagPrefix string
}

// LogOptions tunes GET /vm/{hostname}/exec/{exec_id}/logs.
type LogOptions struct {
	// Follow=true keeps the connection open and streams live frames after
	// replaying the ring contents. Follow=false replays and closes.
	Follow bool
	// FromID starts the replay cursor at frame N if present in the ring.
	FromID uint64
}

// ProxyAllowRule grants a ProxyClient access to one host (exact, *.suffix
// wildcard, or "*" for any).
type ProxyAllowRule struct {
	Host        string    `json:"host"`
	Secret      string    `json:"secret,omitempty"`
	Methods     []string  `json:"methods,omitempty"`
	Paths       []string  `json:"paths,omitempty"`
	Ports       []int     `json:"ports,omitempty"`
	Expires     time.Time `json:"expires,omitempty"`
	Passthrough bool      `json:"passthrough,omitempty"`
}

// ProxyClient holds an opaque token used to authenticate against the
// slicer-proxy data plane. The token itself is never listed.
type ProxyClient struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ProxyClientCreated is the response shape from CreateProxyClient. The minted
// Token is shown once at create time and never returned by any other endpoint.
type ProxyClientCreated struct {
	Name      string    `json:"name"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// ProxySecret is an upstream credential the proxy injects into matching
// CONNECT requests. List endpoints never return Value.
type ProxySecret struct {
	Name        string    `json:"name"`
	Host        string    `json:"host"`
	Type        string    `json:"type,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at,omitempty"`
	AdoptedAt   time.Time `json:"adopted_at,omitempty"`
	RefreshedAt time.Time `json:"refreshed_at,omitempty"`
}

// RemoveProxyAllowByTupleRequest mirrors the create payload minus TTLSeconds,
// which is not part of a rule's identity.
type RemoveProxyAllowByTupleRequest struct {
	Client      string   `json:"client"`
	Host        string   `json:"host"`
	Secret      string   `json:"secret,omitempty"`
	Methods     []string `json:"methods,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Ports       []int    `json:"ports,omitempty"`
	Passthrough bool     `json:"passthrough,omitempty"`
}

// SlicerAgentHealthResponse is the guest agent's health report.
type SlicerAgentHealthResponse struct {
	// Hostname is the hostname of the agent
	Hostname string `json:"hostname,omitempty"`
	// AgentUptime is the uptime of the agent
	AgentUptime time.Duration `json:"agent_uptime,omitempty"`
	// AgentVersion is the version of the agent
	AgentVersion string `json:"agent_version,omitempty"`
	// SystemUptime is the uptime of the system
	SystemUptime time.Duration `json:"system_uptime,omitempty"`
	// UserdataRan indicates whether the user data script has completed executing
	UserdataRan bool `json:"userdata_ran,omitempty"`
	// IP is the guest's primary IPv4 address, as reported by the agent.
	IP string `json:"ip,omitempty"`
	// UserdataExitCode is the userdata script's exit status once it has
	// run (newer daemons, VENDOR-CLI.md §4.5; absent otherwise).
	UserdataExitCode *int `json:"userdata_exit_code,omitempty"`
}

// SlicerCpRequest contains parameters for copying files to/from a VM.
type SlicerCpRequest struct {
	VM   string `json:"vm"`
	Path string `json:"path"`
}

// SlicerCreateNodeNetworkPolicy optionally overrides the host group's
// isolated-network allow/drop firewall lists for this VM launch.
type SlicerCreateNodeNetworkPolicy struct {
	Allow []string `json:"allow,omitempty"`
	Drop  []string `json:"drop,omitempty"`
}

// SlicerCreateNodeWaitFor controls how far the server should wait before
// returning.
type SlicerCreateNodeWaitFor string

const (
	// SlicerCreateNodeWaitAgent returns once the guest agent is reachable.
	SlicerCreateNodeWaitAgent SlicerCreateNodeWaitFor = "agent"
	// SlicerCreateNodeWaitUserdata returns once agent readiness and userdata
	// completion are observed.
	SlicerCreateNodeWaitUserdata SlicerCreateNodeWaitFor = "userdata"
)

// SlicerCreateNodeOptions allows typed create query params.
type SlicerCreateNodeOptions struct {
	// Wait controls server-side readiness waiting (agent/userdata). Empty means no wait.
	Wait SlicerCreateNodeWaitFor `json:"-"`
	// Timeout is optional wait timeout when Wait is set. Parsed as Go duration.
	Timeout time.Duration `json:"-"`
}

// SlicerCreateNodeRequest contains parameters for creating a node.
type SlicerCreateNodeRequest struct {
	RamBytes   int64                          `json:"ram_bytes,omitempty"` // RAM size in bytes (must not exceed host group limit)
	CPUs       int                            `json:"cpus,omitempty"`      // Number of CPUs (must not exceed host group limit)
	GPUCount   int                            `json:"gpu_count,omitempty"`
	Persistent bool                           `json:"persistent,omitempty"`
	DiskImage  string                         `json:"disk_image,omitempty"`
	ImportUser string                         `json:"import_user,omitempty"`
	SSHKeys    []string                       `json:"ssh_keys,omitempty"`
	Userdata   string                         `json:"userdata,omitempty"`
	IP         string                         `json:"ip,omitempty"`
	Tags       []string                       `json:"tags,omitempty"`
	Secrets    []string                       `json:"secrets,omitempty"`
	Network    *SlicerCreateNodeNetworkPolicy `json:"network,omitempty"`
}

// SlicerCreateNodeResponse is the response from the REST API when creating a
// node.
type SlicerCreateNodeResponse struct {
	Hostname  string    `json:"hostname"`
	HostGroup string    `json:"hostgroup,omitempty"`
	IP        string    `json:"ip"`
	CreatedAt time.Time `json:"created_at"`
	Arch      string    `json:"arch,omitempty"`
}

// IPAddress returns the node's IP, accepting plain and CIDR forms. It returns
// nil when the field holds neither.
func (n *SlicerCreateNodeResponse) IPAddress() net.IP {
	return parseIPOrCIDR(n.IP)
}

func parseIPOrCIDR(s string) net.IP {
	s = strings.TrimSpace(s)
	if ip, _, err := net.ParseCIDR(s); err == nil {
		return ip
	}
	return net.ParseIP(s)
}

// SlicerDeleteResponse represents the response from the delete endpoint.
type SlicerDeleteResponse struct {
	Message     string `json:"message"`
	DiskRemoved string `json:"disk_removed"`
	Error       string `json:"error"`
}

// SlicerExecRequest contains parameters for invoking a command within a VM.
type SlicerExecRequest struct {
	Command     string   `json:"command,omitempty"`
	Args        []string `json:"args,omitempty"`
	Env         []string `json:"env,omitempty"`
	UID         uint32   `json:"uid,omitempty"`
	GID         uint32   `json:"gid,omitempty"`
	Stdin       bool     `json:"stdin,omitempty"`
	Stdout      bool     `json:"stdout,omitempty"`
	Stderr      bool     `json:"stderr,omitempty"`
	Stdio       string   `json:"stdio,omitempty"`
	Shell       string   `json:"shell,omitempty"`
	Cwd         string   `json:"cwd,omitempty"`
	Permissions string   `json:"permissions,omitempty"`
}

// SlicerExecWriteResult represents output from commands executing within a
// microVM: one NDJSON frame of an exec or background-exec log stream.
type SlicerExecWriteResult struct {
	Timestamp time.Time `json:"timestamp,omitempty,omitzero"`
	Type      string    `json:"type,omitempty"`
	Pid       int       `json:"pid,omitempty"`
	Encoding  string    `json:"encoding,omitempty"`
	Data      string    `json:"data,omitempty"`
	StartedAt time.Time `json:"started_at,omitempty,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitempty,omitzero"`
	Signal    string    `json:"signal,omitempty"`
	Stdout    string    `json:"stdout,omitempty"`
	Stderr    string    `json:"stderr,omitempty"`
	ExitCode  int       `json:"exit_code"`
	Error     string    `json:"error,omitempty"`

	// Background-exec extensions. The foreground /exec streaming API never sets
	// these; they are emitted by the background-exec log stream.
	ID            uint64 `json:"id,omitempty"`
	DroppedBytes  int64  `json:"dropped_bytes,omitempty"`
	DroppedFrames int    `json:"dropped_frames,omitempty"`
	Message       string `json:"message,omitempty"`
}

// DataBytes returns the data payload, base64-decoded when Encoding says so.
func (r SlicerExecWriteResult) DataBytes() ([]byte, error) { return decodeStdio(r.Encoding, r.Data) }

// StdoutBytes returns the stdout payload, base64-decoded when Encoding says so.
func (r SlicerExecWriteResult) StdoutBytes() ([]byte, error) {
	return decodeStdio(r.Encoding, r.Stdout)
}

// StderrBytes returns the stderr payload, base64-decoded when Encoding says so.
func (r SlicerExecWriteResult) StderrBytes() ([]byte, error) {
	return decodeStdio(r.Encoding, r.Stderr)
}

func decodeStdio(encoding, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if encoding == ExecStdioBase64 {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("decode base64 output: %w", err)
		}
		return b, nil
	}
	return []byte(s), nil
}

// SlicerFSInfo represents file system entry metadata returned by VM fs
// endpoints.
type SlicerFSInfo struct {
	Name  string    `json:"name"`
	Type  string    `json:"type"`
	Size  int64     `json:"size"`
	Mtime time.Time `json:"mtime"`
	Mode  string    `json:"mode"`
}

// UnmarshalJSON accepts mtime as an RFC 3339 string (the SDK's shape) or as
// integer Unix seconds (the OpenAPI shape); see PROTOCOL.md §10.1 and §16.
func (f *SlicerFSInfo) UnmarshalJSON(b []byte) error {
	var aux struct {
		Name  string          `json:"name"`
		Type  string          `json:"type"`
		Size  int64           `json:"size"`
		Mtime json.RawMessage `json:"mtime"`
		Mode  string          `json:"mode"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = SlicerFSInfo{Name: aux.Name, Type: aux.Type, Size: aux.Size, Mode: aux.Mode}
	m := bytes.TrimSpace(aux.Mtime)
	switch {
	case len(m) == 0 || string(m) == "null":
	case m[0] == '"':
		var t time.Time
		if err := json.Unmarshal(m, &t); err != nil {
			var s string
			if json.Unmarshal(m, &s) == nil && s == "" {
				return nil
			}
			return fmt.Errorf("decode fs mtime: %w", err)
		}
		f.Mtime = t
	default:
		fl, err := strconv.ParseFloat(string(m), 64)
		if err != nil {
			return fmt.Errorf("decode fs mtime %s: not a timestamp or Unix seconds", m)
		}
		sec, frac := math.Modf(fl)
		f.Mtime = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return nil
}

// SlicerFSMkdirRequest contains parameters for mkdir on a VM.
type SlicerFSMkdirRequest struct {
	Path      string `json:"path"`
	Recursive bool   `json:"recursive,omitempty"`
	Mode      string `json:"mode,omitempty"`
}

// SlicerFSWatchEvent is one filesystem event delivered over the watch stream.
// ID is the monotonic per-stream id from the SSE `id:` line. Timestamp is kept
// as a string; use ParseFSWatchTimestamp to decode it.
type SlicerFSWatchEvent struct {
	ID        uint64 `json:"id"`
	Type      string `json:"type"`
	Path      string `json:"path"`
	Timestamp string `json:"timestamp"`
	Size      int64  `json:"size"`
	IsDir     bool   `json:"isDir"`
	Message   string `json:"message,omitempty"`
}

// SlicerFSWatchRequest configures a filesystem watch stream. Paths, Patterns
// and Events are repeated query parameters. LastEventID is sent as the SSE
// Last-Event-ID header.
type SlicerFSWatchRequest struct {
	Paths       []string `json:"paths,omitempty"`
	Patterns    []string `json:"patterns,omitempty"`
	Events      []string `json:"events,omitempty"`
	UID         uint32   `json:"uid,omitempty"`
	Recursive   bool     `json:"recursive,omitempty"`
	OneShot     bool     `json:"one_shot,omitempty"`
	Debounce    string   `json:"debounce,omitempty"`
	Timeout     string   `json:"timeout,omitempty"`
	MaxEvents   int      `json:"max_events,omitempty"`
	LastEventID string   `json:"last_event_id,omitempty"`
}

// SlicerHostGroup represents a host group from the /hostgroup endpoint.
type SlicerHostGroup struct {
	Name     string `json:"name,omitempty"`
	Count    int    `json:"count,omitempty"`
	RamBytes int64  `json:"ram_bytes,omitempty"` // RAM size in bytes
	CPUs     int    `json:"cpus,omitempty"`
	Arch     string `json:"arch,omitempty"`
	GPUCount int    `json:"gpu_count,omitempty"`
}

// SlicerInfo represents version and server information from the /info
// endpoint.
type SlicerInfo struct {
	// Version is the version of the slicer server
	Version string `json:"version,omitempty"`
	// GitCommit is the git commit hash of the slicer server
	GitCommit string `json:"git_commit,omitempty"`
	// Platform indicates the server operating system (runtime.GOOS).
	Platform string `json:"platform,omitempty"`
	// Arch is the server architecture (runtime.GOARCH).
	Arch string `json:"arch,omitempty"`
}

// SlicerLogsResponse represents the response from the logs endpoint.
type SlicerLogsResponse struct {
	Hostname string `json:"hostname"`
	Lines    int    `json:"lines"`
	Content  string `json:"content"`
}

// SlicerNode represents a node managed by the slicer REST API.
type SlicerNode struct {
	Hostname   string    `json:"hostname"`
	HostGroup  string    `json:"hostgroup,omitempty"`
	IP         string    `json:"ip"`
	RamBytes   int64     `json:"ram_bytes,omitempty"` // RAM size in bytes
	CPUs       int       `json:"cpus,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Arch       string    `json:"arch,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	Status     string    `json:"status,omitempty"` // "Running", "Paused", or "Stopped"
	Persistent bool      `json:"persistent,omitempty"`
}

// SlicerNodeStat represents stats for a VM node.
type SlicerNodeStat struct {
	Hostname  string          `json:"hostname"`
	IP        string          `json:"ip"`
	CreatedAt time.Time       `json:"created_at"`
	Snapshot  *SlicerSnapshot `json:"snapshot"`
	Error     string          `json:"error"`
}

// SlicerRestoreVMWaitFor controls server-side readiness waiting for restore.
type SlicerRestoreVMWaitFor string

const (
	SlicerRestoreVMWaitNone  SlicerRestoreVMWaitFor = ""
	SlicerRestoreVMWaitAgent SlicerRestoreVMWaitFor = "agent"
)

// SlicerRestoreVMOptions mirrors SlicerCreateNodeOptions for the
// /vm/{h}/restore endpoint.
type SlicerRestoreVMOptions struct {
	// Wait controls server-side readiness waiting. Empty means no wait.
	Wait SlicerRestoreVMWaitFor `json:"-"`
	// Timeout is optional wait timeout when Wait is set.
	Timeout time.Duration `json:"-"`
}

// SlicerShutdownRequest contains parameters for shutting down or rebooting a
// VM. Action can be "shutdown" or "reboot".
type SlicerShutdownRequest struct {
	// Action specifies the shutdown action: "shutdown" (halt) or "reboot" (restart).
	Action string `json:"action,omitempty"`
}

// SlicerSnapshot represents a snapshot of VM metrics.
type SlicerSnapshot struct {
	Hostname             string    `json:"hostname"`
	Arch                 string    `json:"arch"`
	Timestamp            time.Time `json:"timestamp"`
	Uptime               string    `json:"uptime"`
	TotalCPUS            int       `json:"totalCpus"`
	TotalMemory          uint64    `json:"totalMemory"`
	MemoryUsed           uint64    `json:"memoryUsed"`
	MemoryAvailable      uint64    `json:"memoryAvailable"`
	MemoryUsedPercent    float64   `json:"memoryUsedPercent"`
	LoadAvg1             float64   `json:"loadAvg1"`
	LoadAvg5             float64   `json:"loadAvg5"`
	LoadAvg15            float64   `json:"loadAvg15"`
	DiskReadTotal        float64   `json:"diskReadTotal"`
	DiskWriteTotal       float64   `json:"diskWriteTotal"`
	NetworkReadTotal     float64   `json:"networkReadTotal"`
	NetworkWriteTotal    float64   `json:"networkWriteTotal"`
	DiskIOInflight       int64     `json:"diskIOInflight"`
	OpenConnections      int64     `json:"openConnections"`
	OpenFiles            int64     `json:"openFiles"`
	Entropy              int64     `json:"entropy"`
	DiskSpaceTotal       uint64    `json:"diskSpaceTotal"`
	DiskSpaceUsed        uint64    `json:"diskSpaceUsed"`
	DiskSpaceFree        uint64    `json:"diskSpaceFree"`
	DiskSpaceUsedPercent float64   `json:"diskSpaceUsedPercent"`
}
