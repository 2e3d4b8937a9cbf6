#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite.  Exit 5 (no tests collected) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
timeout 5000 .venv/bin/python -m pytest -q --doctest-modules genomeface_core tests "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "test.sh: pytest collected no tests" >&2; exit 1; fi
exit "$rc"
