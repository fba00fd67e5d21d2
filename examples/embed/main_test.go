package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example end to end: three rounds of training swapped into a live
// server while clients ask, every request answered, accuracy rising from
// chance to what the task allows.
func TestRunTrainsWhileServing(t *testing.T) {
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := run(ctx, config{Addr: "127.0.0.1:0", Rounds: 3, Clients: 3, Backend: "auto", Pause: 100 * time.Millisecond, Log: &log})
	t.Log(log.String())
	require.NoError(t, err)
	assert.Equal(t, int64(4), sum.Versions, "version 1 and one per round")
	assert.Positive(t, sum.Requests)
	assert.Zero(t, sum.Failed)
	require.Len(t, sum.Accuracy, 4)
	assert.Less(t, sum.Accuracy[0], 0.6, "untrained: near chance (1/3)")
	assert.GreaterOrEqual(t, sum.Accuracy[3], 0.9, "a tanh layer learns which group is largest")
	assert.Greater(t, sum.Requests, int64(20), "the clients were answered while training went on")
	assert.False(t, sum.Cancelled)
}

// Cancelling the context stops training and serving promptly, without an
// error and without failed requests.
func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var log bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan struct{})
	var sum summary
	var err error
	go func() {
		defer close(done)
		sum, err = run(ctx, config{Addr: "127.0.0.1:0", Rounds: 0, Clients: 2, Backend: "auto", Pause: 50 * time.Millisecond, Log: &log,
			Ready: func(url string) { ready <- url }})
	}()
	<-ready
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10 s of the cancellation")
	}
	require.NoError(t, err)
	assert.True(t, sum.Cancelled)
	assert.Zero(t, sum.Failed)
	assert.Positive(t, sum.Requests)
}
