#pragma once
// `geosr sr --mpi`: one rank of an MPI job denoising one scene together (mpirun -np N geosr sr --mpi ...).
// Every rank takes a run of rows of windows (partition_rows), denoises them with the streaming
// sampler and, at the end of every step, exchanges with the ranks above and below the fixed-point
// sums of the rows they share; rank 0 gathers the rows and writes the output, which is byte for
// byte the single-process output. Checkpoints are one file per rank, committed together: a job
// killed on any rank resumes with --resume from the last step every rank saved.

#include "diffusion_job.hpp"

namespace geosr::cli {

// Where rank `rank` of `ranks` keeps its checkpoint of a run writing `dst`.
std::string rank_checkpoint_path(const std::string& dst, int rank, int ranks);

int run_distributed_job(const DiffusionJob& job, IoOptions io);

}  // namespace geosr::cli
