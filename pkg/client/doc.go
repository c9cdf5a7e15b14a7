// Package client is a Go client for the Slicer daemon's REST API. It has the
// API of the vendor Go SDK (../shared/seed/sdk-reference.txt, v0.0.61) and
// speaks its wire protocol (../shared/spec/PROTOCOL.md, openapi.yaml).
//
// # Connecting
//
// NewSlicerClient takes a base URL and an optional bearer token. The base
// URL is an http:// or https:// URL, or a unix socket: after trimming and
// removing one "unix://", anything starting with "/", "./", "../" or "~/" or
// ending in ".sock" is a socket path ("~/" is expanded). Over a socket every
// request goes to http://unix/... through the socket. A path in an http(s)
// base URL (an API mounted under a prefix behind a proxy) is kept in front of
// every request path, WebSocket dials included. NewClientFromEnv and
// NewSlicerClientFromEnv read SLICER_URL, SLICER_TOKEN / SLICER_TOKEN_FILE
// and SLICER_USER_AGENT. BaseURL reports the address for messages without
// the token or URL credentials.
//
// # Errors
//
// A non-success answer becomes an *APIError carrying the method, escaped
// path, status code and the daemon's message (the "error" field of a JSON
// body, or the text of a text/plain body from the proxy-admin API). Use
// errors.As or IsAPIStatus. CreateSecret returns ErrSecretExists on 409.
// Stat and the copy/read-file GETs report 404 as an *APIError for which
// errors.Is(err, os.ErrNotExist) holds; Exists turns it into false.
//
// # Streams
//
// Exec, ExecWithReader and ExecLogs decode the NDJSON frame stream (typed
// frames and legacy untyped ones, base64 output decoded) onto a channel.
// RemoteCmd (Command, CommandContext) gives the os/exec shape on top of
// ExecWithReader: Run, Start/Wait, Output, CombinedOutput, the three pipes,
// and *ExitError for a non-zero status; a stream that ends without an exit
// status is reported as ErrNoExitStatus. WatchFS and WatchFSIter read the
// server-sent-event watch stream. CpToVMFromReader, CpFromVMToWriter,
// ReadFileTo and WriteFileFrom move copy payloads as streams, so memory stays
// flat; CpToVM, CpFromVM, ReadFile and WriteFile are built on the same
// requests. Tar archives are created and extracted by pkg/tarstream.
// DialWebSocket opens the WebSocket endpoints (shell, forward) with the
// client's transport, base URL, Authorization and User-Agent.
//
// Interface is the method set of *SlicerClient; clienttest.Fake implements
// it for tests.
//
// # Deliberate differences from the vendor SDK
//
// Each of these fixes a defect or quirk that PROTOCOL.md records; everything
// else (methods, paths, queries, bodies, uid/gid rules, defaults) is meant to
// be identical to the SDK.
//
//  1. GetHostGroupNodes with a tag filter sends the filter as a query string
//     (GET /hostgroup/{g}/nodes?tag=...). The SDK percent-encodes the query
//     into the path (nodes%3Ftag=...), which the daemon cannot route
//     (PROTOCOL.md §4.2, §16 "Filtered GET /hostgroup/{g}/nodes").
//  2. GetVMStats for one VM accepts the single object OpenAPI documents as
//     well as a one-element array; the SDK only decodes an array
//     (§6.2, §16 "Single-VM stats", §17 item 2).
//  3. SlicerFSInfo.Mtime decodes an RFC 3339 string or integer Unix seconds;
//     the SDK fails on the integer form OpenAPI documents (§10.1, §16 "fs
//     mtime", §17 item 7).
//  4. Secret.ModifiedAt is also read from "mod_time", the name OpenAPI uses
//     (§7.1, §16 "Secret timestamp").
//  5. GetVMLogs with a negative line count sends lines=0 (the whole log),
//     which is what the SDK documents for -1; the SDK omits the parameter
//     and gets the 20-line default (§6.1, §16 "Logs lines", §17 item 14).
//  6. CpToVM in tar mode with a regular file as the source sends a one-entry
//     archive holding that file under its base name (so it lands at
//     vmPath/<name>); the SDK sends an empty archive (§11.2 quirk, §17 item
//     18).
//  7. The base URL's path prefix is kept on every call; the SDK keeps it on
//     some calls and drops it on others (§1.2, §17 item 10). §1.2 advises
//     root-based paths instead; with a bare base URL (the only form §17 item
//     10 recommends) both send identical paths, and an API mounted under a
//     prefix behind a proxy stays reachable by every call.
//  8. ExecWaitExit sends a positive timeout under one second as timeout=1;
//     the SDK truncates it to timeout=0, which the daemon reads as its 30 s
//     default (§9.6, §17 item 15).
//  9. Foreground exec (Exec, ExecWithReader, ExecBuffered, RemoteCmd) sends
//     the configured User-Agent like every other call, and sends no
//     Authorization header when the token is empty; the SDK sends no
//     User-Agent there and a bare "Authorization: Bearer" (§1.4, §17 item
//     3). ExecKill sends its JSON body with a Content-Length, as newer SDKs
//     do (§1.4, §15.7).
//  10. An http:// or https:// base URL is never taken for a unix socket; the
//     SDK treats "http://h/x.sock" as a socket path because its ".sock" test
//     runs on the whole string (§1.1, §17 item 11). DialWebSocket uses the
//     same socket rules as every REST call, where the SDK's shell and
//     forward packages recognise fewer socket spellings (§1.1).
//  11. Path parameters are escaped as single path segments, so a name
//     containing "/" cannot change the route; the SDK joins them with
//     path.Join first (§0.3, §14). Names without "/" are sent exactly as the
//     SDK sends them: Go's URL serializer escapes "*" (%2A) and spaces but
//     leaves ";", ",", ":", "@", "=", "&", "+" and "$" as they are.
//  12. Non-success answers are *APIError values (the shape newer SDKs use,
//     §1.5) instead of the SDK's formatted strings. ErrSecretExists is still
//     returned as is, and 404 on Stat/ReadFile still matches os.ErrNotExist;
//     CpFromVM and CpFromVMToWriter map 404 the same way. A few calls also
//     accept a second success status the daemon may use (DeleteVM 204,
//     CreateSecret 200, PatchSecret/DeleteSecret 204, Mkdir 201/204, cp
//     uploads 201/204) (§1.5, §4.5, §7).
//  13. Exec keeps the exit code on the final frame it synthesises for a
//     failed command; the SDK zeroes it (§8.3). A stream that breaks off
//     mid-frame ends with a frame whose Error starts with "exec stream:" and
//     whose ExitCode is -1, and RemoteCmd reports ErrNoExitStatus when no
//     exit status arrived (§8.3 "treat that as a transport error").
//  14. Downloads never leave a half-written destination: CpFromVM in binary
//     mode writes to a temporary file beside the destination and renames it
//     on success (its mode is permissions, else X-Slicer-File-Mode, else
//     0600, applied even when replacing a file), and refuses a directory as
//     the destination; tar extraction (CpFromVM, ExtractTarStream,
//     ExtractTarToPath) is confined with os.Root, writes each file through a
//     temporary name, creates a missing destination through a staging
//     directory, and rejects the names the stricter ValidRelPath rejects
//     (§11.5 and §11.7, newer columns; §11.8).
//  15. PatchSecret leaves "data" out of the body when UpdateSecretRequest.Data
//     is empty. The SDK's field has no omitempty, so its metadata-only
//     update sends "data":"", and what a daemon makes of an empty content is
//     unknown (§7.3, §17 item 12, §19). Leaving the field out asks for
//     exactly what the caller meant: change the metadata, keep the content.
//  16. SlicerAgentHealthResponse has one field the v0.0.61 type lacks,
//     UserdataExitCode ("userdata_exit_code", omitted when absent), so the
//     exit status newer daemons report is not dropped (§6.3, §16 "Agent
//     health"). It only affects decoding; nothing is sent differently.
//
// Everything else follows the SDK even where it is odd: for example
// CpToVM and CpFromVM refuse any mode but "binary" and "tar" (the empty one
// included) before sending, ExecBackground leaves out a RingBytes that is
// not positive, ExecWithReader sends stdin only when execReq.Stdin is set
// and the reader is not nil, CpFromVM sends excludes only in tar mode, and
// an empty guest path is sent as is for the daemon to refuse.
package client
