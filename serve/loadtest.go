package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadOptions configure LoadTest. Instances is required; every other zero
// field takes its default.
type LoadOptions struct {
	// Requests is how many requests to send in all. Default 2000.
	Requests int
	// Concurrency is how many requests are in flight at once. Default 32.
	Concurrency int
	// Instances are the valid samples, each of the model's Input() features.
	// Valid requests take RowsPerRequest consecutive instances (cyclically).
	Instances [][]float32
	// Want, if set, is the expected argmax class of each instance.
	Want []int
	// WantProbs, if set, are the expected probabilities of each instance,
	// compared bitwise unless Tolerance > 0.
	WantProbs [][]float32
	// Tolerance is the largest accepted |got−want| per probability.
	Tolerance float64
	// RowsPerRequest is the instances per valid request. Default 1.
	RowsPerRequest int
	// MalformedFraction in [0, 1] is the share of requests that are
	// malformed; they cycle through every malformed kind (see
	// MalformedKinds). Default 0.
	MalformedFraction float64
	// MaxBodyBytes is the server's body limit, used to build the too-large
	// kind (limit+1 bytes). Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds the whole test (on top of ctx). Default 60 s.
	Timeout time.Duration
	// RequestTimeout bounds each request. Default 10 s.
	RequestTimeout time.Duration
	// Seed picks which requests are malformed. Default 1.
	Seed uint64
}

// LoadReport is what LoadTest measured.
type LoadReport struct {
	Requests  int         // requests answered or failed in transport
	Valid     int         // of which valid
	Malformed int         // of which malformed
	ByStatus  map[int]int // answers by HTTP status code
	// Wrong counts valid requests answered 200 whose predictions did not
	// match Want/WantProbs (or did not parse, or had the wrong shape).
	Wrong int
	// ValidNot200 counts valid requests answered with another status.
	ValidNot200 int
	// Server5xx counts answers with a 5xx status.
	Server5xx int
	// MalformedNot4xx counts malformed requests not answered with a 4xx.
	MalformedNot4xx int
	// MalformedOtherCode counts malformed requests answered with a 4xx other
	// than the one their kind calls for (e.g. 400 where 413 was due).
	MalformedOtherCode int
	// TransportErrors counts requests that got no HTTP answer.
	TransportErrors int
	// Elapsed is the wall time of the test; RPS is Requests/Elapsed.
	Elapsed time.Duration
	RPS     float64
	// P50 and P99 are latency percentiles of the valid requests.
	P50, P99 time.Duration
	// Problems holds up to 10 descriptions of the first failures seen.
	Problems []string
}

// OK reports whether the run was clean: every valid request answered 200
// with the expected predictions, no 5xx, every malformed request answered
// with its expected 4xx, no transport errors.
func (r LoadReport) OK() bool {
	return r.Wrong == 0 && r.ValidNot200 == 0 && r.Server5xx == 0 && r.MalformedNot4xx == 0 &&
		r.MalformedOtherCode == 0 && r.TransportErrors == 0
}

// String is a one-line summary.
func (r LoadReport) String() string {
	codes := make([]int, 0, len(r.ByStatus))
	for c := range r.ByStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var st strings.Builder
	for i, c := range codes {
		if i > 0 {
			st.WriteByte(' ')
		}
		fmt.Fprintf(&st, "%d:%d", c, r.ByStatus[c])
	}
	return fmt.Sprintf("loadtest: %d requests (%d valid, %d malformed) in %v = %.0f req/s; valid p50 %v p99 %v; "+
		"%d wrong, %d valid-not-200, %d 5xx, %d malformed-not-4xx, %d malformed-other-4xx, %d transport errors; status %s",
		r.Requests, r.Valid, r.Malformed, r.Elapsed.Round(time.Millisecond), r.RPS,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
		r.Wrong, r.ValidNot200, r.Server5xx, r.MalformedNot4xx, r.MalformedOtherCode, r.TransportErrors, st.String())
}

// malformedKind is one way of getting a request wrong, and the status due.
type malformedKind struct {
	name   string
	want   int
	method string
	path   string // "" is the model's predict path
	body   []byte
}

// MalformedKinds names the malformed requests LoadTest mixes in, in the
// order it cycles through them.
func MalformedKinds() []string {
	ks := malformedKinds(2, 1<<10, "m")
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.name
	}
	return names
}

