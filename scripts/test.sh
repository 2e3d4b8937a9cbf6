#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite.  Exit 5 (no tests collected) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
timeout 4000 .venv/bin/python -m pytest -q --doctest-modules genomeface_core tests "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "test.sh: pytest collected no tests" >&2; exit 1; fi
[ "$rc" = 0 ] || exit "$rc"

# QIIME 2 plugin: its own venv over Debian's QIIME 2 (setup-q2.sh exits 3 when QIIME 2 cannot be had)
bash scripts/setup-q2.sh
q2=$?
if [ "$q2" = 3 ]; then
  echo "test.sh: QIIME 2 unavailable here (not root / no apt): plugin tests skipped" >&2
  exit 0
fi
[ "$q2" = 0 ] || exit "$q2"
timeout 900 .venv-q2/bin/python -m pytest -q tests/test_q2.py
rc=$?
if [ "$rc" = 5 ]; then echo "test.sh: no QIIME 2 tests collected" >&2; exit 1; fi
exit "$rc"
