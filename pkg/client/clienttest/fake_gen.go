// Code generated from pkg/client/interface.go; edit with care: every
// method of client.Interface has a XxxFunc field and a recording method here.

package clienttest

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"
	"github.com/slicer-cli/slicer/pkg/client"
)

// Fake implements client.Interface for command tests. Each method records
// its call (see Calls) and then runs the matching XxxFunc field; a method
// whose field is nil returns zero values and an error naming the field.
type Fake struct {
	callState

	GetInfoFunc                 func(ctx context.Context) (*client.SlicerInfo, error)
	BaseURLFunc                 func() string
	DialWebSocketFunc           func(ctx context.Context, path string, query url.Values, header http.Header) (*websocket.Conn, *http.Response, error)
	GetHostGroupsFunc           func(ctx context.Context) ([]client.SlicerHostGroup, error)
	GetHostGroupNodesFunc       func(ctx context.Context, groupName string, opts ...client.ListOptions) ([]client.SlicerNode, error)
	ListVMsFunc                 func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error)
	CreateVMFunc                func(ctx context.Context, groupName string, request client.SlicerCreateNodeRequest) (*client.SlicerCreateNodeResponse, error)
	CreateVMWithOptionsFunc     func(ctx context.Context, groupName string, request client.SlicerCreateNodeRequest, options client.SlicerCreateNodeOptions) (*client.SlicerCreateNodeResponse, error)
	DeleteVMFunc                func(ctx context.Context, groupName string, hostname string) (*client.SlicerDeleteResponse, error)
	DeleteNodeFunc              func(groupName string, nodeName string) error
	RelaunchVMFunc              func(ctx context.Context, hostname string) (*client.SlicerCreateNodeResponse, error)
	ShutdownFunc                func(ctx context.Context, hostname string, request *client.SlicerShutdownRequest) error
	PauseVMFunc                 func(ctx context.Context, hostname string) error
	ResumeVMFunc                func(ctx context.Context, hostname string) error
	SuspendVMFunc               func(ctx context.Context, hostname string) error
	RestoreVMFunc               func(ctx context.Context, hostname string) error
	RestoreVMWithOptionsFunc    func(ctx context.Context, hostname string, opts client.SlicerRestoreVMOptions) error
	GetVMLogsFunc               func(ctx context.Context, hostname string, lines int) (*client.SlicerLogsResponse, error)
	GetVMStatsFunc              func(ctx context.Context, hostname string) ([]client.SlicerNodeStat, error)
	GetAgentHealthFunc          func(ctx context.Context, hostname string, includeStats bool) (*client.SlicerAgentHealthResponse, error)
	ListSecretsFunc             func(ctx context.Context) ([]client.Secret, error)
	CreateSecretFunc            func(ctx context.Context, request client.CreateSecretRequest) error
	PatchSecretFunc             func(ctx context.Context, secretName string, request client.UpdateSecretRequest) error
	DeleteSecretFunc            func(ctx context.Context, secretName string) error
	ExecFunc                    func(ctx context.Context, nodeName string, execReq client.SlicerExecRequest) (chan client.SlicerExecWriteResult, error)
	ExecWithReaderFunc          func(ctx context.Context, nodeName string, execReq client.SlicerExecRequest, stdin io.Reader) (chan client.SlicerExecWriteResult, error)
	ExecToFunc                  func(ctx context.Context, nodeName string, execReq client.SlicerExecRequest, stdin io.Reader, fn func(f *client.SlicerExecWriteResult, out client.ExecOutput) bool) error
	ExecBufferedFunc            func(ctx context.Context, nodeName string, execReq client.SlicerExecRequest) (client.ExecResult, error)
	CommandFunc                 func(ctx context.Context, vmName string, name string, arg ...string) *client.RemoteCmd
	CommandContextFunc          func(ctx context.Context, vmName string, name string, arg ...string) *client.RemoteCmd
	ExecBackgroundFunc          func(ctx context.Context, vmName string, req client.ExecBackgroundRequest) (*client.ExecBackgroundResponse, error)
	ExecListFunc                func(ctx context.Context, vmName string) ([]client.ExecBackgroundInfo, error)
	ExecInfoFunc                func(ctx context.Context, vmName string, execID string) (*client.ExecBackgroundInfo, error)
	ExecLogsFunc                func(ctx context.Context, vmName string, execID string, opts client.LogOptions) (<-chan client.SlicerExecWriteResult, error)
	ExecKillFunc                func(ctx context.Context, vmName string, execID string, opts client.KillOptions) (*client.ExecBackgroundKillResponse, error)
	ExecWaitExitFunc            func(ctx context.Context, vmName string, execID string, timeout time.Duration) (*client.ExecBackgroundWaitExitResponse, error)
	ExecDeleteFunc              func(ctx context.Context, vmName string, execID string) (*client.ExecBackgroundDeleteResponse, error)
	ReadDirFunc                 func(ctx context.Context, vmName string, path string) ([]client.SlicerFSInfo, error)
	StatFunc                    func(ctx context.Context, vmName string, path string) (*client.SlicerFSInfo, error)
	ExistsFunc                  func(ctx context.Context, vmName string, path string) (bool, error)
	MkdirFunc                   func(ctx context.Context, vmName string, request client.SlicerFSMkdirRequest) error
	RemoveFunc                  func(ctx context.Context, vmName string, path string, recursive bool) error
	ReadFileFunc                func(ctx context.Context, vmName string, vmPath string) ([]byte, string, error)
	WriteFileFunc               func(ctx context.Context, vmName string, vmPath string, data []byte, uid uint32, gid uint32, permissions string) error
	ReadFileToFunc              func(ctx context.Context, vmName string, vmPath string, w io.Writer) error
	WriteFileFromFunc           func(ctx context.Context, vmName string, vmPath string, r io.Reader, uid uint32, gid uint32, permissions string) error
	WatchFSFunc                 func(ctx context.Context, vmName string, req client.SlicerFSWatchRequest) (<-chan client.SlicerFSWatchEvent, <-chan error)
	WatchFSIterFunc             func(ctx context.Context, vmName string, req client.SlicerFSWatchRequest) iter.Seq2[client.SlicerFSWatchEvent, error]
	CpToVMFunc                  func(ctx context.Context, vmName string, localPath string, vmPath string, uid uint32, gid uint32, permissions string, mode string, excludePatterns ...string) error
	CpFromVMFunc                func(ctx context.Context, vmName string, vmPath string, localPath string, permissions string, mode string, excludePatterns ...string) error
	CpToVMFromReaderFunc        func(ctx context.Context, vmName string, r io.Reader, vmPath string, uid uint32, gid uint32, permissions string, mode string) error
	CpFromVMToWriterFunc        func(ctx context.Context, vmName string, vmPath string, w io.Writer, mode string, excludePatterns ...string) error
	CreateProxyClientFunc       func(ctx context.Context, name string, setToken string) (*client.ProxyClientCreated, error)
	ListProxyClientsFunc        func(ctx context.Context) ([]client.ProxyClient, error)
	DeleteProxyClientFunc       func(ctx context.Context, name string) error
	ListProxyRulesFunc          func(ctx context.Context, clientName string) ([]client.ProxyAllowRule, error)
	CreateProxySecretFunc       func(ctx context.Context, req client.CreateProxySecretRequest) error
	ListProxySecretsFunc        func(ctx context.Context) ([]client.ProxySecret, error)
	DeleteProxySecretFunc       func(ctx context.Context, name string) error
	AddProxyAllowFunc           func(ctx context.Context, req client.AddProxyAllowRequest) error
	RemoveProxyAllowFunc        func(ctx context.Context, clientName string, host string) error
	RemoveProxyAllowByTupleFunc func(ctx context.Context, req client.RemoveProxyAllowByTupleRequest) error
}

