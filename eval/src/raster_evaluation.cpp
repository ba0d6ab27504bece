#include "geosr/eval/raster_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "geosr/eval/feature_distances.hpp"
#include "geosr/eval/inception_features.hpp"
#include "geosr/eval/lr_consistency.hpp"
#include "geosr/eval/pixel_fidelity.hpp"
#include "geosr/eval/power_spectrum.hpp"
#include "geosr/eval/seam.hpp"
#include "geosr/eval/sliced_wasserstein.hpp"
#include "geosr/io/georef.hpp"
#include "geosr/io/raster_source.hpp"

namespace geosr::eval {

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names{"rmse", "psnr", "ssim", "swd", "spectrum", "fid", "kid", "seam", "lr"};
  return names;
}

namespace {

bool wants(const std::vector<std::string>& metrics, const std::string& name) {
  return std::find(metrics.begin(), metrics.end(), name) != metrics.end();
}

// The raster's own values (Byte 0..255, ...), undoing RasterSource's model-range mapping; integer
// types round back exactly.
struct Strip {
  torch::Tensor values;  // (C, h, w) float64
  torch::Tensor valid;   // (h, w) bool
};

Strip read_values(const RasterSource& source, Span rows, Span cols) {
  const auto window = source.read(rows, cols);
  std::vector<torch::Tensor> bands;
  for (size_t b = 0; b < source.bands().size(); ++b) {
    const auto& info = source.bands()[b];
    bands.push_back(from_model(window.data[static_cast<int64_t>(b)].to(torch::kFloat64), info.range, info.type)
                        .to(torch::kFloat64));
  }
  return {torch::stack(bands), window.valid};
}

void check_same_grid(const RasterSource& ref, const RasterSource& other) {
  const auto fail = [&](const std::string& why) {
    throw std::runtime_error(other.path() + " is not on the grid of " + ref.path() + ": " + why);
  };
  if (ref.width() != other.width() || ref.height() != other.height()) {
    fail(std::to_string(other.width()) + " x " + std::to_string(other.height()) + " pixels instead of " +
         std::to_string(ref.width()) + " x " + std::to_string(ref.height()));
  }
  if (ref.bands().size() != other.bands().size()) fail("different band count");
  if (ref.geotransform().has_value() != other.geotransform().has_value()) fail("only one has a geotransform");
  if (ref.geotransform()) {
    const auto& a = *ref.geotransform();
    const auto& b = *other.geotransform();
    const double tol = 1e-6 * (std::abs(a[1]) + std::abs(a[2]) + std::abs(a[4]) + std::abs(a[5]));
    for (int i = 0; i < 6; ++i) {
      if (std::abs(a[i] - b[i]) > tol) fail("different geotransform");
    }
  }
  if (!same_crs(ref.crs_wkt(), other.crs_wkt())) fail("different CRS");
}

// The LR raster's integer scale, checked against the reference grid: same origin, pixels exactly
// `scale` reference pixels, size floor(H / scale) x floor(W / scale) as geosr degrade writes it
// when the size divides, or its rounding otherwise.
int64_t lr_scale(const RasterSource& ref, const RasterSource& lr) {
  if (lr.bands().size() != ref.bands().size()) throw std::runtime_error(lr.path() + ": band count differs from the reference");
  const int64_t scale = std::llround(static_cast<double>(ref.width()) / static_cast<double>(lr.width()));
  const auto fits = [&](int64_t hr, int64_t lr_len) { return lr_len == hr / scale || lr_len == std::llround(double(hr) / scale); };
  if (scale < 1 || !fits(ref.width(), lr.width()) || !fits(ref.height(), lr.height())) {
    throw std::runtime_error(lr.path() + " (" + std::to_string(lr.width()) + " x " + std::to_string(lr.height()) +
                             ") is not an integer reduction of the reference");
  }
  // At scale 1 the "consistency" would be the candidate's plain error against a copy of the reference grid.
  if (scale == 1)
    throw std::runtime_error(lr.path() + " is the reference's own size (" + std::to_string(lr.width()) + " x " +
                             std::to_string(lr.height()) + "), not an LR input");
  if (ref.geotransform() && lr.geotransform()) {
    const auto& a = *ref.geotransform();
    const auto& b = *lr.geotransform();
    const double tol = 1e-3 * std::abs(a[1]);
    if (std::abs(a[0] - b[0]) > tol || std::abs(a[3] - b[3]) > tol || std::abs(b[1] - scale * a[1]) > tol * scale ||
        std::abs(b[5] - scale * a[5]) > tol * scale) {
      throw std::runtime_error(lr.path() + " is not the reference grid coarsened " + std::to_string(scale) + " times");
    }
  }
  if (!same_crs(ref.crs_wkt(), lr.crs_wkt())) throw std::runtime_error(lr.path() + ": different CRS from the reference");
  return scale;
}

// Calls fn(candidate index, reference window, candidate window) for every window of `layout` that
// is valid in both, reading one window row of every raster at a time.
template <typename Fn>
void stream_windows(const RasterSource& ref, const std::vector<RasterSource>& cands, const WindowLayout& layout,
                    Fn&& fn) {
  const int64_t p = layout.size;
  const auto xs = window_starts(ref.width(), layout);
  for (int64_t y : window_starts(ref.height(), layout)) {
    const auto r = read_values(ref, {y, y + p}, {0, ref.width()});
    for (size_t c = 0; c < cands.size(); ++c) {
      const auto k = read_values(cands[c], {y, y + p}, {0, ref.width()});
      const auto valid = r.valid & k.valid;
      for (int64_t x : xs) {
        if (!valid.narrow(1, x, p).all().item<bool>()) continue;
        fn(c, r.values.narrow(2, x, p), k.values.narrow(2, x, p));
      }
    }
  }
}

}  // namespace

