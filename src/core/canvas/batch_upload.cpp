#include "geosr/core/canvas/batch_upload.hpp"

#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "geosr/core/runtime.hpp"

namespace geosr {

namespace {

// A CUDA device named without an index is the current one: streams and events need the index.
torch::Device concrete(torch::Device device) {
  if (!device.is_cuda() || device.has_index()) return device;
  return c10::impl::VirtualGuardImpl(device.type()).getDevice();
}

}  // namespace

BatchUpload::BatchUpload(torch::Device device) : device_(concrete(device)) {
  if (device_.is_cuda()) copy_stream_ = c10::impl::VirtualGuardImpl(device_.type()).getStreamFromGlobalPool(device_);
}

torch::Tensor BatchUpload::operator()(const torch::Tensor& batch) const {
  if (!copy_stream_ || !batch.is_cpu()) return batch.to(device_, torch::kFloat32);
  auto host = torch::empty(batch.sizes(), torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(true));
  host.copy_(batch);
  const c10::impl::VirtualGuardImpl cuda(device_.type());
  const c10::Stream compute = cuda.getStream(device_);
  torch::Tensor on_device;
  {
    // Allocated and filled on the copy stream; the pinned block is kept until the copy is done
    // (LibTorch's host allocator records the copy), so `host` can go out of scope.
    const c10::StreamGuard on_copy_stream(*copy_stream_);
    on_device = upload_from_host(host, device_);
  }
  // The compute stream uses the memory next: the allocator must not hand it to the copy stream
  // again before the compute stream is done with it.
  cuda.recordDataPtrOnStream(on_device.storage().data_ptr(), compute);
  c10::Event copied(device_.type());
  copied.record(*copy_stream_);
  copied.block(compute);
  return on_device;
}

}  // namespace geosr
