// geosr seg train: a U-Net with a ResNet encoder trained on labelled rasters, with a checkpoint
// every epoch (--resume continues it), validation IoU on held-out images, and the training curve
// in train_log.csv.

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "geosr/core/interrupt.hpp"
#include "geosr/core/segmentation/seg_trainer.hpp"
#include "geosr/core/train/run_settings.hpp"
#include "geosr/core/train/trainer.hpp"
#include "geosr/core/train/training_log.hpp"
#include "geosr/seg/seg_samples.hpp"
#include "raster_list.hpp"
#include "seg_commands.hpp"
#include "seg_options.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

// Every image with its labels; classes beyond --classes are refused now, naming their file, not
// after an epoch of training (validation) or as LibTorch's "Target -3 is out of bounds".
std::vector<SegSample> load_samples(const std::vector<std::string>& images, const std::string& labels_dir,
                                    const std::vector<int>& bands, const LabelOptions& options, int64_t classes,
                                    bool quiet) {
  std::vector<SegSample> samples;
  int64_t unlabelled = 0;
  for (const auto& image : images) {
    const std::string labels = find_label_file(image, labels_dir);
    unlabelled += labels.empty();
    samples.push_back(load_seg_sample(image, labels, bands, options));
    const torch::Tensor& classes_read = samples.back().labels;  // -1 where unknown (NoData)
    const int64_t lowest = classes_read.min().item<int64_t>(), highest = classes_read.max().item<int64_t>();
    if (lowest < -1 || highest >= classes)
      throw std::runtime_error(labels + " holds class " + std::to_string(lowest < -1 ? lowest : highest) + "; --classes " +
                               std::to_string(classes) + " takes 0 .. " + std::to_string(classes - 1));
    if (samples.back().image.size(0) != samples.front().image.size(0))
      throw std::runtime_error(image + " has " + std::to_string(samples.back().image.size(0)) + " bands, " +
                               images.front() + " has " + std::to_string(samples.front().image.size(0)));
  }
  if (unlabelled == static_cast<int64_t>(images.size()))
    throw std::runtime_error("no label file for any image in " + labels_dir);
  if (unlabelled && !quiet)
    std::cerr << unlabelled << " of " << images.size() << " images have no label file in " << labels_dir
              << ": taken as background only\n";
  return samples;
}

