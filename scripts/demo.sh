#!/usr/bin/env bash
# Set up, build the bundled example (real genomes shipped inside pyrodigal/pyhmmer)
# and bin it.  Result in ./demo_out/result (bins/, clusters.tsv, bins.tsv, run.json, report.html).
# Installs only what the default binning path needs (no TensorFlow, no test tools).
set -euo pipefail
cd "$(dirname "$0")/.."
GENOMEFACE_SYSTEM_TOOLS=0 GENOMEFACE_EXTRAS="" bash scripts/setup.sh
.venv/bin/genomeface demo-data demo_out/input
.venv/bin/genomeface bin -i demo_out/input/contigs.fna.gz -a demo_out/input/depth.tsv \
  -o demo_out/result --force --threads 2
column -t demo_out/result/bins.tsv
# score against the known truth of the mock (bp-weighted recall/precision, as in benchmarks/)
.venv/bin/python benchmarks/evaluate.py --truth demo_out/input/truth.tsv --bins demo_out/result/clusters.tsv \
  --format genomeface --name genomeface > demo_out/evaluation.md
sed -n 1,3p demo_out/evaluation.md
echo "report: $PWD/demo_out/result/report.html"
