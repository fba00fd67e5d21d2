//go:build cgo && !nodnnl && linux

package libdnnl

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// osThreads counts the process's OS threads once the count has settled
// (threads of goroutines that ended while locked take a moment to exit).
func osThreads(t *testing.T) int {
	count := func() int {
		entries, err := os.ReadDir("/proc/self/task")
		require.NoError(t, err)
		return len(entries)
	}
	last, same := count(), 0
	for same < 3 {
		time.Sleep(20 * time.Millisecond)
		if n := count(); n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	return last
}

// onLockedThreads starts k goroutines, each locked to an OS thread of its
// own for the whole test, and runs each phase on them one goroutine after
// the other (so that they never contend, which would make Go start threads
// of its own). It returns the process's thread count before the first phase
// and after each phase. The garbage collector is off meanwhile: its mark
// workers, scheduled while a locked thread sits in a long cgo call, would
// make Go start threads that have nothing to do with OpenMP.
func onLockedThreads(t *testing.T, k int, phases ...func(i int)) []int {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	type job struct {
		phase func(int)
		done  chan struct{}
	}
	jobs := make([]chan job, k)
	var ready sync.WaitGroup
	ready.Add(k)
	for i := range k {
		jobs[i] = make(chan job)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			ready.Done()
			for j := range jobs[i] {
				j.phase(i)
				close(j.done)
			}
		}()
	}
	ready.Wait()
	counts := []int{osThreads(t)}
	for _, phase := range phases {
		for i := range k {
			done := make(chan struct{})
			jobs[i] <- job{phase, done}
			<-done
		}
		counts = append(counts, osThreads(t))
	}
	for i := range k {
		close(jobs[i])
	}
	return counts
}

// With two OpenMP threads, native calls from many OS threads still make a
// single OpenMP team (the owner thread's); with one thread, no team at all.
// The control phase calls the C layer directly from each thread, as a
// binding without the discipline would, and shows the count growing by one
// OpenMP worker per calling thread.
func TestOneOpenMPTeam(t *testing.T) {
	const k, n = 8, 192
	a, b := make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(i%7), float32(i%5)
	}
	out := make([][]float32, k)
	for i := range out {
		out[i] = make([]float32, n*n)
	}
	sgemm := func(i int) {
		for range 5 {
			if err := Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, out[i], n); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { require.NoError(t, SetThreads(1)) }()

	// The warm-up lets Go start the threads it needs for its Ps: a 1×1×1
	// sgemm, direct with one thread, a hop to the owner thread with two.
	one := []float32{1}
	warmUp := func(i int) {
		if err := Sgemm(false, false, 1, 1, 1, 1, one, 1, one, 1, 0, out[i], 1); err != nil {
			t.Error(err)
		}
	}
	require.NoError(t, SetThreads(1))
	counts := onLockedThreads(t, k, warmUp, sgemm)
	assert.LessOrEqual(t, counts[2]-counts[1], 2, "one thread: %v", counts)

	require.NoError(t, SetThreads(2))
	sgemm(0) // start the owner thread and its team
	// The warm-up blocks each goroutine on the hop to the owner thread;
	// then parallel calls through the binding.
	counts = onLockedThreads(t, k, warmUp, sgemm, func(i int) {
		// During a contention backoff calls run directly, one thread each.
		if i == 0 {
			backoff(int64(time.Minute))
		}
		sgemm(i)
		if i == k-1 {
			backoff(0)
		}
	}, func(i int) {
		if st := sgemmOnThisThread(a, b, out[i], n); st != 0 {
			t.Errorf("status %d", st)
		}
	})
	t.Logf("threads at start, after the warm-up, after calls through the binding, during a backoff, after direct calls: %v", counts)
	assert.LessOrEqual(t, counts[2]-counts[1], 2, "two threads through the binding: %v", counts)
	assert.LessOrEqual(t, counts[3]-counts[2], 2, "two threads, backoff: %v", counts)
	assert.GreaterOrEqual(t, counts[4]-counts[3], k-2, "direct calls: one team per thread (the control): %v", counts)
}

// Dense plans keep the discipline too: with two threads, eight OS threads
// each running a small plan (direct, marked single-threaded) and a plan big
// enough for a team (through the owner thread) grow no OpenMP team of
// their own.
func TestPlansStartNoTeamOffTheOwnerThread(t *testing.T) {
	const k = 8
	c, err := NewContext()
	require.NoError(t, err)
	defer c.Close()
	defer func() { require.NoError(t, SetThreads(1)) }()
	require.NoError(t, SetThreads(2))
	type pair struct {
		small, big *Dense
		s, b       *stepBuffers
	}
	plans := make([]pair, k)
	for i := range plans {
		small, err := c.NewDense(16, 32, 8, Tanh)
		require.NoError(t, err)
		big, err := c.NewDense(128, 128, 128, Sigmoid)
		require.NoError(t, err)
		defer small.Close()
		defer big.Close()
		plans[i] = pair{small, big, newStepBuffers(uint64(i), 16, 32, 8), newStepBuffers(uint64(i), 128, 128, 128)}
	}
	require.NoError(t, plans[0].b.step(plans[0].big)) // the owner thread and its team
	run := func(i int) {
		for range 3 {
			if err := plans[i].s.step(plans[i].small); err != nil {
				t.Error(err)
			}
			if err := plans[i].b.step(plans[i].big); err != nil {
				t.Error(err)
			}
		}
	}
	counts := onLockedThreads(t, k, run, run)
	t.Logf("threads at start, after one round, after another: %v", counts)
	assert.LessOrEqual(t, counts[2]-counts[0], 2, "plans through the binding: %v", counts)
}
