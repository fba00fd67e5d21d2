package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds a Chromium: $DESCENT_CHROMIUM, else the usual names on
// PATH (Debian's package chromium installs /usr/bin/chromium).
func chromiumPath() string {
	if p := os.Getenv("DESCENT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium on a file with extra arguments and
// returns its stdout and the console messages it logged.
func runChromium(t *testing.T, bin, file string, args ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The flags a sandboxed, offline machine needs (no GPU, no network
	// chatter, a fresh profile), and console messages on stderr.
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, args...)
	all = append(all, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, err, "chromium %s failed:\n%s", strings.Join(args, " "), errb.String())
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	return out.String(), console
}

// probeScript measures, in the browser, what the page laid out and writes
// it into <body data-probe="…">, which --dump-dom then shows. It is added to
// a copy of the page only: report.html itself has no script.
const probeScript = `<script>
(function () {
  const box = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const p = {
    title: document.title,
    figures: [...document.querySelectorAll("figure")].map((f) => ({
      id: f.id,
      svg: f.querySelector("svg") ? box(f.querySelector("svg")) : null,
      paths: f.querySelectorAll("svg path").length,
      texts: [...f.querySelectorAll("svg text")].filter((t) => t.getComputedTextLength() > 0).map((t) => t.textContent),
    })),
    tables: [...document.querySelectorAll("table")].map((t) => ({ id: t.id, rows: t.rows.length, size: box(t) })),
    reports: [...document.querySelectorAll("pre.report")].map((r) => ({ id: r.id, lines: r.textContent.split("\n").length, size: box(r) })),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
  document.body.dataset.probe = JSON.stringify(p);
  console.log("descent-probe ok");
})();
</script>
`

type probe struct {
	Title   string `json:"title"`
	Figures []struct {
		ID    string   `json:"id"`
		SVG   []int    `json:"svg"`
		Paths int      `json:"paths"`
		Texts []string `json:"texts"`
	} `json:"figures"`
	Tables []struct {
		ID   string `json:"id"`
		Rows int    `json:"rows"`
		Size []int  `json:"size"`
	} `json:"tables"`
	Reports []struct {
		ID    string `json:"id"`
		Lines int    `json:"lines"`
		Size  []int  `json:"size"`
	} `json:"reports"`
	ScrollWidth int `json:"scrollWidth"`
	InnerWidth  int `json:"innerWidth"`
}

// TestReportInChromium opens report.html in Debian's headless Chromium: it
// must render without a console message (no script error, no blocked or
// failed load), show both figures with their text, every table and report
// with a real size, fit the window's width, and make a screenshot in which
// the figures' line colours appear. Skipped when Chromium is absent, except
// under CI, where the browser check is required.
func TestReportInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		msg := "Chromium not found (install Debian's chromium: scripts/setup-extras.sh chromium, or set DESCENT_CHROMIUM)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so the browser check of report.html must run")
		}
		t.Skip(msg + "; CI is unset, so skipping")
	}
	dir := t.TempDir()
	e := fixture()
	for _, r := range e.Runs {
		files, err := RunFiles(r)
		require.NoError(t, err)
		writeAll(t, dir, files)
	}
	files, err := PageFiles(e)
	require.NoError(t, err)
	writeAll(t, dir, files)
	pagePath := filepath.Join(dir, PageFile)
	page, err := os.ReadFile(pagePath)
	require.NoError(t, err)

	// 1. The page as written: its DOM, and not one console message.
	dom, console := runChromium(t, bin, pagePath, "--dump-dom", "--window-size=1200,3000")
	assert.Empty(t, console, "report.html logged to the console (a blocked load or an error)")
	assert.Equal(t, 2, strings.Count(dom, "<svg "), "both figures in the rendered DOM")
	for _, id := range []string{"config-table", "summary-table", "figure-val_accuracy", "figure-val_loss"} {
		assert.Contains(t, dom, `id="`+id+`"`)
	}

	// 2. A copy with the probe, allowed to run its one inline script.
	csp := "default-src 'none';"
	require.Contains(t, string(page), csp)
	probed := strings.Replace(string(page), csp, csp+" script-src 'unsafe-inline';", 1)
	probed = strings.Replace(probed, "</body>", probeScript+"</body>", 1)
	probePath := filepath.Join(dir, "probe.html")
	require.NoError(t, os.WriteFile(probePath, []byte(probed), 0o644))
	dom, console = runChromium(t, bin, probePath, "--dump-dom", "--window-size=1200,3000")
	require.Len(t, console, 1, "console messages: %q", console)
	assert.Contains(t, console[0], "descent-probe ok", "the console is captured, so silence above means no errors")
	m := regexp.MustCompile(`data-probe="([^"]*)"`).FindStringSubmatch(dom)
	require.NotNil(t, m, "the probe ran and wrote its result into the DOM")
	var p probe
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(m[1])), &p))

	assert.Equal(t, e.Title, p.Title)
	require.Len(t, p.Figures, 2)
	for i, f := range p.Figures {
		fig := Figures[i]
		assert.Equal(t, "figure-"+fig.Name, f.ID)
		require.Len(t, f.SVG, 2)
		assert.Greater(t, f.SVG[0], 600, "%s drawn wide", f.ID)
		assert.Greater(t, f.SVG[1], 300, "%s drawn tall", f.ID)
		assert.Greater(t, f.Paths, 20, "%s has its lines, markers and axes", f.ID)
		for _, want := range []string{fig.Title, fig.XLabel, fig.YLabel, "lr=100", "lr=0.001"} {
			assert.Contains(t, f.Texts, want, "%s shows %q", f.ID, want)
		}
	}
	wantTables := []string{"config-table", "summary-table"}
	for _, r := range e.Runs {
		wantTables = append(wantTables, "confusion-"+r.Dir)
	}
	var gotTables []string
	for _, tb := range p.Tables {
		gotTables = append(gotTables, tb.ID)
		assert.Greater(t, tb.Rows, 1, tb.ID)
		assert.Greater(t, tb.Size[0], 100, "%s has a width", tb.ID)
		assert.Greater(t, tb.Size[1], 40, "%s has a height", tb.ID)
	}
	assert.Equal(t, wantTables, gotTables)
	for _, tb := range p.Tables {
		switch tb.ID {
		case "summary-table":
			assert.Equal(t, 1+len(e.Runs), tb.Rows, "a header and one row per run")
		case "config-table":
			assert.Equal(t, 6, tb.Rows, "a header and five settings")
		default:
			assert.Equal(t, 4, tb.Rows, "a header and three classes")
		}
	}
	require.Len(t, p.Reports, len(e.Runs))
	for _, r := range p.Reports {
		assert.GreaterOrEqual(t, r.Lines, 7, r.ID)
		assert.Greater(t, r.Size[1], 80, r.ID)
	}
	assert.LessOrEqual(t, p.ScrollWidth, p.InnerWidth, "nothing wider than the window")

	// 3. A screenshot of the page as written, kept for people to look at.
	shotDir := os.Getenv("DESCENT_ARTIFACTS_DIR")
	if shotDir == "" {
		shotDir = os.TempDir()
	}
	shot := filepath.Join(shotDir, "descent-report-screenshot.png")
	_, console = runChromium(t, bin, pagePath, "--screenshot="+shot, "--window-size=1200,3000", "--hide-scrollbars")
	assert.Empty(t, console)
	b, err := os.ReadFile(shot)
	require.NoError(t, err, "chromium wrote no screenshot")
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 1200, img.Bounds().Dx())
	assert.Equal(t, 3000, img.Bounds().Dy())
	for i := range e.Runs {
		assert.Greater(t, countColor(img, palette[i]), 150, "run %d's line colour is on screen", i)
	}
	t.Logf("screenshot of report.html: %s", shot)
}
