#include "geosr/mpi/communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace geosr::mpi {
namespace {

// MPI counts are int: a message is split into chunks of at most 1 GiB.
constexpr int64_t kChunkBytes = int64_t{1} << 30;

void check(int status, const char* what) {
  if (status != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    throw std::runtime_error(std::string("MPI ") + what + " failed: " + std::string(text, static_cast<size_t>(length)));
  }
}

char* bytes_of(const torch::Tensor& tensor) {
  if (!tensor.is_contiguous() || !tensor.device().is_cpu())
    throw std::runtime_error("MPI transfer: tensors must be contiguous and on the CPU");
  return static_cast<char*>(tensor.data_ptr());
}

int64_t byte_count(const torch::Tensor& tensor) {
  return tensor.numel() * static_cast<int64_t>(tensor.element_size());
}

int chunk(int64_t total, int64_t offset) { return static_cast<int>(std::min(kChunkBytes, total - offset)); }

int peer(int rank) { return rank < 0 ? MPI_PROC_NULL : rank; }

}  // namespace

Session::Session() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) check(MPI_Init(nullptr, nullptr), "initialisation");
  // Errors come back as codes turned into exceptions, so a rank reports why it stops.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "node split");
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_size(node, &local_size_);
  MPI_Comm_free(&node);
}

void Session::restrict_to(bool member) {
  MPI_Comm members;
  check(MPI_Comm_split(comm_, member ? 0 : MPI_UNDEFINED, rank_, &members), "split");
  if (comm_ != MPI_COMM_WORLD) MPI_Comm_free(&comm_);
  comm_ = members;
  if (member) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
}

Session::~Session() {
  if (comm_ != MPI_COMM_WORLD && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

void Session::abort(int code) const {
  // mpirun forwards a rank's stderr through a pipe it stops reading once it starts killing the
  // job: a moment first, so the rank's one-line reason reaches the user.
  std::fflush(stderr);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this only satisfies [[noreturn]]
}

void Session::barrier() const { check(MPI_Barrier(comm_), "barrier"); }

int Session::max(int value) const {
  int result = 0;
  check(MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, comm_), "reduction");
  return result;
}

double Session::max(double value) const {
  double result = 0;
  check(MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, comm_), "reduction");
  return result;
}

std::vector<int64_t> Session::all_gather(const std::vector<int64_t>& values) const {
  std::vector<int64_t> all(values.size() * static_cast<size_t>(size_));
  check(MPI_Allgather(values.data(), static_cast<int>(values.size()), MPI_INT64_T, all.data(),
                      static_cast<int>(values.size()), MPI_INT64_T, comm_),
        "gather");
  return all;
}

void Session::send(const torch::Tensor& tensor, int to) const {
  const char* data = bytes_of(tensor);
  const int64_t total = byte_count(tensor);
  for (int64_t at = 0; at < total; at += kChunkBytes)
    check(MPI_Send(data + at, chunk(total, at), MPI_BYTE, to, 0, comm_), "send");
}

void Session::receive(torch::Tensor& tensor, int from) const {
  char* data = bytes_of(tensor);
  const int64_t total = byte_count(tensor);
  for (int64_t at = 0; at < total; at += kChunkBytes)
    check(MPI_Recv(data + at, chunk(total, at), MPI_BYTE, from, 0, comm_, MPI_STATUS_IGNORE), "receive");
}

void Session::exchange(const torch::Tensor& out, int to, torch::Tensor& in, int from) const {
  const char* sent = bytes_of(out);
  char* received = bytes_of(in);
  const int64_t out_total = to < 0 ? 0 : byte_count(out), in_total = from < 0 ? 0 : byte_count(in);
  // Both sides walk the same chunk sequence (the shared rows have the same shape on either side).
  for (int64_t at = 0; at < std::max(out_total, in_total); at += kChunkBytes) {
    const int n_out = at < out_total ? chunk(out_total, at) : 0, n_in = at < in_total ? chunk(in_total, at) : 0;
    check(MPI_Sendrecv(sent + (n_out ? at : 0), n_out, MPI_BYTE, peer(n_out ? to : -1), 1, received + (n_in ? at : 0),
                       n_in, MPI_BYTE, peer(n_in ? from : -1), 1, comm_, MPI_STATUS_IGNORE),
          "exchange");
  }
}

}  // namespace geosr::mpi
