package kernels

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// AdamScalars are the constants of one Adam or AdamW step (torch.optim.Adam and AdamW without
// amsgrad), in float32 as the update uses them. The caller computes them, in float64 as
// PyTorch does in Python, then rounds each to float32:
//
//	Beta1, OneMinusBeta1 = β₁, 1 − β₁
//	Beta2, OneMinusBeta2 = β₂, 1 − β₂
//	Bias2Sqrt            = √(1 − β₂ᵗ)
//	NegStepSize          = −lr/(1 − β₁ᵗ)
//	Eps                  = ε
//	L2                   = the weight decay added to the gradient (Adam); 0 for none
//	Decay                = 1 − lr·wd, the factor p shrinks by first (AdamW); 1 for none
type AdamScalars struct {
	Beta1, OneMinusBeta1 float32
	Beta2, OneMinusBeta2 float32
	Bias2Sqrt            float32
	NegStepSize          float32
	Eps                  float32
	L2                   float32
	Decay                float32
}

// Adam splits a parameter of adamParallelMin values or more into chunks of adamChunk
// (about 11µs each on AVX-512) that this goroutine and a helper take in turn: a helper that
// is slow to wake takes fewer, instead of keeping the caller waiting. (A parked helper
// takes about 100µs to start on our 2-core machine, 9 of the 26 chunks of the CNN's
// parameters in one slice, so 421,642 values take 210µs on two cores against 300µs on one.)
const (
	adamChunk       = 1 << 14
	adamParallelMin = 4 * adamChunk
)

// Adam takes one Adam step for the parameter p with gradient g and the moment buffers m
// (exp_avg) and v (exp_avg_sq), all of one length, updating p, m and v in place. For each j:
//
//	grad = g[j];  if L2 ≠ 0 { grad = fma(L2, p[j], grad) }
//	x    = p[j]·Decay
//	m[j] = fma(OneMinusBeta1, grad, m[j]·Beta1)
//	v[j] = fma(OneMinusBeta2·grad, grad, v[j]·Beta2)
//	p[j] = x + NegStepSize·m[j] / (√v[j]/Bias2Sqrt + Eps)
//
// with every other operation a float32 one, rounded in that order. On AVX-512 (vectorMath)
// fma is the float32 fused multiply-add, rounded once; on the portable path (elsewhere, and
// under GORGONET_SGEMM=portable) it is float32(float64(a)·float64(b) + float64(c)): the
// product is exact in float64, so the sum is rounded twice, to float64 then float32. The
// two agree except where the float64 sum lands exactly halfway between two float32 values
// that the exact sum is not (the odds are about 2⁻²⁹ per fma), where they differ by 1 ulp.
// The square root and the other operations round the same on both paths. So where one
// fma differs, m (or v) differs by 1 ulp between the paths, and p by at most 1 ulp of p
// plus 4 ulp of the update NegStepSize·m[j]/denom (TestAdamPaths checks this).
//
// Parameters of adamParallelMin values or more are shared with a second core (GOMAXPROCS
// allowing) by a helper goroutine that lives on between calls, parked while idle; a call
// that finds it busy with another runs alone. Adam allocates nothing. Nothing past the
// slices' length is read or written.
func Adam(p, g, m, v []float32, a AdamScalars) {
	sameLen("Adam", len(p), len(g), len(m), len(v))
	vec := vectorMath()
	if len(p) >= adamParallelMin && runtime.GOMAXPROCS(0) > 1 && adamHelper.TryLock() {
		w := &adamHelper
		w.job = adamJob{vec: vec, p: p, g: g, m: m, v: v, a: a, chunks: ceilDiv(len(p), adamChunk)}
		w.give()
		w.job.work()
		w.join()
		w.job = adamJob{} // drop the caller's slices
		w.Unlock()
		return
	}
	adam(vec, p, g, m, v, a)
}

// adam is Adam on this goroutine, on AVX-512 if vec.
func adam(vec bool, p, g, m, v []float32, a AdamScalars) {
	if len(p) == 0 {
		return
	}
	if vec {
		adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), a)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, x := range p {
		grad := g[j]
		if a.L2 != 0 {
			grad = fma64(a.L2, x, grad)
		}
		x *= a.Decay
		m[j] = fma64(a.OneMinusBeta1, grad, m[j]*a.Beta1)
		v[j] = fma64(a.OneMinusBeta2*grad, grad, v[j]*a.Beta2)
		denom := float32(math.Sqrt(float64(v[j])))/a.Bias2Sqrt + a.Eps
		p[j] = x + a.NegStepSize*m[j]/denom
	}
}

// fma64 is a·b + c for float32 values in float64: the product is exact, the sum rounded to
// float64 and then to float32. (The float64 square root rounded to float32 is float32's
// correctly rounded one, but this double rounding is not always the fused one's.)
func fma64(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }

// adamJob is a long Adam cut into chunks, which the threads take in turn.
type adamJob struct {
	vec        bool
	p, g, m, v []float32
	a          AdamScalars
	chunks     int
	next       atomic.Int64
}

// work takes chunks until none is left.
func (j *adamJob) work() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo, hi := c*adamChunk, min(len(j.p), (c+1)*adamChunk)
		adam(j.vec, j.p[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi], j.a)
	}
}

// adamHelper is the goroutine that shares long Adam steps, started on first use. Its mutex
// is held by the call using it. It hands work over as the Sgemm helpers of pool.go do: the
// caller offers the job and wakes the helper if it has parked, and once it has taken every
// chunk itself either withdraws the offer (the helper never woke) or waits for the helper
// to finish its last chunk.
var adamHelper adamWorker

type adamWorker struct {
	sync.Mutex
	once     sync.Once
	job      adamJob     // set, with the mutex held, before offered
	offered  atomic.Bool // job is on offer, not yet taken
	finished atomic.Bool // the helper has finished the job it took last
	sleeping atomic.Bool // parked on wake
	wake     chan struct{}
}

// give offers w.job to the helper, waking it if it has parked.
func (w *adamWorker) give() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		go w.loop()
	})
	w.finished.Store(false)
	w.offered.Store(true)
	if w.sleeping.CompareAndSwap(true, false) {
		w.wake <- struct{}{}
	}
}

// join returns once the helper can no longer touch w.job: it never took the offer
// (withdrawn here, since the caller took every chunk) or it has finished.
func (w *adamWorker) join() {
	if !w.offered.CompareAndSwap(true, false) {
		spinWait(w.finished.Load)
	}
}

func (w *adamWorker) loop() {
	for {
		if w.offered.Swap(false) {
			w.job.work()
			w.finished.Store(true)
			continue
		}
		w.sleeping.Store(true)
		if w.offered.Load() && w.sleeping.CompareAndSwap(true, false) {
			continue
		}
		<-w.wake
	}
}
