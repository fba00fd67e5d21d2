package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Predictor is what the server needs of a model. Implementations are safe
// for concurrent use. Input and Output must not change while a Server uses
// the Predictor: a reload may swap the weights behind it, not the shape (a
// batch that finds the shape changed fails with 500).
type Predictor interface {
	// PredictInto runs rows samples of raw input features x (rows×Input(),
	// row-major, the model's raw input units, e.g. 0–255 pixels) and writes
	// the class probabilities (rows×Output()) into probs.
	PredictInto(ctx context.Context, x []float32, rows int, probs []float32) error
	// Input is the number of features per instance.
	Input() int
	// Output is the number of values per prediction.
	Output() int
}

// Defaults for the zero fields of Options.
const (
	// DefaultName is the model name in the URL, as in TF Serving's --model_name.
	DefaultName = "default"
	// DefaultMaxBodyBytes is the largest predict body accepted (8 MiB).
	DefaultMaxBodyBytes = 8 << 20
	// DefaultBatchWindow is how long the batcher waits for more requests
	// after the first of a batch. TF Serving's batch_timeout_micros defaults
	// to 0 in its schedulers, and its batching guide recommends "a value
	// slightly above zero, e.g. 1 millisecond" to smooth batch sizes at low
	// request rates; we take that 1 ms.
	DefaultBatchWindow = time.Millisecond
	// DefaultMaxBatch is the most rows in one PredictInto call. (TF Serving's
	// max_batch_size defaults to 1000; 256 rows of a dense network keep one
	// call's activations in cache and its latency low.)
	DefaultMaxBatch = 256
)

// Options configure a Server. The zero value of each field means its default.
type Options struct {
	// Name is the model name in the URL, /v1/models/Name:predict.
	// Default DefaultName ("default").
	Name string
	// MaxBodyBytes limits a predict request body; a larger one gets 413.
	// Default DefaultMaxBodyBytes (8 MiB).
	MaxBodyBytes int64
	// BatchWindow is how long the batcher gathers requests after the first
	// of a batch before it calls PredictInto (it stops early at MaxBatch
	// rows). Default DefaultBatchWindow (1 ms); a negative value means no
	// waiting: a batch is the first request plus whatever is already queued.
	BatchWindow time.Duration
	// MaxBatch is the most rows in one PredictInto call. A request with more
	// rows is never merged with others: it runs alone, in consecutive calls
	// of at most MaxBatch rows. Default DefaultMaxBatch (256).
	MaxBatch int
	// Registerer receives the server's metrics. If nil the server makes its
	// own prometheus.NewRegistry (never the global one), adds the Go runtime
	// and process collectors to it, and serves it at /metrics. If non-nil, /metrics is served only when the Registerer is
	// also a prometheus.Gatherer (as *prometheus.Registry is).
	Registerer prometheus.Registerer
	// Version reports the model version for the status endpoint and for
	// /versions/N URLs; it may change after a reload, and is called
	// concurrently from request handlers. Default: always 1.
	Version func() int64
	// Logger receives panics, model errors, reloads and shutdown progress.
	// Default slog.Default().
	Logger *slog.Logger
}

// State is a model version's state in TF Serving's model status API
// (ModelVersionStatus.State).
type State string

// The states a Server reports. (TF Serving also has START and LOADING; a
// Server is made from a loaded Predictor, so it never reports them.)
const (
	// StateAvailable: the model answers predictions (GET status → 200).
	StateAvailable State = "AVAILABLE"
	// StateUnloading: graceful shutdown has begun. Status answers 503 so
	// that load balancers stop sending; predict requests that still reach
	// the handler (in flight, or on a connection that is being drained) are
	// answered as usual.
	StateUnloading State = "UNLOADING"
	// StateEnd: the server is closed; predict and status answer 503.
	StateEnd State = "END"
)

// Server is descent's model server: an http.Handler speaking TensorFlow
// Serving's REST predict and model status API (also KServe v1's), with a
// request batcher in front of the Predictor. Make one with New; it is safe
// for concurrent use. Close it (or let ListenAndServe do so) to stop the
// batcher.
type Server struct {
	p       Predictor
	opts    Options
	in, out int
	log     *slog.Logger
	m       *metricSet
	metrics http.Handler // nil when the Registerer cannot be gathered
	b       *batcher
	state   atomic.Pointer[State]
}

// New returns a Server for p with opts (zero fields take their defaults).
// It fails if p has no features or outputs, an option is invalid, or the
// metrics cannot be registered (e.g. a second Server on one Registerer).
func New(p Predictor, opts Options) (*Server, error) {
	if p == nil {
		return nil, errors.New("serve: nil Predictor")
	}
	in, out := p.Input(), p.Output()
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("serve: Predictor has Input() %d and Output() %d; both must be positive", in, out)
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if strings.ContainsAny(opts.Name, "/:") {
		return nil, fmt.Errorf("serve: model name %q contains '/' or ':'", opts.Name)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("serve: MaxBodyBytes %d is negative", opts.MaxBodyBytes)
	}
	if opts.BatchWindow == 0 {
		opts.BatchWindow = DefaultBatchWindow
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxBatch < 0 {
		return nil, fmt.Errorf("serve: MaxBatch %d is negative", opts.MaxBatch)
	}
	if opts.Version == nil {
		opts.Version = func() int64 { return 1 }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{p: p, opts: opts, in: in, out: out, log: opts.Logger}
	reg := opts.Registerer
	if reg == nil {
		own := prometheus.NewRegistry()
		own.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = own
	}
	m, err := newMetrics(reg, opts.MaxBatch)
	if err != nil {
		return nil, fmt.Errorf("serve: registering metrics: %w", err)
	}
	s.m = m
	if g, ok := reg.(prometheus.Gatherer); ok {
		s.metrics = promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)})
	}
	s.setState(StateAvailable)
	s.b = newBatcher(p, opts.BatchWindow, opts.MaxBatch, m, s.log)
	return s, nil
}

