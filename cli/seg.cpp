// geosr seg: the downstream segmentation check. `geosr seg eval` scores class predictions against
// labels (a label raster, or vector features rasterized on the prediction's grid), NoData excluded,
// one row per prediction, like the paper's Table 3.

#include <cpl_json.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "geosr/seg/confusion.hpp"
#include "geosr/seg/labels.hpp"
#include "options.hpp"

namespace geosr::cli {
namespace {

struct Row {
  std::string path;
  SegmentationScores scores;
};

LabelRaster labels_on_grid(const std::string& labels, const std::string& prediction, const LabelOptions& options,
                           const LabelRaster& predicted) {
  if (is_raster(labels)) {
    LabelRaster l = read_label_raster(labels);
    if (l.classes.sizes() != predicted.classes.sizes())
      throw std::runtime_error("the labels " + labels + " and the prediction " + prediction + " have different sizes");
    return l;
  }
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
  if (!doc.Save(path)) throw std::runtime_error("cannot write " + path);
}

int seg_eval(const std::vector<std::string>& args) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("labels", po::value<std::string>()->value_name("LABELS"), "label raster (band 1, classes) or vector features")
      ("prediction", po::value<std::vector<std::string>>()->value_name("PRED.tif"), "class raster to score (repeatable)")
      ("classes", po::value<int64_t>()->default_value(2), "number of classes (2: background and one class)")
      ("radius", po::value<double>()->default_value(1.5), "vector points: disk radius in the raster CRS's units")
      ("class-field", po::value<std::string>()->value_name("FIELD"), "vector labels: integer attribute with the class (default: all 1)")
      ("json", po::value<std::string>()->value_name("OUT.json"), "write the scores as JSON");
  po::variables_map values;
  if (!parse_named("geosr seg eval --labels LABELS --prediction PRED.tif [--prediction ...] [options]", args, options,
                   values))
    return 0;
  if (!values.count("labels") || !values.count("prediction")) throw UsageError("give --labels and --prediction");
  const int64_t classes = values["classes"].as<int64_t>();
  if (classes < 2 || classes > 256) throw UsageError("--classes must be 2 .. 256");
  LabelOptions label_options;
  label_options.point_radius = values["radius"].as<double>();
  if (!(label_options.point_radius > 0)) throw UsageError("--radius must be positive");
  if (values.count("class-field")) label_options.class_field = values["class-field"].as<std::string>();
  const std::string labels = values["labels"].as<std::string>();
  if (!std::filesystem::exists(labels)) throw std::runtime_error("labels not found: " + labels);

  std::vector<Row> rows;
  for (const auto& prediction : values["prediction"].as<std::vector<std::string>>()) {
    const LabelRaster predicted = read_label_raster(prediction);
    const LabelRaster truth = labels_on_grid(labels, prediction, label_options, predicted);
    Confusion confusion(classes);
    confusion.add(truth.classes, predicted.classes, truth.valid & predicted.valid);
    rows.push_back({prediction, scores(confusion)});
  }
  print_table(rows, classes, std::cout);
  if (values.count("json")) write_json(rows, labels, values["json"].as<std::string>());
  return 0;
}

}  // namespace

int seg_command(const std::vector<std::string>& args) {
  return guarded("seg", [&] {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      std::cout << "Usage: geosr seg eval --labels LABELS --prediction PRED.tif [options]\n"
                   "  eval   score class predictions against label rasters or vector labels\n";
      if (args.empty()) throw UsageError("give a seg subcommand (eval)");
      return 0;
    }
    if (args[0] == "eval") return seg_eval({args.begin() + 1, args.end()});
    throw UsageError("unknown seg subcommand '" + args[0] + "' (available: eval)");
  });
}

}  // namespace geosr::cli
