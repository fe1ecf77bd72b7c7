#include "textflag.h"

// MaxPool2x2 (pool2x2.go) on AVX-512: each row of windows 16 at a time, from two 16-value
// loads of its top row and two of its bottom one, split into even (a, c) and odd (b, d)
// columns. The last block of a row is masked, so nothing past a row's 2·outW values is
// read, nor past its outW windows written.

// TAILMASK sets K3 to the lanes of the next block: all 16, or the n < 16 left (n in CX).
#define TAILMASK \
	MOVL $0xffff, BX \
	CMPQ CX, $16 \
	JGE 4(PC) \
	MOVL $1, BX \
	SHLL CX, BX \
	DECL BX \
	KMOVW BX, K3

// The even lanes 0, 2, …, 30: VPERMT2PS picks the even values of two registers with them,
// and they are the offsets of 16 windows' top-left values from the first's.
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

// POOLBLOCK pools the windows at BX (top row; the bottom one is R12 values on) into out at
// DI and argmax at DX: klo and khi mask the row's first and next 16 values, kout the 16
// windows. Z10 holds the windows' top-left indices; constants as set up below. VMAXPS
// would take −0 for +0 and drop a NaN: VRANGEPS $5 is the maximum with −0 < +0 (the sign
// from the comparison), and the NaNs are found apart.
#define POOLBLOCK(klo, khi, kout) \
	VMOVUPS.Z (BX), klo, Z0 \
	VMOVUPS.Z 64(BX), khi, Z1 \
	VMOVUPS.Z (BX)(R12*4), klo, Z2 \
	VMOVUPS.Z 64(BX)(R12*4), khi, Z3 \
	VMOVAPS Z0, Z4 \
	VPERMT2PS Z1, Z20, Z4 \ // a: the top row's even columns
	VPERMT2PS Z1, Z21, Z0 \ // b: its odd ones
	VMOVAPS Z2, Z5 \
	VPERMT2PS Z3, Z20, Z5 \ // c
	VPERMT2PS Z3, Z21, Z2 \ // d
	VRANGEPS $5, Z0, Z4, Z6 \
	VRANGEPS $5, Z2, Z5, Z7 \
	VRANGEPS $5, Z7, Z6, Z8 \ // the maximum
	VCMPPS $3, Z0, Z4, K1 \ // unordered: a or b is NaN
	VCMPPS $3, Z2, Z5, K2 \
	KORW K1, K2, K1 \ // the windows with a NaN
	VMOVDQA32 Z23, Z9 \ // the maximum's offset from a: d's, W+1, unless
	VCMPPS $0, Z8, Z5, K2 \
	VMOVDQA32 Z24, K2, Z9 \ // c equals it (W),
	VCMPPS $0, Z8, Z0, K3 \
	VMOVDQA32 Z25, K3, Z9 \ // or b (1),
	VCMPPS $0, Z8, Z4, K2 \
	VMOVDQA32 Z26, K2, Z9 \ // or a (0)
	VPADDD Z10, Z9, Z9 \
	VCMPPS $2, Z30, Z8, K3 \ // ≤ the ReLU's threshold
	VMOVAPS Z26, K3, Z8 \ // the ReLU: +0
	KORW K1, K3, K3 \
	VMOVDQA32 Z27, K3, Z9 \ // no gradient: −1
	VMOVAPS Z28, K1, Z8 \ // NaN
	VMOVUPS Z8, kout, (DI) \
	VMOVDQU32 Z9, kout, (DX)

// func maxPool2x2AVX512(out *float32, argmax *int32, x *float32, planes, inH, inW int, base int32, relu bool)
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-53
	MOVQ out+0(FP), DI
	MOVQ argmax+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ planes+24(FP), R8
	MOVQ inH+32(FP), R9
	SHRQ $1, R9               // outH
	MOVQ inW+40(FP), R12      // W
	MOVQ R12, R10
	SHRQ $1, R10              // outW
	MOVQ R10, R11
	ANDQ $15, R11             // the windows of a row's last, partial block
	SHRQ $4, R10              // a row's full blocks
	MOVLQSX base+48(FP), R13  // the index of the row's first value

	VMOVDQU32 poolEven<>(SB), Z20
	MOVL $1, AX
	VPBROADCASTD AX, Z25      // 1: b's offset from a
	VPADDD Z25, Z20, Z21      // the odd lanes 1, 3, …, 31
	VPBROADCASTD R12, Z24     // W: c's
	VPADDD Z25, Z24, Z23      // W+1: d's
	VPXORD Z26, Z26, Z26      // 0
	VPTERNLOGD $0xff, Z27, Z27, Z27 // −1
	MOVL $0x7fc00000, AX
	VPBROADCASTD AX, Z28      // NaN
	MOVL $32, AX
	VPBROADCASTD AX, Z29      // 32: the next block's columns
	VMOVAPS Z28, Z30          // the ReLU's threshold: NaN, which nothing is ≤, without it,
	CMPB relu+52(FP), $0
	JEQ 2(PC)
	VMOVAPS Z26, Z30          // 0 with it
	KXNORW K7, K7, K7         // full blocks: all 16 lanes
	LEAQ (R11)(R11*1), CX     // the last block's 2·tail values of a row
	TAILMASK
	KMOVW K3, K4              // its first 16
	SUBQ $16, CX
	JGE 2(PC)
	XORQ CX, CX
	TAILMASK
	KMOVW K3, K5              // its next 16
	MOVQ R11, CX
	TAILMASK
	KMOVW K3, K6              // its windows

poolPlane:
	MOVQ R9, CX
poolRow:
	MOVQ SI, BX
	VPBROADCASTD R13, Z10
	VPADDD Z20, Z10, Z10      // the windows' top-left indices
	MOVQ R10, AX
	TESTQ AX, AX
	JZ poolTail
poolBlock:
	POOLBLOCK(K7, K7, K7)
	ADDQ $128, BX
	ADDQ $64, DI
	ADDQ $64, DX
	VPADDD Z29, Z10, Z10
	DECQ AX
	JNZ poolBlock
poolTail:
	TESTQ R11, R11
	JZ poolRowDone
	POOLBLOCK(K4, K5, K6)
	LEAQ (DI)(R11*4), DI
	LEAQ (DX)(R11*4), DX
poolRowDone:
	LEAQ (SI)(R12*8), SI      // two rows down
	LEAQ (R13)(R12*2), R13
	DECQ CX
	JNZ poolRow
	TESTQ $1, inH+32(FP)
	JZ poolNext
	LEAQ (SI)(R12*4), SI      // past an odd last row
	ADDQ R12, R13
poolNext:
	DECQ R8
	JNZ poolPlane
	VZEROUPPER
	RET
