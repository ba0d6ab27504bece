#!/usr/bin/env bash
# The GPU numbers of docs/performance.md in one run, on a machine with CUDA LibTorch (PyTorch's)
# and no GDAL or network: builds the core, runs the core tests (the CUDA ones included), the U-Net's
# throughput, then the streaming processor's memory curve and its overhead against the pure
# network. A session lends the GPU for 30 minutes, 10 per command, and all five stages take about
# that much on an H100: run `build test unet` in one command and `memory overhead` in the next
# (the build directory stays).
#
#   bench/gpu_session.sh [build|test|unet|memory|overhead]...   (default: all five, in that order)
#
# GoogleTest comes from GEOSR_GTEST_SOURCE_DIR (default /usr/src/googletest): copy Debian's
# /usr/src/googletest into the checkout and point there when the machine has none.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GEOSR_GPU_BUILD:-build-gpu}
bench=$build/bench/bench_streaming
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(build test unet memory overhead)

for stage in "${stages[@]}"; do
  case $stage in
    build)
      prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
      cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DGEOSR_WITH_GDAL=OFF \
        -DGEOSR_GTEST_SOURCE_DIR="${GEOSR_GTEST_SOURCE_DIR:-/usr/src/googletest}" \
        -DGEOSR_PYTHON="$(command -v python3)" >/dev/null
      cmake --build "$build" -j "$(nproc)" 2>&1 | tail -3
      ;;
    test)
      nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
      (cd "$build" && ctest -j 4 --timeout 600 2>&1 | grep -E 'tests passed|Failed|\*\*\*|Not Run|Skipped' || true)
      # The fused accumulation's kernel writes through raw pointers: memcheck it on its own test.
      if command -v compute-sanitizer >/dev/null; then
        compute-sanitizer --tool memcheck --error-exitcode 3 "$build/tests/test_cuda_streaming" \
          --gtest_filter='CudaStreaming.TheFusedKernel*:CudaStreaming.Garbage*' 2>&1 | tail -4 ||
          echo "compute-sanitizer found errors (exit $?)"
      fi
      ;;
    unet)
      # The GPU rows of the U-Net throughput table.
      for precision in fp32 bf16; do
        "$build/bench/bench_unet" --device cuda --preset tiny --size 128 --batch 16 --precision $precision --iters 20 --warmup 3 | tail -2
        "$build/bench/bench_unet" --device cuda --preset paper --size 128 --batch 16 --precision $precision --iters 20 --warmup 3 | tail -2
        "$build/bench/bench_unet" --device cuda --preset paper --size 512 --batch 8 --precision $precision --iters 10 --warmup 3 | tail -2
      done
      ;;
    memory)
      # Pointwise stand-in, 1 step: accelerator memory must stay flat, RSS capped.
      for mp in 1 16 64 256 400; do
        "$bench" --device cuda --network pointwise --megapixels "$mp" --batch 16 | tail -1
      done
      for mp in 16 64 256; do
        "$bench" --device cuda --network pointwise --megapixels "$mp" --batch 16 --max-device 0 --max-ram 256 | tail -1
      done
      ;;
    overhead)
      # The rows of the overhead table: 4 steps on the GPU tier, 2 on the host tiers; each prints
      # the steady rate (the steps after the first) above the row.
      "$bench" --device cuda --network tiny --megapixels 16 --steps 4 --batch 16 | tail -2
      "$bench" --device cuda --network tiny --megapixels 64 --steps 4 --batch 16 | tail -2
      "$bench" --device cuda --network tiny --megapixels 64 --steps 4 --batch 64 | tail -2
      "$bench" --device cuda --network tiny --megapixels 64 --steps 2 --batch 16 --max-device 0 --max-ram 8192 | tail -2
      "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 16 | tail -2
      "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 64 | tail -2
      "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 8 \
        --window 512 --stride 384 | tail -2
      ;;
    *)
      echo "gpu_session.sh: unknown stage '$stage' (build, test, unet, memory, overhead)" >&2
      exit 2
      ;;
  esac
done
