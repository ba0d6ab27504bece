#pragma once
// Small GDAL helpers for the io and cli tests: write rasters with chosen types, layouts, NoData and
// masks, read them back, and check COG validity with GDAL's own validator.

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "test_support.hpp"

namespace geosr::test {

struct GdalCloser {
  void operator()(GDALDataset* ds) const { if (ds) GDALClose(ds); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, GdalCloser>;

inline DatasetPtr open_raster(const std::filesystem::path& path, GDALAccess access = GA_ReadOnly) {
  GDALAllRegister();
  DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | (access == GA_Update ? GDAL_OF_UPDATE : GDAL_OF_READONLY)));
  if (!ds) throw std::runtime_error("cannot open " + path.string());
  return ds;
}

struct RasterRecipe {
  int width = 64;
  int height = 48;
  int bands = 1;
  GDALDataType type = GDT_Float32;
  std::vector<std::string> options;  // GTiff creation options (TILED=YES, BLOCKYSIZE=...)
  std::optional<double> nodata;
  std::optional<std::array<double, 6>> geotransform = std::array<double, 6>{500000, 2, 0, 4000000, 0, -2};
  int epsg = 32611;                  // 0: no CRS
  // value(band, row, col); the default is a smooth ramp
  std::function<double(int, int, int)> value = [](int b, int r, int c) { return (b + 1) * 0.01 + r * 0.003 + c * 0.002; };
  // per-dataset mask (true = valid); empty: none
  std::function<bool(int, int)> mask;
};

inline void write_raster(const std::filesystem::path& path, const RasterRecipe& recipe) {
  GDALAllRegister();
  CPLStringList options;
  for (const auto& o : recipe.options) options.AddString(o.c_str());
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  DatasetPtr ds(driver->Create(path.c_str(), recipe.width, recipe.height, recipe.bands, recipe.type, options.List()));
  if (!ds) throw std::runtime_error("cannot create " + path.string());
  if (recipe.geotransform) {
    auto gt = *recipe.geotransform;
    ds->SetGeoTransform(gt.data());
  }
  if (recipe.epsg) {
    OGRSpatialReference srs;
    srs.importFromEPSG(recipe.epsg);
    ds->SetSpatialRef(&srs);
  }
  std::vector<double> row(recipe.width);
  for (int b = 0; b < recipe.bands; ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b + 1);
    if (recipe.nodata) band->SetNoDataValue(*recipe.nodata);
    for (int r = 0; r < recipe.height; ++r) {
      for (int c = 0; c < recipe.width; ++c) row[c] = recipe.value(b, r, c);
      if (band->RasterIO(GF_Write, 0, r, recipe.width, 1, row.data(), recipe.width, 1, GDT_Float64, 0, 0) != CE_None) {
        throw std::runtime_error("cannot write " + path.string());
      }
    }
  }
  if (recipe.mask) {
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES");
    const CPLErr created = ds->CreateMaskBand(GMF_PER_DATASET);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nullptr);
    if (created != CE_None) throw std::runtime_error("cannot add a mask to " + path.string());
    std::vector<unsigned char> mrow(recipe.width);
    for (int r = 0; r < recipe.height; ++r) {
      for (int c = 0; c < recipe.width; ++c) mrow[c] = recipe.mask(r, c) ? 255 : 0;
      if (ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, r, recipe.width, 1, mrow.data(), recipe.width, 1,
                                                        GDT_Byte, 0, 0) != CE_None)
        throw std::runtime_error("cannot write the mask of " + path.string());
    }
  }
}

// All bands as float64, band-sequential.
inline std::vector<double> read_all(GDALDataset* ds) {
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize(), n = ds->GetRasterCount();
  std::vector<double> values(static_cast<size_t>(w) * h * n);
  if (ds->RasterIO(GF_Read, 0, 0, w, h, values.data(), w, h, GDT_Float64, n, nullptr, 0, 0, 0, nullptr) != CE_None) {
    throw std::runtime_error("cannot read");
  }
  return values;
}

// GDAL's validate_cloud_optimized_geotiff.py when Debian ships it (python3-gdal), else the
// LAYOUT=COG marker GDAL's COG driver writes. Returns "" when valid, the reason otherwise.
inline std::string cog_problems(const std::filesystem::path& path) {
  const std::filesystem::path script =
      "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py";
  if (std::filesystem::exists(script) && std::filesystem::exists(GEOSR_PYTHON)) {
    const auto result = run_command(std::string(GEOSR_PYTHON) + " " + quote(script) + " -q " + quote(path));
    return result.exit_code == 0 ? "" : "validator: " + result.output;
  }
  auto ds = open_raster(path);
  const char* layout = ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
  return layout && std::string(layout) == "COG" ? "" : "no LAYOUT=COG";
}

}  // namespace geosr::test