// GetInfo records the call and runs GetInfoFunc.
func (f *Fake) GetInfo(ctx context.Context) (r0 *client.SlicerInfo, err error) {
	f.record("GetInfo")
	if fn := f.GetInfoFunc; fn != nil {
		return fn(ctx)
	}
	return r0, f.notSet("GetInfo")
}

// BaseURL records the call and runs BaseURLFunc.
func (f *Fake) BaseURL() (r0 string) {
	f.record("BaseURL")
	if fn := f.BaseURLFunc; fn != nil {
		return fn()
	}
	return f.defaultBaseURL()
}

// DialWebSocket records the call and runs DialWebSocketFunc.
func (f *Fake) DialWebSocket(ctx context.Context, path string, query url.Values, header http.Header) (r0 *websocket.Conn, r1 *http.Response, err error) {
	f.record("DialWebSocket", path, query, header)
	if fn := f.DialWebSocketFunc; fn != nil {
		return fn(ctx, path, query, header)
	}
	return r0, r1, f.notSet("DialWebSocket")
}

// GetHostGroups records the call and runs GetHostGroupsFunc.
func (f *Fake) GetHostGroups(ctx context.Context) (r0 []client.SlicerHostGroup, err error) {
	f.record("GetHostGroups")
	if fn := f.GetHostGroupsFunc; fn != nil {
		return fn(ctx)
	}
	return r0, f.notSet("GetHostGroups")
}

