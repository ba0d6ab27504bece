// U-Net throughput for one denoising step on batches of windows: window-steps per second,
// megapixels per second per step and achieved TFLOP/s. GDAL-free, so it runs on the GPU machine.
//
// FLOPs are counted analytically by geosr::unet_flops (2 x multiply-adds of every convolution,
// linear layer and attention product): 1.246 TFLOP for the paper model on a 512 window, where
// reference-notes.md quotes about 0.94 (docs/performance.md on the difference).
//
// usage: bench_unet [--preset tiny] [--size 64] [--batch 1] [--precision fp32|bf16|fp16]
//                   [--device cpu|cuda] [--iters 5] [--warmup 1] [--threads 0]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench_args.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/runtime.hpp"

int main(int argc, char** argv) {
  try {
    const auto args = geosr::bench::parse_args(argc, argv,
                                               {{"preset", "tiny"},
                                                {"size", "64"},
                                                {"batch", "1"},
                                                {"precision", "fp32"},
                                                {"device", "cpu"},
                                                {"iters", "5"},
                                                {"warmup", "1"},
                                                {"threads", "0"}},
                                               "bench_unet.cpp");
    const int size = std::stoi(args.at("size")), batch = std::stoi(args.at("batch"));
    const int iters = std::stoi(args.at("iters")), warmup = std::stoi(args.at("warmup"));
    const torch::Device device(args.at("device"));
    if (device.is_cuda() && !torch::cuda::is_available()) throw std::runtime_error("CUDA is not available");
    geosr::configure_threads(std::stoi(args.at("threads")));
    geosr::keep_freed_memory();

    const geosr::UNetConfig config = geosr::UNetConfig::preset(args.at("preset"));
    geosr::UNet model(config);
    const geosr::Denoiser denoise =
        geosr::make_denoiser(model, device, geosr::parse_precision(args.at("precision")));
    const auto options = torch::TensorOptions().device(device);
    const auto condition = torch::randn({batch, config.out_channels, size, size}, options);
    const auto y = torch::randn({batch, config.out_channels, size, size}, options);
    const auto level = torch::full({1}, 0.5, options);  // one level per call, as the samplers pass
    const auto sync = [&] {
      if (device.is_cuda()) torch::cuda::synchronize();
    };

    for (int i = 0; i < warmup; ++i) denoise(condition, y, level);
    sync();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) denoise(condition, y, level);
    sync();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const double window_steps = static_cast<double>(batch) * iters / seconds;
    const double mpix = window_steps * size * size / 1e6;
    const double tflops = geosr::unet_flops(config, size, size, batch) * iters / seconds / 1e12;
    std::printf("preset=%s size=%d batch=%d precision=%s device=%s threads=%d\n", args.at("preset").c_str(), size,
                batch, args.at("precision").c_str(), args.at("device").c_str(), at::get_num_threads());
    std::printf("  %.3f s per batch-step | %.2f window-steps/s | %.3f Mpix/s per step | %.4f TFLOP/s "
                "(%.3f GFLOP per window-step)\n",
                seconds / iters, window_steps, mpix, tflops, geosr::unet_flops(config, size, size) / 1e9);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_unet: %s\n", e.what());
    return 1;
  }
}
