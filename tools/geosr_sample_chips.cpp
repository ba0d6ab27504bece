// geosr-sample-chips: super-resolve every HR chip of a shard from its own degraded version, with
// the inference path (degrade -> condition_from_lr -> windowed scene sampler). Writes the SR and
// bicubic results as shards of the input's value type, so held-out scores and previews need no
// GDAL here. Used to validate the shipped model (data_samples/models/README.md).

#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/train/chip_shard.hpp"
#include "geosr/core/train/model_metadata.hpp"

namespace {

void usage() {
  std::cout << "usage: geosr-sample-chips MODEL HR.chips SR.chips BICUBIC.chips [--steps N] [--sampler ddpm|ddim]\n"
               "         [--window N] [--stride N] [--seed N] [--limit N] [--threads N] [--device cpu|cuda[:i]]\n"
               "         [--precision fp32|bf16|fp16]\n";
}

}  // namespace

int main(int argc, char** argv) {
  geosr::fail_writes_past_file_size_limit();
  std::vector<std::string> positional;
  std::map<std::string, std::string> options = {{"--steps", "50"}, {"--sampler", "ddpm"}, {"--window", "128"},
                                                {"--stride", "96"}, {"--seed", "0"},      {"--limit", "0"},
                                                {"--threads", "0"},  {"--device", "cpu"},   {"--precision", "fp32"}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    if (options.count(a) && i + 1 < argc) options[a] = argv[++i];
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
    geosr::configure_threads(std::stoi(options["--threads"]));
    geosr::Metadata metadata;
    geosr::UNet model = geosr::load_model(positional[0], &metadata);
    const int64_t scale = std::stoll(metadata.at("geosr.scale"));
    const auto schedule = geosr::schedule_of(metadata).make();
    const auto sampler = geosr::make_sampler(geosr::parse_sampler_kind(options["--sampler"]),
                                             schedule.respaced(std::stoi(options["--steps"])));
    const torch::Device device(options["--device"]);
    const auto denoiser = geosr::make_denoiser(model, device, geosr::parse_precision(options["--precision"]));

    geosr::ChipShardInfo info;
    const torch::Tensor chips = geosr::read_chip_shard(positional[1], &info);
    int64_t count = info.count;
    if (std::stoll(options["--limit"]) > 0) count = std::min<int64_t>(count, std::stoll(options["--limit"]));
    geosr::ChipShardWriter sr_out(positional[2], info), bicubic_out(positional[3], info);
    geosr::SceneSamplerOptions scene;
    scene.window = std::stoll(options["--window"]);
    scene.stride = std::stoll(options["--stride"]);
    scene.device = device;
    const auto to_stored = [&](const torch::Tensor& model_values) {
      auto v = (model_values.to(torch::kDouble) - info.value_offset) / info.value_scale;
      return info.dtype == geosr::ChipDType::Float32 ? v : v.round();
    };
    for (int64_t i = 0; i < count; ++i) {
      const auto started = std::chrono::steady_clock::now();
      const auto hr = (chips[i].to(torch::kDouble) * info.value_scale + info.value_offset).clamp(-1, 1).to(torch::kFloat);
      const auto condition = geosr::condition_from_lr(geosr::degrade(hr, scale), hr.size(1), hr.size(2));
      scene.seed = std::stoull(options["--seed"]) + static_cast<uint64_t>(i);
      const auto sr = geosr::sample_scene(denoiser, *sampler, condition, scene);
      sr_out.append(to_stored(sr));
      bicubic_out.append(to_stored(condition.clamp(-1, 1)));
      std::cout << "chip " << i + 1 << "/" << count << " in "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n"
                << std::flush;
    }
    sr_out.close();
    bicubic_out.close();
  } catch (const std::exception& e) {
    std::cerr << "geosr-sample-chips: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
