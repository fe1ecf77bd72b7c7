#include "textflag.h"

// The AVX-512 row kernels of rows.go, 16 float32 lanes at a time; the last block is masked,
// so nothing past n is read or written. n > 0.

// TAILMASK sets K3 to the lanes of the next block: all 16, or the n < 16 left (n in CX).
#define TAILMASK \
	MOVL $0xffff, BX \
	CMPQ CX, $16 \
	JGE 4(PC) \
	MOVL $1, BX \
	SHLL CX, BX \
	DECL BX \
	KMOVW BX, K3

// HSUM sums the 16 lanes of z into the low lane of x (z, y and x name one register); uses Z1.
#define HSUM(z, y, x) \
	VEXTRACTF32X8 $1, z, Y1 \
	VADDPS Y1, y, y \
	VEXTRACTF128 $1, y, X1 \
	VADDPS X1, x, x \
	VHADDPS x, x, x \
	VHADDPS x, x, x

// func addAVX512(dst, x, y *float32, n int)
TEXT ·addAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
addLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JG addLoop
	VZEROUPPER
	RET

// func mulAVX512(dst, x, y *float32, n int)
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
mulLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JG mulLoop
	VZEROUPPER
	RET

// func addMulAVX512(dst, x, y, z *float32, n int)
TEXT ·addMulAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ z+24(FP), R8
	MOVQ n+32(FP), CX
addMulLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMOVUPS.Z (R8), K3, Z2
	VMULPS Z2, Z1, Z1        // y·z, rounded
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	ADDQ $64, DI
	SUBQ $16, CX
	JG addMulLoop
	VZEROUPPER
	RET

// func scaleAVX512(dst, src *float32, n int, a float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Z1
scaleLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG scaleLoop
	VZEROUPPER
	RET

// func reluAVX512(dst, src *float32, n int)
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VPXORD Z2, Z2, Z2
reluLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMAXPS Z0, Z2, Z1        // 0 > x ? 0 : x, which keeps NaN
	VADDPS Z2, Z1, Z1        // −0 + 0 = 0
	VMOVUPS Z1, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG reluLoop
	VZEROUPPER
	RET

// func reluGradAVX512(dst, dy, x *float32, n int)
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VPXORD Z2, Z2, Z2
reluGradLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VPCMPGTD Z2, Z0, K3, K4  // the bits of x, as int32, above 0
	VMOVUPS.Z (DX), K4, Z1   // dy there, 0 elsewhere
	VMOVUPS Z1, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JG reluGradLoop
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int) float32
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0xff800000, AX     // −Inf
	VPBROADCASTD AX, Z15
	KXORW K5, K5, K5         // the lanes that saw a NaN
maxLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMAXPS Z0, Z15, K3, Z15
	VCMPPS $3, Z0, Z0, K3, K4 // unordered: NaN
	KORW K4, K5, K5
	ADDQ $64, SI
	SUBQ $16, CX
	JG maxLoop
	VEXTRACTF32X8 $1, Z15, Y1
	VMAXPS Y1, Y15, Y15
	VEXTRACTF128 $1, Y15, X1
	VMAXPS X1, X15, X15
	VPERMILPS $0x4e, X15, X1 // swap the 64-bit halves
	VMAXPS X1, X15, X15
	VPERMILPS $0xb1, X15, X1 // swap neighbours
	VMAXPS X1, X15, X15
	KORTESTW K5, K5
	JNZ maxNaN
	VMOVSS X15, ret+16(FP)
	VZEROUPPER
	RET
maxNaN:
	MOVL $0x7fc00000, ret+16(FP)
	VZEROUPPER
	RET

// func softmaxBackwardAVX512(dp, p *float32, n int, scale float32)
TEXT ·softmaxBackwardAVX512(SB), NOSPLIT, $0-28
	MOVQ dp+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ DI, R8
	MOVQ SI, R9
	MOVQ CX, R10
	VPXORD Z15, Z15, Z15
softmaxDot:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DI), K3, Z1
	VFMADD231PS Z1, Z0, Z15  // Σ p·dp, lane by lane
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG softmaxDot
	HSUM(Z15, Y15, X15)
	VBROADCASTSS X15, Z15
	VBROADCASTSS scale+24(FP), Z14
	MOVQ R8, DI
	MOVQ R9, SI
	MOVQ R10, CX
softmaxOut:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DI), K3, Z1
	VSUBPS Z15, Z1, Z1       // dp − dot
	VMULPS Z14, Z0, Z0       // scale·p
	VMULPS Z0, Z1, Z1
	VMOVUPS Z1, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG softmaxOut
	VZEROUPPER
	RET