// GetHostGroupNodes records the call and runs GetHostGroupNodesFunc.
func (f *Fake) GetHostGroupNodes(ctx context.Context, groupName string, opts ...client.ListOptions) (r0 []client.SlicerNode, err error) {
	f.record("GetHostGroupNodes", groupName, opts)
	if fn := f.GetHostGroupNodesFunc; fn != nil {
		return fn(ctx, groupName, opts...)
	}
	return r0, f.notSet("GetHostGroupNodes")
}

// ListVMs records the call and runs ListVMsFunc.
func (f *Fake) ListVMs(ctx context.Context, opts ...client.ListOptions) (r0 []client.SlicerNode, err error) {
	f.record("ListVMs", opts)
	if fn := f.ListVMsFunc; fn != nil {
		return fn(ctx, opts...)
	}
	return r0, f.notSet("ListVMs")
}

// CreateVM records the call and runs CreateVMFunc.
func (f *Fake) CreateVM(ctx context.Context, groupName string, request client.SlicerCreateNodeRequest) (r0 *client.SlicerCreateNodeResponse, err error) {
	f.record("CreateVM", groupName, request)
	if fn := f.CreateVMFunc; fn != nil {
		return fn(ctx, groupName, request)
	}
	return r0, f.notSet("CreateVM")
}

// CreateVMWithOptions records the call and runs CreateVMWithOptionsFunc.
func (f *Fake) CreateVMWithOptions(ctx context.Context, groupName string, request client.SlicerCreateNodeRequest, options client.SlicerCreateNodeOptions) (r0 *client.SlicerCreateNodeResponse, err error) {
	f.record("CreateVMWithOptions", groupName, request, options)
	if fn := f.CreateVMWithOptionsFunc; fn != nil {
		return fn(ctx, groupName, request, options)
	}
	return r0, f.notSet("CreateVMWithOptions")
}

// DeleteVM records the call and runs DeleteVMFunc.
func (f *Fake) DeleteVM(ctx context.Context, groupName string, hostname string) (r0 *client.SlicerDeleteResponse, err error) {
	f.record("DeleteVM", groupName, hostname)
	if fn := f.DeleteVMFunc; fn != nil {
		return fn(ctx, groupName, hostname)
	}
	return r0, f.notSet("DeleteVM")
}

// DeleteNode records the call and runs DeleteNodeFunc.
func (f *Fake) DeleteNode(groupName string, nodeName string) (err error) {
	f.record("DeleteNode", groupName, nodeName)
	if fn := f.DeleteNodeFunc; fn != nil {
		return fn(groupName, nodeName)
	}
	return f.notSet("DeleteNode")
}

// RelaunchVM records the call and runs RelaunchVMFunc.
func (f *Fake) RelaunchVM(ctx context.Context, hostname string) (r0 *client.SlicerCreateNodeResponse, err error) {
	f.record("RelaunchVM", hostname)
	if fn := f.RelaunchVMFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return r0, f.notSet("RelaunchVM")
}

// Shutdown records the call and runs ShutdownFunc.
func (f *Fake) Shutdown(ctx context.Context, hostname string, request *client.SlicerShutdownRequest) (err error) {
	f.record("Shutdown", hostname, request)
	if fn := f.ShutdownFunc; fn != nil {
		return fn(ctx, hostname, request)
	}
	return f.notSet("Shutdown")
}

