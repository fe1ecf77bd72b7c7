#include "textflag.h"

// The AVX-512 element-wise kernels of activation.go, 16 float32 lanes at a time; the last
// block is masked, so nothing past n is read or written. Constants as float32 bit patterns.

#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

// EXPCONSTS loads the constants of EXP into Z17-Z28.
#define EXPCONSTS \
	BCAST(0xc2ae999a, Z17) \ // −87.3, below which e^x is flushed to 0
	BCAST(0x3fb8aa3b, Z18) \ // log2 e
	BCAST(0x3f318000, Z19) \ // ln 2, high part
	BCAST(0xb95e8083, Z20) \ // ln 2, low part
	BCAST(0x39506967, Z21) \ // the polynomial of e^r, highest power first
	BCAST(0x3ab743ce, Z22) \
	BCAST(0x3c088908, Z23) \
	BCAST(0x3d2aa9c1, Z24) \
	BCAST(0x3e2aaaaa, Z25) \
	BCAST(0x3f000000, Z26) \
	BCAST(0x3f800000, Z27) \ // 1
	VPXORD Z28, Z28, Z28     // 0

// EXP sets Z2 = e^Z1 for Z1 ≤ 0 (Cephes' expf: n = round(x·log2 e), r = x − n·ln 2,
// e^x = 2^n·(1 + r + r²·P(r))), clamping Z1 at −87.3; uses Z3-Z5.
#define EXP \
	VMAXPS Z17, Z1, Z1 \
	VMULPS Z18, Z1, Z3 \
	VRNDSCALEPS $0, Z3, Z3 \
	VMOVAPS Z1, Z4 \
	VFNMADD231PS Z19, Z3, Z4 \
	VFNMADD231PS Z20, Z3, Z4 \
	VMOVAPS Z21, Z2 \
	VFMADD213PS Z22, Z4, Z2 \
	VFMADD213PS Z23, Z4, Z2 \
	VFMADD213PS Z24, Z4, Z2 \
	VFMADD213PS Z25, Z4, Z2 \
	VFMADD213PS Z26, Z4, Z2 \
	VMULPS Z4, Z4, Z5 \
	VFMADD213PS Z4, Z5, Z2 \
	VADDPS Z27, Z2, Z2 \
	VSCALEFPS Z3, Z2, Z2

// TAILMASK sets K3 to the lanes of the next block: all 16, or the n < 16 left (n in CX).
#define TAILMASK \
	MOVL $0xffff, BX \
	CMPQ CX, $16 \
	JGE 4(PC) \
	MOVL $1, BX \
	SHLL CX, BX \
	DECL BX \
	KMOVW BX, K3

// func sigmoidAVX512(dst, src *float32, n int)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONSTS
	BCAST(0x7fffffff, Z16)
sigmoidLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VPANDD Z16, Z0, Z1
	VSUBPS Z1, Z28, Z1       // −|x|
	VCMPPS $1, Z17, Z1, K4   // e^−|x| flushes to 0 here
	EXP
	VMOVAPS Z28, K4, Z2
	VADDPS Z27, Z2, Z3
	VDIVPS Z3, Z27, Z4       // 1/(1+e)
	VCMPPS $1, Z28, Z0, K1   // x < 0: e/(1+e)
	VDIVPS Z3, Z2, K1, Z4
	VCMPPS $3, Z0, Z0, K2    // NaN stays NaN
	VMOVAPS Z0, K2, Z4
	VMOVUPS Z4, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG sigmoidLoop
	VZEROUPPER
	RET

// func tanhAVX512(dst, src *float32, n int)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONSTS
	BCAST(0x7fffffff, Z16)
	BCAST(0x3f200000, Z29)   // 0.625: below it Cephes' odd polynomial
	BCAST(0x80000000, Z30)   // the sign bit
	BCAST(0xbbbaf0ea, Z8)    // that polynomial, highest power first
	BCAST(0x3ca9134e, Z9)
	BCAST(0xbd5c1e2d, Z10)
	BCAST(0x3e088393, Z11)
	BCAST(0xbeaaaa99, Z12)
tanhLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VPANDD Z16, Z0, Z1       // |x|
	VCMPPS $1, Z29, Z1, K5   // |x| < 0.625
	VMULPS Z0, Z0, Z6        // z = x²
	VMOVAPS Z8, Z7
	VFMADD213PS Z9, Z6, Z7
	VFMADD213PS Z10, Z6, Z7
	VFMADD213PS Z11, Z6, Z7
	VFMADD213PS Z12, Z6, Z7
	VMULPS Z6, Z7, Z7
	VFMADD213PS Z0, Z0, Z7   // x + x·z·P(z)
	VADDPS Z1, Z1, Z1
	VSUBPS Z1, Z28, Z1       // −2|x|
	EXP
	VSUBPS Z2, Z27, Z3
	VADDPS Z27, Z2, Z4
	VDIVPS Z4, Z3, Z3        // (1−e)/(1+e)
	VPANDD Z30, Z0, Z5
	VPORD Z5, Z3, Z3         // with the sign of x
	VMOVAPS Z7, K5, Z3
	VCMPPS $3, Z0, Z0, K2
	VMOVAPS Z0, K2, Z3
	VMOVUPS Z3, K3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG tanhLoop
	VZEROUPPER
	RET

// func expShiftedSumAVX512(dst, src *float32, n int, shift float32) float32
TEXT ·expShiftedSumAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS shift+24(FP), Z16
	EXPCONSTS
	VPXORD Z15, Z15, Z15     // the sum, lane by lane
expShiftedLoop:
	TAILMASK
	VMOVUPS.Z (SI), K3, Z0
	VSUBPS Z16, Z0, Z1       // x − shift
	VCMPPS $1, Z17, Z1, K4   // flushes to 0 below −87.3
	VCMPPS $3, Z1, Z1, K2    // NaN stays NaN
	EXP
	VMOVAPS Z28, K4, Z2
	VSUBPS Z16, Z0, K2, Z2   // x − shift, NaN, where EXP clamped it
	VMOVUPS Z2, K3, (DI)
	VADDPS Z2, Z15, K3, Z15
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG expShiftedLoop
	VEXTRACTF32X8 $1, Z15, Y1
	VADDPS Y1, Y15, Y15
	VEXTRACTF128 $1, Y15, X1
	VADDPS X1, X15, X15
	VHADDPS X15, X15, X15
	VHADDPS X15, X15, X15
	VMOVSS X15, ret+32(FP)
	VZEROUPPER
	RET
