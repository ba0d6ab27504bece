// The streaming processor's core: row-band canvas, condition computed once and NoData skipping give
// the in-memory sampler's bytes, in RAM and in memory-mapped files alike, on a real NAIP scene.

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "geosr/core/canvas/condition_cache.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/distributed/row_partition.hpp"
#include "geosr/core/grid/reflect_pad.hpp"
#include "geosr/core/network/model_file.hpp"
#include "scene_fixtures.hpp"

namespace {

using namespace geosr;
using torch::indexing::Slice;
using test::ddpm;
using test::naip_lr;

LrReader reader_of(const torch::Tensor& lr, const torch::Tensor& valid) {
  return [lr, valid](Span rows, Span cols) {
    return LrBlock{lr.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end),
                   valid.slice(0, rows.begin, rows.end).slice(1, cols.begin, cols.end)};
  };
}

struct Streamed {
  torch::Tensor result;
  int64_t network_windows = 0;
};

// What the streaming job does, minus GDAL.
Streamed stream(const Denoiser& denoiser, const Sampler& sampler, const torch::Tensor& lr, const torch::Tensor& valid,
                const SceneSamplerOptions& o, bool mapped, int64_t batch) {
  const int64_t h = lr.size(1) * 5, w = lr.size(2) * 5, c = lr.size(0);
  const Fuser fuser(o.fusion, make_grid(o.fusion, h, w, o.window, o.stride), o.weights);
  const WindowGrid& grid = fuser.grid();
  ConditionSource condition(reader_of(lr, valid), lr.size(1), lr.size(2), grid);
  const auto array = [&] {
    return mapped ? SceneArray::mapped(test::scratch("streaming_mapped").string(), c, grid.extent_height(),
                                       grid.extent_width())
                  : SceneArray::in_memory(c, grid.extent_height(), grid.extent_width());
  };
  ConditionCache cached(condition, grid, {0, grid.extent_height()}, array());
  auto state = array();
  state->write(grid.extent(), initial_noise(o.seed, c, grid.extent()));
  BandCanvas canvas(std::move(state), array(), fuser.planes(), grid.window_size());
  Streamed out;
  const StreamingRun run{denoiser,
                         sampler,
                         fuser,
                         [&](const std::vector<Region>& r) { return cached.read_windows(r); },
                         o.seed,
                         batch,
                         torch::kCPU,
                         [&](const Window& win) { return !condition.any_valid(grid.footprint(win)); },
                         [&](const SceneProgress& p) { out.network_windows = p.windows; },
                         {}};
  run_streaming(run, canvas);
  out.result = canvas.state().read(grid.scene()).clamp(-1.0, 1.0);
  return out;
}

// Resident pages of mapped files, in MiB (RssFile in /proc/self/status).
double rss_file_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("RssFile:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  return -1.0;
}

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    model = UNet(UNetConfig::preset("tiny", 3));
    denoiser = make_denoiser(model, torch::kCPU);
  }
  UNet model{nullptr};
  Denoiser denoiser;
};

TEST_F(Streaming, EqualsTheInMemorySamplerBitForBit) {
  const auto lr = naip_lr(23, 19);  // 115 x 95 output: partial last windows in both directions
  const auto valid = torch::ones({23, 19}, torch::kBool);
  const auto sampler = ddpm(3);
  for (auto mode : {FusionMode::Sdvc, FusionMode::Vcf, FusionMode::Avg, FusionMode::None}) {
    SCOPED_TRACE(to_string(mode));
    const auto o = test::small_windows(mode, 77);
    const auto expected = sample_scene(denoiser, *sampler, condition_from_lr(lr, 115, 95), o);
    EXPECT_GT(expected.std().item<double>(), 0.05);
    const auto ram = stream(denoiser, *sampler, lr, valid, o, false, 3);
    EXPECT_TRUE(torch::equal(ram.result, expected));
    EXPECT_EQ(ram.network_windows, make_grid(mode, 115, 95, 32, 24).size());
    if (mode == FusionMode::Sdvc || mode == FusionMode::None) {
      EXPECT_TRUE(torch::equal(stream(denoiser, *sampler, lr, valid, o, true, 5).result, expected)) << "mapped";
    }
  }
}

