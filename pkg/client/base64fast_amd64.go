//go:build !purego

package client

import "golang.org/x/sys/cpu"

var haveAVX2 = cpu.X86.HasAVX2

//go:noescape
func decodeBase64AVX2(dst, src []byte) int

// decodeBase64Blocks decodes whole 32-character blocks from the front of src
// into dst with AVX2 where the CPU has it, stopping before a block with a
// byte outside the alphabet, and returns the characters consumed and the
// bytes written. It leaves the rest (and everything, without AVX2) to the
// portable loop.
func decodeBase64Blocks(dst, src []byte) (consumed, written int) {
	if !haveAVX2 || len(dst) < 32 {
		return 0, 0
	}
	// Each block stores 32 bytes of which 24 are kept.
	blocks := min(len(src)/32, (len(dst)-8)/24)
	if blocks <= 0 {
		return 0, 0
	}
	consumed = decodeBase64AVX2(dst, src[:blocks*32])
	return consumed, consumed / 32 * 24
}
