package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TorchScript is the PyTorch peer's path inside the repository.
const TorchScript = "scripts/peers/torch_predict.py"

// ErrNoTorch is returned (wrapped) by StartTorchPeer when no interpreter
// could run the peer: python3 missing, or torch not importable.
var ErrNoTorch = errors.New("bench: no python3 with torch")

// DefaultPythons are the interpreters StartTorchPeer tries, in order:
// python3 on PATH, then the system one (Debian's python3-torch is installed
// for /usr/bin/python3, which a pyenv or venv python3 on PATH may hide).
func DefaultPythons() []string { return []string{"python3", "/usr/bin/python3"} }

// FindTorchScript looks for TorchScript in the working directory and its
// parents (so both the repository root and bench/ find it).
func FindTorchScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	for {
		p := filepath.Join(dir, TorchScript)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("bench: %s not found in the working directory or above: %w", TorchScript, os.ErrNotExist)
		}
		dir = parent
	}
}

// TorchInfo is what the peer says about itself when it starts.
type TorchInfo struct {
	Python  string `json:"-"`
	Version string `json:"torch"`
	// Config is the build's CPU capability, oneDNN and BLAS_INFO lines.
	Config string `json:"config"`
	// BLAS is OpenBLAS's openblas_get_config and kernel (core) name, as
	// loaded in the peer.
	BLAS string `json:"blas"`
	// DefaultThreads and DefaultBLASThreads are torch.get_num_threads() and
	// OpenBLAS's pool at start-up: what "default" restores.
	DefaultThreads     int    `json:"default_threads"`
	DefaultBLASThreads int    `json:"default_blas_threads"`
	Error              string `json:"error"`
}

// TorchResult is the peer's answer to one measurement.
type TorchResult struct {
	SamplesPerSec float64 `json:"samples_per_s"`
	P50ms         float64 `json:"p50_ms"`
	P99ms         float64 `json:"p99_ms"`
	Requests      int     `json:"requests"`
	// Threads and BLASThreads are the torch and OpenBLAS thread counts the
	// measurement ran with.
	Threads     int    `json:"threads"`
	BLASThreads int    `json:"blas_threads"`
	Error       string `json:"error"`
}

// TorchPeer is a running PyTorch co-process (scripts/peers/torch_predict.py)
// that measures prediction throughput of the tutorial network on request.
// It is not safe for concurrent use; measure one thing at a time.
type TorchPeer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line; closed at EOF
	info   TorchInfo
	stderr lockedBuffer // the peer's stderr, for the error when it dies
}

// lockedBuffer is a strings.Builder that exec's copying goroutine may write
// while another reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartTorchPeer starts script under the first of pythons (DefaultPythons
// when empty) that can import torch, and waits for its hello line. The
// process lives until Close or until ctx ends. The error wraps ErrNoTorch
// when no interpreter had torch.
func StartTorchPeer(ctx context.Context, script string, pythons []string) (*TorchPeer, error) {
	if len(pythons) == 0 {
		pythons = DefaultPythons()
	}
	var reasons []string
	for _, py := range pythons {
		p, err := startPeer(ctx, py, script)
		if err == nil {
			return p, nil
		}
		reasons = append(reasons, err.Error())
	}
	return nil, fmt.Errorf("%w: %s", ErrNoTorch, strings.Join(reasons, "; "))
}

func startPeer(ctx context.Context, python, script string) (*TorchPeer, error) {
	path, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	cmd := exec.CommandContext(ctx, path, "-u", script)
	p := &TorchPeer{cmd: cmd, lines: make(chan string, 1)}
	cmd.Stderr = &p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	// Importing torch takes a second or two on these machines.
	line, err := p.readLine(ctx, time.Minute)
	if err == nil {
		err = json.Unmarshal([]byte(line), &p.info)
	}
	if err == nil && p.info.Error != "" {
		err = errors.New(p.info.Error)
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	p.info.Python = path
	return p, nil
}

// readLine returns the peer's next output line, waiting at most timeout.
func (p *TorchPeer) readLine(ctx context.Context, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("peer exited: %s", strings.TrimSpace(lastLine(p.stderr.String())))
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("peer silent for %v", timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Info is what the peer reported at start-up, and the interpreter's path.
func (p *TorchPeer) Info() TorchInfo { return p.info }

// Measure asks the peer for one throughput measurement: batch-row requests
// from one requester for d after a short warm-up, with threads torch and
// OpenBLAS threads (0: the peer's start-up defaults).
func (p *TorchPeer) Measure(ctx context.Context, batch, threads int, d time.Duration) (TorchResult, error) {
	cmd, err := json.Marshal(map[string]any{"batch": batch, "threads": threads, "seconds": d.Seconds()})
	if err != nil {
		return TorchResult{}, fmt.Errorf("bench: torch peer: %w", err)
	}
	if _, err := fmt.Fprintf(p.stdin, "%s\n", cmd); err != nil {
		return TorchResult{}, fmt.Errorf("bench: torch peer: %w", err)
	}
	line, err := p.readLine(ctx, d+time.Minute)
	if err != nil {
		return TorchResult{}, fmt.Errorf("bench: torch peer: %w", err)
	}
	var r TorchResult
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return TorchResult{}, fmt.Errorf("bench: torch peer: %q: %w", line, err)
	}
	if r.Error != "" {
		return TorchResult{}, fmt.Errorf("bench: torch peer: %s", r.Error)
	}
	return r, nil
}

// Close ends the peer (end of input, then a kill if it has not closed its
// output within 5 s) and waits for it.
func (p *TorchPeer) Close() error {
	p.stdin.Close()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for open := true; open; {
		select {
		case _, open = <-p.lines: // drain until EOF: Wait must come after the reads
		case <-t.C:
			p.cmd.Process.Kill()
			for range p.lines {
			}
			open = false
		}
	}
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return fmt.Errorf("bench: torch peer: %w", err)
	}
	return nil
}
