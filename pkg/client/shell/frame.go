package shell

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame types of the Slicer shell protocol (PROTOCOL.md §12.2). Every binary
// WebSocket message holds exactly one frame: a type byte, a big-endian
// uint32 payload length, then the payload.
const (
	FrameTypeData         = 0x01 // stdin bytes (client to server), PTY output (server to client)
	FrameTypeWindowSize   = 0x02 // 8 bytes: cols uint32 BE, rows uint32 BE
	FrameTypeShutdown     = 0x03 // empty; either side ends the session
	FrameTypeHeartbeat    = 0x04 // empty keep-alive, client to server
	FrameTypeSessionClose = 0x05 // the remote session has closed; payload ignored
)

// HeaderLen is the size of a frame header.
const HeaderLen = 5

// MaxMessageSize is the largest message the SDK's relay accepts; frames must
// stay below it.
const MaxMessageSize = 32768

// MaxDataPayload is the payload size Write splits stdin into, comfortably
// under MaxMessageSize.
const MaxDataPayload = 16 << 10

// ErrMalformedFrame is returned by DecodeFrame for a message shorter than
// its header or its declared payload. Such messages are ignored.
var ErrMalformedFrame = errors.New("malformed shell frame")

// Frame is one decoded shell frame. Payload aliases the decoded message.
type Frame struct {
	Type    byte
	Payload []byte
}

// AppendFrame appends the encoding of a frame to b.
func AppendFrame(b []byte, typ byte, payload []byte) []byte {
	b = append(b, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(len(payload)))
	return append(b, payload...)
}

// EncodeFrame returns the encoding of a frame.
func EncodeFrame(typ byte, payload []byte) []byte {
	return AppendFrame(make([]byte, 0, HeaderLen+len(payload)), typ, payload)
}

// DecodeFrame decodes one message. Bytes after the declared payload are
// ignored. Unknown frame types are returned as they are; callers ignore
// them.
func DecodeFrame(msg []byte) (Frame, error) {
	if len(msg) < HeaderLen {
		return Frame{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformedFrame, len(msg), HeaderLen)
	}
	n := binary.BigEndian.Uint32(msg[1:HeaderLen])
	if uint64(n) > uint64(len(msg)-HeaderLen) {
		return Frame{}, fmt.Errorf("%w: declares %d payload bytes, has %d", ErrMalformedFrame, n, len(msg)-HeaderLen)
	}
	return Frame{Type: msg[0], Payload: msg[HeaderLen : HeaderLen+int(n)]}, nil
}

// WindowSizePayload encodes a WindowSize payload: cols, then rows.
func WindowSizePayload(rows, cols uint16) []byte {
	p := make([]byte, 8)
	binary.BigEndian.PutUint32(p[0:4], uint32(cols))
	binary.BigEndian.PutUint32(p[4:8], uint32(rows))
	return p
}

// ParseWindowSize decodes a WindowSize payload.
func ParseWindowSize(p []byte) (rows, cols uint32, err error) {
	if len(p) != 8 {
		return 0, 0, fmt.Errorf("%w: window size payload of %d bytes, want 8", ErrMalformedFrame, len(p))
	}
	return binary.BigEndian.Uint32(p[4:8]), binary.BigEndian.Uint32(p[0:4]), nil
}
