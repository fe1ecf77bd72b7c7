package kernels

import (
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallelFlops is the smallest product worth waking another core for: below it the
// hand-off costs more than the second core saves.
const minParallelFlops = 4 << 20

// directLimit is the largest product (in flops) that direct computes: below it packing
// costs more than it saves. (64×3136×128, the CNN's fc1 input gradient, runs 20% faster
// direct than blocked.)
var directLimit = 1 << 26

// call is the state of one Sgemm call: the problem, how it is cut into tasks, and the
// buffers of its threads. Calls are reused, so that a product allocates nothing once the
// buffers have grown.
type call struct {
	im      *impl
	p       problem
	workers []worker
	helpers []*helper // the goroutines running threads 1, 2, …

	// A parallel call is a grid of tasks, each a block of C over the whole depth k, that
	// the threads take in turn: a thread that starts late (a goroutine is slow to wake)
	// takes fewer, instead of keeping the others waiting.
	taskRows, taskCols int // rows and columns of C per task
	gridCols, tasks    int
	direct             bool // tasks read A and B in place (see directsTasks)
	next               atomic.Int64
}

// worker holds one thread's private packing buffers.
type worker struct {
	ap, bp, tmp []float32
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// start computes the call on at most threads cores; this goroutine is thread 0.
func (c *call) start(threads int) {
	p := &c.p
	if threads <= 1 || 2*p.m*p.n*p.k < minParallelFlops {
		c.serial()
		return
	}
	c.plan(threads)
	if c.tasks < 2 || (p.transC && c.taskRows < p.m) {
		c.serial()
		return
	}
	c.acquireHelpers(min(threads, c.tasks) - 1)
	if len(c.helpers) == 0 { // another parallel call holds them
		c.serial()
		return
	}
	c.next.Store(0)
	for t, h := range c.helpers {
		h.give(c, t+1)
	}
	c.work(&c.workers[0])
	for _, h := range c.helpers {
		h.join(c)
	}
	c.helpers = c.helpers[:0]
}

// serial computes the whole call on this goroutine.
func (c *call) serial() {
	p := &c.p
	c.direct = false
	c.block(&c.workers[0], 0, p.m, 0, p.n)
}

// plan cuts C into tasks for threads cores: column blocks when B has enough column panels
// (each task then packs only its own columns of B), else row blocks. The flex kernels read
// A in place, so while A is small their tasks can be small too (four a thread); the others
// pack their rows of A in every task, so they get one task a thread.
func (c *call) plan(threads int) {
	p, im := &c.p, c.im
	perThread := 1
	if im.flex && p.m*p.k < 1<<20 {
		// Small tasks balance the threads, but each rereads and repacks A: only while A is
		// small (at 1024³, four tasks a thread ran at 0.78× one task a thread).
		perThread = 4
	}
	colPanels, rowPanels := ceilDiv(p.n, im.nr), ceilDiv(p.m, im.mr)
	c.taskRows, c.taskCols = p.m, p.n
	// A swapped problem stores columns of C: split its columns (rows of C), so that no two
	// threads write one cache line.
	if colPanels >= 2*threads || (p.transC && colPanels >= threads) {
		c.taskCols = ceilDiv(colPanels, perThread*threads) * im.nr
	} else {
		c.taskRows = ceilDiv(rowPanels, perThread*threads) * im.mr
	}
	c.gridCols = ceilDiv(p.n, c.taskCols)
	c.tasks = ceilDiv(p.m, c.taskRows) * c.gridCols
	c.direct = im.flex && p.directsTasks(2*c.taskRows*c.taskCols*p.k)
}

// work takes tasks until none is left.
func (c *call) work(w *worker) {
	p := &c.p
	for {
		t := int(c.next.Add(1) - 1)
		if t >= c.tasks {
			return
		}
		i0, j0 := t/c.gridCols*c.taskRows, t%c.gridCols*c.taskCols
		c.block(w, i0, min(p.m, i0+c.taskRows), j0, min(p.n, j0+c.taskCols))
	}
}

// block computes rows [i0, i1) and columns [j0, j1) of C on one thread, GotoBLAS-style:
// k blocks of kc, a packed B block of kc×nc in L2, and either A read in place (flex
// kernels) or packed in blocks of mc×kc.
func (c *call) block(w *worker, i0, i1, j0, j1 int) {
	p, im := &c.p, c.im
	if im.flex && c.direct {
		p.directBlock(i0, i1, j0, j1)
		return
	}
	if im.flex {
		for jc := j0; jc < j1; jc += im.nc {
			nc := min(im.nc, j1-jc)
			for q0 := 0; q0 < p.k; q0 += im.kc {
				kc := min(im.kc, p.k-q0)
				w.bp = grow(w.bp, ceilDiv(nc, im.nr)*im.nr*kc)
				p.packB(w.bp, im.nr, q0, kc, jc, nc)
				c.inPlace(w, w.bp, i0, i1, q0, kc, jc, nc)
			}
		}
		return
	}
	for ic := i0; ic < i1; ic += im.mc {
		mc := min(im.mc, i1-ic)
		for q0 := 0; q0 < p.k; q0 += im.kc {
			kc := min(im.kc, p.k-q0)
			w.ap = grow(w.ap, ceilDiv(mc, im.mr)*im.mr*kc)
			p.packA(w.ap, im.mr, ic, mc, q0, kc)
			for jc := j0; jc < j1; jc += im.nc {
				c.packed(w, ic, mc, q0, kc, jc, min(im.nc, j1-jc))
			}
		}
	}
}

// direct computes a small product on this goroutine with the flex kernels, reading A and B
// where they lie, and reports whether it did: it takes products without a transposed B
// (whose rows are contiguous) up to directLimit that are not worth another core. It needs
// no buffers, so it skips the call state. Column panels are the outer loop: one panel of B
// (kc rows of 128 bytes) stays in L1 while every stripe of A passes over it, so B, usually
// the larger, is read from memory once.
func (p *problem) direct(threads int) bool {
	flops := 2 * p.m * p.n * p.k
	if p.transB || p.transC || flops > directLimit || (threads > 1 && flops >= minParallelFlops) {
		return false
	}
	p.directBlock(0, p.m, 0, p.n)
	return true
}

// directsTasks reports whether the tasks of a parallel call are computed as direct computes
// the whole of a small product: each task then reads B in place instead of packing all the
// rows of B it needs, which row tasks would each do again.
func (p *problem) directsTasks(taskFlops int) bool {
	return !p.transB && !p.transC && taskFlops <= directLimit
}

// directBlock computes rows [i0, i1) and columns [j0, j1) of C with A and B read in place.
func (p *problem) directBlock(i0, i1, j0, j1 int) {
	rs, ps := p.aStrides()
	ld := load(p.beta)
	for j := j0; j < j1; j += 32 {
		for i, rows := range stripes(i0, i1) {
			kern, mask := flexFor(rows, min(32, j1-j))
			kern(p.k, &p.a[i*rs], rs, ps, &p.b[j], p.ldb, &p.c[i*p.ldc+j], p.ldc, mask, p.alpha, p.beta, ld)
		}
	}
}

// stripes yields the first row and the height of each stripe of rows [i0, i1) that the
// flex kernels compute: as few as 12-row stripes allow, of heights that differ by at most
// one, since a short last stripe (64 = 5·12 + 4) runs its B loads for a third of the FMAs.
func stripes(i0, i1 int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		n := ceilDiv(i1-i0, 12)
		if n == 0 {
			return
		}
		base, extra := (i1-i0)/n, (i1-i0)%n
		for s, i := 0, i0; s < n; s++ {
			rows := base
			if s < extra {
				rows++
			}
			if !yield(i, rows) {
				return
			}
			i += rows
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

// inPlace multiplies rows [i0, i1) and columns [q0, q0+kc) of op(A) by the packed B
// block of columns [jc, jc+nc) into C (into Cᵀ for a swapped problem), with the flex
// kernels. Each stripe of A (up to 12 rows × kc) stays in L1 while the B micro-panels
// stream from L2; a stripe that several B panels read is first copied to a buffer (see
// packStripe), which took 2048³ from 0.75× to 0.92× OpenBLAS on one core.
func (c *call) inPlace(w *worker, bp []float32, i0, i1, q0, kc, jc, nc int) {
	p, im := &c.p, c.im
	rs, ps := p.aStrides()
	beta := p.beta
	if q0 > 0 {
		beta = 1
	}
	ld := load(beta)
	pack := nc >= 4*im.nr // the stripe of A is read once a B micro-panel: worth a contiguous copy
	for i, rows := range stripes(i0, i1) {
		a, ars, aps := &p.a[i*rs+q0*ps], rs, ps
		if pack {
			w.ap = grow(w.ap, 12*(kc+16))
			ars, aps = p.packStripe(w.ap, i, rows, q0, kc)
			a = &w.ap[0]
		}
		for jr := 0; jr < nc; jr += im.nr {
			cols := min(im.nr, nc-jr)
			kern, mask := flexFor(rows, cols)
			if p.transC {
				w.tmp = grow(w.tmp, 12*32)
				t := w.tmp
				kern(kc, a, ars, aps, &bp[jr*kc], im.nr, &t[0], 32, mask, 1, 0, 0)
				addTileTransposed(p.c[(jc+jr)*p.ldc+i:], p.ldc, t, rows, cols, p.alpha, beta)
				continue
			}
			kern(kc, a, ars, aps, &bp[jr*kc], im.nr, &p.c[i*p.ldc+jc+jr], p.ldc, mask, p.alpha, beta, ld)
		}
	}
}

// addTileTransposed sets c[j, r] = alpha·t[r, j] + beta·c[j, r] for the rows×cols tile t
// (row stride 32), alpha·t[r, j] when beta is 0: a tile of Cᵀ stored into C.
func addTileTransposed(c []float32, ldc int, t []float32, rows, cols int, alpha, beta float32) {
	for j := 0; j < cols; j++ {
		dst := c[j*ldc : j*ldc+rows]
		if beta == 0 {
			for r := range dst {
				dst[r] = alpha * t[r*32+j]
			}
			continue
		}
		for r := range dst {
			dst[r] = alpha*t[r*32+j] + beta*dst[r]
		}
	}
}

// packed packs B's rows [q0, q0+kc) and columns [jc, jc+nc) and multiplies the packed A
// block (rows [ic, ic+mc)) by it into C, tile by tile.
func (c *call) packed(w *worker, ic, mc, q0, kc, jc, nc int) {
	p, im := &c.p, c.im
	w.bp = grow(w.bp, ceilDiv(nc, im.nr)*im.nr*kc)
	p.packB(w.bp, im.nr, q0, kc, jc, nc)
	beta := p.beta
	if q0 > 0 {
		beta = 1
	}
	for ir := 0; ir < mc; ir += im.mr {
		rows := min(im.mr, mc-ir)
		a := w.ap[ir*kc:]
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
	for len(c.workers) < max(threads, 1) {
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

// spinWait spins until done reports true, yielding the core now and then.
func spinWait(done func() bool) {
	for spins := 0; !done(); spins++ {
		if spins > 100 {
			runtime.Gosched()
		}
	}
}
