package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallelFlops is the smallest product worth waking another core for: below it the
// hand-off costs more than the second core saves.
const minParallelFlops = 4 << 20

// split says how a call divides the work among its threads.
type split int

const (
	serial    split = iota
	byColumns       // threads share the packed A block and take column ranges of B and C
	byRows          // threads take row ranges of A and C, each with its own packing
)

// call is the state of one Sgemm call: the problem, its plan and the buffers of its threads.
// Calls are reused, so that a product allocates nothing once the buffers have grown.
type call struct {
	im      *impl
	p       problem
	threads int
	split   split
	shared  [2][]float32 // packed A blocks shared by the threads (byColumns), double-buffered
	workers []worker
	bar     barrier
}

// worker holds one thread's private buffers.
type worker struct {
	ap, bp, tmp []float32
}

// plan picks the split and the number of threads for c.p on at most threads cores.
func (c *call) plan(threads int) {
	p, im := &c.p, c.im
	c.threads, c.split = 1, serial
	if threads <= 1 || 2*p.m*p.n*p.k < minParallelFlops {
		return
	}
	cols, rows := ceilDiv(p.n, im.nr), ceilDiv(p.m, im.mr)
	tc, tr := min(threads, cols), min(threads, rows)
	// Prefer the split whose panels divide most evenly; columns on a tie, since the
	// threads then share one packed A.
	if tc > 1 && balance(cols, tc) >= balance(rows, tr) {
		c.threads, c.split = tc, byColumns
	} else if tr > 1 {
		c.threads, c.split = tr, byRows
	}
}

