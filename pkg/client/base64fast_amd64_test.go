//go:build !purego

package client

import (
	"encoding/base64"
	"testing"
)

// TestDecodeBase64BlocksRun checks that the vector path really decodes
// every whole block of valid input: a wrong table would only send the work
// to the portable loop, which the equivalence tests cannot see.
func TestDecodeBase64BlocksRun(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	raw := make([]byte, 48*64)
	for i := range raw {
		raw[i] = byte(i*131 + i>>8)
	}
	src := []byte(base64.StdEncoding.EncodeToString(raw)) // every character, no padding
	dst := make([]byte, len(raw)+8)
	c, n := decodeBase64Blocks(dst, src)
	if c != len(src) || n != len(raw) {
		t.Fatalf("decoded %d of %d characters into %d bytes", c, len(src), n)
	}
	if string(dst[:n]) != string(raw) {
		t.Fatal("the vector path decoded the wrong bytes")
	}
}
