package client

import (
	"encoding/base64"
	"encoding/binary"
)

// Exec output arrives as base64 (stdio=base64), and decoding it is most of
// the client's CPU time for a large output. decodeBase64 decodes standard,
// padded base64 about twice as fast as encoding/base64 by looking up four
// characters at a time in tables that hold each one's 6 bits already shifted
// into place, and writing 6 output bytes at a time.

// b64Invalid marks a byte outside the alphabet in the tables below.
const b64Invalid = 0x01000000

var b64Tables = func() (t [4][256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range 256 {
		for k := range t {
			t[k][i] = b64Invalid
		}
	}
	for i := range len(alphabet) {
		v := uint32(i)
		c := alphabet[i]
		t[0][c], t[1][c], t[2][c], t[3][c] = v<<18, v<<12, v<<6, v
	}
	return t
}()

// decodeBase64 decodes src (standard alphabet, padded) into dst, which must
// hold base64.StdEncoding.DecodedLen(len(src)) bytes, and returns the number
// of bytes written. It answers false, with dst's contents unspecified, for
// anything but a plain run of whole quanta ending in at most one padded one
// (a stray byte, padding inside, a length not a multiple of 4, line breaks):
// the caller then decodes with encoding/base64, which decides what such input
// means. Where it answers true the result is encoding/base64's.
func decodeBase64(dst, src []byte) (int, bool) {
	if len(src)%4 != 0 || len(dst) < len(src)/4*3 {
		return 0, false
	}
	if len(src) == 0 {
		return 0, true
	}
	body, tail := src[:len(src)-4], src[len(src)-4:]
	t0, t1, t2, t3 := &b64Tables[0], &b64Tables[1], &b64Tables[2], &b64Tables[3]
	n := 0
	// 16 characters give 12 bytes, written as two overlapping 8-byte stores
	// (so 2 bytes of room past them are needed).
	for len(body) >= 16 && len(dst)-n >= 14 {
		s := body[:16]
		a := t0[s[0]] | t1[s[1]] | t2[s[2]] | t3[s[3]]
		b := t0[s[4]] | t1[s[5]] | t2[s[6]] | t3[s[7]]
		c := t0[s[8]] | t1[s[9]] | t2[s[10]] | t3[s[11]]
		d := t0[s[12]] | t1[s[13]] | t2[s[14]] | t3[s[15]]
		if (a|b|c|d)&b64Invalid != 0 {
			return 0, false
		}
		o := dst[n : n+14]
		binary.BigEndian.PutUint64(o, uint64(a)<<40|uint64(b)<<16)
		binary.BigEndian.PutUint64(o[6:], uint64(c)<<40|uint64(d)<<16)
		n += 12
		body = body[16:]
	}
	for len(body) >= 4 {
		a := t0[body[0]] | t1[body[1]] | t2[body[2]] | t3[body[3]]
		if a&b64Invalid != 0 {
			return 0, false
		}
		dst[n], dst[n+1], dst[n+2] = byte(a>>16), byte(a>>8), byte(a)
		n += 3
		body = body[4:]
	}
	// The last quantum may carry padding: encoding/base64 has the rules.
	m, err := base64.StdEncoding.Decode(dst[n:], tail)
	if err != nil {
		return 0, false
	}
	return n + m, true
}