// balance is the share of the threads' time spent working when n panels go to t threads.
func balance(n, t int) float64 { return float64(n) / float64(ceilDiv(n, t)*t) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// start runs the call on its threads: this goroutine is thread 0.
func (c *call) start() {
	if c.threads == 1 {
		c.runRange(&c.workers[0], 0, c.p.m, 0, c.p.n)
		return
	}
	c.bar.reset(c.threads)
	if c.split == byColumns {
		n := ceilDiv(min(c.p.m, c.im.mc), c.im.mr) * c.im.mr * min(c.p.k, c.im.kc)
		c.shared[0], c.shared[1] = grow(c.shared[0], n), grow(c.shared[1], n)
	}
	pool.ensure(c.threads - 1)
	for t := 1; t < c.threads; t++ {
		pool.tasks <- task{c, t}
	}
	c.run(0)
}

// run is thread t's part of a parallel call; it returns once every thread has finished.
func (c *call) run(t int) {
	p, im := &c.p, c.im
	w := &c.workers[t]
	switch c.split {
	case byRows:
		panels := ceilDiv(p.m, im.mr)
		lo, hi := t*panels/c.threads*im.mr, min(p.m, (t+1)*panels/c.threads*im.mr)
		c.runRange(w, lo, hi, 0, p.n)
	case byColumns:
		panels := ceilDiv(p.n, im.nr)
		lo, hi := t*panels/c.threads*im.nr, min(p.n, (t+1)*panels/c.threads*im.nr)
		c.runShared(t, w, lo, hi)
	}
	c.bar.wait()
}

// runRange computes rows [i0, i1) and columns [j0, j1) of C on one thread.
func (c *call) runRange(w *worker, i0, i1, j0, j1 int) {
	p, im := &c.p, c.im
	for ic := i0; ic < i1; ic += im.mc {
		mc := min(im.mc, i1-ic)
		for q0 := 0; q0 < p.k; q0 += im.kc {
			kc := min(im.kc, p.k-q0)
			w.ap = grow(w.ap, ceilDiv(mc, im.mr)*im.mr*kc)
			p.packA(w.ap, im.mr, ic, mc, q0, kc, 0, 1)
			for jc := j0; jc < j1; jc += im.nc {
				c.block(w, w.ap, ic, mc, q0, kc, jc, min(im.nc, j1-jc))
			}
		}
	}
}

// runShared is thread t's part of a byColumns call: the threads pack each A block together,
// then each multiplies it by its own columns [j0, j1).
func (c *call) runShared(t int, w *worker, j0, j1 int) {
	p, im := &c.p, c.im
	buf := 0
	for ic := 0; ic < p.m; ic += im.mc {
		mc := min(im.mc, p.m-ic)
		for q0 := 0; q0 < p.k; q0 += im.kc {
			kc := min(im.kc, p.k-q0)
			ap := c.shared[buf][:ceilDiv(mc, im.mr)*im.mr*kc]
			p.packA(ap, im.mr, ic, mc, q0, kc, t, c.threads)
			c.bar.wait()
			for jc := j0; jc < j1; jc += im.nc {
				c.block(w, ap, ic, mc, q0, kc, jc, min(im.nc, j1-jc))
			}
			// The next block packs into the other buffer; this one is overwritten only
			// after every thread has passed the next barrier, so has finished with it.
			buf ^= 1
		}
	}
}

// block packs B's rows [q0, q0+kc) and columns [jc, jc+nc) and multiplies the packed A block
// (rows [ic, ic+mc)) by it into C, tile by tile.
func (c *call) block(w *worker, ap []float32, ic, mc, q0, kc, jc, nc int) {
	p, im := &c.p, c.im
	w.bp = grow(w.bp, ceilDiv(nc, im.nr)*im.nr*kc)
	p.packB(w.bp, im.nr, q0, kc, jc, nc)
	beta := p.beta
	if q0 > 0 {
		beta = 1
	}
	for ir := 0; ir < mc; ir += im.mr {
		rows := min(im.mr, mc-ir)
		a := ap[ir*kc:]
		for jr := 0; jr < nc; jr += im.nr {
			cols := min(im.nr, nc-jr)
			b := w.bp[jr*kc:]
			ct := p.c[(ic+ir)*p.ldc+jc+jr:]
			if rows == im.mr && cols == im.nr {
				im.kernel(kc, a, b, ct, p.ldc, p.alpha, beta, beta != 0)
				continue
			}
			w.tmp = grow(w.tmp, im.mr*im.nr)
			im.kernel(kc, a, b, w.tmp, im.nr, 1, 0, false)
			addTile(ct, p.ldc, w.tmp, im.nr, rows, cols, p.alpha, beta)
		}
	}
}

// addTile sets the rows×cols tile c = alpha·t + beta·c (alpha·t when beta is 0).
func addTile(c []float32, ldc int, t []float32, ldt, rows, cols int, alpha, beta float32) {
	for r := 0; r < rows; r++ {
		dst, src := c[r*ldc:r*ldc+cols], t[r*ldt:r*ldt+cols]
		if beta == 0 {
			for j, v := range src {
				dst[j] = alpha * v
			}
			continue
		}
		for j, v := range src {
			dst[j] = alpha*v + beta*dst[j]
		}
	}
}

// calls is the free list of call states; it only grows, to the most calls ever under way.
var calls struct {
	sync.Mutex
	free []*call
}

// getCall returns a call state for im with room for threads workers.
func getCall(im *impl, threads int) *call {
	calls.Lock()
	var c *call
	if n := len(calls.free); n > 0 {
		c, calls.free = calls.free[n-1], calls.free[:n-1]
	}
	calls.Unlock()
	if c == nil {
		c = &call{}
	}
	c.im = im
	for len(c.workers) < threads {
		c.workers = append(c.workers, worker{})
	}
	return c
}

func putCall(c *call) {
	c.p = problem{} // drop the caller's matrices
	calls.Lock()
	calls.free = append(calls.free, c)
	calls.Unlock()
}

// task asks a pool goroutine to run thread t of a call.
type task struct {
	c *call
	t int
}

// pool runs the threads of parallel calls beyond the first.
var pool = workerPool{tasks: make(chan task, 64)}

type workerPool struct {
	sync.Mutex
	started int
	tasks   chan task
}

// ensure starts goroutines until at least n are running.
func (wp *workerPool) ensure(n int) {
	wp.Lock()
	defer wp.Unlock()
	for ; wp.started < n; wp.started++ {
		go func() {
			for t := range wp.tasks {
				t.c.run(t.t)
			}
		}()
	}
}

// barrier lets n threads wait for each other. It spins, then yields: the waits are short,
// since the threads share each block's work evenly.
type barrier struct {
	n       int32
	arrived atomic.Int32
	gen     atomic.Uint32
}

func (b *barrier) reset(n int) { b.n = int32(n); b.arrived.Store(0) }

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.arrived.Add(1) == b.n {
		b.arrived.Store(0)
		b.gen.Add(1)
		return
	}
	for spins := 0; b.gen.Load() == g; spins++ {
		if spins > 200 {
			runtime.Gosched()
		}
	}
}
