#include "geosr/core/train/trainer.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/core/network/autocast_guard.hpp"
#include "geosr/core/staged_file.hpp"
#include "geosr/core/network/module_tensors.hpp"

namespace geosr {

Trainer::Trainer(UNet model, NoiseSchedule schedule, std::shared_ptr<const ChipDataset> data,
                 TrainerOptions options)
    : model_(std::move(model)), ema_(model_->config()), schedule_(std::move(schedule)), data_(std::move(data)),
      options_(options) {
  if (!data_) throw std::runtime_error("trainer needs training chips");
  if (data_->channels() != model_->config().image_channels())
    throw std::runtime_error("chips have " + std::to_string(data_->channels()) + " bands but the model expects " +
                             std::to_string(model_->config().image_channels()));
  if (options_.accumulate < 1) throw std::runtime_error("gradient accumulation must be at least 1");
  model_->to(options_.device);
  ema_->to(options_.device);
  copy_module_tensors(*model_, *ema_);
  ema_->eval();
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
  model_->train();
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_->parameters(), torch::optim::AdamWOptions(options_.lr).weight_decay(options_.weight_decay));
}

double Trainer::step() {
  if (!loader_) {
    auto data = data_;
    auto spec = options_.batch;
    auto schedule = schedule_;
    auto seed = options_.seed;
    loader_ = std::make_unique<BatchLoader>(
        [data, spec, schedule, seed](int64_t index) { return draw_batch(*data, spec, schedule, seed, index); },
        step_ * options_.accumulate, options_.workers, 2 * std::max(options_.workers, 1));
  }
  const bool autocast = options_.bf16 && options_.device.is_cuda();
  model_->train();
  optimizer_->zero_grad();
  double total = 0.0;
  for (int64_t micro = 0; micro < options_.accumulate; ++micro) {
    const TrainingBatch batch = loader_->next().to(options_.device);
    torch::Tensor loss;
    {
      CudaAutocastGuard guard(autocast);
      const auto predicted = model_->forward(torch::cat({batch.condition, batch.noisy}, 1), batch.noise_level);
      loss = torch::l1_loss(predicted.to(torch::kFloat), batch.noise);
    }
    (loss / static_cast<double>(options_.accumulate)).backward();
    total += loss.item<double>();
  }
  optimizer_->step();
  ++step_;
  update_ema();
  return total / static_cast<double>(options_.accumulate);
}

void Trainer::update_ema() {
  // Warm-up so that the average is not dominated by the random initial weights in short runs.
  const double decay = std::min(options_.ema_decay, (1.0 + step_) / (10.0 + step_));
  torch::NoGradGuard no_grad;
  auto params = model_->named_parameters();
  for (auto& item : ema_->named_parameters()) item.value().mul_(decay).add_(params[item.key()], 1.0 - decay);
}

std::string Trainer::state_path(const std::string& model_path) {
  const std::string suffix = ".safetensors";
  std::string stem = model_path;
  if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0)
    stem.resize(stem.size() - suffix.size());
  return stem + ".state.pt";
}

void Trainer::save(const std::string& model_path, const Metadata& metadata) {
  torch::serialize::OutputArchive archive;
  write_module(archive, "model", *model_);
  write_module(archive, "ema", *ema_);
  archive.write("step", torch::tensor(step_, torch::kLong));
  save_training_state(archive, *optimizer_, model_path);
  save_model(model_path, ema_, metadata);
}

void Trainer::resume(const std::string& model_path) {
  UNet saved_ema = load_model(model_path);
  if (saved_ema->config().to_json() != model_->config().to_json())
    throw std::runtime_error("checkpoint " + model_path + " has another network configuration");
  torch::serialize::InputArchive archive = read_training_state(model_path, *optimizer_, options_.device);
  torch::serialize::InputArchive ema;
  if (archive.try_read("ema", ema)) {
    ema_->load(ema);
  } else {  // states written before they carried the EMA
    saved_ema->to(options_.device);
    copy_module_tensors(*saved_ema, *ema_);
  }
  torch::serialize::InputArchive weights;
  archive.read("model", weights);
  model_->load(weights);
  torch::Tensor step;
  archive.read("step", step);
  step_ = step.item<int64_t>();
  loader_.reset();  // the next batch number follows the restored step
}

void write_module(torch::serialize::OutputArchive& archive, const std::string& key, const torch::nn::Module& module) {
  torch::serialize::OutputArchive nested;
  module.save(nested);
  archive.write(key, nested);
}

void save_training_state(torch::serialize::OutputArchive& archive, const torch::optim::Optimizer& optimizer,
                         const std::string& model_path) {
  torch::serialize::OutputArchive state;
  optimizer.save(state);
  archive.write("optimizer", state);
  StagedFile staged(Trainer::state_path(model_path));
  // LibTorch's own file writer throws a write error (a full disk, a file-size limit) from a
  // destructor, which ends the process: this writer never reports one, the stream remembers it.
  try {
    auto& out = staged.stream();
    archive.save_to([&out](const void* data, size_t size) {
      out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
      return size;
    });
    staged.commit();
  } catch (const std::exception&) {
    throw std::runtime_error("cannot write training state " + staged.destination());
  }
}

torch::serialize::InputArchive read_training_state(const std::string& model_path, torch::optim::Optimizer& optimizer,
                                                   torch::Device device) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(Trainer::state_path(model_path), device);
  } catch (const c10::Error&) {
    throw std::runtime_error("cannot read training state " + Trainer::state_path(model_path));
  }
  torch::serialize::InputArchive state;
  archive.read("optimizer", state);
  optimizer.load(state);
  return archive;
}

}  // namespace geosr
