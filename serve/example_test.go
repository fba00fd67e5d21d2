package serve_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/descent-ml/descent/serve"
)

// shares is a toy two-feature, two-class model: each class's probability
// is its feature's share of the sum.
type shares struct{}

func (shares) Input() int  { return 2 }
func (shares) Output() int { return 2 }

func (shares) PredictInto(_ context.Context, x []float32, rows int, probs []float32) error {
	for r := range rows {
		a, b := x[2*r], x[2*r+1]
		probs[2*r], probs[2*r+1] = a/(a+b), b/(a+b)
	}
	return nil
}

// Mount a Server for a Predictor and make one predict request.
func Example() {
	srv, err := serve.New(shares{}, serve.Options{Name: "shares", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv) // or serve it with srv.ListenAndServe
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/v1/models/shares:predict", "application/json",
		strings.NewReader(`{"instances": [[1, 3], [2, 2]]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Print(string(body))

	resp, err = http.Post(ts.URL+"/v1/models/shares:predict", "application/json",
		strings.NewReader(`{"instances": [[1, 3], [2]]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode)
	fmt.Print(string(body))
	// Output:
	// 200 application/json
	// {"predictions":[[0.25,0.75],[0.5,0.5]]}
	// 400
	// {"error":"instances[1]: want 2 features, got 1"}
}
