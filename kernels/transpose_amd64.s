#include "textflag.h"

// func transpose8AVX2(dst *float32, nr int, src *float32, ld int, blocks int)
//
// Writes rows 0-7 of src (row stride ld floats), 8·blocks columns, as columns 0-7 of dst (row
// stride nr floats): each block is an 8×8 transpose in registers (unpack, shuffle, swap of
// 128-bit halves), eight loads and eight stores of 32 bytes where the scalar loop moves 64
// floats one by one.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ nr+8(FP), R11
	SHLQ $2, R11              // dst row stride in bytes
	LEAQ (R11)(R11*2), R12    // 3 rows
	LEAQ (DI)(R11*4), R13     // dst rows 4-7
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), R8
	SHLQ $2, R8               // src row stride in bytes
	LEAQ (R8)(R8*2), R9       // 3 rows
	LEAQ (SI)(R8*4), R10      // src rows 4-7
	MOVQ blocks+32(FP), CX
	MOVQ R11, DX
	SHLQ $3, DX               // 8 dst rows: the step between blocks
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7

	VUNPCKLPS Y1, Y0, Y8      // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9      // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0  // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1  // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS $0x44, Y11, Y9, Y2  // a2 … | a6 …
	VSHUFPS $0xEE, Y11, Y9, Y3  // a3 … | a7 …
	VSHUFPS $0x44, Y14, Y12, Y4 // e0 f0 g0 h0 | e4 …
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0: a0 … h0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R11*1)
	VMOVUPS Y10, (DI)(R11*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (R13)
	VMOVUPS Y13, (R13)(R11*1)
	VMOVUPS Y14, (R13)(R11*2)
	VMOVUPS Y15, (R13)(R12*1)

	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ DX, DI
	ADDQ DX, R13
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
