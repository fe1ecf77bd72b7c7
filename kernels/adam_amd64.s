#include "textflag.h"

// The AVX-512 Adam step of adam.go, 16 float32 lanes at a time; the last block is masked,
// so nothing past n is read or written. n > 0.

// TAILMASK sets K3 to the lanes of the next block: all 16, or the n < 16 left (n in CX).
// (As in rows_amd64.s.)
#define TAILMASK \
	MOVL $0xffff, BX \
	CMPQ CX, $16 \
	JGE 4(PC) \
	MOVL $1, BX \
	SHLL CX, BX \
	DECL BX \
	KMOVW BX, K3

// func adamAVX512(p, grad, m, v *float32, n int, a AdamScalars)
//
// Per lane, with every operation float32 and each fused multiply-add rounded once:
// grad = g (+ L2·p if L2 ≠ 0); m = (1−β₁)·grad + m·β₁; v = ((1−β₂)·grad)·grad + v·β₂;
// p = p·Decay + NegStepSize·m / (√v/Bias2Sqrt + ε).
TEXT ·adamAVX512(SB), NOSPLIT, $0-76
	MOVQ p+0(FP), SI
	MOVQ grad+8(FP), DX
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS a_Beta1+40(FP), Z16
	VBROADCASTSS a_OneMinusBeta1+44(FP), Z17
	VBROADCASTSS a_Beta2+48(FP), Z18
	VBROADCASTSS a_OneMinusBeta2+52(FP), Z19
	VBROADCASTSS a_Bias2Sqrt+56(FP), Z20
	VBROADCASTSS a_NegStepSize+60(FP), Z21
	VBROADCASTSS a_Eps+64(FP), Z22
	VBROADCASTSS a_L2+68(FP), Z23
	VBROADCASTSS a_Decay+72(FP), Z24
	MOVL a_L2+68(FP), R10
	ANDL $0x7fffffff, R10    // 0 when L2 is ±0, as L2 != 0 in Go
adamLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0   // p
	VMOVUPS.Z (DX), K3, Z1   // grad
	VMOVUPS.Z (R8), K3, Z2   // m
	VMOVUPS.Z (R9), K3, Z3   // v
	TESTL R10, R10
	JZ adamNoL2
	VFMADD231PS Z0, Z23, Z1  // grad = L2·p + grad
adamNoL2:
	VMULPS Z24, Z0, Z0       // x = p·Decay
	VMULPS Z16, Z2, Z2       // m·β₁
	VFMADD231PS Z1, Z17, Z2  // m = (1−β₁)·grad + m·β₁
	VMULPS Z19, Z1, Z4       // (1−β₂)·grad
	VMULPS Z18, Z3, Z3       // v·β₂
	VFMADD231PS Z1, Z4, Z3   // v = ((1−β₂)·grad)·grad + v·β₂
	VSQRTPS Z3, Z5
	VDIVPS Z20, Z5, Z5       // √v/Bias2Sqrt
	VADDPS Z22, Z5, Z5       // + ε
	VMULPS Z21, Z2, Z6       // NegStepSize·m
	VDIVPS Z5, Z6, Z6        // / denom
	VADDPS Z6, Z0, Z0        // x + …
	VMOVUPS Z2, K3, (R8)
	VMOVUPS Z3, K3, (R9)
	VMOVUPS Z0, K3, (SI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JG adamLoop
	VZEROUPPER
	RET