int64_t encoder_depth(const std::string& name) {
  for (int64_t depth : {18, 34, 50, 101, 152})
    if (name == "resnet" + std::to_string(depth)) return depth;
  throw UsageError("--encoder must be resnet18, resnet34, resnet50, resnet101 or resnet152");
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

// 0/0 scores (no pixel predicted as the class) are left empty, as missing values in CSV are.
std::string csv(double value) {
  if (std::isnan(value)) return "";
  std::ostringstream out;
  out << value;
  return out.str();
}

// The scores validation compares epochs by: each foreground class's, averaged over the classes
// where it is defined (one class of three absent from the validation labels has no IoU, and must
// not hide the others'). With two classes, the one class's scores.
ClassScores foreground_scores(const SegmentationScores& scores) {
  ClassScores mean;
  double ClassScores::*const fields[] = {&ClassScores::precision, &ClassScores::recall, &ClassScores::f1, &ClassScores::iou};
  for (double ClassScores::*field : fields) {
    double sum = 0.0;
    int defined = 0;
    for (size_t c = 1; c < scores.classes.size(); ++c) {
      const double value = scores.classes[c].*field;
      if (std::isnan(value)) continue;
      sum += value;
      ++defined;
    }
    mean.*field = defined ? sum / defined : std::nan("");
  }
  return mean;
}

// Checked before the images load, as usage errors (the trainer would refuse them after).
void check_train_options(const SegNetConfig& config, const SegTrainOptions& train, int64_t stride) {
  if (config.width < 1 || config.width > 1024) throw UsageError("--width must be 1 .. 1024");
  if (config.classes < 2 || config.classes > 256) throw UsageError("--classes must be 2 .. 256");
  if (train.patch < kSegNetStride || train.patch > 4096 || train.patch % kSegNetStride)
    throw UsageError("--patch must be a multiple of " + std::to_string(kSegNetStride) + " up to 4096");
  if (train.batch < 2 || train.batch > 4096) throw UsageError("--batch must be 2 .. 4096 (batch normalisation needs 2)");
  if (!(train.lr > 0) || !std::isfinite(train.lr)) throw UsageError("--lr must be a positive number");
  if (!(train.gamma > 0 && train.gamma <= 1)) throw UsageError("--gamma must be in (0, 1]");
  if (!(train.weight_decay >= 0) || !std::isfinite(train.weight_decay))
    throw UsageError("--weight-decay must be a number, 0 or more");
  if (stride < 1 || stride > train.patch) throw UsageError("--stride must be 1 .. --patch");
}

// What --resume must find unchanged. Training images may change (more data); the validation set may
// not, since best.safetensors is chosen by comparing validation scores.
std::vector<RunSetting> run_settings(const po::variables_map& values, const IoOptions& io, const SegTrainOptions& train) {
  const std::string bands = io.bands.empty() ? "all" : join(io.bands);
  const std::string val = values.count("val") ? fs::weakly_canonical(values["val"].as<std::string>()).string() : "none";
  return {
      {"geosr.train.encoder", "--encoder", values["encoder"].as<std::string>()},
      {"geosr.train.width", "--width", std::to_string(values["width"].as<int64_t>())},
      {"geosr.train.classes", "--classes", std::to_string(values["classes"].as<int64_t>())},
      {"geosr.train.bands", "-b", bands},
      {"geosr.train.patch", "--patch", std::to_string(train.patch)},
      {"geosr.train.batch", "--batch", std::to_string(train.batch)},
      {"geosr.train.patches_per_epoch", "--patches-per-epoch",
       train.patches_per_epoch ? std::to_string(train.patches_per_epoch) : "auto"},
      {"geosr.train.lr", "--lr", setting_value(train.lr)},
      {"geosr.train.gamma", "--gamma", setting_value(train.gamma)},
      {"geosr.train.weight_decay", "--weight-decay", setting_value(train.weight_decay)},
      {"geosr.train.seed", "--seed", std::to_string(train.seed)},
      {"geosr.train.radius", "--radius", setting_value(values["radius"].as<double>())},
      {"geosr.train.class_field", "--class-field", values.count("class-field") ? values["class-field"].as<std::string>() : "default"},
      {"geosr.train.val", "--val", val},
      {"geosr.train.val_stride", "--stride", std::to_string(values["stride"].as<int64_t>())},
  };
}

}  // namespace

