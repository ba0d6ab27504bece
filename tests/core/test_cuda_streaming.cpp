// The streaming processor on a CUDA device: noise drawn on the device, fusion and accumulation on
// the device, batches uploaded through pinned memory on a copy stream, and the accelerator tier
// (canvas and condition in device memory) giving the host tiers' bytes.
// Skipped where LibTorch has no CUDA device (CI); run on the GPU machine.

#include <gtest/gtest.h>

#include <optional>

#include "geosr/core/canvas/batch_upload.hpp"
#include "geosr/core/canvas/canvas_plan.hpp"
#include "geosr/core/canvas/checkpoint.hpp"
#include "geosr/core/canvas/condition_cache.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/fusion/fixed_point.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/resample/resample.hpp"
#include "scene_fixtures.hpp"

namespace {

using namespace geosr;
using test::naip_lr;

class CudaStreaming : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
};

struct Scene {
  torch::Tensor lr;
  Fuser fuser;
  int64_t channels() const { return lr.size(0); }
};

Scene naip_scene(FusionMode mode) {
  const auto lr = naip_lr(23, 19);  // 115 x 95 output: partial windows in both directions
  return {lr, Fuser(mode, make_grid(mode, 115, 95, 32, 24), WeightKind::Cone)};
}

// The streaming core as `geosr sr` runs it, with the canvas in `store`, the condition in
// `condition_store` (by default beside it) and the network on `device`.
torch::Tensor stream(const Denoiser& denoiser, const Sampler& sampler, const Scene& scene, CanvasStore store,
                     torch::Device device, int64_t batch, std::optional<CanvasStore> condition_store = {}) {
  const WindowGrid& grid = scene.fuser.grid();
  const auto lr = scene.lr;
  ConditionSource condition(
      [lr](Span rows, Span cols) {
        return LrBlock{lr.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end),
                       torch::ones({rows.size(), cols.size()}, torch::kBool)};
      },
      lr.size(1), lr.size(2), grid);
  CanvasPlan plan;
  plan.store = store;
  plan.condition_store = condition_store.value_or(store);
  plan.device = device;
  plan.tmpdir = test::scratch("cuda_streaming").string();
  const auto array = [&] { return plan.new_array(scene.channels(), grid.extent_height(), grid.extent_width()); };
  auto state = array();
  state->write(grid.extent(), initial_noise(5, scene.channels(), grid.extent()));
  BandCanvas canvas(std::move(state), array(), scene.fuser.planes(), grid.window_size(), {}, device);
  ConditionCache cached(condition, grid, {0, grid.extent_height()},
                        plan.new_condition_array(scene.channels(), grid.extent_height(), grid.extent_width()));
  const StreamingRun run{denoiser,
                         sampler,
                         scene.fuser,
                         [&](const std::vector<Region>& r) { return cached.read_windows(r); },
                         5,
                         batch,
                         device,
                         {},
                         {},
                         {}};
  run_streaming(run, canvas);
  return canvas.state().read(grid.scene()).cpu();
}

TEST_F(CudaStreaming, TheFusedKernelAddsWhatTheHostLoopAdds) {
  const int64_t c = 3, p = 64;
  const auto grid = WindowGrid::overlapping(200, 170, p, 48);
  auto windows = grid.windows();
  torch::manual_seed(3);
  const auto means = torch::randn({static_cast<int64_t>(windows.size()), c, p, p}) * 0.5;
  const StepNoise noise{0.7, 21, 17};
  for (const auto mode : {FusionMode::Sdvc, FusionMode::Vcf, FusionMode::Avg}) {
    SCOPED_TRACE(to_string(mode));
    const Fuser fuser(mode, grid, WeightKind::Cone);
    const auto zeros = [&](torch::Device device) {
      return torch::zeros({fuser.planes(), c, grid.extent_height(), grid.extent_width()},
                          torch::TensorOptions().dtype(torch::kInt64).device(device));
    };
    auto host = zeros(torch::kCPU), device = zeros(torch::kCUDA), reordered = zeros(torch::kCUDA);
    const double host_largest = fuser.accumulate(windows, means, noise, host, 0).item<double>();
    const auto largest = fuser.accumulate(windows, means.cuda(), noise, device, 0);
    ASSERT_TRUE(largest.is_cuda());
    // The same windows backwards, in two calls: atomic integer adds give the same sums in any order.
    const int64_t half = static_cast<int64_t>(windows.size()) / 2;
    const std::vector<Window> first(windows.rbegin(), windows.rbegin() + half), rest(windows.rbegin() + half, windows.rend());
    const auto backwards = means.flip(0).cuda();
    fuser.accumulate(first, backwards.slice(0, 0, half), noise, reordered, 0);
    fuser.accumulate(rest, backwards.slice(0, half), noise, reordered, 0);
    EXPECT_TRUE(torch::equal(device, reordered));
    // The Philox words are the host's (one header); Box-Muller's log/cos/sin are the device's,
    // which may round a noise value's last float bit differently.
    const auto got = device.cpu();
    EXPECT_GE(torch::eq(got, host).to(torch::kFloat64).mean().item<double>(), 0.999);
    EXPECT_LE(static_cast<double>((got - host).abs().max().item<int64_t>()) / kFixedPointScale, 1e-5);
    EXPECT_NEAR(largest.item<double>(), host_largest, 1e-5);
    EXPECT_GT(host_largest, 1.0);
  }
}

