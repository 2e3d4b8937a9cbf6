#!/usr/bin/env bash
# Create ./.venv (if missing) and install genomeface with extras $GENOMEFACE_EXTRAS
# (default "test,nn": pytest and TensorFlow for the network tests; "" = the default binning path only).
# Optional system tools for the BAM tests (minimap2, samtools, MetaBAT's
# jgi_summarize_bam_contig_depths) and the MEGAHIT marker test (megahit) are installed from Debian when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
extras=${GENOMEFACE_EXTRAS-test,nn}
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
if [ "${GENOMEFACE_SYSTEM_TOOLS:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=""
  command -v minimap2 >/dev/null || need="$need minimap2"
  command -v samtools >/dev/null || need="$need samtools"
  command -v jgi_summarize_bam_contig_depths >/dev/null || need="$need metabat"
  command -v megahit >/dev/null || need="$need megahit"  # tests/test_markers_megahit.py (wgsim: samtools)
  if [ -n "$need" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/dev/null 2>&1 \
      || echo "setup: could not install$need (BAM comparison and MEGAHIT tests will be skipped)" >&2
  fi
fi
