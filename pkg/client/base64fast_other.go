//go:build !amd64 || purego

package client

// decodeBase64Blocks has no vector version here: the portable loop does
// everything.
func decodeBase64Blocks(dst, src []byte) (consumed, written int) { return 0, 0 }
