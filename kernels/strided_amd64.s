#include "textflag.h"

// The AVX-512 kernels of strided.go, 16 float32 lanes at a time; each row's last block is
// masked, so nothing past a row's cols or past n is read or written.

// TAILMASK sets K3 to the lanes of the next block: all 16, or the n < 16 left (n in CX).
#define TAILMASK \
	MOVL $0xffff, BX \
	CMPQ CX, $16 \
	JGE 4(PC) \
	MOVL $1, BX \
	SHLL CX, BX \
	DECL BX \
	KMOVW BX, K3

// func addRowsAVX512(dst *float32, ldDst int, src *float32, ldSrc int, rows, cols int, b float32)
TEXT ·addRowsAVX512(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), DI
	MOVQ ldDst+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ ldSrc+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ cols+40(FP), R11
	VBROADCASTSS b+48(FP), Z2
	SHLQ $2, R8
	SHLQ $2, R9
addRowsRow:
	MOVQ DI, R12
	MOVQ SI, R13
	MOVQ R11, CX
addRowsBlock:
	TAILMASK
	VMOVUPS.Z (R13), K3, Z0
	VADDPS Z2, Z0, Z0
	VMOVUPS Z0, K3, (R12)
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $16, CX
	JG addRowsBlock
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ addRowsRow
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Z15, Z15, Z15
	VXORPS Z14, Z14, Z14
sumPair:
	CMPQ CX, $32
	JL sumTail
	VADDPS (SI), Z15, Z15
	VADDPS 64(SI), Z14, Z14
	ADDQ $128, SI
	SUBQ $32, CX
	JMP sumPair
sumTail:
	TESTQ CX, CX
	JLE sumDone
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VADDPS Z0, Z15, Z15
	ADDQ $64, SI
	SUBQ $16, CX
	JMP sumTail
sumDone:
	VADDPS Z14, Z15, Z15
	VEXTRACTF32X8 $1, Z15, Y1
	VADDPS Y1, Y15, Y15
	VEXTRACTF128 $1, Y15, X1
	VADDPS X1, X15, X15
	VHADDPS X15, X15, X15
	VHADDPS X15, X15, X15
	VMOVSS X15, ret+16(FP)
	VZEROUPPER
	RET
