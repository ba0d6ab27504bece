// geosr eval: compare candidate rasters (SR outputs, baselines) with the HR reference over whole
// scenes, and print one table like the paper's Table 2 (docs/eval.md).

#include <cpl_json.h>
#include <gdal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "commands.hpp"
#include "geosr/core/exact_number.hpp"
#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/core/list_items.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/core/whole_number.hpp"
#include "geosr/eval/raster_evaluation.hpp"
#include "options.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

struct Column {
  const char* metric;  // as --metrics names it
  const char* key;     // in the report
  const char* header;
};

const Column kColumns[] = {{"rmse", "rmse", "RMSE"},      {"psnr", "psnr", "PSNR dB"},  {"ssim", "ssim", "SSIM"},
                           {"swd", "swd", "SWDx1e3"},     {"spectrum", "spectrum_db", "HF-spec dB"},
                           {"fid", "fid", "FID"},         {"kid", "kid", "KID"},       {"kid", "kid_std", "KID std"},
                           {"seam", "seam", "Seam"},      {"lr", "lr_mae", "LR MAE"}};

bool has(const eval::EvaluationReport& report, const char* metric) {
  return std::find(report.metrics.begin(), report.metrics.end(), metric) != report.metrics.end();
}

eval::WindowLayout parse_grid(const std::string& text) {
  const auto items = list_items(text);
  if (items && items->size() == 2) {
    const auto size = whole_number<int64_t>((*items)[0]), stride = whole_number<int64_t>((*items)[1]);
    if (size && stride && *size > 0 && *stride > 0 && *stride <= *size) return {*size, *stride};
  }
  throw UsageError("--grid must be WINDOW,STRIDE with 0 < STRIDE <= WINDOW (got '" + text + "')");
}

// The grid `geosr sr --method diffusion` recorded in a candidate (GEOSR_GRID), if any.
std::optional<eval::WindowLayout> recorded_grid(const std::string& candidate) {
  GDALAllRegister();
  GDALDatasetH ds = GDALOpen(candidate.c_str(), GA_ReadOnly);
  if (!ds) return std::nullopt;
  const char* text = GDALGetMetadataItem(ds, "GEOSR_GRID", nullptr);
  std::optional<eval::WindowLayout> grid;
  if (text) grid = parse_grid(text);
  GDALClose(ds);
  return grid;
}

void print_table(const eval::EvaluationReport& report, std::ostream& out) {
  size_t name_width = 20;
  for (const auto& c : report.candidates) name_width = std::max(name_width, c.path.size() + 2);
  out << std::left << std::setw(static_cast<int>(name_width)) << "candidate";
  for (const auto& col : kColumns) {
    if (has(report, col.metric)) out << std::right << std::setw(12) << col.header;
  }
  out << "\n";
  for (const auto& c : report.candidates) {
    out << std::left << std::setw(static_cast<int>(name_width)) << c.path;
    for (const auto& col : kColumns) {
      if (!has(report, col.metric)) continue;
      const double v = c.values.at(col.key);
      const bool small = std::string(col.key).rfind("kid", 0) == 0;
      out << std::right << std::setw(12) << std::fixed << std::setprecision(small ? 5 : 4) << v;
    }
    out << "\n";
  }
  out << std::defaultfloat << "reference: " << report.reference << " (MAX " << format_number(report.max_value) << ")";
  if (report.reference_seam) out << ", its own seam score " << std::setprecision(4) << *report.reference_seam;
  if (report.scale) out << ", LR scale " << report.scale;
  if (has(report, "swd") || has(report, "spectrum")) out << "; " << report.swd_windows << " SWD windows";
  if (has(report, "fid") || has(report, "kid")) out << "; " << report.fid_windows << " FID windows";
  out << "\n";
}

void write_json(const eval::EvaluationReport& report, const std::string& path) {
  CPLJSONDocument doc;
  auto root = doc.GetRoot();
  root.Add("reference", report.reference);
  root.Add("max_value", report.max_value);
  if (report.reference_seam) root.Add("reference_seam", *report.reference_seam);
  if (report.scale) root.Add("lr_scale", static_cast<GInt64>(report.scale));
  root.Add("swd_windows", static_cast<GInt64>(report.swd_windows));
  root.Add("fid_windows", static_cast<GInt64>(report.fid_windows));
  CPLJSONArray candidates;
  for (const auto& c : report.candidates) {
    CPLJSONObject entry;
    entry.Add("path", c.path);
    // JSON has no infinity (PSNR of identical rasters): written as null.
    for (const auto& [key, value] : c.values) {
      if (std::isfinite(value)) {
        entry.Add(key, value);
      } else {
        entry.AddNull(key);
      }
    }
    for (const auto& [key, values] : c.per_band) {
      // CPLJSONArray cannot hold a null, but a parsed one can.
      std::string text = "[";
      for (size_t b = 0; b < values.size(); ++b) {
        text += (b ? "," : "") + (std::isfinite(values[b]) ? exact_number(values[b]) : std::string("null"));
      }
      CPLJSONDocument bands;
      if (!bands.LoadMemory(text + "]")) throw std::logic_error("eval: per-band values did not parse");
      entry.Add(key + "_per_band", bands.GetRoot().ToArray());
    }
    candidates.Add(entry);
  }
  root.Add("candidates", candidates);
  write_text_file(path, doc.SaveAsString());
}

