// geosr seg predict: a whole scene segmented with Gaussian-weighted sliding windows (the paper's
// Eq. 16-17), band by band of rows so any scene size fits in memory, written as a class raster
// and, when asked, a probability raster (COGs unless -of or the names say otherwise), both on the
// input's grid.

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "geosr/core/interrupt.hpp"
#include "geosr/core/whole_number.hpp"
#include "geosr/core/segmentation/seg_model.hpp"
#include "geosr/io/output_format.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"
#include "seg_commands.hpp"
#include "seg_options.hpp"

namespace geosr::cli {
namespace {

// Values pass through the writer unchanged: model range [-1, 1] is the identity on [-1, 1].
OutputSpec output_on_input_grid(const RasterSource& source, GDALDataType type, int64_t bands, double nodata,
                                const std::string& description, const IoOptions& io) {
  OutputSpec spec;
  spec.width = source.width();
  spec.height = source.height();
  spec.type = type;
  spec.ranges.assign(static_cast<size_t>(bands), ValueRange{-1.0, 1.0});
  spec.colors.assign(static_cast<size_t>(bands), GCI_Undefined);
  spec.descriptions.assign(static_cast<size_t>(bands), description);
  spec.geotransform = source.geotransform();
  spec.crs_wkt = source.crs_wkt();
  if (source.has_invalid_pixels()) spec.nodata = nodata;
  set_output_options(spec, io);
  return spec;
}

int predict(const std::vector<std::string>& args) {
  auto options = io_options(Writes::Raster, false);
  options.add_options()
      ("model", po::value<std::string>()->value_name("MODEL"), "segmentation model (geosr seg train's model.safetensors)")
      ("probabilities", po::value<std::string>()->value_name("PROB.tif"),
       "also write class probabilities (Float32, one band per class after the background)")
      ("window", po::value<int64_t>()->value_name("S"),
       "window side, a multiple of 32 (default: the model's training patch, else 128)")
      ("stride", po::value<int64_t>()->default_value(32)->value_name("N"), "window stride")
      ("sigma", po::value<double>()->value_name("PIXELS"), "Gaussian window weight sigma (default: S/4)")
      ("batch", po::value<int64_t>()->default_value(16)->value_name("N"), "windows per network call")
      ("block-rows", po::value<int64_t>()->default_value(512)->value_name("N"), "output rows predicted at a time")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N")
      ("precision", po::value<std::string>()->default_value("fp32"), "fp32 | bf16 (bf16 on CUDA only)");
  po::variables_map values;
  if (!parse("seg predict", "[options] --model MODEL SRC CLASSES.tif", args, options, true, values)) return 0;
  const IoOptions io = read_io_options(values, Writes::Raster);
  if (!values.count("model")) throw UsageError("give --model MODEL");
  SlidingOptions sliding;
  const bool window_given = values.count("window") > 0;
  if (window_given) sliding.window = values["window"].as<int64_t>();
  sliding.stride = values["stride"].as<int64_t>();
  if (values.count("sigma")) {
    sliding.sigma = values["sigma"].as<double>();
    if (!(sliding.sigma > 0)) throw UsageError("--sigma must be positive");
  }
  sliding.batch = values["batch"].as<int64_t>();
  if (sliding.window < kSegNetStride || sliding.window > 4096 || sliding.window % kSegNetStride)
    throw UsageError("--window must be a multiple of " + std::to_string(kSegNetStride) + " up to 4096");
  if (sliding.stride < 1 || sliding.stride > sliding.window) throw UsageError("--stride must be 1 .. --window");
  if (sliding.batch < 1 || sliding.batch > 4096) throw UsageError("--batch must be 1 .. 4096");
  const int64_t block_rows = values["block-rows"].as<int64_t>();
  if (block_rows < 1) throw UsageError("--block-rows must be positive");
  const std::string precision = values["precision"].as<std::string>();
  if (precision != "bf16" && precision != "fp32") throw UsageError("--precision must be bf16 or fp32");
  const torch::Device device = read_device(values);
  const std::string probabilities_path = values.count("probabilities") ? values["probabilities"].as<std::string>() : "";
  if (!probabilities_path.empty() && std::filesystem::weakly_canonical(probabilities_path) == std::filesystem::weakly_canonical(io.dst))
    throw UsageError("--probabilities must name another file than CLASSES");
  for (const std::string& input : {io.src, values["model"].as<std::string>()}) {
    check_not_input(input, io.dst);
    if (!probabilities_path.empty()) check_not_input(input, probabilities_path);
  }

  const RasterSource source(io.src, io.bands);
  const SegModel model = load_seg_model(values["model"].as<std::string>());
  // The network's scores are those of the windows it learnt on: 128-px windows over a model trained
  // on 64-px patches had lost a quarter of its IoU.
  if (!window_given && model.metadata.count("geosr.train.patch")) {
    const auto patch = whole_number<int64_t>(model.metadata.at("geosr.train.patch"));
    if (patch && *patch >= kSegNetStride && *patch <= 4096 && *patch % kSegNetStride == 0) {
      sliding.window = *patch;
      if (sliding.stride > sliding.window)
        throw UsageError("--stride " + std::to_string(sliding.stride) + " exceeds the model's " +
                         std::to_string(sliding.window) + "-px window (its training patch); give --window too");
    }
  }
  const int64_t bands = model.net->config().in_channels, classes = model.net->config().classes;
  if (static_cast<int64_t>(source.bands().size()) != bands)
    throw std::runtime_error(io.src + " has " + std::to_string(source.bands().size()) + " bands, the model takes " +
                             std::to_string(bands) + (io.bands.empty() ? " (choose them with -b)" : ""));
  // A window beyond the scene only adds mirrored padding for the network to run over.
  const int64_t covering = (std::max(source.width(), source.height()) + kSegNetStride - 1) / kSegNetStride * kSegNetStride;
  if (sliding.window > covering) {
    if (!io.quiet)
      warn("seg predict", "--window " + std::to_string(sliding.window) + " is larger than the " +
                              std::to_string(source.width()) + " x " + std::to_string(source.height()) +
                              " scene: using " + std::to_string(covering));
    sliding.window = covering;
    sliding.stride = std::min(sliding.stride, covering);
  }
  SlidingPredictor predictor(seg_classifier(model.net, device, precision == "bf16"), source.height(), source.width(),
                             sliding);
  OutputSpec class_spec = output_on_input_grid(source, GDT_Byte, 1, 255, "class", io);
  class_spec.categorical = true;
  class_spec.metadata = {{"GEOSR_SEG_MODEL", values["model"].as<std::string>()},
                         {"GEOSR_SEG_GRID", std::to_string(sliding.window) + "," + std::to_string(sliding.stride)}};
  check_output(class_spec);
  OutputSpec probability_spec = output_on_input_grid(source, GDT_Float32, classes - 1, -1, "", io);
  if (!probabilities_path.empty()) {
    for (int64_t c = 1; c < classes; ++c)
      probability_spec.descriptions[static_cast<size_t>(c - 1)] = "class " + std::to_string(c) + " probability";
    probability_spec.metadata = class_spec.metadata;
    try {  // -of names the format of both outputs; without it each goes by its own extension
      probability_spec.format = output_format(probabilities_path, io.requested_format);
      if (!io.creation_options.empty()) check_creation_options(probability_spec.format, io.creation_options);
      check_output_spec(probability_spec);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--probabilities: ") + e.what());
    }
  }
  const InterruptGuard interrupts;  // before the writers stage files, whose destructors then remove them
  RasterWriter class_writer(io.dst, class_spec);
  std::unique_ptr<RasterWriter> probability_writer;
  if (!probabilities_path.empty()) probability_writer = std::make_unique<RasterWriter>(probabilities_path, probability_spec);

  int ticks = -1;
  int64_t valid_pixels = 0;
  for (int64_t top = 0; top < source.height(); top += block_rows) {
    if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
    const Span rows{top, std::min(top + block_rows, source.height())};
    const Span in = predictor.input_rows(rows);
    const RasterWindow window = source.read_values(in, {0, source.width()});
    // NoData pixels enter the network as the training mean, so they do not pull their neighbours.
    const auto input = torch::where(window.valid, model.normalize(window.data), torch::zeros({}, torch::kFloat32));
    const auto probabilities = predictor.predict(input, rows);
    const auto valid = window.valid.slice(0, rows.begin - in.begin, rows.end - in.begin);
    valid_pixels += valid.sum().item<int64_t>();
    class_writer.write(rows, {0, source.width()}, probabilities.argmax(0, true).to(torch::kFloat32), valid);
    if (probability_writer) probability_writer->write(rows, {0, source.width()}, probabilities.slice(0, 1), valid);
    if (!io.quiet) stderr_progress(0.9 * static_cast<double>(rows.end) / static_cast<double>(source.height()), nullptr, &ticks);
  }
  if (valid_pixels == 0)
    throw no_valid_pixels(source.path());
  if (probability_writer) probability_writer->commit();
  try {
    class_writer.commit();
  } catch (...) {
    if (!probabilities_path.empty()) std::filesystem::remove(probabilities_path);
    throw;
  }
  if (!io.quiet) stderr_progress(1.0, nullptr, &ticks);
  return 0;
}

}  // namespace

int seg_predict(const std::vector<std::string>& args) {
  try {
    return predict(args);
  } catch (const Interrupted& stop) {
    std::cerr << "geosr seg predict: interrupted; nothing was written\n";
    return 128 + stop.signal;
  }
}

}  // namespace geosr::cli
