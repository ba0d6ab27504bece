#!/usr/bin/env bash
# Strong scaling of `geosr sr --mpi` on one machine (docs/hpc.md): the same scene and steps with
# 1 process (all cores), 1 process on one core, and N ranks of one core each; prints the wall time,
# the time per step of the slowest rank, the time spent waiting for and exchanging shared rows,
# and the bytes of shared rows a rank exchanges per step. Outputs are checked to be byte-identical
# between the one-thread runs.
#
#   bench/mpi_scaling.sh              # 256 x 256 NAIP sample as input: 1280 x 1280 output, 3 steps
#   RANKS="1 2 4" STEPS=5 bench/mpi_scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GEOSR=$(realpath "${GEOSR:-build/cli/geosr}")
INPUT=$(realpath "${INPUT:-data_samples/naip_riverside_2018_0.tif}")
STEPS=${STEPS:-3}
RANKS=${RANKS:-"1 2"}
OUT=${OUT:-runs/mpi_scaling}
CORES=$(nproc)
export OMP_WAIT_POLICY=PASSIVE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$OUT"
args=(sr -b 1 -b 2 -b 3 --steps "$STEPS" --seed 1 --overwrite "$INPUT")

seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>"$OUT/last.log"; echo "$(date +%s.%N) - $start" | bc; }

echo "input $(gdalinfo "$INPUT" | grep 'Size is'), $STEPS steps, $CORES cores"
t=$(OMP_NUM_THREADS=$CORES seconds "$GEOSR" "${args[@]}" -q "$OUT/single_all_cores.tif")
echo "1 process x $CORES threads: ${t} s"
t=$(OMP_NUM_THREADS=1 seconds "$GEOSR" "${args[@]}" -q "$OUT/single_one_core.tif")
echo "1 process x 1 thread:  ${t} s"
for n in $RANKS; do
  t=$(OMP_NUM_THREADS=1 seconds mpirun --oversubscribe -np "$n" "$GEOSR" "${args[@]}" --mpi "$OUT/ranks$n.tif")
  echo "$n ranks x 1 thread:    ${t} s; $(grep 'ranks, per step' "$OUT/last.log" | sed 's/^geosr sr: //')"
  cmp -s "$OUT/ranks$n.tif" "$OUT/single_one_core.tif" && echo "  bytes identical to 1 process x 1 thread" ||
    echo "  BYTES DIFFER from 1 process x 1 thread"
done
