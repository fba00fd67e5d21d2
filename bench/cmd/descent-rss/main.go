// Command descent-rss runs the descent command line in-process, with its
// arguments, and prints to stderr where its peak resident set stood: the
// RSS, anonymous and file-backed, from /proc/self/status, and the Go heap
// and runtime from runtime.MemStats, sampled every 20 ms without
// allocating (a sampler that allocated would grow the heap it measures).
// bench/RESULTS.md's memory breakdown of descent train comes from
//
//	go run ./bench/cmd/descent-rss train --quiet
//
// Linux only (it reads /proc); /usr/bin/time -v gives the peak alone.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/descent-ml/descent/cli"
)

// sample is the process's memory at one moment.
type sample struct {
	rss, anon, file uint64 // kB, from /proc/self/status
	ms              runtime.MemStats
}

func main() {
	status, err := os.Open("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "descent-rss:", err)
		os.Exit(1)
	}
	done, peakc := make(chan struct{}), make(chan sample)
	go func() {
		buf := make([]byte, 8192)
		var peak, s sample
		tick := time.NewTicker(20 * time.Millisecond) // one timer, not one per sample
		defer tick.Stop()
		for {
			select {
			case <-done:
				peakc <- peak
				return
			case <-tick.C:
			}
			n, _ := status.ReadAt(buf, 0)
			b := buf[:n]
			if s.rss = field(b, "VmRSS:"); s.rss > peak.rss {
				s.anon, s.file = field(b, "RssAnon:"), field(b, "RssFile:")
				runtime.ReadMemStats(&s.ms)
				peak = s
			}
		}
	}()
	code := cli.Run(context.Background(), os.Args, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	close(done)
	p := <-peakc
	mb := func(b uint64) float64 { return float64(b) / 1e6 }
	fmt.Fprintf(os.Stderr, "peak RSS %.1f MB (anon %.1f, file %.1f); then: Go heap in use %.1f MB (allocated %.1f), stacks %.1f, runtime metadata %.1f, %d GCs\n",
		mb(p.rss*1024), mb(p.anon*1024), mb(p.file*1024), mb(p.ms.HeapInuse), mb(p.ms.HeapAlloc), mb(p.ms.StackInuse),
		mb(p.ms.GCSys+p.ms.MSpanSys+p.ms.MCacheSys+p.ms.BuckHashSys+p.ms.OtherSys), p.ms.NumGC)
	os.Exit(code)
}

// field returns the number after key in a /proc status file's text b.
func field(b []byte, key string) uint64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	var v uint64
	for _, c := range b[i+len(key):] {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + uint64(c-'0')
		case c == '\n':
			return v
		}
	}
	return v
}
