package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Timeouts of the http.Server that ListenAndServe and Serve run.
const (
	// ReadHeaderTimeout bounds reading a request's headers (slowloris).
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, body included (8 MiB
	// arrives in well under a second on any sane link).
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a request from the end of its headers to the end of
	// its answer, batching and prediction included (TF Serving's
	// rest_api_timeout_in_ms defaults to 30 s).
	WriteTimeout = 30 * time.Second
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout = 120 * time.Second
	// DefaultDrainTimeout is how long a graceful shutdown waits for
	// in-flight requests before it closes their connections.
	DefaultDrainTimeout = 10 * time.Second
)

// Hooks connect ListenAndServe and Serve to their caller. Every field is
// optional.
type Hooks struct {
	// Ready is called once, with the bound address, as soon as the listener
	// accepts connections (useful with an addr such as "127.0.0.1:0").
	Ready func(addr net.Addr)
	// Reload is called on SIGHUP, from the serving loop, while the server
	// keeps answering with the old model; it should swap the model behind
	// the Predictor atomically. An error (or panic) is logged and the old
	// model keeps serving. Signals that arrive meanwhile wait for it to
	// return. Nil: SIGHUP is logged and ignored.
	Reload func() error
	// Signals replaces signal.Notify(SIGINT, SIGTERM, SIGHUP) as the source
	// of signals (tests inject them here). SIGHUP reloads; any other signal
	// starts a graceful shutdown.
	Signals <-chan os.Signal
	// DrainTimeout bounds the graceful shutdown; default DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// ListenAndServe listens on TCP addr and runs Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string, hooks Hooks) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln, hooks)
}

// Serve answers HTTP requests on ln with s until SIGTERM or SIGINT arrives
// (or another signal on hooks.Signals) or ctx ends, then shuts down
// gracefully: it stops accepting connections (new ones are refused), lets
// in-flight requests finish for up to hooks.DrainTimeout, flushes the
// batcher and closes s. It returns nil after a graceful shutdown, the drain
// error if in-flight requests had to be cut off, or the error that stopped
// the http.Server. SIGHUP calls hooks.Reload. s cannot serve again after
// Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener, hooks Hooks) error {
	sigs := hooks.Signals
	if sigs == nil {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(c)
		sigs = c
	}
	drain := hooks.DrainTimeout
	if drain <= 0 {
		drain = DefaultDrainTimeout
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.log.Info("serve: listening", "addr", ln.Addr().String(), "model", s.opts.Name)
	if hooks.Ready != nil {
		hooks.Ready(ln.Addr())
	}

	var why string
wait:
	for {
		select {
		case err := <-served:
			s.Close()
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
			why = "context done"
			break wait
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				s.reload(hooks.Reload)
				continue
			}
			why = sig.String()
			break wait
		}
	}

	s.log.Info("serve: shutting down", "reason", why, "drain_timeout", drain)
	s.setState(StateUnloading)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Error("serve: drain timed out; closing connections", "err", err)
		_ = hs.Close()
		err = fmt.Errorf("serve: draining: %w", err)
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("serve: %w", serr)
	}
	s.Close()
	s.log.Info("serve: stopped")
	return err
}

func (s *Server) reload(reload func() error) {
	if reload == nil {
		s.log.Warn("serve: SIGHUP ignored: no reload hook")
		return
	}
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("reload panicked: %v", v)
			}
		}()
		return reload()
	}()
	if err != nil {
		s.log.Error("serve: reload failed; still serving the old model", "err", err)
		return
	}
	s.log.Info("serve: reloaded", "version", s.opts.Version(), "took", time.Since(start))
}
