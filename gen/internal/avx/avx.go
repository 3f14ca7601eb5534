// Package avx holds the avo emitters shared by pcgo's generator programs:
// the file header every generated file carries, the lane-mask table used for
// partial vectors, loads and stores that are masked only when they must be,
// the element-wise streaming loop, and the function epilogue.
//
// Everything here targets AVX2 + FMA3 with 256-bit ymm vectors of eight
// float32 lanes, and only VEX-encoded instructions, so the output also runs
// on AMD Zen.
package avx

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Lanes is the number of float32 values in one ymm register.
const Lanes = 8

// Setup declares what every generated file shares: the !purego build
// constraint (the purego tag compiles all assembly out).
func Setup() {
	ConstraintExpr("!purego")
}

// MaskTable emits a read-only table of 2·half int32 values, half all-ones
// words followed by half zero words, and returns its address. Loading eight
// lanes starting at word half−r gives a VMASKMOVPS mask whose first r lanes
// are set (0 ≤ r ≤ half); the mask for lanes 8v…8v+7 of an r-wide row starts
// at word half−r+8v.
func MaskTable(name string, half int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 2*half; i++ {
		v := uint32(0)
		if i < half {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	return m
}

// Ret ends an AVX function: VZEROUPPER clears the upper ymm halves so that
// the SSE code of the Go runtime and of the caller pays no transition
// penalty, then RET.
func Ret() {
	VZEROUPPER()
	RET()
}

// Addr returns the stack address of a scalar argument, for instructions such
// as VBROADCASTSS that read it straight from memory.
func Addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Slot is one ymm-wide slot of an element-wise loop body: the byte offset of
// its first lane from every operand pointer, and the lane mask when the slot
// is a partial tail vector (nil for a full vector).
type Slot struct {
	Off  int
	Mask Register
}

// Load emits dst = the eight floats at ptr+v.Off; a masked slot loads only
// its live lanes (VMASKMOVPS zero-fills the others and cannot fault on them).
func (v Slot) Load(ptr Register, dst Register) {
	m := Mem{Base: ptr, Disp: v.Off}
	if v.Mask == nil {
		VMOVUPS(m, dst)
		return
	}
	VMASKMOVPS(m, v.Mask, dst)
}

// Store emits the eight floats of src to ptr+v.Off, only the live lanes for a
// masked slot.
func (v Slot) Store(src Register, ptr Register) {
	m := Mem{Base: ptr, Disp: v.Off}
	if v.Mask == nil {
		VMOVUPS(src, m)
		return
	}
	VMASKMOVPS(src, v.Mask, m)
}

// Mem returns the operand ptr+v.Off, for instructions that take a memory
// source directly. Only valid for full (unmasked) slots.
func (v Slot) Mem(ptr Register) Mem {
	if v.Mask != nil {
		panic("avx: Slot.Mem on a masked slot")
	}
	return Mem{Base: ptr, Disp: v.Off}
}

// Stream emits the loop every element-wise kernel uses, over n float32
// elements (n is consumed) with every pointer in ptrs advancing in step:
//
//	while n ≥ 8·unroll:  body(unroll full vectors)
//	while n ≥ 8:         body(1 full vector)
//	if n > 0:            body(1 vector masked to its first n lanes)
//
// body is emitted three times; it must only use its Slot slots (offsets are
// relative to the current pointers). table is a MaskTable of half 8. prefix
// keeps the labels of one function distinct.
func Stream(prefix string, n Register, ptrs []Register, unroll int, table Mem, body func(vs []Slot)) {
	step := func(count int) {
		for _, p := range ptrs {
			ADDQ(U32(4*Lanes*count), p)
		}
		SUBQ(U32(Lanes*count), n)
	}
	block := prefix + "_block"
	single := prefix + "_single"
	tail := prefix + "_tail"
	done := prefix + "_done"

	Label(block)
	CMPQ(n, U32(Lanes*unroll))
	JL(LabelRef(single))
	vs := make([]Slot, unroll)
	for i := range vs {
		vs[i] = Slot{Off: 32 * i}
	}
	body(vs)
	step(unroll)
	JMP(LabelRef(block))

	Label(single)
	CMPQ(n, U32(Lanes))
	JL(LabelRef(tail))
	body([]Slot{{Off: 0}})
	step(1)
	JMP(LabelRef(single))

	Label(tail)
	TESTQ(n, n)
	JE(LabelRef(done))
	Comment("Tail of 1…7 elements: mask = table[8−n : 16−n].")
	t := GP64()
	LEAQ(table, t)
	neg := GP64()
	MOVQ(U32(Lanes), neg)
	SUBQ(n, neg)
	mask := YMM()
	VMOVUPS(Mem{Base: t, Index: neg, Scale: 4}, mask)
	body([]Slot{{Off: 0, Mask: mask}})

	Label(done)
}

// DocRef attaches a doc comment to the function being built, ending with a
// pointer to its pure-Go reference in generic.go.
func DocRef(ref string, lines ...string) {
	all := append([]string{}, lines...)
	all = append(all, fmt.Sprintf("See %s in generic.go for the reference implementation.", ref))
	Doc(all...)
}
