#pragma once
// Process-wide LibTorch settings, and what the accelerator has room for.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace geosr {

// Debian's LibTorch starts with one intra-op thread; use `threads` (<= 0: $OMP_NUM_THREADS when
// set, else one per CPU core).
void configure_threads(int threads = 0);

// Lets glibc's malloc keep the large blocks LibTorch frees and allocates again at every batch
// (unless the user tuned malloc through the environment). For programs, not for libraries loaded
// into someone else's process.
void keep_freed_memory();

// Past a file-size limit (ulimit -f) a write then fails with EFBIG, which the program reports and
// cleans up after; by default SIGXFSZ ends the process and leaves its partial file behind. For
// programs, like keep_freed_memory.
void fail_writes_past_file_size_limit();

// `host` on `device`. To CUDA from pinned memory the copy does not wait for the work queued on the
// device; otherwise it waits, since an asynchronous copy could read pageable memory after it is
// freed. Callers stage what they upload in pinned memory when `device` is CUDA.
at::Tensor upload_from_host(const at::Tensor& host, const c10::Device& device);

// FNV-1a (64 bits) of `size` bytes, continuing from `hash`: stable across builds and machines, so
// it can name cached blocks and be compared on resume. Not for security.
constexpr uint64_t kDigestStart = 0xcbf29ce484222325ULL;
uint64_t digest_bytes(const void* data, size_t size, uint64_t hash = kDigestStart);

// digest_bytes of a tensor's values (CPU, in row-major order whatever its strides).
uint64_t tensor_digest(const at::Tensor& tensor, uint64_t hash = kDigestStart);

// The same digest as 16 hex digits.
std::string digest_text(uint64_t hash);

// A file's bytes as digest_text: tells apart two model files that share a name and a size, as
// retraining in place leaves them.
std::string file_digest(const std::string& path);

// "1.46 MiB", "512 KiB", "8 GiB": binary units, two decimals at most.
std::string bytes_text(double bytes);

// An error as one line for a user: LibTorch's without the C++ stack trace it carries, line breaks
// of any other as spaces.
std::string error_text(const std::exception& error);

// Bytes of free memory on an accelerator `device` now; 0 for the CPU, and for CUDA when LibTorch
// was built without it.
double accelerator_free_bytes(const c10::Device& device);

// Bytes of this process resident in RAM now, and at most since the last reset_peak_resident() (or
// since it started, where Linux does not let the peak be reset); 0 without /proc.
double resident_bytes();
double peak_resident_bytes();
void reset_peak_resident();

// Hands the heap's free pages back to the kernel (glibc's malloc_trim; nothing elsewhere). Freed
// memory is kept for reuse (keep_freed_memory), which a run near its RAM limit cannot afford.
void release_free_heap();

}  // namespace geosr
