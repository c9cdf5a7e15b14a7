//go:build !purego

#include "textflag.h"

// The AVX2 base64 decoder of Muła and Lemire ("Faster Base64 Encoding and
// Decoding using AVX2 Instructions", 2018): per 32 characters, two nibble
// lookups classify every byte (a valid character gives lo&hi == 0), a third
// gives the offset that turns it into its 6 bits, two multiply-adds pack
// four 6-bit values into 3 bytes, and two shuffles gather the 24 bytes.

// func decodeBase64AVX2(dst, src []byte) int
//
// Decodes src (a multiple of 32 characters of the standard alphabet, no
// padding) into dst, 24 bytes per 32 characters, writing 32 bytes each time
// (dst needs 8 bytes of room past the last block's 24). It stops before the
// first block that holds any other byte, and returns how many bytes of src
// it decoded.
TEXT ·decodeBase64AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX
	VBROADCASTI128 b64LutLo<>(SB), Y8
	VBROADCASTI128 b64LutHi<>(SB), Y9
	VBROADCASTI128 b64LutRoll<>(SB), Y10
	VPBROADCASTD b64Mask2F<>(SB), Y11
	VPBROADCASTD b64MergeAB<>(SB), Y12
	VPBROADCASTD b64MergeABC<>(SB), Y13
	VBROADCASTI128 b64Pack<>(SB), Y14
	VMOVDQU b64Lanes<>(SB), Y15

loop:
	CMPQ CX, $32
	JB   done
	VMOVDQU (SI), Y0
	VPSRLD  $4, Y0, Y1     // high nibbles (and bits of the next byte)
	VPAND   Y11, Y0, Y2    // low nibbles (pshufb ignores bit 5)
	VPSHUFB Y2, Y8, Y3     // lo class
	VPCMPEQB Y11, Y0, Y4   // '/' bytes
	VPAND   Y11, Y1, Y1
	VPSHUFB Y1, Y9, Y5     // hi class
	VPTEST  Y5, Y3         // any byte outside the alphabet?
	JNZ     done
	VPADDB  Y1, Y4, Y4
	VPSHUFB Y4, Y10, Y4    // per-byte offset to its 6 bits
	VPADDB  Y4, Y0, Y0
	VPMADDUBSW Y12, Y0, Y0 // pairs of 6 bits -> 12 bits
	VPMADDWD Y13, Y0, Y0   // pairs of 12 bits -> 24 bits
	VPSHUFB Y14, Y0, Y0    // 12 bytes at the front of each lane
	VPERMD  Y0, Y15, Y0    // the two lanes' 12 bytes together
	VMOVDQU Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $24, DI
	ADDQ    $32, AX
	SUBQ    $32, CX
	JMP     loop

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// The three lookup tables and the pack shuffle are the same in both lanes
// (VBROADCASTI128); the multipliers and the mask are one dword each
// (VPBROADCASTD).
DATA b64LutLo<>+0x00(SB)/8, $0x1111111111111115
DATA b64LutLo<>+0x08(SB)/8, $0x1a1b1b1b1a131111
GLOBL b64LutLo<>(SB), RODATA|NOPTR, $16

DATA b64LutHi<>+0x00(SB)/8, $0x0804080402011010
DATA b64LutHi<>+0x08(SB)/8, $0x1010101010101010
GLOBL b64LutHi<>(SB), RODATA|NOPTR, $16

// 0, 16, 19, 4, -65, -65, -71, -71, then zeros.
DATA b64LutRoll<>+0x00(SB)/8, $0xb9b9bfbf04131000
DATA b64LutRoll<>+0x08(SB)/8, $0x0000000000000000
GLOBL b64LutRoll<>(SB), RODATA|NOPTR, $16

// 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, then four zeroed bytes.
DATA b64Pack<>+0x00(SB)/8, $0x090a040506000102
DATA b64Pack<>+0x08(SB)/8, $0xffffffff0c0d0e08
GLOBL b64Pack<>(SB), RODATA|NOPTR, $16

DATA b64Mask2F<>+0x00(SB)/4, $0x2f2f2f2f
GLOBL b64Mask2F<>(SB), RODATA|NOPTR, $4

DATA b64MergeAB<>+0x00(SB)/4, $0x01400140
GLOBL b64MergeAB<>(SB), RODATA|NOPTR, $4

DATA b64MergeABC<>+0x00(SB)/4, $0x00011000
GLOBL b64MergeABC<>(SB), RODATA|NOPTR, $4

// Dwords 0, 1, 2, 4, 5, 6, and two that are never kept.
DATA b64Lanes<>+0x00(SB)/8, $0x0000000100000000
DATA b64Lanes<>+0x08(SB)/8, $0x0000000400000002
DATA b64Lanes<>+0x10(SB)/8, $0x0000000600000005
DATA b64Lanes<>+0x18(SB)/8, $0x0000000700000007
GLOBL b64Lanes<>(SB), RODATA|NOPTR, $32
