#!/usr/bin/env bash
# Build genomeface.sif: Docker image first, then Apptainer from the local Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
docker build -f container/Dockerfile -t genomeface:0.1.0 .
apptainer build --fakeroot genomeface.sif container/genomeface.def
apptainer test genomeface.sif
