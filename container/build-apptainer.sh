#!/usr/bin/env bash
# Kept for old instructions: the build is scripts/build-container.sh (no registry, no Docker).
exec bash "$(dirname "$0")/../scripts/build-container.sh" "$@"