// PauseVM records the call and runs PauseVMFunc.
func (f *Fake) PauseVM(ctx context.Context, hostname string) (err error) {
	f.record("PauseVM", hostname)
	if fn := f.PauseVMFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return f.notSet("PauseVM")
}

// ResumeVM records the call and runs ResumeVMFunc.
func (f *Fake) ResumeVM(ctx context.Context, hostname string) (err error) {
	f.record("ResumeVM", hostname)
	if fn := f.ResumeVMFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return f.notSet("ResumeVM")
}

// SuspendVM records the call and runs SuspendVMFunc.
func (f *Fake) SuspendVM(ctx context.Context, hostname string) (err error) {
	f.record("SuspendVM", hostname)
	if fn := f.SuspendVMFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return f.notSet("SuspendVM")
}

// RestoreVM records the call and runs RestoreVMFunc.
func (f *Fake) RestoreVM(ctx context.Context, hostname string) (err error) {
	f.record("RestoreVM", hostname)
	if fn := f.RestoreVMFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return f.notSet("RestoreVM")
}

// RestoreVMWithOptions records the call and runs RestoreVMWithOptionsFunc.
func (f *Fake) RestoreVMWithOptions(ctx context.Context, hostname string, opts client.SlicerRestoreVMOptions) (err error) {
	f.record("RestoreVMWithOptions", hostname, opts)
	if fn := f.RestoreVMWithOptionsFunc; fn != nil {
		return fn(ctx, hostname, opts)
	}
	return f.notSet("RestoreVMWithOptions")
}

// GetVMLogs records the call and runs GetVMLogsFunc.
func (f *Fake) GetVMLogs(ctx context.Context, hostname string, lines int) (r0 *client.SlicerLogsResponse, err error) {
	f.record("GetVMLogs", hostname, lines)
	if fn := f.GetVMLogsFunc; fn != nil {
		return fn(ctx, hostname, lines)
	}
	return r0, f.notSet("GetVMLogs")
}

// GetVMStats records the call and runs GetVMStatsFunc.
func (f *Fake) GetVMStats(ctx context.Context, hostname string) (r0 []client.SlicerNodeStat, err error) {
	f.record("GetVMStats", hostname)
	if fn := f.GetVMStatsFunc; fn != nil {
		return fn(ctx, hostname)
	}
	return r0, f.notSet("GetVMStats")
}

// GetAgentHealth records the call and runs GetAgentHealthFunc.
func (f *Fake) GetAgentHealth(ctx context.Context, hostname string, includeStats bool) (r0 *client.SlicerAgentHealthResponse, err error) {
	f.record("GetAgentHealth", hostname, includeStats)
	if fn := f.GetAgentHealthFunc; fn != nil {
		return fn(ctx, hostname, includeStats)
	}
	return f.defaultGetAgentHealth(ctx, hostname)
}

// ListSecrets records the call and runs ListSecretsFunc.
func (f *Fake) ListSecrets(ctx context.Context) (r0 []client.Secret, err error) {
	f.record("ListSecrets")
	if fn := f.ListSecretsFunc; fn != nil {
		return fn(ctx)
	}
	return r0, f.notSet("ListSecrets")
}

// CreateSecret records the call and runs CreateSecretFunc.
func (f *Fake) CreateSecret(ctx context.Context, request client.CreateSecretRequest) (err error) {
	f.record("CreateSecret", request)
	if fn := f.CreateSecretFunc; fn != nil {
		return fn(ctx, request)
	}
	return f.notSet("CreateSecret")
}

// PatchSecret records the call and runs PatchSecretFunc.
func (f *Fake) PatchSecret(ctx context.Context, secretName string, request client.UpdateSecretRequest) (err error) {
	f.record("PatchSecret", secretName, request)
	if fn := f.PatchSecretFunc; fn != nil {
		return fn(ctx, secretName, request)
	}
	return f.notSet("PatchSecret")
}

// DeleteSecret records the call and runs DeleteSecretFunc.
func (f *Fake) DeleteSecret(ctx context.Context, secretName string) (err error) {
	f.record("DeleteSecret", secretName)
	if fn := f.DeleteSecretFunc; fn != nil {
		return fn(ctx, secretName)
	}
	return f.notSet("DeleteSecret")
}