void write_csv(const eval::EvaluationReport& report, const std::string& path) {
  std::ostringstream out;
  out << "candidate";
  for (const auto& col : kColumns) {
    if (has(report, col.metric)) out << "," << col.key;
  }
  out << "\n" << std::setprecision(10);
  for (const auto& c : report.candidates) {
    std::string quoted = c.path;
    for (size_t at = quoted.find('"'); at != std::string::npos; at = quoted.find('"', at + 2)) quoted.insert(at, "\"");
    out << '"' << quoted << '"';
    for (const auto& col : kColumns) {
      if (has(report, col.metric)) out << "," << c.values.at(col.key);
    }
    out << "\n";
  }
  write_text_file(path, out.str());
}

}  // namespace

int eval_command(const std::vector<std::string>& arguments) {
  return guarded("eval", [&] {
    std::vector<std::string> args = arguments;
    apply_config_options(args);
    po::options_description options("Options");
    options.add_options()("help,h", "show this help")
        ("reference", po::value<std::string>()->value_name("HR.tif"), "the HR reference raster")
        ("candidate", po::value<std::vector<std::string>>()->value_name("SR.tif"), "a candidate raster (repeatable)")
        ("lr", po::value<std::string>()->value_name("LR.tif"), "the LR input, for LR consistency")
        ("grid", po::value<std::string>()->value_name("WINDOW,STRIDE"),
         "window grid of the candidates (seam score); default: GEOSR_GRID of the first candidate")
        ("metrics", po::value<std::string>()->value_name("LIST"),
         "comma list of rmse,psnr,ssim,swd,spectrum,fid,kid,seam,lr (default: all whose inputs are given)")
        ("inception", po::value<std::string>()->value_name("PATH"),
         "clean-fid inception-2015-12-05.pt for FID/KID (default $GEOSR_INCEPTION)")
        ("device", po::value<std::string>()->default_value("cpu"), "where the feature network runs (cpu, cuda)")
        ("batch", po::value<int64_t>()->default_value(16), "feature network batch size")
        ("max-value", po::value<double>(), "MAX for PSNR/SSIM (default: from the data type, 255 for Byte)")
        ("seed", po::value<std::string>()->default_value("0"), "seed of SWD and KID sampling")
        ("json", po::value<std::string>()->value_name("OUT.json"), "write the results as JSON")
        ("csv", po::value<std::string>()->value_name("OUT.csv"), "write the results as CSV")
        ("quiet,q", "do not print the table");
    po::variables_map values;
    if (!parse_named("geosr eval --reference HR.tif --candidate SR.tif [--candidate ...] [options]", args, options, values))
      return 0;
    if (!values.count("reference") || !values.count("candidate")) {
      throw UsageError("need --reference HR.tif and at least one --candidate SR.tif");
    }
    // The results never replace a raster they score, nor each other.
    std::vector<std::string> inputs = values["candidate"].as<std::vector<std::string>>();
    inputs.push_back(values["reference"].as<std::string>());
    if (values.count("lr")) inputs.push_back(values["lr"].as<std::string>());
    for (const char* result : {"json", "csv"})
      if (values.count(result))
        for (const auto& input : inputs) check_not_input(input, values[result].as<std::string>());
    if (values.count("json") && values.count("csv") && std::filesystem::weakly_canonical(values["json"].as<std::string>()) ==
                                                       std::filesystem::weakly_canonical(values["csv"].as<std::string>()))
      throw UsageError("--json and --csv name the same file");
    for (const char* result : {"json", "csv"})
      if (values.count(result)) check_text_output(values[result].as<std::string>());
    eval::RasterEvalOptions opts;
    if (values.count("lr")) opts.lr_path = values["lr"].as<std::string>();
    const auto& candidate_paths = values["candidate"].as<std::vector<std::string>>();
    opts.grid = values.count("grid") ? parse_grid(values["grid"].as<std::string>()) : recorded_grid(candidate_paths.front());
    if (values.count("metrics")) {
      const std::string text = values["metrics"].as<std::string>();
      const auto metrics = list_items(text);
      if (!metrics) throw UsageError(empty_item_text("--metrics", text));
      opts.metrics = *metrics;
    }
    if (values.count("inception")) opts.inception_path = values["inception"].as<std::string>();
    if (values.count("max-value")) {
      const double max_value = values["max-value"].as<double>();
      if (!(max_value > 0.0) || !std::isfinite(max_value))
        throw UsageError("--max-value must be a positive number (got " + format_number(max_value) + ")");
      opts.max_value = max_value;
    }
    opts.device = parse_device(values["device"].as<std::string>());
    opts.batch_size = values["batch"].as<int64_t>();
    if (opts.batch_size < 1 || opts.batch_size > 4096) throw UsageError("--batch must be 1 .. 4096");
    opts.seed = read_seed(values);
    if (const std::string problem = eval::metrics_problem(opts); !problem.empty()) throw UsageError(problem);
    const auto report = eval::evaluate_rasters(values["reference"].as<std::string>(),
                                               values["candidate"].as<std::vector<std::string>>(), opts);
    for (const auto& note : report.notes) warn("eval", note);
    if (!values.count("quiet")) print_table(report, std::cout);
    if (values.count("json")) write_json(report, values["json"].as<std::string>());
    if (values.count("csv")) write_csv(report, values["csv"].as<std::string>());
    return 0;
  });
}

}  // namespace geosr::cli
