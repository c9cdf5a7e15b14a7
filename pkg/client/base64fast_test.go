package client

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"testing"
)

// checkDecodeBase64 pins decodeBase64 to encoding/base64: where it answers,
// the bytes are the same; where the input is plain padded base64 (what
// encoding/base64 itself writes), it must answer.
func checkDecodeBase64(t *testing.T, src []byte) {
	t.Helper()
	want := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	wn, werr := base64.StdEncoding.Decode(want, src)
	got := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	gn, ok := decodeBase64(got, src)
	if ok {
		if werr != nil {
			t.Fatalf("decodeBase64(%q) accepted what encoding/base64 refuses: %v", src, werr)
		}
		if !bytes.Equal(got[:gn], want[:wn]) {
			t.Fatalf("decodeBase64(%q) = %x, encoding/base64 gives %x", src, got[:gn], want[:wn])
		}
	}
	if werr == nil && bytes.Equal([]byte(base64.StdEncoding.EncodeToString(want[:wn])), src) && !ok {
		t.Fatalf("decodeBase64(%q) refused canonical base64", src)
	}
}

func TestDecodeBase64(t *testing.T) {
	var raw []byte
	for n := range 200 {
		checkDecodeBase64(t, []byte(base64.StdEncoding.EncodeToString(raw)))
		raw = append(raw, byte(n*37+n>>3))
	}
	all := make([]byte, 256*3)
	for i := range all {
		all[i] = byte(i)
	}
	checkDecodeBase64(t, []byte(base64.StdEncoding.EncodeToString(all)))
	for _, s := range []string{
		"", "=", "====", "QQ==", "QUI=", "QUJD", "QQ", "QUJDRA", "QQ==QUJD", "QUJD\nRA==",
		"QUJDREVGR0hJSktMTU5PUFFS\r\nU1RV", "QUJDREVGR0hJSktMTU5PUFFS-_", "QR==", "QUJDREVGR0hJSktMTU5PUFF=",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\x00",
	} {
		checkDecodeBase64(t, []byte(s))
	}
}

// TestDecodeBase64EveryByte puts each of the 256 byte values at each
// position of a 256-character string (eight 32-character blocks for the
// vector path, then the portable loop's tail): every byte outside the
// alphabet must be refused wherever it lands, every one inside decoded as
// encoding/base64 does.
func TestDecodeBase64EveryByte(t *testing.T) {
	raw := make([]byte, 192)
	for i := range raw {
		raw[i] = byte(i*151 + 7)
	}
	canon := []byte(base64.StdEncoding.EncodeToString(raw))
	src := make([]byte, len(canon))
	for pos := range canon {
		for b := range 256 {
			copy(src, canon)
			src[pos] = byte(b)
			checkDecodeBase64(t, src)
		}
	}
}

func TestDecodeBase64ShortDestination(t *testing.T) {
	src := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("xyz"), 40)))
	for size := range base64.StdEncoding.DecodedLen(len(src)) {
		if n, ok := decodeBase64(make([]byte, size), src); ok {
			t.Fatalf("decodeBase64 into %d bytes answered %d bytes of 120", size, n)
		}
	}
}

func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="))
	f.Add([]byte("QUJD\nRA=="))
	f.Add([]byte("QR=="))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkDecodeBase64(t, src)
		checkDecodeBase64(t, []byte(base64.StdEncoding.EncodeToString(src)))
	})
}

func BenchmarkDecodeBase64(b *testing.B) {
	random := make([]byte, 32<<10)
	for i := range random {
		random[i] = byte(i*7919 + i>>7*31)
	}
	var lines []byte
	for i := 1; len(lines) < 32<<10; i++ {
		lines = strconv.AppendInt(lines, int64(i), 10)
		lines = append(lines, '\n')
	}
	for _, in := range []struct {
		name string
		raw  []byte
	}{{"zeros", make([]byte, 32<<10)}, {"lines", lines[:32<<10]}, {"mixed", random}} {
		src := []byte(base64.StdEncoding.EncodeToString(in.raw))
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
		b.Run(in.name+"/fast", func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				decodeBase64(dst, src)
			}
		})
		b.Run(in.name+"/encoding-base64", func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				base64.StdEncoding.Decode(dst, src)
			}
		})
	}
}