// Exec records the call and runs ExecFunc.
func (f *Fake) Exec(ctx context.Context, nodeName string, execReq client.SlicerExecRequest) (r0 chan client.SlicerExecWriteResult, err error) {
	f.record("Exec", nodeName, execReq)
	if fn := f.ExecFunc; fn != nil {
		return fn(ctx, nodeName, execReq)
	}
	return r0, f.notSet("Exec")
}

// ExecWithReader records the call and runs ExecWithReaderFunc.
func (f *Fake) ExecWithReader(ctx context.Context, nodeName string, execReq client.SlicerExecRequest, stdin io.Reader) (r0 chan client.SlicerExecWriteResult, err error) {
	f.record("ExecWithReader", nodeName, execReq, stdin)
	if fn := f.ExecWithReaderFunc; fn != nil {
		return fn(ctx, nodeName, execReq, stdin)
	}
	return r0, f.notSet("ExecWithReader")
}

// ExecTo records the call and runs ExecToFunc.
func (f *Fake) ExecTo(ctx context.Context, nodeName string, execReq client.SlicerExecRequest, stdin io.Reader, fn func(f *client.SlicerExecWriteResult, out client.ExecOutput) bool) (err error) {
	f.record("ExecTo", nodeName, execReq, stdin)
	if fn2 := f.ExecToFunc; fn2 != nil {
		return fn2(ctx, nodeName, execReq, stdin, fn)
	}
	return f.defaultExecTo(ctx, nodeName, execReq, stdin, fn)
}

// ExecBuffered records the call and runs ExecBufferedFunc.
func (f *Fake) ExecBuffered(ctx context.Context, nodeName string, execReq client.SlicerExecRequest) (r0 client.ExecResult, err error) {
	f.record("ExecBuffered", nodeName, execReq)
	if fn := f.ExecBufferedFunc; fn != nil {
		return fn(ctx, nodeName, execReq)
	}
	return r0, f.notSet("ExecBuffered")
}

// Command records the call and runs CommandFunc.
func (f *Fake) Command(ctx context.Context, vmName string, name string, arg ...string) (r0 *client.RemoteCmd) {
	f.record("Command", vmName, name, arg)
	if fn := f.CommandFunc; fn != nil {
		return fn(ctx, vmName, name, arg...)
	}
	return f.defaultCommand(ctx, vmName, name, arg...)
}

// CommandContext records the call and runs CommandContextFunc.
func (f *Fake) CommandContext(ctx context.Context, vmName string, name string, arg ...string) (r0 *client.RemoteCmd) {
	f.record("CommandContext", vmName, name, arg)
	if fn := f.CommandContextFunc; fn != nil {
		return fn(ctx, vmName, name, arg...)
	}
	return f.defaultCommandContext(ctx, vmName, name, arg...)
}

// ExecBackground records the call and runs ExecBackgroundFunc.
func (f *Fake) ExecBackground(ctx context.Context, vmName string, req client.ExecBackgroundRequest) (r0 *client.ExecBackgroundResponse, err error) {
	f.record("ExecBackground", vmName, req)
	if fn := f.ExecBackgroundFunc; fn != nil {
		return fn(ctx, vmName, req)
	}
	return r0, f.notSet("ExecBackground")
}

// ExecList records the call and runs ExecListFunc.
func (f *Fake) ExecList(ctx context.Context, vmName string) (r0 []client.ExecBackgroundInfo, err error) {
	f.record("ExecList", vmName)
	if fn := f.ExecListFunc; fn != nil {
		return fn(ctx, vmName)
	}
	return r0, f.notSet("ExecList")
}

// ExecInfo records the call and runs ExecInfoFunc.
func (f *Fake) ExecInfo(ctx context.Context, vmName string, execID string) (r0 *client.ExecBackgroundInfo, err error) {
	f.record("ExecInfo", vmName, execID)
	if fn := f.ExecInfoFunc; fn != nil {
		return fn(ctx, vmName, execID)
	}
	return r0, f.notSet("ExecInfo")
}

