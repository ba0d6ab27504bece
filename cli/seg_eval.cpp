// geosr seg eval: scores class predictions against labels (a label raster, or vector features rasterized on the prediction's grid), NoData excluded,
// one row per prediction, like the paper's Table 3.

#include <cpl_json.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "geosr/core/segmentation/confusion.hpp"
#include "geosr/seg/labels.hpp"
#include "geosr/seg/seg_samples.hpp"
#include "seg_commands.hpp"
#include "seg_options.hpp"

namespace geosr::cli {
namespace {

struct Row {
  std::string path;
  SegmentationScores scores;
};

LabelRaster labels_on_grid(const std::string& labels, const std::string& prediction, const LabelOptions& options) {
  if (is_raster(labels)) return read_label_raster_for(labels, prediction, "the prediction");
  const auto classes = rasterize_labels(labels, raster_grid(prediction), options).to(torch::kInt64);
  return {classes, torch::ones_like(classes, torch::kBool)};
}

std::string cell(double value) {
  if (std::isnan(value)) return "n/a";
  std::ostringstream out;
  out << std::fixed << std::setprecision(4) << value;
  return out.str();
}

void print_table(const std::vector<Row>& rows, int64_t classes, std::ostream& out) {
  size_t width = 12;
  for (const auto& r : rows) width = std::max(width, r.path.size() + 2);
  out << std::left << std::setw(static_cast<int>(width)) << "prediction" << std::right;
  if (classes > 2) out << std::setw(7) << "class";
  out << std::setw(10) << "Accuracy" << std::setw(10) << "Precision" << std::setw(10) << "Recall" << std::setw(10)
      << "F1" << std::setw(10) << "IoU" << std::setw(12) << "pixels" << "\n";
  for (const auto& r : rows)
    for (int64_t c = 1; c < classes; ++c) {
      const ClassScores& s = r.scores.classes[static_cast<size_t>(c)];
      out << std::left << std::setw(static_cast<int>(width)) << r.path << std::right;
      if (classes > 2) out << std::setw(7) << c;
      out << std::setw(10) << cell(r.scores.accuracy) << std::setw(10) << cell(s.precision) << std::setw(10)
          << cell(s.recall) << std::setw(10) << cell(s.f1) << std::setw(10) << cell(s.iou) << std::setw(12)
          << r.scores.pixels << "\n";
    }
}

void write_json(const std::vector<Row>& rows, const std::string& labels, const std::string& path) {
  CPLJSONObject root;
  root.Add("labels", labels);
  CPLJSONArray predictions;
  for (const auto& r : rows) {
    CPLJSONObject p;
    p.Add("path", r.path);
    p.Add("pixels", static_cast<GInt64>(r.scores.pixels));
    p.Add("accuracy", r.scores.accuracy);
    CPLJSONArray classes;
    for (const auto& s : r.scores.classes) {
      CPLJSONObject c;
      for (const auto& [key, value] : {std::pair<const char*, double>{"precision", s.precision}, {"recall", s.recall},
                                       {"f1", s.f1}, {"iou", s.iou}}) {
        if (std::isnan(value)) c.AddNull(key);
        else c.Add(key, value);
      }
      c.Add("label_pixels", static_cast<GInt64>(s.label_pixels));
      c.Add("predicted_pixels", static_cast<GInt64>(s.predicted_pixels));
      classes.Add(c);
    }
    p.Add("classes", classes);
    predictions.Add(p);
  }
  root.Add("predictions", predictions);
  CPLJSONDocument doc;
  doc.SetRoot(root);
  write_text_file(path, doc.SaveAsString());
}

// A prediction raster, or every GeoTIFF of a directory of per-tile predictions (scored together).
std::vector<std::string> prediction_files(const std::string& prediction) {
  if (!std::filesystem::is_directory(prediction)) return {prediction};
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(prediction))
    if (entry.path().extension() == ".tif") files.push_back(entry.path().string());
  if (files.empty()) throw std::runtime_error("no .tif predictions in " + prediction);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int seg_eval(const std::vector<std::string>& arguments) {
  std::vector<std::string> args = arguments;
  apply_config_options(args);
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("labels", po::value<std::string>()->value_name("LABELS"),
       "label raster (band 1, classes), vector features, or a directory of per-tile label files (<name>.geojson, ...)")
      ("prediction", po::value<std::vector<std::string>>()->value_name("PRED"),
       "class raster, or directory of per-tile class rasters scored together (repeatable: one table row each)")
      ("classes", po::value<int64_t>()->default_value(2), "number of classes (2: background and one class)")
      ("json", po::value<std::string>()->value_name("OUT.json"), "write the scores as JSON")
      ("quiet,q", "do not print the table");
  options.add(label_options());
  po::variables_map values;
  if (!parse_named("geosr seg eval --labels LABELS --prediction PRED.tif [--prediction ...] [options]", args, options,
                   values))
    return 0;
  if (!values.count("labels") || !values.count("prediction")) throw UsageError("give --labels and --prediction");
  const int64_t classes = values["classes"].as<int64_t>();
  if (classes < 2 || classes > 256) throw UsageError("--classes must be 2 .. 256");
  const LabelOptions label_options = read_label_options(values);
  const std::string labels = values["labels"].as<std::string>();
  if (!std::filesystem::exists(labels)) throw std::runtime_error("labels not found: " + labels);
  if (values.count("json")) {
    check_not_input(labels, values["json"].as<std::string>());
    check_text_output(values["json"].as<std::string>());
  }

  std::vector<Row> rows;
  const bool labels_dir = std::filesystem::is_directory(labels);
  for (const auto& prediction : values["prediction"].as<std::vector<std::string>>()) {
    Confusion confusion(classes);
    const auto files = prediction_files(prediction);
    if (values.count("json")) {  // never the JSON over a prediction it scores
      for (const auto& file : files) check_not_input(file, values["json"].as<std::string>());
    }
    int64_t unlabelled = 0;
    for (const auto& file : files) {
      const LabelRaster predicted = read_label_raster(file);
      const std::string label_file = labels_dir ? find_label_file(file, labels) : labels;
      if (values.count("json") && !label_file.empty()) check_not_input(label_file, values["json"].as<std::string>());
      unlabelled += label_file.empty();
      // A tile without a label file has no labelled object: all background.
      const LabelRaster truth =
          label_file.empty() ? LabelRaster{torch::zeros_like(predicted.classes), torch::ones_like(predicted.valid)}
                             : labels_on_grid(label_file, file, label_options);
      try {
        confusion.add(truth.classes, predicted.classes, truth.valid & predicted.valid);
      } catch (const std::runtime_error& e) {  // among many tiles, which one
        throw std::runtime_error(file + " against " + (label_file.empty() ? "no label file" : label_file) + ": " +
                                 e.what());
      }
    }
    if (unlabelled == static_cast<int64_t>(files.size()))
      throw std::runtime_error("no label file in " + labels + " for " + prediction + " (labels are matched by name)");
    if (unlabelled) warn("seg eval", std::to_string(unlabelled) + " of " + std::to_string(files.size()) +
                                         " predictions in " + prediction + " have no label file: scored as background");
    rows.push_back({prediction, scores(confusion)});
  }
  if (!values.count("quiet")) print_table(rows, classes, std::cout);
  if (values.count("json")) write_json(rows, labels, values["json"].as<std::string>());
  return 0;
}

}  // namespace geosr::cli
