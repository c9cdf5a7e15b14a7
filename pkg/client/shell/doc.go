// Package shell speaks the Slicer interactive-shell WebSocket protocol
// (GET /vm/{vm}/shell, ../shared/spec/PROTOCOL.md §12).
//
// It has three parts:
//
//   - a frame codec (EncodeFrame, DecodeFrame, WindowSizePayload, ...) for the
//     5-byte-header binary frames: Data, WindowSize, Shutdown, Heartbeat and
//     SessionClose;
//   - Dial, which opens an interactive Session through a client.Interface:
//     write stdin, read PTY output, resize, close. Heartbeats are sent every
//     Options.HeartbeatInterval and the connection is pinged, so a dead or
//     black-holed daemon is detected within a few intervals. The protocol
//     carries no exit status: Err reports only whether the session ended
//     cleanly (remote Shutdown/SessionClose, a normal close, or Close) or the
//     connection was lost (ErrConnectionLost);
//   - NewProxyHandler, an http.Handler relaying a browser's WebSocket to a
//     VM's shell, as the vendor SDK's shell.ProxyHandler does.
//
// Differences from the vendor SDK's proxy, deliberately: uid and gid are
// pointers, so uid 0 can be requested explicitly (PROTOCOL.md §17 item 22);
// and when ProxyOptions.CheckOrigin is nil the browser's Origin must match
// the request's host (the SDK skips the check despite its comment).
package shell