// ExecLogs records the call and runs ExecLogsFunc.
func (f *Fake) ExecLogs(ctx context.Context, vmName string, execID string, opts client.LogOptions) (r0 <-chan client.SlicerExecWriteResult, err error) {
	f.record("ExecLogs", vmName, execID, opts)
	if fn := f.ExecLogsFunc; fn != nil {
		return fn(ctx, vmName, execID, opts)
	}
	return r0, f.notSet("ExecLogs")
}

// ExecKill records the call and runs ExecKillFunc.
func (f *Fake) ExecKill(ctx context.Context, vmName string, execID string, opts client.KillOptions) (r0 *client.ExecBackgroundKillResponse, err error) {
	f.record("ExecKill", vmName, execID, opts)
	if fn := f.ExecKillFunc; fn != nil {
		return fn(ctx, vmName, execID, opts)
	}
	return r0, f.notSet("ExecKill")
}

// ExecWaitExit records the call and runs ExecWaitExitFunc.
func (f *Fake) ExecWaitExit(ctx context.Context, vmName string, execID string, timeout time.Duration) (r0 *client.ExecBackgroundWaitExitResponse, err error) {
	f.record("ExecWaitExit", vmName, execID, timeout)
	if fn := f.ExecWaitExitFunc; fn != nil {
		return fn(ctx, vmName, execID, timeout)
	}
	return r0, f.notSet("ExecWaitExit")
}

// ExecDelete records the call and runs ExecDeleteFunc.
func (f *Fake) ExecDelete(ctx context.Context, vmName string, execID string) (r0 *client.ExecBackgroundDeleteResponse, err error) {
	f.record("ExecDelete", vmName, execID)
	if fn := f.ExecDeleteFunc; fn != nil {
		return fn(ctx, vmName, execID)
	}
	return r0, f.notSet("ExecDelete")
}

// ReadDir records the call and runs ReadDirFunc.
func (f *Fake) ReadDir(ctx context.Context, vmName string, path string) (r0 []client.SlicerFSInfo, err error) {
	f.record("ReadDir", vmName, path)
	if fn := f.ReadDirFunc; fn != nil {
		return fn(ctx, vmName, path)
	}
	return r0, f.notSet("ReadDir")
}

// Stat records the call and runs StatFunc.
func (f *Fake) Stat(ctx context.Context, vmName string, path string) (r0 *client.SlicerFSInfo, err error) {
	f.record("Stat", vmName, path)
	if fn := f.StatFunc; fn != nil {
		return fn(ctx, vmName, path)
	}
	return r0, f.notSet("Stat")
}

// Exists records the call and runs ExistsFunc.
func (f *Fake) Exists(ctx context.Context, vmName string, path string) (r0 bool, err error) {
	f.record("Exists", vmName, path)
	if fn := f.ExistsFunc; fn != nil {
		return fn(ctx, vmName, path)
	}
	return r0, f.notSet("Exists")
}

// Mkdir records the call and runs MkdirFunc.
func (f *Fake) Mkdir(ctx context.Context, vmName string, request client.SlicerFSMkdirRequest) (err error) {
	f.record("Mkdir", vmName, request)
	if fn := f.MkdirFunc; fn != nil {
		return fn(ctx, vmName, request)
	}
	return f.notSet("Mkdir")
}

// Remove records the call and runs RemoveFunc.
func (f *Fake) Remove(ctx context.Context, vmName string, path string, recursive bool) (err error) {
	f.record("Remove", vmName, path, recursive)
	if fn := f.RemoveFunc; fn != nil {
		return fn(ctx, vmName, path, recursive)
	}
	return f.notSet("Remove")
}

// ReadFile records the call and runs ReadFileFunc.
func (f *Fake) ReadFile(ctx context.Context, vmName string, vmPath string) (r0 []byte, r1 string, err error) {
	f.record("ReadFile", vmName, vmPath)
	if fn := f.ReadFileFunc; fn != nil {
		return fn(ctx, vmName, vmPath)
	}
	return r0, r1, f.notSet("ReadFile")
}

