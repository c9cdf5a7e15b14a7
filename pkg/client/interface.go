package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"
)

// Interface is the method set of *SlicerClient. Commands depend on it so
// tests can substitute clienttest.Fake.
type Interface interface {
	// Server
	GetInfo(ctx context.Context) (*SlicerInfo, error)
	BaseURL() string
	DialWebSocket(ctx context.Context, path string, query url.Values, header http.Header) (*websocket.Conn, *http.Response, error)

	// Host groups and VMs
	GetHostGroups(ctx context.Context) ([]SlicerHostGroup, error)
	GetHostGroupNodes(ctx context.Context, groupName string, opts ...ListOptions) ([]SlicerNode, error)
	ListVMs(ctx context.Context, opts ...ListOptions) ([]SlicerNode, error)
	CreateVM(ctx context.Context, groupName string, request SlicerCreateNodeRequest) (*SlicerCreateNodeResponse, error)
	CreateVMWithOptions(ctx context.Context, groupName string, request SlicerCreateNodeRequest, options SlicerCreateNodeOptions) (*SlicerCreateNodeResponse, error)
	DeleteVM(ctx context.Context, groupName, hostname string) (*SlicerDeleteResponse, error)
	DeleteNode(groupName, nodeName string) error
	RelaunchVM(ctx context.Context, hostname string) (*SlicerCreateNodeResponse, error)
	Shutdown(ctx context.Context, hostname string, request *SlicerShutdownRequest) error
	PauseVM(ctx context.Context, hostname string) error
	ResumeVM(ctx context.Context, hostname string) error
	SuspendVM(ctx context.Context, hostname string) error
	RestoreVM(ctx context.Context, hostname string) error
	RestoreVMWithOptions(ctx context.Context, hostname string, opts SlicerRestoreVMOptions) error

	// Observability
	GetVMLogs(ctx context.Context, hostname string, lines int) (*SlicerLogsResponse, error)
	GetVMStats(ctx context.Context, hostname string) ([]SlicerNodeStat, error)
	GetAgentHealth(ctx context.Context, hostname string, includeStats bool) (*SlicerAgentHealthResponse, error)

	// Secrets
	ListSecrets(ctx context.Context) ([]Secret, error)
	CreateSecret(ctx context.Context, request CreateSecretRequest) error
	PatchSecret(ctx context.Context, secretName string, request UpdateSecretRequest) error
	DeleteSecret(ctx context.Context, secretName string) error

	// Foreground exec
	Exec(ctx context.Context, nodeName string, execReq SlicerExecRequest) (chan SlicerExecWriteResult, error)
	ExecWithReader(ctx context.Context, nodeName string, execReq SlicerExecRequest, stdin io.Reader) (chan SlicerExecWriteResult, error)
	ExecTo(ctx context.Context, nodeName string, execReq SlicerExecRequest, stdin io.Reader, fn func(f *SlicerExecWriteResult, out ExecOutput) bool) error
	ExecBuffered(ctx context.Context, nodeName string, execReq SlicerExecRequest) (ExecResult, error)
	Command(ctx context.Context, vmName string, name string, arg ...string) *RemoteCmd
	CommandContext(ctx context.Context, vmName string, name string, arg ...string) *RemoteCmd

	// Background exec
	ExecBackground(ctx context.Context, vmName string, req ExecBackgroundRequest) (*ExecBackgroundResponse, error)
	ExecList(ctx context.Context, vmName string) ([]ExecBackgroundInfo, error)
	ExecInfo(ctx context.Context, vmName, execID string) (*ExecBackgroundInfo, error)
	ExecLogs(ctx context.Context, vmName, execID string, opts LogOptions) (<-chan SlicerExecWriteResult, error)
	ExecKill(ctx context.Context, vmName, execID string, opts KillOptions) (*ExecBackgroundKillResponse, error)
	ExecWaitExit(ctx context.Context, vmName, execID string, timeout time.Duration) (*ExecBackgroundWaitExitResponse, error)
	ExecDelete(ctx context.Context, vmName, execID string) (*ExecBackgroundDeleteResponse, error)

	// Guest filesystem
	ReadDir(ctx context.Context, vmName, path string) ([]SlicerFSInfo, error)
	Stat(ctx context.Context, vmName, path string) (*SlicerFSInfo, error)
	Exists(ctx context.Context, vmName, path string) (bool, error)
	Mkdir(ctx context.Context, vmName string, request SlicerFSMkdirRequest) error
	Remove(ctx context.Context, vmName, path string, recursive bool) error
	ReadFile(ctx context.Context, vmName, vmPath string) ([]byte, string, error)
	WriteFile(ctx context.Context, vmName, vmPath string, data []byte, uid, gid uint32, permissions string) error
	ReadFileTo(ctx context.Context, vmName, vmPath string, w io.Writer) error
	WriteFileFrom(ctx context.Context, vmName, vmPath string, r io.Reader, uid, gid uint32, permissions string) error
	WatchFS(ctx context.Context, vmName string, req SlicerFSWatchRequest) (<-chan SlicerFSWatchEvent, <-chan error)
	WatchFSIter(ctx context.Context, vmName string, req SlicerFSWatchRequest) iter.Seq2[SlicerFSWatchEvent, error]

	// Copy
	CpToVM(ctx context.Context, vmName, localPath, vmPath string, uid, gid uint32, permissions, mode string, excludePatterns ...string) error
	CpFromVM(ctx context.Context, vmName, vmPath, localPath string, permissions, mode string, excludePatterns ...string) error
	CpToVMFromReader(ctx context.Context, vmName string, r io.Reader, vmPath string, uid, gid uint32, permissions, mode string) error
	CpFromVMToWriter(ctx context.Context, vmName, vmPath string, w io.Writer, mode string, excludePatterns ...string) error

	// Egress-proxy admin
	CreateProxyClient(ctx context.Context, name, setToken string) (*ProxyClientCreated, error)
	ListProxyClients(ctx context.Context) ([]ProxyClient, error)
	DeleteProxyClient(ctx context.Context, name string) error
	ListProxyRules(ctx context.Context, client string) ([]ProxyAllowRule, error)
	CreateProxySecret(ctx context.Context, req CreateProxySecretRequest) error
	ListProxySecrets(ctx context.Context) ([]ProxySecret, error)
	DeleteProxySecret(ctx context.Context, name string) error
	AddProxyAllow(ctx context.Context, req AddProxyAllowRequest) error
	RemoveProxyAllow(ctx context.Context, client, host string) error
	RemoveProxyAllowByTuple(ctx context.Context, req RemoveProxyAllowByTupleRequest) error
}

var _ Interface = (*SlicerClient)(nil)

// ExecStreamer is the one call RemoteCmd needs: Interface satisfies it, so
// NewRemoteCmd can bind a command to a fake as well as to a SlicerClient.
type ExecStreamer interface {
	ExecWithReader(ctx context.Context, nodeName string, execReq SlicerExecRequest, stdin io.Reader) (chan SlicerExecWriteResult, error)
}