// func layerNormAVX512(out, x, w, b *float32, n int, eps float32) (mean, rstd float32)
TEXT ·layerNormAVX512(SB), NOSPLIT, $0-56
	MOVQ x+8(FP), SI
	MOVQ n+32(FP), CX
	MOVQ SI, R9
	MOVQ CX, R10
	VCVTSI2SSQ CX, X13, X13  // n
	VPXORD Z15, Z15, Z15
lnSum:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VADDPS Z0, Z15, Z15
	ADDQ $64, SI
	SUBQ $16, CX
	JG lnSum
	HSUM(Z15, Y15, X15)
	VDIVSS X13, X15, X15
	VMOVSS X15, mean+48(FP)
	VBROADCASTSS X15, Z14    // the mean
	MOVQ R9, SI
	MOVQ R10, CX
	VPXORD Z15, Z15, Z15
lnVar:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VSUBPS Z14, Z0, Z0
	VFMADD231PS Z0, Z0, K3, Z15 // Σ (x − mean)², lane by lane
	ADDQ $64, SI
	SUBQ $16, CX
	JG lnVar
	HSUM(Z15, Y15, X15)
	VDIVSS X13, X15, X15
	VADDSS eps+40(FP), X15, X15
	VSQRTSS X15, X15, X15
	MOVL $0x3f800000, AX     // 1
	VMOVD AX, X12
	VDIVSS X15, X12, X12
	VMOVSS X12, rstd+52(FP)
	VBROADCASTSS X12, Z12    // rstd
	MOVQ out+0(FP), DI
	MOVQ w+16(FP), DX
	MOVQ b+24(FP), R8
	MOVQ R9, SI
	MOVQ R10, CX
lnOut:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMOVUPS.Z (R8), K3, Z2
	VSUBPS Z14, Z0, Z0
	VMULPS Z12, Z0, Z0       // x̂
	VFMADD213PS Z2, Z1, Z0   // x̂·w + b
	VMOVUPS Z0, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	ADDQ $64, DI
	SUBQ $16, CX
	JG lnOut
	VZEROUPPER
	RET

// func layerNormGradAVX512(dx, x, w, dy *float32, n int, mean, rstd float32)
TEXT ·layerNormGradAVX512(SB), NOSPLIT, $0-48
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ dy+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ SI, R9
	MOVQ DX, R10
	MOVQ R8, R11
	MOVQ CX, R12
	VCVTSI2SSQ CX, X13, X13  // n
	VBROADCASTSS mean+40(FP), Z14
	VBROADCASTSS rstd+44(FP), Z12
	VPXORD Z15, Z15, Z15     // Σ g
	VPXORD Z11, Z11, Z11     // Σ g·x̂
lngSum:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMOVUPS.Z (R8), K3, Z2
	VSUBPS Z14, Z0, Z0
	VMULPS Z12, Z0, Z0       // x̂
	VMULPS Z1, Z2, Z2        // g = dy·w
	VADDPS Z2, Z15, Z15
	VFMADD231PS Z2, Z0, K3, Z11
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	SUBQ $16, CX
	JG lngSum
	HSUM(Z15, Y15, X15)
	VDIVSS X13, X15, X15
	VBROADCASTSS X15, Z15    // mean(g)
	HSUM(Z11, Y11, X11)
	VDIVSS X13, X11, X11
	VBROADCASTSS X11, Z11    // mean(g·x̂)
	MOVQ dx+0(FP), DI
	MOVQ R9, SI
	MOVQ R10, DX
	MOVQ R11, R8
	MOVQ R12, CX
lngOut:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMOVUPS.Z (R8), K3, Z2
	VSUBPS Z14, Z0, Z0
	VMULPS Z12, Z0, Z0       // x̂
	VMULPS Z1, Z2, Z2        // g
	VSUBPS Z15, Z2, Z2       // g − mean(g)
	VFNMADD231PS Z11, Z0, Z2 // − x̂·mean(g·x̂)
	VMULPS Z12, Z2, Z2
	VMOVUPS Z2, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	ADDQ $64, DI
	SUBQ $16, CX
	JG lngOut
	VZEROUPPER
	RET

// func layerNormWeightGradAVX512(dw, x, dy *float32, n int, mean, rstd float32)
TEXT ·layerNormWeightGradAVX512(SB), NOSPLIT, $0-40
	MOVQ dw+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS mean+32(FP), Z14
	VBROADCASTSS rstd+36(FP), Z12
lnwLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z (DX), K3, Z1
	VMOVUPS.Z (DI), K3, Z2
	VSUBPS Z14, Z0, Z0
	VMULPS Z12, Z0, Z0       // x̂
	VFMADD231PS Z1, Z0, Z2   // dw + x̂·dy
	VMOVUPS Z2, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JG lnwLoop
	VZEROUPPER
	RET
