#include "geosr/core/runtime.hpp"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <torch/torch.h>

#ifdef GEOSR_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace geosr {

void configure_threads(int threads) {
  // OMP_NUM_THREADS is how a scheduler (or `geosr batch`, running several jobs side by side) gives
  // a process its share of the cores; it would be lost if one thread per core were forced here.
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    threads = env ? std::atoi(env) : 0;
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

void fail_writes_past_file_size_limit() { std::signal(SIGXFSZ, SIG_IGN); }

void keep_freed_memory() {
#ifdef __GLIBC__
  // By default glibc serves blocks over (at most) 32 MiB with mmap and gives a free heap top over
  // (at most) 64 MiB back to the kernel, so a network's activations and the step's float64
  // temporaries were page-faulted in afresh at every batch: on 2 cores more than half of a CPU
  // run's time (1 MP, tiny network: 11.9 s -> 5.3 s). Blocks up to 256 MiB now come from the heap
  // and a free top up to 256 MiB stays for the next batch, which reuses it: the peak is the same,
  // only held a little longer.
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "glibc.malloc.")) || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
      std::getenv("MALLOC_TRIM_THRESHOLD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

at::Tensor upload_from_host(const at::Tensor& host, const c10::Device& device) {
  return host.to(device, /*non_blocking=*/device.is_cuda() && host.is_pinned());
}

uint64_t digest_bytes(const void* data, size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  return hash;
}

uint64_t tensor_digest(const at::Tensor& tensor, uint64_t hash) {
  const at::Tensor values = tensor.contiguous();
  return digest_bytes(values.data_ptr(), values.nbytes(), hash);
}

std::string digest_text(uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  uint64_t hash = kDigestStart;
  std::vector<char> chunk(1 << 20);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    hash = digest_bytes(chunk.data(), static_cast<size_t>(in.gcount()), hash);
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return digest_text(hash);
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.15g %s", std::round(bytes * 100.0) / 100.0, units[unit]);
  return text;
}

std::string error_text(const std::exception& error) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
  std::string text = torch_error ? torch_error->what_without_backtrace() : error.what();
  if (torch_error) text = text.substr(0, text.find('\n'));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

double accelerator_free_bytes(const c10::Device& device) {
#ifdef GEOSR_WITH_CUDA
  if (device.is_cuda()) {
    const c10::cuda::CUDAGuard on(device);
    size_t free = 0, total = 0;
    if (cudaMemGetInfo(&free, &total) == cudaSuccess) return static_cast<double>(free);
  }
#endif
  (void)device;
  return 0.0;
}

namespace {

// A "VmRSS:" / "VmHWM:" line of /proc/self/status in bytes; 0 where there is no such file.
double status_bytes(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const size_t length = std::strlen(key);
  while (std::getline(status, line))
    if (line.compare(0, length, key) == 0) return std::atof(line.c_str() + length) * 1024.0;
  return 0.0;
}

}  // namespace

double resident_bytes() { return status_bytes("VmRSS:"); }

double peak_resident_bytes() { return status_bytes("VmHWM:"); }

void reset_peak_resident() {
  // Where clear_refs cannot be written the peak stays the process's: an overestimate, never under.
  std::ofstream("/proc/self/clear_refs") << "5";
}

void release_free_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace geosr
