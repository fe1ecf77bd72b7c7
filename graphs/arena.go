package graphs

import (
	"math"
	"reflect"
	"unsafe"
)

// An Arena holds the float32 buffers of the ops of several graphs that never need each
// other's buffers between runs, such as the training graphs of one model for batches of
// different lengths: a step runs one of them start to end, and the optimizer copies out the
// gradients before the next. Each graph takes its buffers from the arena's start, in the
// order its ops ask for them, so the graphs overlap and the arena is as large as the largest
// graph, not as all of them. Nothing an op keeps in a buffer may outlive a run: every op
// writes each buffer before it reads it (the tests fill the arena with NaNs between runs to
// check).
type Arena struct {
	slabs [][]float32
}

// slabFloats is the size of a new slab: 32 MiB, or the request when larger.
const slabFloats = 8 << 20

// arenaCursor is where one graph's next buffer starts in its arena.
type arenaCursor struct {
	a         *Arena
	slab, off int
}

// take returns n floats of the arena, aligned to 64 bytes, after the graph's last.
func (c *arenaCursor) take(n int) []float32 {
	span := (n + 15) &^ 15
	for {
		if c.slab == len(c.a.slabs) {
			c.a.slabs = append(c.a.slabs, make([]float32, max(span, slabFloats)))
		}
		if s := c.a.slabs[c.slab]; c.off+span <= len(s) {
			at := c.off
			c.off += span
			return s[at : at+n : at+n]
		}
		c.slab, c.off = c.slab+1, 0
	}
}

// Poison fills the arena with NaNs, for tests that check no op reads what another graph left.
func (a *Arena) Poison() {
	nan := float32(math.NaN())
	for _, s := range a.slabs {
		for i := range s {
			s[i] = nan
		}
	}
}

// Floats is the arena's size in float32s.
func (a *Arena) Floats() int {
	n := 0
	for _, s := range a.slabs {
		n += len(s)
	}
	return n
}

// useArena makes every float32 buffer of op that has not been allocated yet come from c.
// It walks op's fields (buffers, structs, pointers to structs of this package, slices and
// arrays of them), so that no op needs code of its own for it.
func useArena(op any, c *arenaCursor) {
	v := reflect.ValueOf(op)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	setCursor(v.Elem(), c, map[uintptr]bool{})
}

var bufferType = reflect.TypeFor[buffer]()

func setCursor(v reflect.Value, c *arenaCursor, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == bufferType {
			b := (*buffer)(unsafe.Pointer(v.UnsafeAddr()))
			if b.t == nil {
				b.arena = c
			}
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanAddr() {
				setCursor(f, c, seen)
			}
		}
	case reflect.Pointer:
		if v.IsNil() || v.Elem().Kind() != reflect.Struct || v.Elem().Type().PkgPath() != bufferType.PkgPath() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		setCursor(v.Elem(), c, seen)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Struct || v.Type().Elem().Kind() == reflect.Pointer {
			for i := range v.Len() {
				setCursor(v.Index(i), c, seen)
			}
		}
	}
}
