#!/usr/bin/env bash
# README command 1: install what is missing, build in Release, run the main job on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/demo.sh
