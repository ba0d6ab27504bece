#pragma once
// The MPI job a process belongs to (MPI_COMM_WORLD, or the members after restrict_to), with the few collective operations a
// distributed joint-denoising run needs. Tensors travel as raw bytes in chunks below MPI's int
// count limit, so rows of any width can be sent.

#include <cstdint>
#include <vector>

#include <mpi.h>
#include <torch/torch.h>

namespace geosr::mpi {

class Session {
 public:
  Session();   // MPI_Init (once per process)
  ~Session();  // MPI_Finalize
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Rank and size within the ranks that take part (all of them until restrict_to).
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Leaves the collective operations to the ranks with `member` true; the others must not call
  // them afterwards. Member ranks keep their order.
  void restrict_to(bool member);
  // Rank and number of ranks on this node (shared-memory domain): which GPU a rank takes.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }

  // Ends every rank of the job with `code` now, so none waits for a message that will not come.
  [[noreturn]] void abort(int code) const;
  void barrier() const;
  int max(int value) const;
  double max(double value) const;
  // Every rank's `values` (the same count on every rank), rank after rank.
  std::vector<int64_t> all_gather(const std::vector<int64_t>& values) const;

  // Blocking point-to-point transfer of a contiguous CPU tensor's bytes.
  void send(const torch::Tensor& tensor, int to) const;
  void receive(torch::Tensor& tensor, int from) const;
  // Sends `out` to `to` while receiving `in` from `from`; either rank may be -1 (nobody).
  void exchange(const torch::Tensor& out, int to, torch::Tensor& in, int from) const;

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace geosr::mpi
