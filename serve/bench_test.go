package serve_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/descent-ml/descent/serve"
)

// BenchmarkPredictMNIST measures one handler call (decode, batch, encode)
// for 32 MNIST-sized instances with the fake model, without the network.
func BenchmarkPredictMNIST(b *testing.B) {
	const in, out, rows = 784, 10, 32
	srv, err := serve.New(newLinear(in, out), serve.Options{BatchWindow: -1, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	body := predictBody(instances(rows, in)...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/models/default:predict", strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
