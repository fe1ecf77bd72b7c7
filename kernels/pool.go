package kernels

import (
	"sync"
	"sync/atomic"
)

// helper is a goroutine that runs one thread of parallel calls. Between calls it parks:
// spinning would hold a core that the caller's own workers may need.
type helper struct {
	busy     atomic.Bool          // taken by a call
	sleeping atomic.Bool          // parked on wake
	task     atomic.Pointer[call] // offered, not yet taken
	finished atomic.Pointer[call] // the call whose tasks it last finished
	t        int                  // its thread number in the offered call, set before task
	wake     chan struct{}
}

func (h *helper) loop() {
	for {
		if c := h.task.Swap(nil); c != nil {
			c.work(&c.workers[h.t])
			h.finished.Store(c)
			continue
		}
		h.sleeping.Store(true)
		if h.task.Load() != nil && h.sleeping.CompareAndSwap(true, false) {
			continue
		}
		<-h.wake
	}
}

// give offers c to h, waking it if it has parked.
func (h *helper) give(c *call, t int) {
	h.t = t
	h.finished.Store(nil)
	h.task.Store(c)
	if h.sleeping.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}

// join returns once h can no longer touch c: either it never took the offer (withdrawn
// here, since thread 0 finished every task first) or it has finished. Then h is free.
func (h *helper) join(c *call) {
	if !h.task.CompareAndSwap(c, nil) {
		spinWait(func() bool { return h.finished.Load() == c })
	}
	h.busy.Store(false)
}

// helpers are the goroutines started so far; they only grow, to GOMAXPROCS-1.
var helpers struct {
	sync.Mutex
	all []*helper
}

// acquireHelpers takes up to n idle helpers into c.helpers, starting goroutines as needed.
func (c *call) acquireHelpers(n int) {
	c.helpers = c.helpers[:0]
	if n <= 0 {
		return
	}
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
