// Package serve is descent's model server: an http.Handler that answers
// TensorFlow Serving's REST predict and model status API (which KServe v1
// also speaks), so existing clients work unchanged, with a request batcher
// in front of the model's native kernels.
//
// # Use
//
// The model is anything that satisfies Predictor (package predict provides
// the real one). New makes a Server; mount it on any mux or http.Server, or
// let ListenAndServe run it with signal handling:
//
//	srv, err := serve.New(model, serve.Options{Name: "mnist"})
//	if err != nil { ... }
//	err = srv.ListenAndServe(ctx, "127.0.0.1:8501", serve.Hooks{
//		Ready:  func(a net.Addr) { fmt.Println("listening on", a) },
//		Reload: reloadModelFile, // on SIGHUP
//	})
//	// err is nil after SIGTERM or SIGINT and a clean drain
//
// # API
//
//	POST /v1/models/NAME:predict              predict (also /v1/models/NAME/versions/N:predict)
//	GET  /v1/models/NAME                      model status (also /v1/models/NAME/versions/N)
//	GET  /metrics                             Prometheus text format
//
// A predict body is TF Serving's "row" format and nothing else:
// "instances" is a non-empty list of instances, each a list of exactly
// Predictor.Input() finite numbers within the float32 range (the model's raw
// input units, e.g. 0–255 pixels). An optional string "signature_name" is
// accepted and ignored. A flat list of numbers, named inputs (objects),
// the columnar "inputs" format and unknown fields are refused. The answer
// holds Predictor.Output() probabilities per instance, in order, written in
// the shortest form that reads back as the same float32. With the
// two-feature toy model of the package example served as "shares":
//
//	$ curl -s -d '{"instances": [[1, 3], [2, 2]]}' http://127.0.0.1:8501/v1/models/shares:predict
//	{"predictions":[[0.25,0.75],[0.5,0.5]]}
//
//	$ curl -s -d '{"instances": [[1, 3], [2]]}' http://127.0.0.1:8501/v1/models/shares:predict
//	{"error":"instances[1]: want 2 features, got 1"}
//
//	$ curl -s http://127.0.0.1:8501/v1/models/shares
//	{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}
//
// The status endpoint answers 200 while the model is AVAILABLE, and 503 with
// state UNLOADING (graceful shutdown under way) or END (closed) and
// error_code "UNAVAILABLE". Options.Version supplies the version (default 1);
// a /versions/N URL for any other N is a 404.
//
// # Errors
//
// Every error answer is TF Serving's {"error": "message"} with Content-Type
// application/json; messages say what is wrong and where, e.g.
// "instances[3]: want 784 features, got 783" or
// "instances[0][12]: 1e39 is outside the float32 range (±3.4028235e+38)".
//
//	400  body not JSON or cut short, trailing data after the object, not an
//	     object, "instances" missing, not a list or empty, an instance not a
//	     list or with the wrong number of features, a feature that is not a
//	     number (string, null, boolean, list), a NaN or Infinity literal, a
//	     number outside the float32 range, unknown or duplicate fields
//	404  unknown path, model name, version or verb
//	405  wrong method (with an Allow header)
//	413  body over Options.MaxBodyBytes (default 8 MiB)
//	499  the client went away before its batch ran (nobody reads it; counted)
//	500  the Predictor failed, panicked or produced a non-finite value, or a
//	     handler panicked (logged; the server keeps serving)
//	503  the server is shutting down or closed
//
// The body, at most MaxBodyBytes, is read whole and scanned once by a strict
// JSON parser (RFC 8259 grammar) that writes the numbers straight into one
// []float32: no tree of interface values is built, short integers such as
// pixel values skip strconv, and every other number is parsed as a float32
// so that overflow is caught. A fuzz test checks that whatever it accepts,
// encoding/json reads as the same instances.
//
// # Batching
//
// One batcher goroutine per Server feeds the Predictor. A handler decodes its
// request, hands the rows to the batcher over an unbuffered channel and
// waits. The batcher takes the first waiting request, then keeps taking
// requests for up to Options.BatchWindow (default 1 ms) or until the next
// one would take the batch over Options.MaxBatch rows (default 256; that
// request starts the next batch). It drops requests whose context has
// ended (their clients are gone), concatenates the remaining rows into one
// reused buffer, makes one PredictInto call, and copies each request's
// probabilities back into its own slice. Every answer is therefore exactly
// what the model gives for those rows, whatever else shared the batch, as
// long as the Predictor computes rows independently.
//
// While PredictInto runs, new requests queue on the channel and form the
// next batch, so the batch size grows with load and the window only costs
// latency when the server is nearly idle. TF Serving's schedulers default
// batch_timeout_micros to 0; its batching guide suggests "a value slightly
// above zero, e.g. 1 millisecond" to smooth batch sizes at low rates, which
// is the default here. A negative BatchWindow never waits: a batch is the
// first request plus whatever is already queued.
//
// A request with more than MaxBatch rows is never merged: it runs alone, in
// consecutive PredictInto calls of at most MaxBatch rows, straight from and
// into its own slices. A panic in PredictInto fails that batch's requests
// with 500 and is logged; the batcher goes on. PredictInto gets a background
// context, since a batch serves many requests.
//
// # Metrics
//
// With no Options.Registerer the Server makes its own registry (never the
// global one), with the standard go_* and process_* collectors, and serves
// it at /metrics. Its own metrics are:
//
//	descent_serve_requests_total{code}          counter: answers by HTTP status (all paths but /metrics)
//	descent_serve_request_duration_seconds      histogram: time to answer those requests
//	descent_serve_batch_rows                    histogram: rows per PredictInto call
//	descent_serve_batch_requests                histogram: requests merged per PredictInto call
//	descent_serve_predict_errors_total          counter: PredictInto calls that failed or panicked
//	descent_serve_panics_total                  counter: panics recovered (handlers and Predictor)
//
// # Serving, signals and shutdown
//
// ListenAndServe (or Serve on a listener) runs an http.Server with
// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout set, reports
// the bound address through Hooks.Ready (so "127.0.0.1:0" works), and
// handles signals from Hooks.Signals (default signal.Notify for SIGINT,
// SIGTERM and SIGHUP). SIGHUP calls Hooks.Reload; if it fails the error is
// logged and the old model keeps serving. SIGTERM, SIGINT or the end of the
// context start a graceful shutdown: the state becomes UNLOADING, the
// listener closes (new connections are refused), in-flight requests finish
// (for up to Hooks.DrainTimeout, default 10 s), the batcher is flushed and
// the Server closed; the result is nil, so a CLI exits with status 0.
//
// # Load testing
//
// LoadTest drives a running server with a bounded number of requests at a
// fixed concurrency, mixing valid requests, whose answers it checks, with
// every malformed kind (MalformedKinds), and reports requests per second,
// latency percentiles, and every answer that was wrong.
package serve
