// geosr chips: cut HR training patches from rasters into a chip shard (docs/chips.md), so that
// training needs no GDAL. Values are stored as read, with the same value rule inference applies.

#include <filesystem>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/core/staged_file.hpp"
#include "geosr/core/train/chip_shard.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"
#include "options.hpp"
#include "raster_list.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

constexpr int64_t kMaxChipSide = 65536;
constexpr int64_t kMaxRandomChips = 1000000;

std::vector<int64_t> grid_starts(int64_t length, int64_t patch, int64_t stride) {
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + patch <= length; s += stride) starts.push_back(s);
  return starts;
}

std::string ranges_of(const std::vector<BandInfo>& bands) {
  std::string text;
  for (const auto& b : bands) text += (text.empty() ? "" : ",") + format_number(b.range.lo) + ".." + format_number(b.range.hi);
  return text;
}

// Cuts the chips of every input into DST and its JSON sidecar.
void cut_chips(const IoOptions& io, const po::variables_map& values, int64_t patch, int64_t stride, uint64_t seed,
               double min_valid) {
  const auto inputs = list_inputs(io.src, values.count("images") ? values["images"].as<std::string>() : "");
  check_not_input(io.src, io.dst);
  check_not_input(io.src, io.dst + ".json");  // a JSON list of inputs beside DST
  for (const auto& input : inputs) {
    check_not_input(input, io.dst);
    check_not_input(input, io.dst + ".json");
  }
  // The sidecar too: a DST.json that is not this shard's may be someone's file.
  for (const std::string& path : {io.dst, io.dst + ".json"}) check_output_path(path, values["overwrite"].as<bool>());
  // Written aside and renamed together at the end: a failure or a signal leaves DST as it was.
  StagedFile shard(io.dst), sidecar_file(io.dst + ".json");
  std::unique_ptr<ChipShardWriter> writer;
  std::vector<std::string> used;
  int64_t dropped = 0;
  int64_t samples = 0, outside = 0;  // valid samples, and those beyond [-1, 1] that training clamps
  std::vector<int> band_numbers;
  std::string dtype_name, rule;
  GDALDataType first_type = GDT_Unknown;
  std::string first_ranges;
  for (size_t file = 0; file < inputs.size(); ++file) {
    const RasterSource source(inputs[file], io.bands, io.in_ranges);
    const auto& bands = source.bands();
    if (!writer) {
      ChipShardInfo info;
      info.channels = static_cast<int64_t>(bands.size());
      info.height = info.width = patch;
      // Store what the file holds when one rule covers all bands; otherwise the model values.
      bool one_rule = true;
      for (const auto& b : bands) one_rule = one_rule && b.range.lo == bands[0].range.lo && b.range.hi == bands[0].range.hi;
      const GDALDataType type = source.data_type();
      info.dtype = !one_rule ? ChipDType::Float32
                   : type == GDT_Byte ? ChipDType::UInt8
                   : type == GDT_UInt16 ? ChipDType::UInt16
                                        : ChipDType::Float32;
      if (info.dtype == ChipDType::Float32 && !one_rule) {
        info.value_scale = 1.0;
        info.value_offset = 0.0;
      } else {
        // The linear rule of to_model, read off at two points so it is inference's own.
        const auto ends = to_model(torch::tensor({0.0, 1.0}, torch::kDouble), bands[0].range);
        info.value_offset = ends[0].item<double>();
        info.value_scale = ends[1].item<double>() - info.value_offset;
      }
      for (const auto& b : bands) band_numbers.push_back(b.index);
      dtype_name = to_string(info.dtype);
      rule = one_rule ? "[" + std::to_string(bands[0].range.lo) + ", " + std::to_string(bands[0].range.hi) +
                            "] -> [-1, 1] (geosr::to_model)"
                      : "model values (per-band ranges differ)";
      writer = std::make_unique<ChipShardWriter>(shard.path(), info);
      first_type = source.data_type();
      first_ranges = ranges_of(bands);
    } else if (static_cast<int64_t>(bands.size()) != writer->info().channels) {
      throw std::runtime_error(inputs[file] + " has " + std::to_string(bands.size()) + " selected bands, " +
                               inputs.front() + " has " + std::to_string(writer->info().channels));
    } else if (source.data_type() != first_type || ranges_of(bands) != first_ranges) {
      // One shard holds one value rule; another type would be cast into the first one's.
      throw std::runtime_error(inputs[file] + " is " + GDALGetDataTypeName(source.data_type()) + " with value range " +
                               ranges_of(bands) + ", " + inputs.front() + " is " + GDALGetDataTypeName(first_type) +
                               " with " + first_ranges + " (cut one shard per type)");
    }
    if (source.width() < patch || source.height() < patch) {
      warn("chips", inputs[file] + " is smaller than the patch; skipped");
      continue;
    }
    std::vector<std::pair<int64_t, int64_t>> corners;
    if (values.count("random")) {
      std::mt19937_64 rng(seed * 1000003ULL + file);
      std::uniform_int_distribution<int64_t> row(0, source.height() - patch), col(0, source.width() - patch);
      for (int64_t i = 0; i < values["random"].as<int64_t>(); ++i) corners.emplace_back(row(rng), col(rng));
    } else {
      for (const auto r : grid_starts(source.height(), patch, stride))
        for (const auto c : grid_starts(source.width(), patch, stride)) corners.emplace_back(r, c);
    }
    const bool float_values = writer->info().dtype == ChipDType::Float32 && writer->info().value_scale == 1.0 &&
                              writer->info().value_offset == 0.0;
    for (const auto& [r, c] : corners) {
      if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
      const RasterWindow window = source.read({r, r + patch}, {c, c + patch});
      if (window.valid.to(torch::kDouble).mean().item<double>() < min_valid) {
        ++dropped;
        continue;
      }
      writer->append(float_values ? window.data
                                  : from_model(window.data, bands[0].range, source.data_type()));
      const auto valid = window.valid.unsqueeze(0).expand_as(window.data);
      samples += valid.sum().item<int64_t>();
      outside += (window.data.abs() > 1.0).logical_and(valid).sum().item<int64_t>();
    }
    used.push_back(fs::path(inputs[file]).filename().string());
  }
  const int64_t count = writer->count();
  const ChipShardInfo info = writer->info();
  writer->close();
  if (count == 0) throw std::runtime_error("no chips were cut (all dropped or inputs too small)");

  auto& sidecar = sidecar_file.stream();
  sidecar << "{\n  \"format\": \"geosr-chips\",\n  \"version\": 1,\n  \"dtype\": " << json_string(dtype_name)
          << ",\n  \"bands\": [";
  for (size_t i = 0; i < band_numbers.size(); ++i) sidecar << (i ? ", " : "") << band_numbers[i];
  sidecar.precision(17);
  sidecar << "],\n  \"chip_size\": " << patch << ",\n  \"count\": " << count
          << ",\n  \"value_scale\": " << info.value_scale << ",\n  \"value_offset\": " << info.value_offset
          << ",\n  \"scaling_rule\": " << json_string(rule) << ",\n  \"sampling\": "
          << (values.count("random") ? "\"random\",\n  \"per_raster\": " + std::to_string(values["random"].as<int64_t>()) +
                                           ",\n  \"seed\": " + std::to_string(seed)
                                     : "\"grid\",\n  \"stride\": " + std::to_string(stride))
          << ",\n  \"min_valid\": " << min_valid << ",\n  \"dropped\": " << dropped << ",\n  \"sources\": [";
  for (size_t i = 0; i < used.size(); ++i) sidecar << (i ? ",\n    " : "\n    ") << json_string(used[i]);
  sidecar << "\n  ]\n}\n";
  shard.commit();
  sidecar_file.commit();
  // Reflectances 0..10000 under a float band's default range 0..1 would train on a white scene.
  if (outside * 100 > samples)
    warn("chips", format_percent(static_cast<double>(outside) / static_cast<double>(samples)) +
                      " of the values lie outside the value range " + first_ranges +
                      " (training clamps them to its ends); give --in-range LO,HI");
  if (!io.quiet)
    std::cout << io.dst << ": " << count << " chips of " << patch << " x " << patch << " x " << band_numbers.size()
              << " (" << dtype_name << ") from " << used.size() << " rasters, " << dropped
              << " dropped for NoData\n";
}

}  // namespace

