package serve_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

const features, classes = 4, 3

func TestPredict(t *testing.T) {
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{})
	for _, tc := range []struct {
		name string
		xs   [][]float32
		url  string
		body string // if set, sent instead of predictBody(xs...)
	}{
		{name: "one", xs: [][]float32{instance(0, features)}},
		{name: "three", xs: instances(3, features)},
		{name: "versioned URL", xs: instances(2, features), url: "/v1/models/default/versions/1:predict"},
		{name: "signature_name and white space", xs: [][]float32{{0, 255, 1.5e-3, -7}},
			body: "\n { \"signature_name\" : \"serving_default\",\t\"instances\": [ [0, 255, 1.5e-3, -7e0] ] } \n"},
		{name: "float32 underflow reads as zero", xs: [][]float32{{0, 1, 2, 3}}, body: `{"instances":[[1e-50,1,2,3]]}`},
		{name: "largest float32", xs: [][]float32{{3.4028234663852886e+38, 0, 0, 0}}, body: `{"instances":[[3.4028234e38,0,0,0]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = "/v1/models/default:predict"
			}
			body := tc.body
			if body == "" {
				body = predictBody(tc.xs...)
			}
			a := do(t, http.MethodPost, ts.URL+url, body)
			require.Equal(t, http.StatusOK, a.code, a.body)
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			want := make([][]float32, len(tc.xs))
			for i, x := range tc.xs {
				want[i] = model.want(x)
			}
			bitsEqual(t, want, predictions(t, a.body))
		})
	}
}

func TestMalformed(t *testing.T) {
	_, ts := newTestServer(t, newLinear(features, classes), serve.Options{})
	ok := `[1,2,3,4]`
	for _, tc := range []struct {
		name, body string
		want       []string // substrings of the error message
	}{
		{"empty body", ``, []string{"request body", "unexpected end"}},
		{"not JSON", `hello`, []string{"request body", "not valid JSON"}},
		{"not an object", `[[1,2,3,4]]`, []string{"want a JSON object", "got a list"}},
		{"truncated", `{"instances":[[1,2`, []string{"instances[0]", "unexpected end"}},
		{"trailing garbage", `{"instances":[` + ok + `]} x`, []string{"trailing data"}},
		{"second object", `{"instances":[` + ok + `]}{"instances":[` + ok + `]}`, []string{"trailing data", "an object"}},
		{"missing instances", `{}`, []string{`missing "instances"`}},
		{"missing instances with signature", `{"signature_name":"serving_default"}`, []string{`missing "instances"`}},
		{"instances a number", `{"instances":3}`, []string{`"instances": want a list of instances, got a number (3)`}},
		{"instances an object", `{"instances":{"x":[1,2,3,4]}}`, []string{`"instances": want a list of instances, got an object`}},
		{"instances null", `{"instances":null}`, []string{`"instances": want a list of instances, got null`}},
		{"instance a number", `{"instances":[1,2,3,4]}`, []string{"instances[0]: want a list of 4 features, got a number (1)"}},
		{"instance an object", `{"instances":[` + ok + `,{"x":1}]}`, []string{"instances[1]: want a list of 4 features, got an object"}},
		{"too few features", `{"instances":[` + ok + `,[1,2,3]]}`, []string{"instances[1]: want 4 features, got 3"}},
		{"too many features", `{"instances":[` + ok + `,` + ok + `,[1,2,3,4,5]]}`, []string{"instances[2]: want 4 features, got 5"}},
		{"no features", `{"instances":[[]]}`, []string{"instances[0]: want 4 features, got 0"}},
		{"string feature", `{"instances":[` + ok + `,[1,2,"3",4]]}`, []string{`instances[1][2]: want a number, got "3" (a string)`}},
		{"NaN string", `{"instances":[[1,"NaN",3,4]]}`, []string{`instances[0][1]: want a number, got "NaN" (a string)`}},
		{"null feature", `{"instances":[[1,2,3,null]]}`, []string{"instances[0][3]: want a number, got null"}},
		{"bool feature", `{"instances":[[true,2,3,4]]}`, []string{"instances[0][0]: want a number, got a boolean"}},
		{"nested list feature", `{"instances":[[1,[2],3,4]]}`, []string{"instances[0][1]: want a number, got a list"}},
		{"NaN literal", `{"instances":[[1,NaN,3,4]]}`, []string{"instances[0][1]: not valid JSON", "NaN and Infinity"}},
		{"Infinity literal", `{"instances":[` + ok + `,[1,2,Infinity,4]]}`, []string{"instances[1][2]: not valid JSON"}},
		{"-Infinity literal", `{"instances":[[-Infinity,2,3,4]]}`, []string{"instances[0][0]: not valid JSON"}},
		{"float32 overflow", `{"instances":[[1,2,1e39,4]]}`, []string{"instances[0][2]: 1e39 is outside the float32 range"}},
		{"negative float32 overflow", `{"instances":[[1,2,3,-3.5e38]]}`, []string{"instances[0][3]: -3.5e38 is outside the float32 range"}},
		{"float64 overflow", `{"instances":[[1e400,2,3,4]]}`, []string{"instances[0][0]: 1e400 is outside the float32 range"}},
		{"empty batch", `{"instances":[]}`, []string{`"instances" is empty`}},
		{"duplicate instances", `{"instances":[` + ok + `],"instances":[` + ok + `]}`, []string{`"instances" appears twice`}},
		{"unknown field", `{"instance":[` + ok + `]}`, []string{`unknown field "instance"`}},
		{"columnar inputs", `{"inputs":[` + ok + `]}`, []string{`columnar "inputs" format is not supported`}},
		{"signature_name not a string", `{"signature_name":1,"instances":[` + ok + `]}`, []string{`"signature_name": want a string, got a number (1)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", tc.body)
			require.Equal(t, http.StatusBadRequest, a.code, a.body)
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			msg := errorMessage(t, a.body)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
		})
	}
	// The server survived all of that.
	a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", `{"instances":[`+ok+`]}`)
	assert.Equal(t, http.StatusOK, a.code, a.body)
}

func TestRoutes(t *testing.T) {
	_, ts := newTestServer(t, newLinear(features, classes), serve.Options{Name: "mnist"})
	body := predictBody(instance(1, features))
	status := `{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		allow                    string // want Allow header
		want                     string // exact body, or substring of the error
	}{
		{"status", "GET", "/v1/models/mnist", "", 200, "", status},
		{"status of the version", "GET", "/v1/models/mnist/versions/1", "", 200, "", status},
		{"status HEAD", "HEAD", "/v1/models/mnist", "", 200, "", ""},
		{"predict", "POST", "/v1/models/mnist:predict", body, 200, "", ""},
		{"predict the version", "POST", "/v1/models/mnist/versions/1:predict", body, 200, "", ""},
		{"unknown model status", "GET", "/v1/models/other", "", 404, "", `model "other" not found`},
		{"unknown model predict", "POST", "/v1/models/other:predict", body, 404, "", `model "other" not found`},
		{"default name is not served", "POST", "/v1/models/default:predict", body, 404, "", `model "default" not found`},
		{"unknown version", "POST", "/v1/models/mnist/versions/2:predict", body, 404, "", `version "2" of model "mnist" not found`},
		{"bad version", "GET", "/v1/models/mnist/versions/x", "", 404, "", `version "x" of model "mnist" not found`},
		{"unsupported verb", "POST", "/v1/models/mnist:classify", body, 404, "", `verb "classify" is not supported`},
		{"metadata", "GET", "/v1/models/mnist/metadata", "", 404, "", "no such path"},
		{"no model", "GET", "/v1/models/", "", 404, "", "no such path"},
		{"root", "GET", "/", "", 404, "", "no such path"},
		{"unknown path", "GET", "/v2/models/mnist", "", 404, "", "no such path"},
		{"GET predict", "GET", "/v1/models/mnist:predict", "", 405, "POST", "method GET not allowed"},
		{"PUT predict", "PUT", "/v1/models/mnist:predict", body, 405, "POST", "method PUT not allowed"},
		{"POST status", "POST", "/v1/models/mnist", body, 405, "GET, HEAD", "method POST not allowed"},
		{"DELETE status", "DELETE", "/v1/models/mnist", "", 405, "GET, HEAD", "method DELETE not allowed"},
		{"POST metrics", "POST", "/metrics", "", 405, "GET, HEAD", "method POST not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, tc.method, ts.URL+tc.path, tc.body)
			require.Equal(t, tc.code, a.code, a.body)
			assert.Equal(t, tc.allow, a.header.Get("Allow"))
			if tc.method == "HEAD" {
				return
			}
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			switch {
			case tc.code != 200:
				assert.Contains(t, errorMessage(t, a.body), tc.want)
			case tc.want != "":
				assert.JSONEq(t, tc.want, a.body)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	version := int64(7)
	_, ts := newTestServer(t, newLinear(features, classes), serve.Options{Version: func() int64 { return version }})
	a := do(t, "GET", ts.URL+"/v1/models/default/versions/7", "")
	require.Equal(t, 200, a.code, a.body)
	assert.Contains(t, a.body, `"version":"7"`)
	a = do(t, "GET", ts.URL+"/v1/models/default/versions/1", "")
	assert.Equal(t, 404, a.code, a.body)
}

func TestBodyLimit(t *testing.T) {
	const limit = 1000
	_, ts := newTestServer(t, newLinear(features, classes), serve.Options{MaxBodyBytes: limit})
	body := predictBody(instance(0, features))
	pad := func(n int) string { return body + strings.Repeat(" ", n-len(body)) }
	for _, tc := range []struct {
		size, code int
	}{{limit - 1, 200}, {limit, 200}, {limit + 1, 413}, {10 * limit, 413}} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", pad(tc.size))
			require.Equal(t, tc.code, a.code, a.body)
			if tc.code == 413 {
				assert.Contains(t, errorMessage(t, a.body), "request body is larger than 1000 bytes")
			}
		})
	}
	// Going over the limit inside the instances, not in trailing white space.
	big := predictBody(instances(100, features)...)
	require.Greater(t, len(big), limit)
	a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", big)
	assert.Equal(t, 413, a.code, a.body)
}

func TestPredictorError(t *testing.T) {
	model := newLinear(features, classes)
	model.setHook(func([]float32, int) error { return errors.New("out of native memory") })
	_, ts := newTestServer(t, model, serve.Options{})
	a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", predictBody(instance(0, features)))
	require.Equal(t, http.StatusInternalServerError, a.code, a.body)
	assert.Equal(t, "prediction failed: out of native memory", errorMessage(t, a.body))
}

func TestPanics(t *testing.T) {
	model := newLinear(features, classes)
	model.setHook(func(x []float32, rows int) error {
		for _, v := range x {
			if v == 13 {
				panic("unlucky feature")
			}
		}
		return nil
	})
	var panicVersion atomic.Bool
	_, ts := newTestServer(t, model, serve.Options{Version: func() int64 {
		if panicVersion.Load() {
			panic("version file gone")
		}
		return 1
	}})
	url := ts.URL + "/v1/models/default:predict"
	for range 3 {
		a := do(t, http.MethodPost, url, `{"instances":[[1,13,2,3]]}`)
		require.Equal(t, http.StatusInternalServerError, a.code, a.body)
		assert.Contains(t, errorMessage(t, a.body), "model panicked: unlucky feature")
		a = do(t, http.MethodPost, url, `{"instances":[[1,12,2,3]]}`)
		require.Equal(t, http.StatusOK, a.code, a.body)
	}
	// A panic in the handler itself (here in the Version hook).
	panicVersion.Store(true)
	a := do(t, http.MethodGet, ts.URL+"/v1/models/default", "")
	require.Equal(t, http.StatusInternalServerError, a.code, a.body)
	assert.Equal(t, "internal server error", errorMessage(t, a.body))
	panicVersion.Store(false)
	a = do(t, http.MethodGet, ts.URL+"/v1/models/default", "")
	assert.Equal(t, http.StatusOK, a.code, a.body)
	m := do(t, http.MethodGet, ts.URL+"/metrics", "")
	assert.Contains(t, m.body, "descent_serve_panics_total 4\n")
	assert.Contains(t, m.body, "descent_serve_predict_errors_total 3\n")
}

func TestNonFiniteOutput(t *testing.T) {
	// A model whose weights blow up gives NaN probabilities, which JSON cannot carry.
	model := newLinear(features, classes)
	model.w[0] = float32(math.Inf(1))
	model.w[1] = float32(math.Inf(-1))
	_, ts := newTestServer(t, model, serve.Options{})
	a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", `{"instances":[[1,1,0,0]]}`)
	require.Equal(t, http.StatusInternalServerError, a.code, a.body)
	assert.Contains(t, errorMessage(t, a.body), "non-finite value at predictions[0][")
}

func TestNew(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, err := serve.New(newLinear(2, 2), serve.Options{Registerer: reg, Logger: quietLogger()})
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, serve.StateAvailable, srv.State())

	for _, tc := range []struct {
		name string
		p    serve.Predictor
		opts serve.Options
		want string
	}{
		{"nil predictor", nil, serve.Options{}, "nil Predictor"},
		{"no inputs", newLinear(0, 2), serve.Options{}, "Input() 0"},
		{"bad name", newLinear(2, 2), serve.Options{Name: "a:b"}, "contains"},
		{"negative limit", newLinear(2, 2), serve.Options{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative batch", newLinear(2, 2), serve.Options{MaxBatch: -1}, "MaxBatch"},
		{"registered twice", newLinear(2, 2), serve.Options{Registerer: reg}, "registering metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = quietLogger()
			_, err := serve.New(tc.p, tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	// The given registry gets the metrics and the server serves them.
	_, err = reg.Gather()
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), "descent_serve_batch_rows_bucket")
}

func TestClosed(t *testing.T) {
	srv, ts := newTestServer(t, newLinear(features, classes), serve.Options{})
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close()) // twice is fine
	assert.Equal(t, serve.StateEnd, srv.State())
	a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", predictBody(instance(0, features)))
	require.Equal(t, http.StatusServiceUnavailable, a.code, a.body)
	assert.Contains(t, errorMessage(t, a.body), "not available (state END)")
	a = do(t, http.MethodGet, ts.URL+"/v1/models/default", "")
	require.Equal(t, http.StatusServiceUnavailable, a.code, a.body)
	assert.JSONEq(t, `{"model_version_status":[{"version":"1","state":"END","status":{"error_code":"UNAVAILABLE","error_message":"the server is shutting down"}}]}`, a.body)
}

func TestCancelledRequestIsDropped(t *testing.T) {
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{BatchWindow: time.Second})
	url := ts.URL + "/v1/models/default:predict"
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(predictBody(instances(3, features)...)))
		resp, err := testClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gone <- err
	}()
	time.Sleep(200 * time.Millisecond) // the 3-row request is in the batch being gathered
	cancel()
	require.Error(t, <-gone)
	a := do(t, http.MethodPost, url, predictBody(instance(5, features)))
	require.Equal(t, 200, a.code, a.body)
	bitsEqual(t, [][]float32{model.want(instance(5, features))}, predictions(t, a.body))
	assert.Equal(t, []int{1}, model.batchSizes(), "the cancelled request's rows were not predicted")
	m := do(t, http.MethodGet, ts.URL+"/metrics", "")
	assert.Contains(t, m.body, `descent_serve_requests_total{code="499"} 1`+"\n")
}

// reshaping is a model whose output width changes under the server's feet.
type reshaping struct {
	*linear
	out atomic.Int64
}

func (r *reshaping) Output() int { return int(r.out.Load()) }

func TestShapeChange(t *testing.T) {
	m := &reshaping{linear: newLinear(features, classes)}
	m.out.Store(classes)
	_, ts := newTestServer(t, m, serve.Options{})
	url := ts.URL + "/v1/models/default:predict"
	require.Equal(t, 200, do(t, http.MethodPost, url, predictBody(instance(0, features))).code)
	m.out.Store(classes + 1)
	a := do(t, http.MethodPost, url, predictBody(instance(0, features)))
	require.Equal(t, 500, a.code, a.body)
	assert.Contains(t, errorMessage(t, a.body), "shape changed from 4→3 to 4→4")
}
