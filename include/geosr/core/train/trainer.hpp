#pragma once
// SR3 training: L1 loss on the predicted noise, AdamW, an exponential moving average (EMA) of the
// weights, gradient accumulation and bf16 autocast on CUDA. A checkpoint is the EMA model as a
// self-describing safetensors file (what inference loads) plus `<name>.state.pt` beside it holding
// the raw weights, the optimizer state and the step count (what --resume needs).

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/network/unet.hpp"
#include "geosr/core/train/batch_loader.hpp"
#include "geosr/core/train/chip_dataset.hpp"

namespace geosr {

struct TrainerOptions {
  BatchSpec batch;          // one micro-batch
  int64_t accumulate = 1;   // micro-batches per optimizer step
  double lr = 1e-4;
  double weight_decay = 1e-2;
  double ema_decay = 0.999;
  uint64_t seed = 0;
  int workers = 2;          // data-loading threads; 0 loads on the training thread
  torch::Device device = torch::kCPU;
  bool bf16 = true;         // autocast to bf16 (CUDA only; ignored on CPU)
};

class Trainer {
 public:
  // `model` is trained in place; the EMA starts as a copy of it.
  Trainer(UNet model, NoiseSchedule schedule, std::shared_ptr<const ChipDataset> data, TrainerOptions options);

  // One optimizer step over `accumulate` micro-batches; returns their mean L1 loss.
  double step();
  int64_t steps_done() const { return step_; }

  UNet& model() { return model_; }
  UNet& ema() { return ema_; }
  const NoiseSchedule& schedule() const { return schedule_; }
  const TrainerOptions& options() const { return options_; }

  // Writes state_path(model_path), then `model_path` (EMA weights + metadata). The state holds
  // every tensor resume() needs, so a kill between the two files still resumes consistently.
  void save(const std::string& model_path, const Metadata& metadata);
  // Restores weights, EMA, optimizer and step from a checkpoint written by save().
  void resume(const std::string& model_path);

  static std::string state_path(const std::string& model_path);

 private:
  void update_ema();

  UNet model_;
  UNet ema_;
  NoiseSchedule schedule_;
  std::shared_ptr<const ChipDataset> data_;
  TrainerOptions options_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<BatchLoader> loader_;  // created at the first step, for the batch number due then
  int64_t step_ = 0;
};

// Writes `module`'s parameters and buffers into `archive` under `key`.
void write_module(torch::serialize::OutputArchive& archive, const std::string& key, const torch::nn::Module& module);

// Adds `optimizer` to `archive` (the caller's entries: step or epoch, weights) and saves it to
// state_path(model_path) whole or not at all (written aside, then renamed).
void save_training_state(torch::serialize::OutputArchive& archive, const torch::optim::Optimizer& optimizer,
                         const std::string& model_path);

// Opens state_path(model_path) on `device` and restores `optimizer` from it; the archive's other
// entries (step or epoch, weights) are the caller's. Throws std::runtime_error (one line).
torch::serialize::InputArchive read_training_state(const std::string& model_path, torch::optim::Optimizer& optimizer,
                                                   torch::Device device);

}  // namespace geosr