int chips_command(const std::vector<std::string>& arguments) {
  return guarded("chips", [&] {
    std::vector<std::string> args = arguments;
    apply_config_options(args);
    auto options = io_options(Writes::Nothing);
    options.add_options()
        ("patch", po::value<int64_t>()->default_value(256)->value_name("N"), "chip size in pixels")
        ("stride", po::value<int64_t>()->value_name("N"), "grid step between chips (default: the patch size)")
        ("random", po::value<int64_t>()->value_name("N"), "instead of a grid, N chips at random places per raster")
        ("seed", po::value<std::string>()->default_value("0"), "seed of --random")
        ("min-valid", po::value<double>()->default_value(0.9)->value_name("F"),
         "drop chips with a smaller fraction of valid (non-NoData) pixels")
        ("images", po::value<std::string>()->value_name("DIR"),
         "where names in a split file live (default: images/ beside the list)")
        ("overwrite", po::bool_switch(), "replace DST if it exists");
    po::variables_map values;
    if (!parse("chips", "[options] SRC DST.chips   (SRC: raster, directory or list/split .txt)", args, options, true,
               values))
      return 0;
    const IoOptions io = read_io_options(values, Writes::Nothing);
    const int64_t patch = values["patch"].as<int64_t>();
    const uint64_t seed = read_seed(values);
    const int64_t stride = values.count("stride") ? values["stride"].as<int64_t>() : patch;
    const double min_valid = values["min-valid"].as<double>();
    // Beyond these a typing slip overflows the grid or allocates before the first chip.
    if (patch < 1 || patch > kMaxChipSide) throw UsageError("--patch must be 1 .. " + std::to_string(kMaxChipSide));
    if (stride < 1 || stride > kMaxChipSide) throw UsageError("--stride must be 1 .. " + std::to_string(kMaxChipSide));
    if (values.count("random") && (values["random"].as<int64_t>() < 1 || values["random"].as<int64_t>() > kMaxRandomChips))
      throw UsageError("--random must be 1 .. " + std::to_string(kMaxRandomChips) + " chips per raster");
    if (values.count("random") && values.count("stride"))
      throw UsageError("--stride spaces a grid and --random places chips at random: give one of them");
    if (!(min_valid >= 0.0 && min_valid <= 1.0)) throw UsageError("--min-valid must be between 0 and 1");

    const InterruptGuard interrupts;
    try {
      cut_chips(io, values, patch, stride, seed, min_valid);
    } catch (const Interrupted& stop) {
      std::cerr << "geosr chips: interrupted; " << io.dst << " was not written\n";
      return 128 + stop.signal;
    }
    return 0;
  });
}

}  // namespace geosr::cli
