#include "seg_options.hpp"

#include "geosr/core/inference/diffusion_setup.hpp"

namespace geosr::cli {

po::options_description label_options() {
  po::options_description options("Labels");
  options.add_options()
      ("radius", po::value<double>()->default_value(1.5)->value_name("R"),
       "vector points: disk radius in the raster CRS's units (1.5 m: a NAIP tree crown)")
      ("class-field", po::value<std::string>()->value_name("FIELD"), "vector labels: integer attribute with the class (default: all 1)");
  return options;
}

LabelOptions read_label_options(const po::variables_map& values) {
  LabelOptions options;
  options.point_radius = values["radius"].as<double>();
  if (!(options.point_radius > 0)) throw UsageError("--radius must be positive");
  if (values.count("class-field")) options.class_field = values["class-field"].as<std::string>();
  return options;
}

torch::Device read_device(const po::variables_map& values) {
  try {
    return parse_device(values["device"].as<std::string>());
  } catch (const SettingsError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace geosr::cli
