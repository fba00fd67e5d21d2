#include "textflag.h"

// Both kernels write dst[k] = float32(src[k])/255 for k < len(src)&^15,
// correctly rounded, so bit-identical to scaleRowGeneric (which the tests
// check for every pixel value). VPMOVZXBD widens bytes to int32 lanes and
// VCVTDQ2PS converts them exactly (p < 2^24). The caller guarantees
// len(dst) ≥ len(src) and the instruction sets named.

// func scaleAVX512(dst []float32, src []uint8)
//
// AVX-512F, 32 pixels per iteration (16 per Z register), without a
// division:
//	q = p·r             r = float32(1/255)
//	e = p − q·255       (one FMA: exact)
//	q = q + e·r         (one FMA)
// the Newton correction of a quotient, correctly rounded for these inputs
// (all 256 are checked); a 16-pixel tail runs once.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVL $0x437f0000, AX // 255.0
	VMOVD AX, X15
	VBROADCASTSS X15, Z15
	MOVL $0x3b808081, AX // float32(1/255)
	VMOVD AX, X14
	VBROADCASTSS X14, Z14
	MOVQ CX, DX
	SHRQ $5, CX
	JZ   tail

loop:
	VPMOVZXBD    (SI), Z0
	VPMOVZXBD    16(SI), Z1
	VCVTDQ2PS    Z0, Z0
	VCVTDQ2PS    Z1, Z1
	VMULPS       Z14, Z0, Z2  // q = p·r
	VMULPS       Z14, Z1, Z3
	VFNMADD231PS Z15, Z2, Z0  // e = p − q·255
	VFNMADD231PS Z15, Z3, Z1
	VFMADD231PS  Z14, Z0, Z2  // q += e·r
	VFMADD231PS  Z14, Z1, Z3
	VMOVUPS      Z2, (DI)
	VMOVUPS      Z3, 64(DI)
	ADDQ         $32, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          loop

tail:
	TESTQ $16, DX
	JZ    done
	VPMOVZXBD    (SI), Z0
	VCVTDQ2PS    Z0, Z0
	VMULPS       Z14, Z0, Z2
	VFNMADD231PS Z15, Z2, Z0
	VFMADD231PS  Z14, Z0, Z2
	VMOVUPS      Z2, (DI)

done:
	VZEROUPPER
	RET

// func scaleAVX2(dst []float32, src []uint8)
//
// AVX2, 16 pixels per iteration, dividing by 255 with VDIVPS (correctly
// rounded like Go's scalar division; on the machines measured the
// division was faster than the FMA correction on 8-lane registers).
TEXT ·scaleAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVL $0x437f0000, AX // 255.0
	VMOVD AX, X15
	VBROADCASTSS X15, Y15
	SHRQ $4, CX
	JZ   done2

loop2:
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VDIVPS    Y15, Y0, Y0
	VDIVPS    Y15, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop2

done2:
	VZEROUPPER
	RET

// func prefetchRow(src []uint8)
//
// PREFETCHT0 for every 64-byte line of src: Batch asks for the rows it
// converts next while it converts this one, so that a shuffled batch's
// random rows (each a fresh run of cache lines, often not in cache) arrive
// before the kernel reads them.
TEXT ·prefetchRow(SB), NOSPLIT, $0-24
	MOVQ src_base+0(FP), SI
	MOVQ src_len+8(FP), CX
	TESTQ CX, CX
	JZ    pdone
	LEAQ  -1(SI)(CX*1), DX // the last byte
	ANDQ  $~63, SI

ploop:
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	CMPQ       SI, DX
	JLE        ploop

pdone:
	RET
