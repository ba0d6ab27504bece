#pragma once
// Real rasters and the committed Python reference values for the eval tests.

#include <gdal_priv.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace geosr::test {

// A whole raster as (bands, H, W) float64.
inline torch::Tensor read_raster(const std::filesystem::path& path) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw std::runtime_error("cannot open " + path.string());
  const int c = ds->GetRasterCount(), h = ds->GetRasterYSize(), w = ds->GetRasterXSize();
  auto t = torch::empty({c, h, w}, torch::kFloat64);
  if (ds->RasterIO(GF_Read, 0, 0, w, h, t.data_ptr<double>(), w, h, GDT_Float64, c, nullptr, 0, 0, 0) != CE_None) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return t;
}

inline torch::Tensor naip_tile(const std::string& name) {
  return read_raster(shared_data() / "naip-trees" / "images" / name);
}

inline boost::property_tree::ptree reference_values() {
  boost::property_tree::ptree tree;
  boost::property_tree::read_json((source_dir() / "tests" / "python" / "eval_reference_values.json").string(), tree);
  return tree;
}

// A JSON array of numbers, or an array of equally long arrays, as a float64 tensor.
inline torch::Tensor json_tensor(const boost::property_tree::ptree& node) {
  std::vector<double> values;
  int64_t rows = 0, cols = 0;
  for (const auto& row : node) {
    if (row.second.empty()) {
      values.push_back(row.second.get_value<double>());
      continue;
    }
    ++rows;
    cols = 0;
    for (const auto& v : row.second) {
      values.push_back(v.second.get_value<double>());
      ++cols;
    }
  }
  auto t = torch::tensor(values, torch::kFloat64);
  return rows > 0 ? t.view({rows, cols}) : t;
}

}  // namespace geosr::test
