#!/usr/bin/env bash
# Set up ./.venv-q2 for the QIIME 2 plugin q2_genomeface (`qiime genomeface bin`).
#
# QIIME 2 is not on PyPI: Debian (bookworm) ships qiime/q2cli/q2-types 2022.11 for
# /usr/bin/python3.  As root this installs them with apt-get; then it creates
# .venv-q2 (system site packages visible), installs genomeface editable with
# numpy pinned to what Debian's pandas/h5py/biom were built for, registers the
# plugin entry point and refreshes q2cli's cache.
#
# As root it also installs chromium-headless-shell (best effort): tests/test_q2.py renders
# `qiime genomeface summarize`'s index.html with it and checks the screenshot.
# GENOMEFACE_SYSTEM_TOOLS=0 skips apt-get (as in scripts/setup.sh).
# Details, commands and what works where (archive versions): docs/qiime2.md.
# Exit 0: ready.  Exit 3: QIIME 2 unavailable (not root / no apt / not installable);
# then tests/test_q2.py skips.  Use the CLI as: .venv-q2/bin/python -m q2cli genomeface bin ...
# (/usr/bin/qiime runs the system python and never sees this venv's plugin).
set -euo pipefail
cd "$(dirname "$0")/.."
SYSPY=${Q2_PYTHON:-/usr/bin/python3}   # the python Debian's qiime packages are for
VENV=.venv-q2

have_qiime() { [ -x "$SYSPY" ] && "$SYSPY" -c 'import qiime2, q2cli, q2_types' >/dev/null 2>&1; }

if ! have_qiime; then
  if [ "${GENOMEFACE_SYSTEM_TOOLS:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-q2: installing Debian's qiime q2cli q2-types (a few minutes) ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
       timeout 1500 apt-get install -y -qq --no-install-recommends qiime q2cli q2-types) >/dev/null 2>&1 \
      || { echo "setup-q2: apt-get install qiime q2cli q2-types failed" >&2; exit 3; }
  fi
  have_qiime || { echo "setup-q2: QIIME 2 (Debian qiime q2cli q2-types) not available" >&2; exit 3; }
fi

if [ "${GENOMEFACE_SYSTEM_TOOLS:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
   && ! command -v chromium-headless-shell >/dev/null && ! command -v chromium >/dev/null; then
  # optional: without it the screenshot half of the summarize test skips
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    chromium-headless-shell fonts-dejavu-core >/dev/null 2>&1 \
    || echo "setup-q2: chromium-headless-shell not installed (summarize screenshot test will skip)" >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$SYSPY" -m venv --system-site-packages "$VENV"
fi
# numpy>=1.26 (genomeface) but <2 (Debian's pandas 1.5 / h5py / biom are built against 1.x);
# coverage>=7: numba imports `coverage` when present and Debian's 6.5 lacks coverage.types;
# [test]: pytest (Debian's python3-pytest is only a Recommends of qiime's dependencies).
log=$(mktemp)
if ! timeout 1200 "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]' \
    "numpy>=1.26,<2" "coverage>=7" >"$log" 2>&1; then
  grep -v "^WARNING: Location" "$log" | tail -20 >&2; rm -f "$log"
  echo "setup-q2: pip install into $VENV failed" >&2; exit 1
fi
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
eps = [e for e in md.entry_points(group="qiime2.plugins") if e.name == "genomeface"]
assert eps, "entry point qiime2.plugins:genomeface not registered (pip install -e . failed?)"
import numpy
assert numpy.__version__.split(".")[0] == "1", numpy.__version__
PY
if ! timeout 600 "$VENV/bin/python" -m q2cli dev refresh-cache >"$log" 2>&1; then
  tail -20 "$log" >&2; rm -f "$log"; echo "setup-q2: qiime dev refresh-cache failed" >&2; exit 1
fi
rm -f "$log"
echo "setup-q2: ready ($VENV; run: $VENV/bin/python -m q2cli genomeface bin --help)" >&2
