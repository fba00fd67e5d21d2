package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeSummary feeds arbitrary bytes to the summary.json reader of
// Load (descent report; corpus: testdata/fuzz/FuzzDecodeSummary). It must
// never panic; what it accepts lists at least one run, each in a folder of
// one plain path element, and is stable: written as JSON and read again,
// it writes the same bytes.
func FuzzDecodeSummary(f *testing.F) {
	for _, e := range []*Experiment{divergedFixture(), regressionFixture()} {
		good, err := SummaryJSON(e)
		require.NoError(f, err)
		f.Add(good)
	}
	f.Add([]byte(`{"runs":[]}`))
	f.Add([]byte(`{"runs":[{"name":"a","dir":"../x"}]}`))
	f.Add([]byte(`{"runs":[{"name":"a","dir":"a","loss":null,"test":{"loss":1e309}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeSummary(b, "fuzz.json")
		if err != nil {
			if e != nil {
				t.Fatal("an experiment with the error")
			}
			return
		}
		if len(e.Summaries) == 0 {
			t.Fatal("accepted a summary without runs")
		}
		for _, s := range e.Summaries {
			if err := checkDir(s.Dir); err != nil {
				t.Fatalf("accepted run folder %q", s.Dir)
			}
		}
		once := mustJSON(t, e)
		e2, err := decodeSummary(once, "again.json")
		if err != nil {
			t.Fatalf("refuses its own output %s: %v", once, err)
		}
		if twice := mustJSON(t, e2); !bytes.Equal(once, twice) {
			t.Fatalf("not stable:\n%s\n%s", once, twice)
		}
	})
}

// FuzzDecodeRun feeds arbitrary bytes to the history.json reader of Load
// (corpus: testdata/fuzz/FuzzDecodeRun). It must never panic; what it
// accepts names the folder it was asked for, is stable through JSON (as
// above), and summarises and renders as CSV and as a page without panic;
// the page renders without error when the configuration is a JSON object.
func FuzzDecodeRun(f *testing.F) {
	reg := regressionFixture().Runs[1]
	reg.Dir = "lr-1" // the folder the fuzz target asks for
	for _, r := range append(divergedFixture().Runs[:2], reg, binaryFixture().Runs[1]) {
		files, err := RunFiles(r)
		require.NoError(f, err)
		f.Add(files[0].Data)
	}
	f.Add([]byte(`{"dir":"lr-1","history":{"loss":[null,1,"x"]}}`))
	f.Add([]byte(`{"dir":"lr-1","confusion_matrix":[[1,2],[3]],"classes":["a"],"config":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"dir":"lr-1","diverged":{"epoch":-1,"step":0,"loss":"NaN"},"config":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRun(b, "fuzz.json", "lr-1", "summary.json")
		if err != nil {
			if r != nil {
				t.Fatal("a run with the error")
			}
			return
		}
		if r.Dir != "lr-1" {
			t.Fatalf("accepted folder %q", r.Dir)
		}
		once := mustJSON(t, r)
		r2, err := decodeRun(once, "again.json", "lr-1", "summary.json")
		if err != nil {
			t.Fatalf("refuses its own output %s: %v", once, err)
		}
		if twice := mustJSON(t, r2); !bytes.Equal(once, twice) {
			t.Fatalf("not stable:\n%s\n%s", once, twice)
		}
		_ = r.Summarize()
		_ = HistoryCSV(r)
		_ = ConfusionCSV(r.Confusion)
		e := &Experiment{Kind: "sweep", Config: json.RawMessage(`{}`), Runs: []*Run{r}}
		_, err = Page(e, stubFigures())
		if _, cerr := ConfigPairs(r.Config); err != nil && cerr == nil {
			t.Fatalf("page of an accepted run: %v", err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("accepted value does not marshal: %v", err)
	}
	return b
}

// Load refuses a summary.json or history.json above MaxJSONFile before
// reading it all.
func TestLoadBoundsFileSize(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxJSONFile+1)) // sparse: no 64 MiB written
	require.NoError(t, f.Close())
	_, err = Load(dir)
	assert.ErrorContains(t, err, "file too large: 67108865 bytes, the limit is 67108864")
}
