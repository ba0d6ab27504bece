#pragma once
// `geosr sr --split-rows K`: a scene too large for one job and no MPI at hand is denoised as K row
// bands, each an independent joint run over its own windows plus a halo of whole rows of windows
// around them (what the GDAL driver does per block), and the bands are blended linearly over the
// rows their windows share. Not the joint result: docs/hpc.md measures how far from it. Each band
// can be its own job (--split-part I writes DST.partIofK), and the run without --split-part
// computes the bands that are missing, blends and writes the output.

#include "diffusion_job.hpp"

namespace geosr::cli {

int run_split_job(const DiffusionJob& job, IoOptions io);

}  // namespace geosr::cli