int seg_train(const std::vector<std::string>& args) {
  auto options = io_options(Writes::Nothing, false);
  options.add_options()
      ("labels", po::value<std::string>()->value_name("DIR"), "label files <image name>.geojson/.json/.gpkg/.shp/.tif")
      ("images", po::value<std::string>()->value_name("DIR"), "where names in split files live (default: images/ beside the list)")
      ("val", po::value<std::string>()->value_name("SRC"), "validation images (raster, directory or split .txt)")
      ("encoder", po::value<std::string>()->default_value("resnet18"), "resnet18 | resnet34 | resnet50 | resnet101 | resnet152")
      ("width", po::value<int64_t>()->default_value(64)->value_name("N"), "encoder stem channels (64 as torchvision; less is faster)")
      ("classes", po::value<int64_t>()->default_value(2), "number of classes (2: background and one class)")
      ("init", po::value<std::string>()->value_name("FILE"), "initial weights: a geosr segmentation model or ResNet weights (safetensors)")
      ("epochs", po::value<int64_t>()->default_value(20)->value_name("N"), "epochs to train in all")
      ("time-limit", po::value<double>()->value_name("SECONDS"), "stop after the epoch that passes this time")
      ("batch", po::value<int64_t>()->default_value(16)->value_name("N"), "patches per optimizer step")
      ("patch", po::value<int64_t>()->default_value(128)->value_name("N"), "patch side (a multiple of 32)")
      ("patches-per-epoch", po::value<int64_t>()->value_name("N"), "default: as many as cover the training images once")
      ("lr", po::value<double>()->default_value(0.01), "AdamW learning rate")
      ("gamma", po::value<double>()->default_value(0.97), "learning rate factor per epoch (ExponentialLR)")
      ("weight-decay", po::value<double>()->default_value(1e-2), "AdamW weight decay")
      ("seed", po::value<std::string>()->default_value("0"), "seed of the initial weights and the patches")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N")
      ("precision", po::value<std::string>()->default_value("bf16"), "bf16 | fp32 (bf16 autocast on CUDA only)")
      ("val-every", po::value<int64_t>()->default_value(1)->value_name("N"), "validate every N epochs")
      ("stride", po::value<int64_t>()->default_value(32)->value_name("N"), "validation: sliding-window stride")
      ("resume", po::bool_switch(), "continue the run in OUT_DIR");
  options.add(label_options());
  po::variables_map values;
  if (!parse("seg train", "[options] --labels DIR TRAIN OUT_DIR   (TRAIN: raster, directory or split .txt)", args,
             options, true, values))
    return 0;
  const IoOptions io = read_io_options(values, Writes::Nothing);
  if (!values.count("labels")) throw UsageError("give --labels DIR");
  const std::string labels_dir = values["labels"].as<std::string>();
  if (!fs::is_directory(labels_dir)) throw std::runtime_error("labels directory not found: " + labels_dir);
  const LabelOptions label_options = read_label_options(values);
  SegNetConfig config;
  config.depth = encoder_depth(values["encoder"].as<std::string>());
  config.width = values["width"].as<int64_t>();
  config.classes = values["classes"].as<int64_t>();
  const int64_t epochs = values["epochs"].as<int64_t>();
  if (epochs < 1) throw UsageError("--epochs must be positive");
  const int64_t val_every = values["val-every"].as<int64_t>();
  if (val_every < 1) throw UsageError("--val-every must be positive");
  const std::string precision = values["precision"].as<std::string>();
  if (precision != "bf16" && precision != "fp32") throw UsageError("--precision must be bf16 or fp32");
  SegTrainOptions train;
  train.patch = values["patch"].as<int64_t>();
  train.batch = values["batch"].as<int64_t>();
  if (values.count("patches-per-epoch")) {
    train.patches_per_epoch = values["patches-per-epoch"].as<int64_t>();
    if (train.patches_per_epoch < 1) throw UsageError("--patches-per-epoch must be positive");
  }
  train.lr = values["lr"].as<double>();
  train.gamma = values["gamma"].as<double>();
  train.weight_decay = values["weight-decay"].as<double>();
  train.seed = read_seed(values);
  train.device = read_device(values);
  train.bf16 = precision == "bf16";
  SlidingOptions sliding;
  sliding.window = train.patch;
  sliding.stride = values["stride"].as<int64_t>();
  check_train_options(config, train, sliding.stride);
  const double time_limit = values.count("time-limit") ? values["time-limit"].as<double>() : 0.0;
  if (!(time_limit >= 0) || !std::isfinite(time_limit))
    throw UsageError("--time-limit must be a number of seconds, 0 or more");
  const std::vector<RunSetting> settings = run_settings(values, io, train);
  const bool resume = values["resume"].as<bool>();
  const fs::path out_dir = io.dst;
  const std::string model_path = (out_dir / "model.safetensors").string();
  if (resume && !fs::exists(model_path)) throw std::runtime_error("nothing to resume: " + model_path + " not found");
  if (!resume && fs::exists(model_path)) throw std::runtime_error(model_path + " exists (use --resume)");
  if (resume && values.count("init"))
    throw UsageError("--init starts a run from other weights; --resume continues this one from its own");
  if (resume) check_resumed_settings(load_seg_model(model_path).metadata, settings);

  const std::string images_dir = values.count("images") ? values["images"].as<std::string>() : "";
  auto train_samples = std::make_shared<const std::vector<SegSample>>(
      load_samples(list_inputs(io.src, images_dir), labels_dir, io.bands, label_options, config.classes, io.quiet));
  std::vector<SegSample> val_samples;
  if (values.count("val"))
    val_samples = load_samples(list_inputs(values["val"].as<std::string>(), images_dir), labels_dir, io.bands,
                               label_options, config.classes, io.quiet);
  config.in_channels = train_samples->front().image.size(0);
  if (!val_samples.empty() && val_samples.front().image.size(0) != config.in_channels)
    throw std::runtime_error("validation images have another band count than the training images");

  torch::manual_seed(train.seed);
  SegModel model;
  model.net = SegNet(config);
  std::tie(model.mean, model.std) = band_statistics(*train_samples);
  if (values.count("init")) {
    const int64_t copied = initialise_seg_net(model.net, values["init"].as<std::string>());
    if (!io.quiet) std::cerr << "initialised " << copied << " tensors from " << values["init"].as<std::string>() << "\n";
  }
  SegTrainer trainer(std::move(model), train_samples, train);
  if (resume) trainer.resume(model_path);
  if (resume && trainer.epoch() >= epochs)
    throw UsageError("the run in " + io.dst + " has " + std::to_string(trainer.epoch()) +
                     " epochs already; give --epochs above that to train more");
  if (fs::exists(out_dir) && !fs::is_directory(out_dir))
    throw UsageError(out_dir.string() + " is a file, not a directory for the run");
  fs::create_directories(out_dir);

  TrainingLog log((out_dir / "train_log.csv").string(),
                  "epoch,seconds,lr,loss,val_accuracy,val_precision,val_recall,val_f1,val_iou",
                  resume ? trainer.epoch() : -1);
  // The log's time column counts the whole run, across --resume.
  const double earlier_seconds = log.seconds_logged();
  std::string command = "geosr seg train";
  for (const auto& a : args) command += " " + a;
  const auto start = std::chrono::steady_clock::now();
  const fs::path best_path = out_dir / "best.safetensors";
  double best_iou = -1;
  if (resume && fs::exists(best_path)) {
    const auto& best = load_seg_model(best_path.string()).metadata;
    if (best.count("geosr.train.val_iou")) best_iou = std::stod(best.at("geosr.train.val_iou"));
  }
  const InterruptGuard interrupts;
  while (trainer.epoch() < epochs) {
    const double lr = trainer.learning_rate();
    double loss = 0.0;
    try {
      loss = trainer.train_epoch();
    } catch (const Interrupted& stop) {
      if (!io.quiet) std::cerr << "\n";
      std::cerr << "geosr seg train: interrupted in epoch " << trainer.epoch() + 1 << "; "
                << (trainer.epoch() == 0 ? "no epoch was finished"
                                         : model_path + " holds epoch " + std::to_string(trainer.epoch()) +
                                               " (continue with the same command and --resume)")
                << "\n";
      return 128 + stop.signal;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line = "epoch " + std::to_string(trainer.epoch()) + "/" + std::to_string(epochs) + ": loss " +
                       fixed(loss, 4) + ", lr " + fixed(lr, 5);
    std::ostringstream row;
    row << trainer.epoch() << "," << fixed(earlier_seconds + seconds, 1) << "," << lr << "," << loss;
    SegModel& current = trainer.model();
    record_settings(current.metadata, settings);
    current.metadata["geosr.train.command"] = command;
    current.metadata["geosr.train.epochs"] = std::to_string(trainer.epoch());
    current.metadata["geosr.train.images"] = std::to_string(train_samples->size());
    current.metadata["geosr.train.device"] = train.device.str();
    if (!val_samples.empty() && (trainer.epoch() % val_every == 0 || trainer.epoch() == epochs)) {
      const SegmentationScores s = evaluate_segmentation(current, val_samples, sliding, train.device);
      const ClassScores c = foreground_scores(s);
      line += ", val IoU " + fixed(c.iou, 4) + " F1 " + fixed(c.f1, 4);
      row << "," << csv(s.accuracy) << "," << csv(c.precision) << "," << csv(c.recall) << "," << csv(c.f1) << ","
          << csv(c.iou);
      current.metadata["geosr.train.val_iou"] = fixed(c.iou, 4);
      if (c.iou > best_iou) {
        best_iou = c.iou;
        save_seg_model(best_path.string(), current);
      }
    } else {
      row << ",,,,,";
    }
    log.write(row.str());  // before the save: a resumed run cuts what its checkpoint does not hold
    trainer.save(model_path);
    if (!io.quiet) std::cerr << line << " (" << fixed(seconds, 0) << " s)\n";
    if (time_limit > 0 && seconds >= time_limit) break;
  }
  if (!io.quiet) std::cerr << "wrote " << model_path << "\n";
  return 0;
}

}  // namespace geosr::cli