// WriteFile records the call and runs WriteFileFunc.
func (f *Fake) WriteFile(ctx context.Context, vmName string, vmPath string, data []byte, uid uint32, gid uint32, permissions string) (err error) {
	f.record("WriteFile", vmName, vmPath, data, uid, gid, permissions)
	if fn := f.WriteFileFunc; fn != nil {
		return fn(ctx, vmName, vmPath, data, uid, gid, permissions)
	}
	return f.notSet("WriteFile")
}

// ReadFileTo records the call and runs ReadFileToFunc.
func (f *Fake) ReadFileTo(ctx context.Context, vmName string, vmPath string, w io.Writer) (err error) {
	f.record("ReadFileTo", vmName, vmPath, w)
	if fn := f.ReadFileToFunc; fn != nil {
		return fn(ctx, vmName, vmPath, w)
	}
	return f.notSet("ReadFileTo")
}

// WriteFileFrom records the call and runs WriteFileFromFunc.
func (f *Fake) WriteFileFrom(ctx context.Context, vmName string, vmPath string, r io.Reader, uid uint32, gid uint32, permissions string) (err error) {
	f.record("WriteFileFrom", vmName, vmPath, r, uid, gid, permissions)
	if fn := f.WriteFileFromFunc; fn != nil {
		return fn(ctx, vmName, vmPath, r, uid, gid, permissions)
	}
	return f.notSet("WriteFileFrom")
}

// WatchFS records the call and runs WatchFSFunc.
func (f *Fake) WatchFS(ctx context.Context, vmName string, req client.SlicerFSWatchRequest) (r0 <-chan client.SlicerFSWatchEvent, r1 <-chan error) {
	f.record("WatchFS", vmName, req)
	if fn := f.WatchFSFunc; fn != nil {
		return fn(ctx, vmName, req)
	}
	return f.defaultWatchFS(ctx, vmName, req)
}

// WatchFSIter records the call and runs WatchFSIterFunc.
func (f *Fake) WatchFSIter(ctx context.Context, vmName string, req client.SlicerFSWatchRequest) (r0 iter.Seq2[client.SlicerFSWatchEvent, error]) {
	f.record("WatchFSIter", vmName, req)
	if fn := f.WatchFSIterFunc; fn != nil {
		return fn(ctx, vmName, req)
	}
	return f.defaultWatchFSIter(ctx, vmName, req)
}

// CpToVM records the call and runs CpToVMFunc.
func (f *Fake) CpToVM(ctx context.Context, vmName string, localPath string, vmPath string, uid uint32, gid uint32, permissions string, mode string, excludePatterns ...string) (err error) {
	f.record("CpToVM", vmName, localPath, vmPath, uid, gid, permissions, mode, excludePatterns)
	if fn := f.CpToVMFunc; fn != nil {
		return fn(ctx, vmName, localPath, vmPath, uid, gid, permissions, mode, excludePatterns...)
	}
	return f.notSet("CpToVM")
}

// CpFromVM records the call and runs CpFromVMFunc.
func (f *Fake) CpFromVM(ctx context.Context, vmName string, vmPath string, localPath string, permissions string, mode string, excludePatterns ...string) (err error) {
	f.record("CpFromVM", vmName, vmPath, localPath, permissions, mode, excludePatterns)
	if fn := f.CpFromVMFunc; fn != nil {
		return fn(ctx, vmName, vmPath, localPath, permissions, mode, excludePatterns...)
	}
	return f.notSet("CpFromVM")
}

// CpToVMFromReader records the call and runs CpToVMFromReaderFunc.
func (f *Fake) CpToVMFromReader(ctx context.Context, vmName string, r io.Reader, vmPath string, uid uint32, gid uint32, permissions string, mode string) (err error) {
	f.record("CpToVMFromReader", vmName, r, vmPath, uid, gid, permissions, mode)
	if fn := f.CpToVMFromReaderFunc; fn != nil {
		return fn(ctx, vmName, r, vmPath, uid, gid, permissions, mode)
	}
	return f.notSet("CpToVMFromReader")
}

// CpFromVMToWriter records the call and runs CpFromVMToWriterFunc.
func (f *Fake) CpFromVMToWriter(ctx context.Context, vmName string, vmPath string, w io.Writer, mode string, excludePatterns ...string) (err error) {
	f.record("CpFromVMToWriter", vmName, vmPath, w, mode, excludePatterns)
	if fn := f.CpFromVMToWriterFunc; fn != nil {
		return fn(ctx, vmName, vmPath, w, mode, excludePatterns...)
	}
	return f.notSet("CpFromVMToWriter")
}

