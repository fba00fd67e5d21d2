package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/data"
)

// stepWork is the network cfg trains, output layer included, and nothing
// before cfg.fit has read the data's sizes.
func TestStepWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  NetConfig
		want registry.Work
	}{
		{"classes", NetConfig{Input: 784, Hidden: []int{1024, 1024}, Classes: 10, BatchSize: 512, Task: data.TaskClassification.String()},
			registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 512}},
		{"binary: one sigmoid unit", NetConfig{Input: 30, Hidden: []int{16}, Classes: 2, BatchSize: 32, Task: data.TaskBinary.String()},
			registry.Work{Widths: []int{30, 16, 1}, Batch: 32}},
		{"regression: its targets", NetConfig{Input: 8, Hidden: nil, Classes: 3, BatchSize: 64, Task: data.TaskRegression.String()},
			registry.Work{Widths: []int{8, 3}, Batch: 64}},
		{"before fit", NetConfig{Hidden: []int{128, 128}, BatchSize: 128}, registry.Work{}},
		{"evaluate, predict, serve", NetConfig{Backend: "dnnl"}, registry.Work{}},
	} {
		assert.Equal(t, tc.want, tc.cfg.stepWork(), tc.name)
	}
}

// cpuShare splits a machine's CPUs evenly between the job's ranks on it,
// never below one CPU.
func TestCPUShare(t *testing.T) {
	for _, c := range []struct{ cpus, local, want int }{
		{2, 1, 2}, {2, 2, 1}, {16, 4, 4}, {16, 3, 5}, {2, 4, 1}, {8, 0, 8},
	} {
		assert.Equal(t, c.want, cpuShare(c.cpus, c.local), "%d CPUs, %d local ranks", c.cpus, c.local)
	}
}
