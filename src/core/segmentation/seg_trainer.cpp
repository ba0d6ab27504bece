#include "geosr/core/segmentation/seg_trainer.hpp"

#include <cmath>
#include <random>
#include <stdexcept>

#include "geosr/core/grid/reflect_pad.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/network/autocast_guard.hpp"
#include "geosr/core/network/module_tensors.hpp"
#include "geosr/core/train/chip_dataset.hpp"
#include "geosr/core/train/trainer.hpp"

namespace geosr {
namespace {

struct PatchBatch {
  torch::Tensor images;  // (N, C, P, P) raster values
  torch::Tensor labels;  // (N, P, P) int64, -1 ignored
};

PatchBatch draw_patches(const std::vector<SegSample>& samples, int64_t patch, int64_t count, std::mt19937_64& rng) {
  std::vector<torch::Tensor> images, labels;
  std::uniform_int_distribution<size_t> pick(0, samples.size() - 1);
  for (int64_t n = 0; n < count; ++n) {
    const SegSample& s = samples[pick(rng)];
    // Images smaller than a patch are mirrored out to it, their labels with them.
    const auto image = reflect_pad(s.image, std::max(s.image.size(1), patch), std::max(s.image.size(2), patch));
    const auto label = reflect_pad(s.labels, image.size(1), image.size(2));
    const int64_t y = std::uniform_int_distribution<int64_t>(0, image.size(1) - patch)(rng);
    const int64_t x = std::uniform_int_distribution<int64_t>(0, image.size(2) - patch)(rng);
    auto i = image.slice(1, y, y + patch).slice(2, x, x + patch);
    auto l = label.slice(0, y, y + patch).slice(1, x, x + patch);
    const int64_t turns = std::uniform_int_distribution<int64_t>(0, 3)(rng);
    if (std::uniform_int_distribution<int>(0, 1)(rng)) {
      i = i.flip({2});
      l = l.flip({1});
    }
    images.push_back(torch::rot90(i, turns, {1, 2}));
    labels.push_back(torch::rot90(l, turns, {0, 1}));
  }
  return {torch::stack(images), torch::stack(labels)};
}

// Cross-entropy plus the soft Dice loss of the foreground classes, unknown pixels left out of both.
torch::Tensor segmentation_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto ce = torch::nn::functional::cross_entropy(
      logits, labels, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1));
  const auto known = (labels >= 0).unsqueeze(1).to(logits.dtype());
  const auto probabilities = torch::softmax(logits, 1) * known;
  const auto truth = torch::one_hot(labels.clamp_min(0), logits.size(1)).permute({0, 3, 1, 2}).to(logits.dtype()) * known;
  const auto p = probabilities.slice(1, 1), g = truth.slice(1, 1);
  const auto dice = (2 * (p * g).sum({0, 2, 3}) + 1) / (p.sum({0, 2, 3}) + g.sum({0, 2, 3}) + 1);
  return ce + (1 - dice).mean();
}

}  // namespace

std::pair<std::vector<double>, std::vector<double>> band_statistics(const std::vector<SegSample>& samples) {
  if (samples.empty()) throw std::runtime_error("no training images");
  const int64_t bands = samples.front().image.size(0);
  std::vector<double> sum(bands, 0.0), square(bands, 0.0);
  double count = 0;
  for (const auto& s : samples) {
    const auto known = (s.labels >= 0).to(torch::kFloat64);
    const auto values = s.image.to(torch::kFloat64);
    for (int64_t b = 0; b < bands; ++b) {
      sum[b] += (values[b] * known).sum().item<double>();
      square[b] += (values[b] * values[b] * known).sum().item<double>();
    }
    count += known.sum().item<double>();
  }
  if (count == 0) throw std::runtime_error("the training images have no labelled pixels");
  std::vector<double> mean(bands), std(bands);
  for (int64_t b = 0; b < bands; ++b) {
    mean[b] = sum[b] / count;
    // A constant band gets 1 so that it normalises to 0 instead of dividing by zero.
    const double variance = square[b] / count - mean[b] * mean[b];
    std[b] = variance > 1e-12 ? std::sqrt(variance) : 1.0;
  }
  return {mean, std};
}

