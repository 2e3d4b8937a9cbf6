#!/usr/bin/env bash
# Install the peer binners, each in its own environment under benchmarks/work/ (gitignored).
#   VAMB 5.0.4 (CPU torch 2.13.0), SemiBin2 (PyPI SemiBin 2.x), MetaBAT2 (Debian `metabat`).
# Idempotent: an environment that already imports is left alone.  Usage:
#   bash benchmarks/peers/install.sh [vamb] [semibin] [metabat] [assembly] [plot]     (default: all)
# assembly: MEGAHIT, wgsim, minimap2, samtools (Debian) for benchmarks/assembly/run.py.
# plot: matplotlib for benchmarks/results/nc_vs_time.png, in its own venv (not a package dependency).
set -uo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$HERE/work"; mkdir -p "$WORK"
PY="${PYTHON:-python3}"
want="${*:-metabat assembly vamb semibin plot}"
status=0

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
  else
    echo "not root: install Debian packages $* yourself" >&2
  fi
}

for tool in $want; do case "$tool" in
metabat)
  apt_install metabat minimap2 samtools
  command -v metabat2 >/dev/null && echo "metabat2: $(command -v metabat2)" || { echo "metabat2: FAILED"; status=1; } ;;
assembly)
  apt_install megahit minimap2 samtools   # wgsim comes with Debian's samtools
  for t in megahit wgsim minimap2 samtools; do
    command -v "$t" >/dev/null && echo "$t: $(command -v "$t")" || { echo "$t: FAILED"; status=1; }
  done ;;
vamb)
  V="$WORK/vamb-env"
  if ! "$V/bin/python" -c "import vamb" 2>/dev/null; then
    "$PY" -m venv "$V" && "$V/bin/pip" install -q torch==2.13.0 \
      && "$V/bin/pip" install -q vamb==5.0.4 --no-deps \
      && "$V/bin/pip" install -q vambcore dadaptation loguru networkx scikit-learn pyhmmer pyrodigal pycoverm numpy==1.26.4
  fi
  "$V/bin/python" -c "import vamb, torch; print('vamb', vamb.__version_str__, 'torch', torch.__version__)" || { echo "vamb: FAILED"; status=1; } ;;
semibin)
  apt_install bedtools hmmer prodigal samtools
  S="$WORK/semibin-env"
  if ! "$S/bin/SemiBin2" --version >/dev/null 2>&1; then
    # CPU torch first (the local 2.13.0 wheel), else pip pulls the multi-GB CUDA build
    "$PY" -m venv "$S" && "$S/bin/pip" install -q torch==2.13.0 && "$S/bin/pip" install -q "SemiBin>=2,<3"
  fi
  "$S/bin/SemiBin2" --version || { echo "semibin: FAILED"; status=1; } ;;
plot)
  P="$WORK/plot-env"
  "$P/bin/python" -c "import matplotlib" 2>/dev/null || { "$PY" -m venv "$P" && "$P/bin/pip" install -q matplotlib; }
  "$P/bin/python" -c "import matplotlib; print('matplotlib', matplotlib.__version__)" || { echo "plot: FAILED"; status=1; } ;;
*) echo "unknown peer $tool" >&2; status=2 ;;
esac; done
exit $status
