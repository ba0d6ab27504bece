#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd build
# Tests run side by side, each with 2 OpenMP threads: spinning idle threads would fight over the
# cores (a diffusion test took 45 s instead of 7 when paired); passive waiting gives them back.
export OMP_WAIT_POLICY=PASSIVE
ctest --output-on-failure -j "$(nproc)" --timeout 900
