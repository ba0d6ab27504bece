// geosr-sample-chips: super-resolve every HR chip of a shard from its own degraded version, with
// the inference path (degrade -> condition_from_lr -> windowed scene sampler). Writes the SR and
// bicubic results as shards of the input's value type, so held-out scores and previews need no
// GDAL here. Used to validate the shipped model (data_samples/models/README.md).

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/staged_file.hpp"
#include "geosr/core/train/chip_shard.hpp"
#include "geosr/core/train/model_metadata.hpp"

namespace {

void usage() {
  std::cout << "usage: geosr-sample-chips MODEL HR.chips SR.chips BICUBIC.chips [--steps N] [--sampler ddpm|ddim]\n"
               "         [--window N] [--stride N] [--seed N] [--limit N] [--threads N] [--device cpu|cuda[:i]]\n"
               "         [--precision fp32|bf16|fp16] [--lr-consistency W] [--overwrite]\n";
}

// A whole number option, 0 or more.
int64_t whole(const std::map<std::string, std::string>& options, const std::string& name) {
  const std::string& text = options.at(name);
  size_t used = 0;
  int64_t value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || value < 0) throw std::invalid_argument(name + " needs a whole number, got '" + text + "'");
  return value;
}

// The outputs are new files, neither the input nor each other, and replace nothing unasked.
void check_outputs(const std::vector<std::string>& positional, bool overwrite) {
  namespace fs = std::filesystem;
  const auto same = [](const std::string& a, const std::string& b) {
    return fs::weakly_canonical(a) == fs::weakly_canonical(b);
  };
  for (size_t out = 2; out < 4; ++out) {
    for (size_t other = 0; other < out; ++other)
      if (same(positional[out], positional[other]))
        throw std::invalid_argument(positional[out] + " is also " + (other < 2 ? "an input" : "the SR output"));
    if (fs::exists(positional[out]) && !overwrite)
      throw std::invalid_argument(positional[out] + " exists (use --overwrite)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  geosr::fail_writes_past_file_size_limit();
  std::vector<std::string> positional;
  bool overwrite = false;
  std::map<std::string, std::string> options = {{"--steps", "50"}, {"--sampler", "ddpm"}, {"--window", "128"},
                                                {"--stride", "96"}, {"--seed", "0"},      {"--limit", "0"},
                                                {"--threads", "0"},  {"--device", "cpu"},   {"--precision", "fp32"},
                                                {"--lr-consistency", std::to_string(geosr::DiffusionSettings{}.lr_consistency)}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    if (a == "--overwrite") overwrite = true;
    else if (options.count(a) && i + 1 < argc) options[a] = argv[++i];
    else if (a.rfind("--", 0) == 0) {
      std::cerr << "geosr-sample-chips: error: unknown option " << a << "\n";
      return 2;
    } else positional.push_back(a);
  }
  if (positional.size() != 4) {
    usage();
    return 2;
  }
  try {
    for (const char* name : {"--steps", "--window", "--stride", "--seed", "--limit", "--threads"}) whole(options, name);
    check_outputs(positional, overwrite);
  } catch (const std::invalid_argument& e) {
    std::cerr << "geosr-sample-chips: error: " << e.what() << "\n";
    return 2;
  }
  try {
    geosr::configure_threads(static_cast<int>(whole(options, "--threads")));
    geosr::Metadata metadata;
    geosr::UNet model = geosr::load_model(positional[0], &metadata);
    const int64_t scale = std::stoll(metadata.at("geosr.scale"));
    const auto schedule = geosr::schedule_of(metadata).make();
    const auto sampler = geosr::make_sampler(geosr::parse_sampler_kind(options["--sampler"]),
                                             schedule.respaced(static_cast<int>(whole(options, "--steps"))), 0.0,
                                             geosr::lr_consistency(scale, std::stod(options["--lr-consistency"])));
    const torch::Device device(options["--device"]);
    const auto denoiser = geosr::make_denoiser(model, device, geosr::parse_precision(options["--precision"]));

    geosr::ChipShardInfo info;
    const torch::Tensor chips = geosr::read_chip_shard(positional[1], &info);
    int64_t count = info.count;
    if (whole(options, "--limit") > 0) count = std::min<int64_t>(count, whole(options, "--limit"));
    // Written aside and renamed when complete: a failure leaves no partial shard.
    geosr::StagedFile sr_file(positional[2]), bicubic_file(positional[3]);
    geosr::ChipShardWriter sr_out(sr_file.path(), info), bicubic_out(bicubic_file.path(), info);
    geosr::SceneSamplerOptions scene;
    scene.window = whole(options, "--window");
    scene.stride = whole(options, "--stride");
    scene.device = device;
    const auto to_stored = [&](const torch::Tensor& model_values) {
      auto v = (model_values.to(torch::kDouble) - info.value_offset) / info.value_scale;
      return info.dtype == geosr::ChipDType::Float32 ? v : v.round();
    };
    for (int64_t i = 0; i < count; ++i) {
      const auto started = std::chrono::steady_clock::now();
      const auto hr = (chips[i].to(torch::kDouble) * info.value_scale + info.value_offset).clamp(-1, 1).to(torch::kFloat);
      const auto condition = geosr::condition_from_lr(geosr::degrade(hr, scale), hr.size(1), hr.size(2));
      scene.seed = static_cast<uint64_t>(whole(options, "--seed")) + static_cast<uint64_t>(i);
      const auto sr = geosr::sample_scene(denoiser, *sampler, condition, scene);
      sr_out.append(to_stored(sr));
      bicubic_out.append(to_stored(condition.clamp(-1, 1)));
      std::cout << "chip " << i + 1 << "/" << count << " in "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n"
                << std::flush;
    }
    sr_out.close();
    bicubic_out.close();
    sr_file.commit();
    bicubic_file.commit();
  } catch (const std::exception& e) {
    std::cerr << "geosr-sample-chips: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