TEST_F(Streaming, SceneSmallerThanAWindowIsReflectedLikeInMemory) {
  const auto lr = naip_lr(3, 9);  // 15 x 45 output, window 32
  const auto sampler = ddpm(2);
  const auto o = test::small_windows(FusionMode::Sdvc, 0);
  const auto expected = sample_scene(denoiser, *sampler, condition_from_lr(lr, 15, 45), o);
  EXPECT_TRUE(torch::equal(stream(denoiser, *sampler, lr, torch::ones({3, 9}, torch::kBool), o, false, 2).result,
                           expected));
}

TEST_F(Streaming, WindowsWithoutValidPixelsAreSkipped) {
  const auto lr = naip_lr(36, 36);  // 180 x 180
  auto valid = torch::ones({36, 36}, torch::kBool);
  valid.slice(0, 0, 14).slice(1, 0, 14).fill_(false);  // a NoData hole over the top-left windows
  const auto sampler = ddpm(2);
  const auto o = test::small_windows(FusionMode::Sdvc, 0);
  const auto out = stream(denoiser, *sampler, lr, valid, o, false, 4);
  const int64_t all = make_grid(FusionMode::Sdvc, 180, 180, 32, 24).size();
  // Windows at origins 0 and 24 on both axes (HR 0..55) read LR pixels 0..12 only (cubic support).
  EXPECT_EQ(out.network_windows, all - 4) << "the windows whose whole cubic support is NoData";
  EXPECT_TRUE(torch::isfinite(out.result).all().item<bool>());
  EXPECT_LE(out.result.abs().max().item<double>(), 1.0);
  // A skipped window, or a condition reweighted at the hole's rim (HR pixels up to about 85), changes
  // y_t only under the windows there, and each step carries a change one window further: after 2
  // steps the pixels beyond 152 are untouched.
  const auto full = stream(denoiser, *sampler, lr, torch::ones({36, 36}, torch::kBool), o, false, 4);
  EXPECT_TRUE(torch::equal(out.result.slice(1, 152).slice(2, 152), full.result.slice(1, 152).slice(2, 152)));
  EXPECT_FALSE(torch::equal(out.result.slice(1, 0, 24).slice(2, 0, 24), full.result.slice(1, 0, 24).slice(2, 0, 24)));
}

// Tensors passed between threads standing in for MPI ranks: one queue per (from, to) pair.
class Mailboxes {
 public:
  void post(int from, int to, const torch::Tensor& t) {
    std::lock_guard<std::mutex> lock(mutex_);
    boxes_[{from, to}].push_back(t.clone());
    ready_.notify_all();
  }
  torch::Tensor take(int from, int to) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto& box = boxes_[{from, to}];
    ready_.wait(lock, [&] { return !box.empty(); });
    torch::Tensor t = box.front();
    box.pop_front();
    return t;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::pair<int, int>, std::deque<torch::Tensor>> boxes_;
};