// State is the model's state as the status endpoint reports it.
func (s *Server) State() State { return *s.state.Load() }

func (s *Server) setState(st State) { s.state.Store(&st) }

// Close stops the batcher after running every request it has already taken,
// and makes later predict requests answer 503 (state END). Call it after the
// http.Server serving s has shut down; ListenAndServe does so itself. It is
// safe to call more than once and always returns nil.
func (s *Server) Close() error {
	s.setState(StateEnd)
	s.b.close()
	return nil
}

// statusWriter records the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const modelsPrefix = "/v1/models/"

// ServeHTTP answers
//
//	POST /v1/models/NAME:predict             (also /v1/models/NAME/versions/N:predict)
//	GET  /v1/models/NAME                     (also /v1/models/NAME/versions/N)
//	GET  /metrics                            (when the server's registry can be gathered)
//
// and 404 for anything else; see the package documentation for the bodies.
// A panic in a handler is logged and answered with 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" && s.metrics != nil {
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		s.metrics.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v != nil && v != http.ErrAbortHandler {
			s.m.panics.Inc()
			s.log.Error("serve: panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if sw.code == 0 {
				writeError(sw, http.StatusInternalServerError, "internal server error")
			}
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		s.m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
		s.m.latency.Observe(time.Since(start).Seconds())
		if v == http.ErrAbortHandler {
			panic(v)
		}
	}()
	s.route(sw, r)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, modelsPrefix)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path %q; the API is under %s%s", r.URL.Path, modelsPrefix, s.opts.Name))
		return
	}
	verb := ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest, verb = rest[:i], rest[i+1:]
	}
	name, version, hasVersion := strings.Cut(rest, "/versions/")
	if name == "" || strings.Contains(name, "/") || (hasVersion && strings.Contains(version, "/")) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path %q", r.URL.Path))
		return
	}
	if name != s.opts.Name {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found (this server serves %q)", name, s.opts.Name))
		return
	}
	current := s.opts.Version()
	if hasVersion {
		v, err := strconv.ParseInt(version, 10, 64)
		if err != nil || v != current {
			writeError(w, http.StatusNotFound, fmt.Sprintf("version %q of model %q not found (serving version %d)", version, name, current))
			return
		}
	}
	switch verb {
	case "":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			s.status(w, current)
		}
	case "predict":
		if allow(w, r, http.MethodPost) {
			s.predict(w, r)
		}
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("verb %q is not supported; only \":predict\"", verb))
	}
}

// allow answers 405 with an Allow header unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed; use %s", r.Method, strings.Join(methods, " or ")))
	return false
}

// status writes TF Serving's GetModelStatusResponse for the current version.
func (s *Server) status(w http.ResponseWriter, version int64) {
	st := s.State()
	code, errCode, msg := http.StatusOK, "OK", ""
	if st != StateAvailable {
		code, errCode, msg = http.StatusServiceUnavailable, "UNAVAILABLE", "the server is shutting down"
	}
	body := fmt.Sprintf(`{"model_version_status":[{"version":%s,"state":%s,"status":{"error_code":%s,"error_message":%s}}]}`,
		jsonString(strconv.FormatInt(version, 10)), jsonString(string(st)), jsonString(errCode), jsonString(msg))
	writeJSON(w, code, []byte(body))
}

// statusClientClosedRequest is what a request whose client went away before
// its batch ran is counted as (nginx's 499; nobody reads the answer).
const statusClientClosedRequest = 499

func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	if st := s.State(); st == StateEnd {
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("model %q is not available (state %s)", s.opts.Name, st))
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), r.ContentLength, s.opts.MaxBodyBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
		} else {
			writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		}
		return
	}
	x, rows, err := decodeRequest(body, s.in)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	probs := make([]float32, rows*s.out)
	if err := s.b.predict(r.Context(), x, rows, probs); err != nil {
		switch {
		case errors.Is(err, errClosed):
			writeError(w, http.StatusServiceUnavailable, err.Error())
		case r.Context().Err() != nil:
			writeError(w, statusClientClosedRequest, "request cancelled: "+err.Error())
		default:
			s.log.Error("serve: prediction failed", "rows", rows, "err", err)
			writeError(w, http.StatusInternalServerError, "prediction failed: "+err.Error())
		}
		return
	}
	buf := make([]byte, 0, 16+len(probs)*12)
	buf = append(buf, `{"predictions":[`...)
	for i := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		for j, v := range probs[i*s.out : (i+1)*s.out] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				s.log.Error("serve: model produced a non-finite value", "row", i, "column", j, "value", v)
				writeError(w, http.StatusInternalServerError, fmt.Sprintf("model produced a non-finite value at predictions[%d][%d]", i, j))
				return
			}
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, "]}\n"...)
	writeJSON(w, http.StatusOK, buf)
}

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeError writes TF Serving's error body, {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, []byte(`{"error":`+jsonString(msg)+"}\n"))
}

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