func malformedKinds(features int, maxBody int64, name string) []malformedKind {
	row := func(first string, n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "1"
		}
		if n > 0 {
			parts[0] = first
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	one := `{"instances":[` + row("1", features) + `]}`
	bad := func(first string) []byte {
		return []byte(`{"instances":[` + row("1", features) + "," + row(first, features) + `]}`)
	}
	large := make([]byte, maxBody+1)
	copy(large, one)
	for i := len(one); i < len(large); i++ {
		large[i] = ' '
	}
	post := http.MethodPost
	return []malformedKind{
		{"not-json", 400, post, "", []byte(`instances: 1, 2, 3`)},
		{"trailing-garbage", 400, post, "", []byte(one + ` {"x":1}`)},
		{"missing-instances", 400, post, "", []byte(`{"signature_name":"serving_default"}`)},
		{"instances-not-list", 400, post, "", []byte(`{"instances":{"x":[1]}}`)},
		{"instance-not-list", 400, post, "", []byte(`{"instances":[1]}`)},
		{"too-few-features", 400, post, "", []byte(`{"instances":[` + row("1", features-1) + `]}`)},
		{"too-many-features", 400, post, "", []byte(`{"instances":[` + row("1", features+1) + `]}`)},
		{"non-numeric", 400, post, "", bad(`"7"`)},
		{"null", 400, post, "", bad(`null`)},
		{"nan", 400, post, "", bad(`NaN`)},
		{"infinity", 400, post, "", bad(`-Infinity`)},
		{"float32-overflow", 400, post, "", bad(`1e39`)},
		{"empty-batch", 400, post, "", []byte(`{"instances":[]}`)},
		{"too-large", 413, post, "", large},
		{"wrong-method", 405, http.MethodGet, "", nil},
		{"unknown-model", 404, post, "/v1/models/" + name + "-nosuch:predict", []byte(one)},
	}
}

// LoadTest sends opts.Requests predict requests, opts.Concurrency at a time,
// to the model name served at baseURL (e.g. "http://127.0.0.1:8501"),
// mixing valid requests built from opts.Instances with every malformed kind,
// and checks every answer. It stops early, returning what it measured and
// the context's error, when ctx or opts.Timeout ends first. Only a setup
// problem (no instances, a bad URL) is an error before anything is sent.
func LoadTest(ctx context.Context, baseURL, name string, opts LoadOptions) (LoadReport, error) {
	if len(opts.Instances) == 0 || len(opts.Instances[0]) == 0 {
		return LoadReport{}, errors.New("serve: LoadTest needs Instances")
	}
	if opts.Want != nil && len(opts.Want) != len(opts.Instances) {
		return LoadReport{}, fmt.Errorf("serve: LoadTest has %d Want for %d Instances", len(opts.Want), len(opts.Instances))
	}
	if opts.WantProbs != nil && len(opts.WantProbs) != len(opts.Instances) {
		return LoadReport{}, fmt.Errorf("serve: LoadTest has %d WantProbs for %d Instances", len(opts.WantProbs), len(opts.Instances))
	}
	if opts.MalformedFraction < 0 || opts.MalformedFraction > 1 {
		return LoadReport{}, fmt.Errorf("serve: LoadTest MalformedFraction %g is outside [0, 1]", opts.MalformedFraction)
	}
	setDefault(&opts.Requests, 2000)
	setDefault(&opts.Concurrency, 32)
	setDefault(&opts.RowsPerRequest, 1)
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	baseURL = strings.TrimSuffix(baseURL, "/")
	predictURL := baseURL + modelsPrefix + name + ":predict"
	if _, err := http.NewRequest(http.MethodPost, predictURL, nil); err != nil {
		return LoadReport{}, fmt.Errorf("serve: LoadTest: %w", err)
	}
	features := len(opts.Instances[0])
	kinds := malformedKinds(features, opts.MaxBodyBytes, name)

	// Which requests are malformed, and of which kind: a seeded shuffle.
	nMal := int(math.Round(opts.MalformedFraction * float64(opts.Requests)))
	kindOf := make([]int, opts.Requests) // -1: valid
	for i := range kindOf {
		kindOf[i] = -1
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5e77e))
	for n, i := range rng.Perm(opts.Requests)[:nMal] {
		kindOf[i] = n % len(kinds)
	}

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	transport := &http.Transport{
		MaxIdleConns:        opts.Concurrency,
		MaxIdleConnsPerHost: opts.Concurrency,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: opts.RequestTimeout}

	type result struct {
		valid     bool
		kind      int
		code      int // 0: transport error
		latency   time.Duration
		wrong     bool
		otherCode bool
		problem   string
	}
	results := make([]result, opts.Requests)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range min(opts.Concurrency, opts.Requests) {
		wg.Go(func() {
			for i := range jobs {
				res := &results[i]
				res.kind = kindOf[i]
				res.valid = res.kind < 0
				method, url, body := http.MethodPost, predictURL, []byte(nil)
				first := 0
				if res.valid {
					first = (i * opts.RowsPerRequest) % len(opts.Instances)
					body = validBody(opts.Instances, first, opts.RowsPerRequest)
				} else {
					k := kinds[res.kind]
					method, body = k.method, k.body
					if k.path != "" {
						url = baseURL + k.path
					}
				}
				req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
				if err != nil {
					res.problem = err.Error()
					continue
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					res.problem = fmt.Sprintf("request %d: %v", i, err)
					continue
				}
				answer, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
				resp.Body.Close()
				res.latency = time.Since(t0)
				res.code = resp.StatusCode
				switch {
				case rerr != nil:
					res.code = 0
					res.problem = fmt.Sprintf("request %d: reading the answer: %v", i, rerr)
				case res.valid && res.code == http.StatusOK:
					if p := checkAnswer(answer, opts, first); p != "" {
						res.wrong = true
						res.problem = fmt.Sprintf("request %d: %s", i, p)
					}
				case res.valid:
					res.problem = fmt.Sprintf("request %d (valid): status %d: %.200s", i, res.code, answer)
				case res.code != kinds[res.kind].want:
					res.otherCode = true
					res.problem = fmt.Sprintf("request %d (%s): status %d, want %d: %.200s", i, kinds[res.kind].name, res.code, kinds[res.kind].want, answer)
				}
			}
		})
	}
	sent := 0
feed:
	for ; sent < opts.Requests; sent++ {
		select {
		case jobs <- sent:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	rep := LoadReport{ByStatus: map[int]int{}, Elapsed: elapsed}
	var lat []time.Duration
	for _, res := range results[:sent] {
		if ctx.Err() != nil && res.code == 0 {
			continue // cut off by the deadline, not the server's fault
		}
		rep.Requests++
		if res.problem != "" && len(rep.Problems) < 10 {
			rep.Problems = append(rep.Problems, res.problem)
		}
		if res.code == 0 {
			rep.TransportErrors++
			if res.valid {
				rep.Valid++
			} else {
				rep.Malformed++
			}
			continue
		}
		rep.ByStatus[res.code]++
		if res.code >= 500 {
			rep.Server5xx++
		}
		if res.valid {
			rep.Valid++
			lat = append(lat, res.latency)
			if res.code != http.StatusOK {
				rep.ValidNot200++
			}
			if res.wrong {
				rep.Wrong++
			}
			continue
		}
		rep.Malformed++
		if res.code < 400 || res.code > 499 {
			rep.MalformedNot4xx++
		} else if res.otherCode {
			rep.MalformedOtherCode++
		}
	}
	if elapsed > 0 {
		rep.RPS = float64(rep.Requests) / elapsed.Seconds()
	}
	slices.Sort(lat)
	rep.P50, rep.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return rep, ctx.Err()
}

func setDefault(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// percentile is the nearest-rank q-quantile of sorted d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(0, min(i, len(d)-1))]
}

// validBody is a predict body of rows instances from first on (cyclically).
func validBody(instances [][]float32, first, rows int) []byte {
	b := []byte(`{"signature_name":"serving_default","instances":[`)
	for r := range rows {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range instances[(first+r)%len(instances)] {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// checkAnswer compares a 200 answer with the expectations for the rows
// from first on, and says what is wrong ("" if nothing).
func checkAnswer(answer []byte, opts LoadOptions, first int) string {
	var got struct {
		Predictions [][]float32 `json:"predictions"`
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		return fmt.Sprintf("answer does not parse: %v: %.200s", err, answer)
	}
	if len(got.Predictions) != opts.RowsPerRequest {
		return fmt.Sprintf("%d predictions for %d instances", len(got.Predictions), opts.RowsPerRequest)
	}
	for r, p := range got.Predictions {
		idx := (first + r) % len(opts.Instances)
		if opts.Want != nil {
			if len(p) == 0 {
				return fmt.Sprintf("predictions[%d] is empty", r)
			}
			best := 0
			for k, v := range p {
				if v > p[best] {
					best = k
				}
			}
			if best != opts.Want[idx] {
				return fmt.Sprintf("predictions[%d] (instance %d): class %d, want %d", r, idx, best, opts.Want[idx])
			}
		}
		if opts.WantProbs != nil {
			want := opts.WantProbs[idx]
			if len(p) != len(want) {
				return fmt.Sprintf("predictions[%d] (instance %d) has %d values, want %d", r, idx, len(p), len(want))
			}
			for k := range p {
				same := math.Float32bits(p[k]) == math.Float32bits(want[k])
				if opts.Tolerance > 0 {
					same = math.Abs(float64(p[k])-float64(want[k])) <= opts.Tolerance
				}
				if !same {
					return fmt.Sprintf("predictions[%d][%d] (instance %d) = %v, want %v", r, k, idx, p[k], want[k])
				}
			}
		}
	}
	return ""
}
