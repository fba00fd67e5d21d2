#include "textflag.h"

// func affineAVX(dst, src []float32, shift, divisor float32)
//
// dst[i] = (src[i] − shift) / divisor for i < len(src)&^7, eight lanes at a
// time. VSUBPS and VDIVPS round each lane as SUBSS and DIVSS do (IEEE 754,
// round to nearest even), so the results are bit-identical to the scalar
// loop in preprocess.go. len(dst) ≥ len(src) is the caller's promise.
TEXT ·affineAVX(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	VBROADCASTSS shift+48(FP), Y14
	VBROADCASTSS divisor+52(FP), Y15
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VSUBPS  Y14, Y0, Y0
	VDIVPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET
