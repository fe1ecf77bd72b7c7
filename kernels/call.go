package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
	helpers []*helper // the goroutines running threads 1, 2, …
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
	if c.threads > 1 {
		// Another parallel call may hold some helpers: run on what is free.
		c.acquireHelpers(c.threads - 1)
		if len(c.helpers) == 0 {
			c.threads, c.split = 1, serial
			return
		}
		c.threads = len(c.helpers) + 1
	}
}

// balance is the share of the threads' time spent working when n panels go to t threads.
func balance(n, t int) float64 { return float64(n) / float64(ceilDiv(n, t)*t) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// start runs the call on its threads: this goroutine is thread 0.
func (c *call) start() {
	if c.threads == 1 {
		if c.im.flex && !c.p.transB && 2*c.p.m*c.p.n*c.p.k <= directLimit {
			c.direct()
			return
		}
		c.runRange(&c.workers[0], 0, c.p.m, 0, c.p.n)
		return
	}
	c.bar.reset(c.threads)
	if n := c.sharedSize(); n > 0 {
		c.shared[0], c.shared[1] = grow(c.shared[0], n), grow(c.shared[1], n)
	}
	for t, h := range c.helpers {
		h.give(c, t+1)
	}
	c.run(0)
	c.helpers = c.helpers[:0] // each helper frees itself when its thread is done
}

// directLimit is the largest product (in flops) that direct computes: below it packing
// costs more than it saves.
var directLimit = 1 << 24

// direct computes a small product on one thread with the flex kernels, reading A and B where
// they lie (B not transposed: its rows are contiguous).
func (c *call) direct() {
	p := &c.p
	rs, ps := p.aStrides()
	ld := load(p.beta)
	for i := 0; i < p.m; i += 12 {
		rows := min(12, p.m-i)
		for j := 0; j < p.n; j += 32 {
			kern, mask := flexFor(rows, min(32, p.n-j))
			kern(p.k, &p.a[i*rs], rs, ps, &p.b[j], p.ldb, &p.c[i*p.ldc+j], p.ldc, mask, p.alpha, p.beta, ld)
		}
	}
}

// aStrides are the distances in a between rows and between steps of op(A).
func (p *problem) aStrides() (rs, ps int) {
	if p.transA {
		return 1, p.lda
	}
	return p.lda, 1
}

// sharedSize is the length of each shared packed block the plan needs: A blocks for
// byColumns, B blocks for byRows with flex kernels (which read A in place).
func (c *call) sharedSize() int {
	p, im := &c.p, c.im
	switch {
	case c.split == byColumns && !im.flex:
		return ceilDiv(min(p.m, im.mc), im.mr) * im.mr * min(p.k, im.kc)
	case c.split == byRows && im.flex:
		return ceilDiv(min(p.n, im.nc), im.nr) * im.nr * min(p.k, im.kc)
	}
	return 0
}

// run is thread t's part of a parallel call; it returns once every thread has finished.
func (c *call) run(t int) {
	p, im := &c.p, c.im
	w := &c.workers[t]
	switch c.split {
	case byRows:
		panels := ceilDiv(p.m, im.mr)
		lo, hi := t*panels/c.threads*im.mr, min(p.m, (t+1)*panels/c.threads*im.mr)
		if im.flex {
			c.runSharedB(t, lo, hi)
		} else {
			c.runRange(w, lo, hi, 0, p.n)
		}
	case byColumns:
		panels := ceilDiv(p.n, im.nr)
		lo, hi := t*panels/c.threads*im.nr, min(p.n, (t+1)*panels/c.threads*im.nr)
		if im.flex {
			c.runRange(w, 0, p.m, lo, hi) // A is read in place: nothing to share
		} else {
			c.runShared(t, w, lo, hi)
		}
	}
	c.bar.wait()
}

// runRange computes rows [i0, i1) and columns [j0, j1) of C on one thread.
func (c *call) runRange(w *worker, i0, i1, j0, j1 int) {
	p, im := &c.p, c.im
	if im.flex {
		for jc := j0; jc < j1; jc += im.nc {
			nc := min(im.nc, j1-jc)
			for q0 := 0; q0 < p.k; q0 += im.kc {
				kc := min(im.kc, p.k-q0)
				w.bp = grow(w.bp, ceilDiv(nc, im.nr)*im.nr*kc)
				p.packB(w.bp, im.nr, q0, kc, jc, nc, 0, 1)
				c.inPlace(w.bp, i0, i1, q0, kc, jc, nc)
			}
		}
		return
	}
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

// runSharedB is thread t's part of a byRows call with flex kernels: the threads pack each B
// block together, then each multiplies its own rows [i0, i1) of A, read in place, by it.
func (c *call) runSharedB(t, i0, i1 int) {
	p, im := &c.p, c.im
	buf := 0
	for jc := 0; jc < p.n; jc += im.nc {
		nc := min(im.nc, p.n-jc)
		for q0 := 0; q0 < p.k; q0 += im.kc {
			kc := min(im.kc, p.k-q0)
			bp := c.shared[buf][:ceilDiv(nc, im.nr)*im.nr*kc]
			p.packB(bp, im.nr, q0, kc, jc, nc, t, c.threads)
			c.bar.wait()
			c.inPlace(bp, i0, i1, q0, kc, jc, nc)
			buf ^= 1 // as in runShared
		}
	}
}

// inPlace multiplies rows [i0, i1) and columns [q0, q0+kc) of op(A), read where they lie,
// by the packed B block of columns [jc, jc+nc) into C, with the flex kernels.
func (c *call) inPlace(bp []float32, i0, i1, q0, kc, jc, nc int) {
	p, im := &c.p, c.im
	rs, ps := p.aStrides()
	beta := p.beta
	if q0 > 0 {
		beta = 1
	}
	ld := load(beta)
	for i := i0; i < i1; i += 12 {
		rows := min(12, i1-i)
		a := &p.a[i*rs+q0*ps]
		for jr := 0; jr < nc; jr += im.nr {
			kern, mask := flexFor(rows, min(im.nr, nc-jr))
			kern(kc, a, rs, ps, &bp[jr*kc], im.nr, &p.c[i*p.ldc+jc+jr], p.ldc, mask, p.alpha, beta, ld)
		}
	}
}

// block packs B's rows [q0, q0+kc) and columns [jc, jc+nc) and multiplies the packed A block
// (rows [ic, ic+mc)) by it into C, tile by tile.
func (c *call) block(w *worker, ap []float32, ic, mc, q0, kc, jc, nc int) {
	p, im := &c.p, c.im
	w.bp = grow(w.bp, ceilDiv(nc, im.nr)*im.nr*kc)
	p.packB(w.bp, im.nr, q0, kc, jc, nc, 0, 1)
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
			if im.flex {
				kern, mask := flexFor(rows, cols)
				kern(kc, &a[0], 1, im.mr, &b[0], im.nr, &ct[0], p.ldc, mask, p.alpha, beta, load(beta))
				continue
			}
			w.tmp = grow(w.tmp, im.mr*im.nr)
			im.kernel(kc, a, b, w.tmp, im.nr, 1, 0, false)
			addTile(ct, p.ldc, w.tmp, im.nr, rows, cols, p.alpha, beta)
		}
	}
}

