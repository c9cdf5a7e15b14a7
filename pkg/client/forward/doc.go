// Package forward implements host-to-VM port forwarding over the Slicer
// daemon's WebSocket tunnel (GET /vm/{vm}/forward,
// ../shared/spec/PROTOCOL.md §13).
//
// ParseSpec parses the -L grammar (TCP or unix sockets on either side, port
// 0 for a free port). Start binds every listener before it returns, tearing
// all of them down if one fails, then opens one WebSocket per accepted
// connection carrying the X-Inlets-Client-ID, X-Inlets-Mode: local and
// X-Inlets-Upstream headers, and copies raw bytes both ways until either
// side ends (the protocol has no half-close). A failed connection is
// reported through Options.OnError and the listener keeps serving; a daemon
// that cannot be reached at all stops the forwarder, and Wait returns an
// error wrapping ErrDaemonUnreachable. With Options.HealthInterval set, an
// idle forwarder also notices a vanished daemon (through GET /info).
//
// Deliberate differences from the vendor SDK: a spec without an explicit
// bind address listens on 127.0.0.1 (the SDK binds 0.0.0.0 for
// PORT:/guest.sock and the target host's address for LPORT:HOST:RPORT);
// unix-to-TCP specs (/local.sock:[HOST:]PORT) are accepted; an existing
// path that is not a socket, or a socket another process still serves, is
// never removed to make room for a listener.
package forward
