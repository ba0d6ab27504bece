#!/usr/bin/env bash
# The GPU numbers of docs/performance.md in one run, on a machine with CUDA LibTorch (PyTorch's)
# and no GDAL or network. A task that is lent a GPU gets 15 minutes of it, the machine's start
# included, so the stages come most-needed first and the whole default run fits one command of
# under 10 minutes on an H100:
#
#   build     the core, the CUDA tests and the benches (not the other core tests)
#   cuda      the CUDA tests, and compute-sanitizer memcheck on the fused kernel's
#   overhead  end-to-end steps against the network alone (the < 10 % target)
#   memory    peak RSS and device memory from 1 to 400 MP (flat on the device, capped in RAM)
#   test      builds and runs every core test (LibTorch 2.x rounds differently from Debian's 1.13)
#   unet      the U-Net's throughput rows
#
#   bench/gpu_session.sh [stage]...   (default: all six, in that order)
#
# From the development machine, once per checkout:
#   cp -r /usr/src/googletest .gtest && echo /.gtest/ >> .git/info/exclude
# then one device call: command `bench/gpu_session.sh`, carry [".gtest"], timeout_s 560.
# Everything is also written to $OUT/gpu_session.log when $OUT is set, so what the stages printed
# comes back even when the call runs out of time; each stage ends with its seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GEOSR_GPU_BUILD:-build-gpu}
bench=$build/bench/bench_streaming
gtest=${GEOSR_GTEST_SOURCE_DIR:-$([[ -d .gtest ]] && echo "$PWD/.gtest" || echo /usr/src/googletest)}
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(build cuda overhead memory test unet)
# A misspelt stage is refused before the build, not after it.
for stage in "${stages[@]}"; do
  [[ " build cuda overhead memory test unet " == *" $stage "* ]] ||
    { echo "gpu_session.sh: unknown stage '$stage' (build, cuda, overhead, memory, test, unet)" >&2; exit 2; }
done
[[ -n ${OUT:-} ]] && exec > >(tee -a "$OUT/gpu_session.log") 2>&1
cuda_tests=(test_cuda test_cuda_streaming test_canvas_plan)
# The last `lines` lines of one test or bench run; a failing run is reported and the stages go on.
rows() {
  local lines=$1
  shift
  "$@" 2>&1 | tail -"$lines" || echo "failed (exit $?): $*"
}

for stage in "${stages[@]}"; do
  started=$SECONDS
  echo "== $stage"
  case $stage in
    build)
      nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
      prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
      # PyTorch's CMake turns TORCH_CUDA_ARCH_LIST into the -gencode flags our kernel is built with;
      # naming this GPU's architecture spares its detection (whose fallback list nvcc 13 refuses).
      arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 || true)
      cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DGEOSR_WITH_GDAL=OFF \
        -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-${arch:-9.0}}" \
        -DGEOSR_GTEST_SOURCE_DIR="$gtest" -DGEOSR_PYTHON="$(command -v python3)" >/tmp/gpu_configure.log 2>&1 ||
        { tail -30 /tmp/gpu_configure.log; exit 1; }
      cmake --build "$build" -j "$(nproc)" --target "${cuda_tests[@]}" bench_streaming bench_unet 2>&1 | tail -3
      ;;
    cuda)
      for t in "${cuda_tests[@]}"; do
        rows 15 "$build/tests/$t" --gtest_brief=1
      done
      # The fused accumulation's kernel writes through raw pointers: memcheck it on its own test,
      # without the caching allocator, whose large blocks would hide a write into a neighbour.
      if command -v compute-sanitizer >/dev/null; then
        PYTORCH_NO_CUDA_MEMORY_CACHING=1 compute-sanitizer --tool memcheck --error-exitcode 3 "$build/tests/test_cuda_streaming" \
          --gtest_filter='CudaStreaming.TheFusedKernel*:CudaStreaming.Garbage*' 2>&1 | tail -4 ||
          echo "compute-sanitizer found errors (exit $?)"
      fi
      ;;
    overhead)
      # The rows of the overhead table: 4 steps on the GPU tier, 2 on the host tiers; each prints
      # the steady rate (the steps after the first) above the row. The tiny network's first: its
      # rows are the ones the fused kernel was written for.
      rows 2 "$bench" --device cuda --network tiny --megapixels 16 --steps 4 --batch 16
      rows 2 "$bench" --device cuda --network tiny --megapixels 64 --steps 4 --batch 16
      rows 2 "$bench" --device cuda --network tiny --megapixels 64 --steps 4 --batch 64
      rows 2 "$bench" --device cuda --network tiny --megapixels 64 --steps 2 --batch 16 --max-device 0 --max-ram 8192
      rows 2 "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 16
      rows 2 "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 64
      rows 2 "$bench" --device cuda --network paper --precision bf16 --megapixels 16 --steps 4 --batch 8 \
        --window 512 --stride 384
      ;;
    memory)
      # Pointwise stand-in, 1 step: accelerator memory must stay flat, RSS capped.
      for mp in 1 16 64 256 400; do
        rows 1 "$bench" --device cuda --network pointwise --megapixels "$mp" --batch 16
      done
      for mp in 16 64 256; do
        rows 1 "$bench" --device cuda --network pointwise --megapixels "$mp" --batch 16 --max-device 0 --max-ram 256
      done
      ;;
    test)
      cmake --build "$build" -j "$(nproc)" 2>&1 | tail -1
      # The CUDA tests ran in their own stage.
      (cd "$build" && ctest -j 8 --timeout 600 -E '^Cuda' 2>&1 | grep -E 'tests passed|Failed|\*\*\*|Not Run|Skipped' || true)
      ;;
    unet)
      # The GPU rows of the U-Net throughput table.
      for precision in fp32 bf16; do
        rows 2 "$build/bench/bench_unet" --device cuda --preset tiny --size 128 --batch 16 --precision $precision --iters 20 --warmup 3
        rows 2 "$build/bench/bench_unet" --device cuda --preset paper --size 128 --batch 16 --precision $precision --iters 20 --warmup 3
        rows 2 "$build/bench/bench_unet" --device cuda --preset paper --size 512 --batch 8 --precision $precision --iters 10 --warmup 3
      done
      ;;
  esac
  echo "== $stage: $((SECONDS - started)) s"
done