std::string metrics_problem(const RasterEvalOptions& options) {
  for (const auto& m : options.metrics) {
    if (!wants(metric_names(), m)) return "unknown metric '" + m + "'";
  }
  // The defaults ask for these two only when their inputs are given.
  if (wants(options.metrics, "seam") && !options.grid) return "the seam score needs --grid WINDOW,STRIDE";
  if (wants(options.metrics, "lr") && options.lr_path.empty()) return "LR consistency needs --lr LR.tif";
  return "";
}

EvaluationReport evaluate_rasters(const std::string& reference, const std::vector<std::string>& candidates,
                                  RasterEvalOptions options) {
  if (candidates.empty()) throw std::runtime_error("no candidate rasters");
  if (const std::string problem = metrics_problem(options); !problem.empty()) throw std::runtime_error(problem);
  const RasterSource ref(reference);
  std::vector<RasterSource> cands;
  for (const auto& path : candidates) {
    cands.emplace_back(path);
    check_same_grid(ref, cands.back());
  }
  std::optional<RasterSource> lr;
  if (!options.lr_path.empty()) lr.emplace(options.lr_path);
  if (options.inception_path.empty()) {
    if (const char* env = std::getenv("GEOSR_INCEPTION")) options.inception_path = env;
  }
  // Defaults: every metric whose inputs are at hand.
  auto metrics = options.metrics;
  if (metrics.empty()) {
    metrics = {"rmse", "psnr", "ssim", "swd", "spectrum"};
    if (!options.inception_path.empty()) metrics.insert(metrics.end(), {"fid", "kid"});
    if (options.grid) metrics.push_back("seam");
    if (lr) metrics.push_back("lr");
  }

  EvaluationReport report;
  report.reference = reference;
  // Distribution metrics compare whole windows: by default they are left out, not failed, where
  // none fits (asked for by name, they fail below, saying why).
  const int64_t side = options.swd_windows.size;
  const auto leave_out_windows = [&](const std::string& why) {
    metrics.erase(std::remove_if(metrics.begin(), metrics.end(),
                                 [](const std::string& m) { return m == "swd" || m == "spectrum"; }),
                  metrics.end());
    for (auto& candidate : report.candidates)
      for (const char* key : {"swd", "spectrum_db"}) candidate.values.erase(key);
    report.swd_windows = 0;
    report.notes.push_back("SWD and the spectrum left out: " + why);
  };
  if (options.metrics.empty() && (ref.height() < side || ref.width() < side))
    leave_out_windows("the rasters (" + std::to_string(ref.width()) + " x " + std::to_string(ref.height()) +
                      ") are smaller than their " + std::to_string(side) + "-pixel windows");
  // A scene no larger than the grid's window (the output of a small input) holds no boundary to score.
  if (options.metrics.empty() && options.grid &&
      seam_lines(ref.height(), options.grid->size, options.grid->stride).empty() &&
      seam_lines(ref.width(), options.grid->size, options.grid->stride).empty()) {
    metrics.erase(std::remove(metrics.begin(), metrics.end(), "seam"), metrics.end());
    report.notes.push_back("the seam score left out: the " + std::to_string(ref.width()) + " x " +
                           std::to_string(ref.height()) + " rasters fit in one " + std::to_string(options.grid->size) +
                           "-pixel window and hold no window boundary");
  }
  report.max_value = options.max_value ? *options.max_value : data_type_max(GDALGetDataTypeName(ref.data_type()));
  const SceneShape scene{ref.height(), ref.width(), static_cast<int64_t>(ref.bands().size())};
  for (const auto& path : candidates) report.candidates.push_back({path, {}, {}});
  const size_t n = cands.size();
  const auto put = [&](size_t c, const std::string& key, const BandScores& s) {
    report.candidates[c].values[key] = s.overall;
    report.candidates[c].per_band[key] = s.per_band;
  };

  // Pixel metrics, in strips of whole rows with the halo SSIM and gradients need.
  const bool pixels = wants(metrics, "rmse") || wants(metrics, "psnr") || wants(metrics, "ssim") || wants(metrics, "seam");
  if (pixels) {
    std::vector<ErrorAccumulator> errors(n, ErrorAccumulator(scene, report.max_value));
    std::vector<SsimAccumulator> ssim(n, SsimAccumulator(scene, report.max_value));
    std::vector<SeamAccumulator> seams;
    if (options.grid) seams.assign(n, SeamAccumulator(scene, options.grid->size, options.grid->stride));
    const int64_t halo = SsimAccumulator::kHalo;
    for (int64_t y = 0; y < scene.height; y += options.block_rows) {
      const int64_t y1 = std::min(scene.height, y + options.block_rows);
      const Span rows{std::max<int64_t>(0, y - halo), std::min(scene.height, y1 + halo)};
      const auto r = read_values(ref, rows, {0, scene.width});
      for (size_t c = 0; c < n; ++c) {
        const auto k = read_values(cands[c], rows, {0, scene.width});
        BlockPair block{r.values, k.values, r.valid & k.valid, rows.begin, 0,
                        Region{y - rows.begin, 0, y1 - rows.begin, scene.width}};
        errors[c].add(block);
        if (wants(metrics, "ssim")) ssim[c].add(block);
        if (!seams.empty()) seams[c].add(block);
      }
    }
    for (size_t c = 0; c < n; ++c) {
      if (wants(metrics, "rmse")) put(c, "rmse", errors[c].rmse());
      if (wants(metrics, "psnr")) put(c, "psnr", errors[c].psnr());
      if (wants(metrics, "ssim")) put(c, "ssim", ssim[c].ssim());
      if (wants(metrics, "seam")) {
        const auto s = seams[c].scores();
        report.candidates[c].values["seam"] = s.candidate;
        report.reference_seam = s.reference;
      }
    }
  }

  if (wants(metrics, "swd") || wants(metrics, "spectrum")) {
    if (ref.height() < side || ref.width() < side)
      throw std::runtime_error("SWD and the spectrum need " + std::to_string(side) + " x " + std::to_string(side) +
                               " windows; the rasters are " + std::to_string(ref.width()) + " x " +
                               std::to_string(ref.height()) + " (leave them out with --metrics)");
    std::vector<SlicedWasserstein> swd(n, SlicedWasserstein(SwdOptions{4, 7, 128, 4, 128, options.seed}));
    std::vector<PowerSpectrumAccumulator> spectra(n);
    stream_windows(ref, cands, options.swd_windows, [&](size_t c, const torch::Tensor& r, const torch::Tensor& k) {
      swd[c].add_window(r, k);
      spectra[c].add_window(r, k);
    });
    report.swd_windows = swd.front().windows();
    for (size_t c = 0; c < n; ++c) {
      if (swd[c].windows() == 0) {
        const std::string why = "no " + std::to_string(side) + " x " + std::to_string(side) +
                                " window of " + candidates[c] + " and the reference is free of NoData";
        if (!options.metrics.empty()) throw std::runtime_error(why + " (leave SWD and the spectrum out with --metrics)");
        leave_out_windows(why);
        break;
      }
      if (wants(metrics, "swd")) report.candidates[c].values["swd"] = swd[c].result().mean;
      if (wants(metrics, "spectrum")) report.candidates[c].values["spectrum_db"] = spectra[c].result().high_band_distance_db;
    }
  }

  if (wants(metrics, "fid") || wants(metrics, "kid")) {
    InceptionFeatures net(find_inception_file(options.inception_path), options.device, options.batch_size);
    std::vector<FeatureCollector> collectors;
    for (size_t c = 0; c < n; ++c) collectors.emplace_back(net);
    stream_windows(ref, cands, options.fid_windows, [&](size_t c, const torch::Tensor& r, const torch::Tensor& k) {
      // The network sees the 8-bit scale (0..255) whatever the data type.
      const double to_255 = 255.0 / report.max_value;
      collectors[c].add_window(r * to_255, k * to_255);
    });
    for (size_t c = 0; c < n; ++c) {
      const auto a = collectors[c].reference_features(), b = collectors[c].candidate_features();
      if (c == 0) report.fid_windows = a.size(0);
      if (wants(metrics, "fid")) report.candidates[c].values["fid"] = frechet_distance(a, b);
      if (wants(metrics, "kid")) {
        const auto kid = kernel_inception_distance(a, b, 100, 1000, options.seed);
        report.candidates[c].values["kid"] = kid.mean;
        report.candidates[c].values["kid_std"] = kid.std;
      }
    }
  }

  if (wants(metrics, "lr")) {
    const int64_t scale = lr_scale(ref, *lr);
    report.scale = scale;
    const int64_t lr_h = std::min(lr->height(), scene.height / scale), lr_w = std::min(lr->width(), scene.width / scale);
    const int64_t step = std::max<int64_t>(1, options.block_rows / scale);
    std::vector<LrConsistencyAccumulator> acc(n, LrConsistencyAccumulator(scene.bands, scale));
    for (int64_t y = 0; y < lr_h; y += step) {
      const int64_t y1 = std::min(lr_h, y + step);
      const auto low = read_values(*lr, {y, y1}, {0, lr_w});
      for (size_t c = 0; c < n; ++c) {
        const auto k = read_values(cands[c], {y * scale, y1 * scale}, {0, lr_w * scale});
        acc[c].add(k.values, k.valid, low.values, low.valid);
      }
    }
    for (size_t c = 0; c < n; ++c) put(c, "lr_mae", acc[c].mae());
  }
  for (const auto& m : metric_names()) {
    if (wants(metrics, m)) report.metrics.push_back(m);
  }
  return report;
}

}  // namespace geosr::eval
