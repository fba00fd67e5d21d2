#!/usr/bin/env bash
# The whole test suite: set-up, formatting and vet, the native C tests (plain
# and sanitized), then every Go test (conformance suites, gradient checks,
# golden files, the browser test, the end-to-end training runs on MNIST).
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# The browser test of report.html needs Chromium, the Fashion-MNIST tests
# Debian's dataset-fashion-mnist and the PyTorch peer's protocol test
# python3-torch: the test command installs all three, and makes the peer's
# test fail rather than skip when torch cannot be run.
scripts/setup-extras.sh chromium fashion-mnist torch sklearn
export DESCENT_REQUIRE_TORCH=1
# scripts/setup.sh installs OpenMPI: the mpirun tests (bindings/mpi,
# train's TestAllreduceMeanUnderMpirun, cli/descent's TestMpirunTrain) must
# fail, not skip, when it is missing.
export DESCENT_REQUIRE_MPI=1
# scripts/setup.sh installs oneDNN and OpenBLAS and this command builds with
# cgo: a backend missing from the test binary is a failure
# (backend/registry's TestNativeBackendsPresent), not tests that vanish.
export DESCENT_REQUIRE_NATIVE=1

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# The native layer's C tests, plain and under ASan+UBSan (CMake, ctest).
scripts/ctest.sh
# Without cgo the OpenBLAS binding must fall back to its stub and everything
# else must still build (pure-Go fallback).
CGO_ENABLED=0 go build ./...
go test -count=1 -timeout 20m -skip '^TestSIGKILLThenResumeIsBitExact$' ./...
# The resident-set bound of reading a 2 GiB .npy (data larger than memory):
# it writes the file, so it runs only when asked, here.
DESCENT_NPY_RSS_TEST=1 go test -count=1 -run '^TestNPYMatrixResidentBounded$' -v ./data | grep -E 'peak RssFile|^(--- |ok|FAIL)'
# The SIGKILL trials of checkpointing (50 kills of a training child at random
# moments, each resumed and compared bitwise), on their own and verbosely, so
# that their count and result are printed.
go test -count=1 -timeout 10m -run '^TestSIGKILLThenResumeIsBitExact$' -v ./cli/descent |
  grep -E '^(SIGKILL trials|--- (PASS|FAIL)|FAIL|ok)'
# Every reader of outside bytes has a fuzz target; plain go test above ran
# each checked-in corpus (testdata/fuzz/<target>/). Fuzz each a little more:
# go test -fuzz takes one package and one target per run. About a minute in all.
# A count of executions, not a duration: with -fuzztime 4s, Go 1.26's fuzz
# coordinator can report "context deadline exceeded" as a failure when the
# time runs out mid-call, with no failing input (golang/go#75804, fixed in
# Go 1.27); a count has no deadline to race.
for target in data:FuzzReadIDX model:FuzzDecode serve:FuzzDecode report:FuzzDecodeSummary \
  report:FuzzDecodeRun cli:FuzzParseMatrix cli:FuzzParseLabels checkpoint:FuzzDecodeSafetensors \
  data:FuzzReadCSV data:FuzzReadNPY data:FuzzOpenNPYMatrix; do
  go test -run '^$' -fuzz "^${target#*:}\$" -fuzztime "${DESCENT_FUZZTIME:-20000x}" "./${target%%:*}"
done
# Once more under the race detector (short mode skips the long MNIST runs):
# the engines, the binding's locked thread and the trainer are used from
# several goroutines.
go test -race -short -count=1 -timeout 20m ./...
