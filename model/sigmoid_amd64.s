#include "textflag.h"

// func sigmoidAVX2(z []float32, c *[13]float32)
//
// sigmoid32 (exp32.go) on eight lanes at a time, for i < len(z)&^7:
//	x = −|z|; k = trunc(x·log2e − 0.5); r = x − k·ln2Hi − k·ln2Lo
//	p = Horner(r; 1/720 … 1); e = p·2^k (0 where x < −87.3)
//	s = 1/(1+e); z ← z < 0 ? e·s : s
// c: log2e, 0.5, ln2Hi, ln2Lo, int 127, −87.3, sign bit, 1, c6, c5, c4, c3, c2.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-32
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	MOVQ c+24(FP), AX
	VBROADCASTSS 0(AX), Y15  // log2e
	VBROADCASTSS 24(AX), Y14 // sign bit
	VBROADCASTSS 28(AX), Y13 // 1
	VBROADCASTSS 32(AX), Y12 // c6
	VBROADCASTSS 36(AX), Y11 // c5
	VBROADCASTSS 40(AX), Y10 // c4
	VBROADCASTSS 44(AX), Y9  // c3
	VBROADCASTSS 48(AX), Y8  // c2
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS      (DI), Y0        // z
	VORPS        Y14, Y0, Y1     // x = −|z|
	VMULPS       Y15, Y1, Y2     // x·log2e
	VBROADCASTSS 4(AX), Y3
	VSUBPS       Y3, Y2, Y2      // x·log2e − 0.5
	VCVTTPS2DQ   Y2, Y2          // ki (truncated)
	VCVTDQ2PS    Y2, Y3          // k
	VBROADCASTSS 8(AX), Y4
	VMULPS       Y4, Y3, Y4      // k·ln2Hi
	VSUBPS       Y4, Y1, Y5      // r = x − k·ln2Hi
	VBROADCASTSS 12(AX), Y4
	VMULPS       Y4, Y3, Y4      // k·ln2Lo
	VSUBPS       Y4, Y5, Y5      // r −= k·ln2Lo
	VMULPS       Y12, Y5, Y6     // p = r·c6
	VADDPS       Y11, Y6, Y6     // + c5
	VMULPS       Y5, Y6, Y6
	VADDPS       Y10, Y6, Y6     // + c4
	VMULPS       Y5, Y6, Y6
	VADDPS       Y9, Y6, Y6      // + c3
	VMULPS       Y5, Y6, Y6
	VADDPS       Y8, Y6, Y6      // + c2
	VMULPS       Y5, Y6, Y6
	VADDPS       Y13, Y6, Y6     // + c1 = 1
	VMULPS       Y5, Y6, Y6
	VADDPS       Y13, Y6, Y6     // + c0 = 1
	VBROADCASTSS 16(AX), Y4      // int 127
	VPADDD       Y4, Y2, Y2
	VPSLLD       $23, Y2, Y2     // 2^k as float bits
	VMULPS       Y2, Y6, Y6      // e = p·2^k
	VBROADCASTSS 20(AX), Y4      // −87.3
	VCMPPS       $1, Y4, Y1, Y7  // x < −87.3 (false for NaN)
	VANDNPS      Y6, Y7, Y6      // e = 0 there
	VADDPS       Y13, Y6, Y7     // 1 + e
	VDIVPS       Y7, Y13, Y7     // s = 1/(1+e)
	VMULPS       Y7, Y6, Y6      // e·s
	VBLENDVPS    Y0, Y6, Y7, Y7  // sign of z ? e·s : s
	VMOVUPS      Y7, (DI)
	ADDQ         $32, DI
	DECQ         CX
	JNZ          loop

done:
	VZEROUPPER
	RET