TEST_F(Streaming, PartsExchangingTheirSharedRowsGiveTheOneCanvasBytes) {
  // What `geosr sr --mpi` does per rank, with threads for ranks: 3 runs of window rows, each on a
  // canvas of its own rows, adding the neighbours' sums of the shared rows at every step.
  const auto lr = naip_lr(40, 13);  // 200 x 65 output: 8 rows of 32-px windows at stride 24
  const auto valid = torch::ones({40, 13}, torch::kBool);
  const auto sampler = ddpm(3);
  for (auto mode : {FusionMode::Sdvc, FusionMode::Vcf}) {
    SCOPED_TRACE(to_string(mode));
    const auto o = test::small_windows(mode, 4);
    const torch::Tensor expected = stream(denoiser, *sampler, lr, valid, o, false, 4).result;

    const Fuser fuser(o.fusion, make_grid(o.fusion, 200, 65, o.window, o.stride), o.weights);
    const WindowGrid& grid = fuser.grid();
    const auto parts = partition_rows(grid, std::vector<int64_t>(grid.origins_y().size(), 3), 3);
    ASSERT_FALSE(parts[2].empty());
    ASSERT_GT(parts[1].shared_top, 0);
    torch::Tensor result = torch::zeros({3, grid.extent_height(), grid.extent_width()});
    Mailboxes mail;
    std::vector<std::thread> ranks;
    for (int r = 0; r < 3; ++r) {
      ranks.emplace_back([&, r] {
        const RowPart& part = parts[static_cast<size_t>(r)];
        ConditionSource condition(reader_of(lr, valid), lr.size(1), lr.size(2), grid);
        // Only the rows this part's windows cover.
        const Span rows = window_rows(grid, part.first, part.last);
        ConditionCache cached(condition, grid, rows, SceneArray::in_memory(3, rows.size(), grid.extent_width()));
        auto state = SceneArray::in_memory(3, part.y1 - part.y0, grid.extent_width());
        state->write({0, 0, part.y1 - part.y0, grid.extent_width()},
                     initial_noise(o.seed, 3, {part.y0, 0, part.y1, grid.extent_width()}));
        SharedRows shared{part.y0, part.shared_top, part.shared_bottom, [&](torch::Tensor& top, torch::Tensor& bottom) {
                            if (r > 0) mail.post(r, r - 1, top);
                            if (r < 2) mail.post(r, r + 1, bottom);
                            if (r > 0) top.add_(mail.take(r - 1, r));
                            if (r < 2) bottom.add_(mail.take(r + 1, r));
                          }};
        BandCanvas canvas(std::move(state), SceneArray::in_memory(3, part.y1 - part.y0, grid.extent_width()),
                          fuser.planes(), grid.window_size(), std::move(shared));
        const auto columns = static_cast<int64_t>(grid.origins_x().size());
        const StreamingRun run{denoiser, *sampler, fuser,
                               [&](const std::vector<Region>& reg) { return cached.read_windows(reg); },
                               o.seed, 2, torch::kCPU,
                               [&](const Window& win) {
                                 return win.index / columns < part.first || win.index / columns >= part.last;
                               },
                               {}, {}};
        run_streaming(run, canvas);
        result.slice(1, part.own0, part.own1)
            .copy_(canvas.state().read({part.own0 - part.y0, 0, part.own1 - part.y0, grid.extent_width()}));
      });
    }
    for (auto& t : ranks) t.join();
    EXPECT_TRUE(torch::equal(result.slice(1, 0, 200).slice(2, 0, 65).clamp(-1.0, 1.0), expected));
  }
}

TEST(BandCanvas, RefusesContributionsOutsideItsBand) {
  const Fuser fuser(FusionMode::Sdvc, make_grid(FusionMode::Sdvc, 64, 64, 32, 24), WeightKind::Cone);
  BandCanvas canvas(SceneArray::in_memory(1, 64, 64), SceneArray::in_memory(1, 64, 64), 1, 32);
  int64_t band_top = -1;
  const Canvas::AddToSums note_top = [&](torch::Tensor& sums, int64_t first_row) {
    EXPECT_EQ(sums.sizes(), (std::vector<int64_t>{1, 1, 32, 64}));
    band_top = first_row;
  };
  EXPECT_NO_THROW(canvas.accumulate_windows({{0, 0, 32, 32}}, note_top));
  EXPECT_EQ(band_top, 0);
  canvas.complete_rows_above(24, fuser);
  EXPECT_THROW(canvas.accumulate_windows({{0, 0, 32, 32}}, note_top), std::runtime_error);
  EXPECT_NO_THROW(canvas.accumulate_windows({{24, 0, 56, 32}}, note_top));
  EXPECT_EQ(band_top, 24);
  band_top = -1;
  EXPECT_THROW(canvas.accumulate_windows({{24, 0, 56, 32}, {32, 0, 64, 32}}, note_top), std::runtime_error);
  EXPECT_EQ(band_top, -1) << "nothing is added when one window is outside";
}

TEST(SceneArray, MappedArrayRoundTripsAndGivesPagesBack) {
  const auto dir = test::scratch("scene_array");
  auto array = SceneArray::mapped(dir.string(), 3, 2048, 2048);  // 48 MiB
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "the canvas file is unlinked at once";
  const auto values = torch::rand({3, 512, 2048});
  const double baseline = rss_file_mib();
  for (int64_t y = 0; y < 2048; y += 512) array->write({y, 0, y + 512, 2048}, values + static_cast<double>(y));
  EXPECT_GT(rss_file_mib() - baseline, 40.0) << "written pages are resident";
  array->release_rows(0, 2048);
  EXPECT_LT(rss_file_mib() - baseline, 4.0) << "released pages leave the resident set";
  for (int64_t y = 0; y < 2048; y += 512)
    EXPECT_TRUE(torch::equal(array->read({y, 0, y + 512, 2048}), values + static_cast<double>(y))) << "and keep their data";
  EXPECT_THROW(SceneArray::mapped((dir / "missing").string(), 1, 4, 4), std::runtime_error);
}

}  // namespace