// flexFor is the flex kernel for a tile of rows×cols (cols ≤ 32) and its column mask.
func flexFor(rows, cols int) (flexKernel, uint32) {
	vecs := 1
	if cols > 16 {
		vecs = 2
	}
	return flexKernels[vecs-1][rows-1], uint32(uint64(1)<<cols - 1)
}

func load(beta float32) int {
	if beta == 0 {
		return 0
	}
	return 1
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

// helper is a goroutine that runs one thread of parallel calls. After a call it spins a
// while before it parks, since the next product usually follows at once (the layers of a
// step), and waking a parked goroutine costs more than a small product.
type helper struct {
	busy     atomic.Bool // taken by a call
	sleeping atomic.Bool
	task     atomic.Pointer[call]
	t        int // the thread to run: written before task is stored
	wake     chan struct{}
}

// spinTime is how long an idle helper looks for work before it parks.
const spinTime = 50 * time.Microsecond

func (h *helper) loop() {
	for {
		if c := h.task.Swap(nil); c != nil {
			c.run(h.t)
			h.busy.Store(false)
			continue
		}
		if h.spin() {
			continue
		}
		h.sleeping.Store(true)
		if h.task.Load() != nil && h.sleeping.CompareAndSwap(true, false) {
			continue
		}
		<-h.wake
	}
}

// spin reports whether a task arrived within spinTime.
func (h *helper) spin() bool {
	start := time.Now()
	for i := 1; ; i++ {
		if h.task.Load() != nil {
			return true
		}
		if i%64 == 0 {
			if time.Since(start) > spinTime {
				return false
			}
			runtime.Gosched()
		}
	}
}

// give hands thread t of c to h, waking it if it has parked.
func (h *helper) give(c *call, t int) {
	h.t = t
	h.task.Store(c)
	if h.sleeping.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}

// helpers are the goroutines started so far; they only grow, to GOMAXPROCS-1.
var helpers struct {
	sync.Mutex
	all []*helper
}

// acquireHelpers takes up to n idle helpers into c.helpers, starting goroutines as needed.
func (c *call) acquireHelpers(n int) {
	c.helpers = c.helpers[:0]
	helpers.Lock()
	defer helpers.Unlock()
	for len(helpers.all) < n {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers.all = append(helpers.all, h)
		go h.loop()
	}
	for _, h := range helpers.all {
		if len(c.helpers) == n {
			break
		}
		if h.busy.CompareAndSwap(false, true) {
			c.helpers = append(c.helpers, h)
		}
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
