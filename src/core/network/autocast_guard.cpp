#include "geosr/core/network/autocast_guard.hpp"

namespace geosr {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
void set_autocast_enabled(bool on) { at::autocast::set_autocast_enabled(at::kCUDA, on); }
at::ScalarType autocast_dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
void set_autocast_dtype(at::ScalarType dtype) { at::autocast::set_autocast_dtype(at::kCUDA, dtype); }
#else
bool autocast_enabled() { return at::autocast::is_enabled(); }
void set_autocast_enabled(bool on) { at::autocast::set_enabled(on); }
at::ScalarType autocast_dtype() { return at::autocast::get_autocast_gpu_dtype(); }
void set_autocast_dtype(at::ScalarType dtype) { at::autocast::set_autocast_gpu_dtype(dtype); }
#endif

}  // namespace

CudaAutocastGuard::CudaAutocastGuard(bool enabled, at::ScalarType dtype) : enabled_(enabled) {
  if (!enabled_) return;
  previous_enabled_ = autocast_enabled();
  previous_dtype_ = autocast_dtype();
  set_autocast_enabled(true);
  set_autocast_dtype(dtype);
  at::autocast::increment_nesting();
}

CudaAutocastGuard::~CudaAutocastGuard() {
  if (!enabled_) return;
  // The cast-weight cache lives until the outermost autocast region ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(previous_enabled_);
  set_autocast_dtype(previous_dtype_);
}

}  // namespace geosr