TEST_F(CudaStreaming, BatchesUploadedOnTheCopyStreamArriveIntact) {
  const BatchUpload upload(torch::kCUDA);
  std::vector<torch::Tensor> expected, uploaded;
  // Many batches in flight at once, each consumed on the compute stream: a missing wait or a block
  // of memory reused too early would show as a wrong sum.
  for (int i = 0; i < 64; ++i) {
    std::vector<torch::Tensor> crops;
    for (int j = 0; j < 5; ++j) crops.push_back(torch::randn({3, 64, 64}));
    expected.push_back(torch::stack(crops).sum({1, 2, 3}));
    uploaded.push_back(upload(torch::stack(crops)).sum({1, 2, 3}));
  }
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(uploaded[i].is_cuda());
    EXPECT_LT((uploaded[i].cpu() - expected[i]).abs().max().item<double>(), 1e-2) << "batch " << i;
  }
}

TEST_F(CudaStreaming, TheAcceleratorTierGivesTheHostTiersBytes) {
  // make_denoiser moves its module to the device: one copy of the same weights per device.
  const auto tiny = [] {
    torch::manual_seed(4);
    return UNet(UNetConfig::preset("tiny", 3));
  };
  UNet gpu_model = tiny(), cpu_model = tiny();
  const auto on_gpu = make_denoiser(gpu_model, torch::kCUDA);
  const auto on_cpu = make_denoiser(cpu_model, torch::kCPU);
  const auto sampler = make_sampler(SamplerKind::Ddpm, NoiseSchedule::make(ScheduleKind::Linear).respaced(3));
  for (auto mode : {FusionMode::Sdvc, FusionMode::Vcf}) {
    SCOPED_TRACE(to_string(mode));
    const Scene scene = naip_scene(mode);
    const auto ram = stream(on_gpu, *sampler, scene, CanvasStore::Ram, torch::kCUDA, 4);
    EXPECT_GT(ram.std().item<double>(), 0.05);
    EXPECT_TRUE(torch::equal(stream(on_gpu, *sampler, scene, CanvasStore::Device, torch::kCUDA, 4), ram));
    EXPECT_TRUE(torch::equal(stream(on_gpu, *sampler, scene, CanvasStore::Mapped, torch::kCUDA, 4), ram));
    // A host canvas with the condition on the accelerator (it alone fits there).
    EXPECT_TRUE(torch::equal(
        stream(on_gpu, *sampler, scene, CanvasStore::Mapped, torch::kCUDA, 4, CanvasStore::Device), ram));
    // The in-memory sampler (host canvas, device network) takes the same steps.
    auto o = test::small_windows(mode, 5);
    o.device = torch::kCUDA;
    const auto in_memory = sample_scene(on_gpu, *sampler, condition_from_lr(scene.lr, 115, 95), o);
    EXPECT_TRUE(torch::equal(in_memory, ram.clamp(-1.0, 1.0)));
    // And the CPU the same function, up to the devices' float rounding.
    const auto cpu = stream(on_cpu, *sampler, scene, CanvasStore::Ram, torch::kCPU, 4);
    EXPECT_LT((cpu - ram).abs().max().item<double>(), 2e-3);
  }
}

TEST_F(CudaStreaming, GarbageFromTheNetworkIsRefusedBeforeTheStepIsCommitted) {
  const Denoiser broken = [](const torch::Tensor&, const torch::Tensor& y, const torch::Tensor&) {
    return torch::full_like(y, std::nan(""));
  };
  const auto sampler = make_sampler(SamplerKind::Ddpm, NoiseSchedule::make(ScheduleKind::Linear).respaced(2));
  const Scene scene = naip_scene(FusionMode::Sdvc);
  try {
    stream(broken, *sampler, scene, CanvasStore::Device, torch::kCUDA, 4);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}

TEST_F(CudaStreaming, ADeviceCanvasCheckpointsAndResumesThroughTheHost) {
  auto state = SceneArray::on_device(torch::kCUDA, 3, 70, 45);
  state->write({0, 0, 70, 45}, torch::randn({3, 70, 45}));
  const std::string path = (test::scratch("cuda_checkpoint") / "state.ckpt").string();
  save_checkpoint(path, {{"seed", "1"}}, 4, *state);
  auto restored = SceneArray::on_device(torch::kCUDA, 3, 70, 45);
  load_checkpoint_state(path, *restored);
  EXPECT_TRUE(restored->data().is_cuda());
  EXPECT_TRUE(torch::equal(restored->data().cpu(), state->data().cpu()));
  auto host = SceneArray::in_memory(3, 70, 45);
  load_checkpoint_state(path, *host);
  EXPECT_TRUE(torch::equal(host->data(), state->data().cpu()));
}

}  // namespace
