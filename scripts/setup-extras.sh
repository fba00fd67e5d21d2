#!/usr/bin/env bash
# Optional Debian packages, installed on demand (scripts/setup.sh does not):
#   chromium        headless browser (and the Liberation fonts the figures name)
#                   for report/'s test of report.html
#                   (TestReportInChromium; required when CI is set)
#   fashion-mnist   Debian's dataset-fashion-mnist, for --dataset fashion-mnist
#                   (files in /usr/share/datasets/fashion-mnist)
#   sklearn         Debian's python3-sklearn (scikit-learn 1.2), for the
#                   generators of scripts/golden/ (sklearn_*.py: the split,
#                   report and own-data fixtures and their reference scores)
#   torch           Debian's python3-torch (PyTorch 1.13), the peer of
#                   descent bench predict (scripts/peers/torch_predict.py)
# Usage: scripts/setup-extras.sh [chromium] [fashion-mnist] [sklearn] [torch]   (no argument: all)
# Idempotent and quiet when everything is already there.
set -euo pipefail

say() { echo "setup-extras: $*" >&2; }

want=("$@")
((${#want[@]})) || want=(chromium fashion-mnist sklearn torch)
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    chromium) pkgs+=(chromium fonts-liberation) ;;
    fashion-mnist) pkgs+=(dataset-fashion-mnist) ;;
    sklearn) pkgs+=(python3-sklearn) ;;
    torch) pkgs+=(python3-torch) ;;
    *) say "unknown extra '$w' (want chromium, fashion-mnist, sklearn or torch)"; exit 2 ;;
  esac
done

need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
((${#need[@]})) || exit 0

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  say "missing Debian packages: ${need[*]}"
  say "installing them needs root: run 'sudo apt-get install ${need[*]}', then try again"
  exit 1
fi
say "installing ${need[*]} with apt-get"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
