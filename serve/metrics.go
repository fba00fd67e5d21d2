package serve

import (
	"math/bits"

	"github.com/prometheus/client_golang/prometheus"
)

// metricSet is the server's Prometheus collectors.
type metricSet struct {
	requests      *prometheus.CounterVec
	latency       prometheus.Histogram
	batchRows     prometheus.Histogram
	batchRequests prometheus.Histogram
	predictErrors prometheus.Counter
	panics        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, maxBatch int) (*metricSet, error) {
	// Powers of two from 1 up to the first at or above maxBatch.
	sizes := prometheus.ExponentialBuckets(1, 2, bits.Len(uint(maxBatch-1))+1)
	m := &metricSet{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "descent_serve_requests_total",
			Help: "HTTP requests answered by the model server (all paths but /metrics), by status code.",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "descent_serve_request_duration_seconds",
			Help:    "Time from reading the request to writing the answer, for every request counted in descent_serve_requests_total.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16), // 100µs … 3.3s
		}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "descent_serve_batch_rows",
			Help:    "Rows (instances) per Predictor.PredictInto call.",
			Buckets: sizes,
		}),
		batchRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "descent_serve_batch_requests",
			Help:    "HTTP requests merged into each Predictor.PredictInto call.",
			Buckets: sizes,
		}),
		predictErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "descent_serve_predict_errors_total",
			Help: "Predictor.PredictInto calls that failed or panicked.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "descent_serve_panics_total",
			Help: "Panics recovered in handlers or in the Predictor.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.batchRows, m.batchRequests, m.predictErrors, m.panics} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