// CreateProxyClient records the call and runs CreateProxyClientFunc.
func (f *Fake) CreateProxyClient(ctx context.Context, name string, setToken string) (r0 *client.ProxyClientCreated, err error) {
	f.record("CreateProxyClient", name, setToken)
	if fn := f.CreateProxyClientFunc; fn != nil {
		return fn(ctx, name, setToken)
	}
	return r0, f.notSet("CreateProxyClient")
}

// ListProxyClients records the call and runs ListProxyClientsFunc.
func (f *Fake) ListProxyClients(ctx context.Context) (r0 []client.ProxyClient, err error) {
	f.record("ListProxyClients")
	if fn := f.ListProxyClientsFunc; fn != nil {
		return fn(ctx)
	}
	return r0, f.notSet("ListProxyClients")
}

// DeleteProxyClient records the call and runs DeleteProxyClientFunc.
func (f *Fake) DeleteProxyClient(ctx context.Context, name string) (err error) {
	f.record("DeleteProxyClient", name)
	if fn := f.DeleteProxyClientFunc; fn != nil {
		return fn(ctx, name)
	}
	return f.notSet("DeleteProxyClient")
}

// ListProxyRules records the call and runs ListProxyRulesFunc.
func (f *Fake) ListProxyRules(ctx context.Context, clientName string) (r0 []client.ProxyAllowRule, err error) {
	f.record("ListProxyRules", clientName)
	if fn := f.ListProxyRulesFunc; fn != nil {
		return fn(ctx, clientName)
	}
	return r0, f.notSet("ListProxyRules")
}

// CreateProxySecret records the call and runs CreateProxySecretFunc.
func (f *Fake) CreateProxySecret(ctx context.Context, req client.CreateProxySecretRequest) (err error) {
	f.record("CreateProxySecret", req)
	if fn := f.CreateProxySecretFunc; fn != nil {
		return fn(ctx, req)
	}
	return f.notSet("CreateProxySecret")
}

// ListProxySecrets records the call and runs ListProxySecretsFunc.
func (f *Fake) ListProxySecrets(ctx context.Context) (r0 []client.ProxySecret, err error) {
	f.record("ListProxySecrets")
	if fn := f.ListProxySecretsFunc; fn != nil {
		return fn(ctx)
	}
	return r0, f.notSet("ListProxySecrets")
}

// DeleteProxySecret records the call and runs DeleteProxySecretFunc.
func (f *Fake) DeleteProxySecret(ctx context.Context, name string) (err error) {
	f.record("DeleteProxySecret", name)
	if fn := f.DeleteProxySecretFunc; fn != nil {
		return fn(ctx, name)
	}
	return f.notSet("DeleteProxySecret")
}

// AddProxyAllow records the call and runs AddProxyAllowFunc.
func (f *Fake) AddProxyAllow(ctx context.Context, req client.AddProxyAllowRequest) (err error) {
	f.record("AddProxyAllow", req)
	if fn := f.AddProxyAllowFunc; fn != nil {
		return fn(ctx, req)
	}
	return f.notSet("AddProxyAllow")
}

// RemoveProxyAllow records the call and runs RemoveProxyAllowFunc.
func (f *Fake) RemoveProxyAllow(ctx context.Context, clientName string, host string) (err error) {
	f.record("RemoveProxyAllow", clientName, host)
	if fn := f.RemoveProxyAllowFunc; fn != nil {
		return fn(ctx, clientName, host)
	}
	return f.notSet("RemoveProxyAllow")
}

// RemoveProxyAllowByTuple records the call and runs RemoveProxyAllowByTupleFunc.
func (f *Fake) RemoveProxyAllowByTuple(ctx context.Context, req client.RemoveProxyAllowByTupleRequest) (err error) {
	f.record("RemoveProxyAllowByTuple", req)
	if fn := f.RemoveProxyAllowByTupleFunc; fn != nil {
		return fn(ctx, req)
	}
	return f.notSet("RemoveProxyAllowByTuple")
}