SegTrainer::SegTrainer(SegModel model, std::shared_ptr<const std::vector<SegSample>> train, SegTrainOptions options)
    : model_(std::move(model)), train_(std::move(train)), options_(options) {
  if (!train_ || train_->empty()) throw std::runtime_error("no training images");
  const auto& config = model_.net->config();
  for (const auto& s : *train_) {
    if (s.image.size(0) != config.in_channels)
      throw std::runtime_error(s.name + " has " + std::to_string(s.image.size(0)) + " bands, the model takes " +
                               std::to_string(config.in_channels));
    const int64_t lowest = s.labels.min().item<int64_t>(), highest = s.labels.max().item<int64_t>();
    if (lowest < -1 || highest >= config.classes)  // -1: unknown
      throw std::runtime_error(s.name + " has labels of class " + std::to_string(lowest < -1 ? lowest : highest) +
                               " but the model has " + std::to_string(config.classes) + " classes");
  }
  if (options_.patch < kSegNetStride || options_.patch % kSegNetStride)
    throw std::runtime_error("the training patch must be a multiple of " + std::to_string(kSegNetStride));
  if (options_.batch < 2) throw std::runtime_error("the training batch must be at least 2 (batch normalisation)");
  if (!(options_.lr > 0) || !(options_.gamma > 0) || options_.gamma > 1)
    throw std::runtime_error("the learning rate must be positive and gamma in (0, 1]");
  model_.net->to(options_.device);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_.net->parameters(), torch::optim::AdamWOptions(options_.lr).weight_decay(options_.weight_decay));
}

int64_t SegTrainer::patches_per_epoch() const {
  if (options_.patches_per_epoch > 0) return options_.patches_per_epoch;
  double area = 0;
  for (const auto& s : *train_) area += static_cast<double>(s.image.size(1) * s.image.size(2));
  return std::max<int64_t>(options_.batch, std::llround(area / static_cast<double>(options_.patch * options_.patch)));
}

double SegTrainer::learning_rate() const { return options_.lr * std::pow(options_.gamma, static_cast<double>(epoch_)); }

double SegTrainer::train_epoch() {
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate());
  std::mt19937_64 rng(mix_seed(options_.seed, static_cast<uint64_t>(epoch_)));
  const bool autocast = options_.bf16 && options_.device.is_cuda();
  model_.net->train();
  double total = 0;
  int64_t batches = 0;
  const int64_t patches = patches_per_epoch();
  for (int64_t done = 0; done < patches; done += options_.batch) {
    if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
    const PatchBatch batch = draw_patches(*train_, options_.patch, options_.batch, rng);
    const auto input = model_.normalize(batch.images).to(options_.device);
    const auto labels = batch.labels.to(options_.device);
    optimizer_->zero_grad();
    torch::Tensor loss;
    {
      CudaAutocastGuard guard(autocast);
      loss = segmentation_loss(model_.net->forward(input).to(torch::kFloat32), labels);
    }
    loss.backward();
    optimizer_->step();
    total += loss.item<double>();
    ++batches;
  }
  ++epoch_;
  return total / static_cast<double>(batches);
}

void SegTrainer::save(const std::string& model_path) const {
  // The state first, weights included, so a kill between the two files still resumes consistently.
  torch::serialize::OutputArchive archive;
  write_module(archive, "net", *model_.net);
  archive.write("epoch", torch::tensor(epoch_, torch::kLong));
  save_training_state(archive, *optimizer_, model_path);
  save_seg_model(model_path, model_);
}

void SegTrainer::resume(const std::string& model_path) {
  SegModel saved = load_seg_model(model_path);
  if (saved.net->config().to_json() != model_.net->config().to_json())
    throw std::runtime_error("checkpoint " + model_path + " has another network configuration");
  model_.mean = saved.mean;
  model_.std = saved.std;
  torch::serialize::InputArchive archive = read_training_state(model_path, *optimizer_, options_.device);
  torch::serialize::InputArchive weights;
  if (archive.try_read("net", weights)) {
    model_.net->load(weights);
  } else {  // states written before they carried the weights
    copy_module_tensors(*saved.net, *model_.net);
  }
  torch::Tensor epoch;
  archive.read("epoch", epoch);
  epoch_ = epoch.item<int64_t>();
}

SegmentationScores evaluate_segmentation(const SegModel& model, const std::vector<SegSample>& samples,
                                         const SlidingOptions& options, torch::Device device) {
  Confusion confusion(model.net->config().classes);
  const WindowClassifier classify = seg_classifier(model.net, device);
  for (const auto& s : samples) {
    const int64_t h = s.image.size(1), w = s.image.size(2);
    SlidingPredictor predictor(classify, h, w, options);
    const auto probabilities = predictor.predict(model.normalize(s.image), {0, h});
    confusion.add(s.labels.clamp_min(0), probabilities.argmax(0), s.labels >= 0);
  }
  return scores(confusion);
}

}  // namespace geosr
