#include "geosr/seg/labels.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>

#include "geosr/io/gdal_errors.hpp"
#include "geosr/io/georef.hpp"

namespace geosr {

namespace {

struct DatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(ds); }
};
using Dataset = std::unique_ptr<GDALDataset, DatasetCloser>;

Dataset open(const std::string& path, unsigned flags, const std::string& what) {
  register_gdal();
  GdalErrorTrap trap;
  Dataset ds(GDALDataset::Open(path.c_str(), flags | GDAL_OF_READONLY));
  if (!ds) trap.fail("cannot open " + what + " " + path);
  return ds;
}

std::unique_ptr<OGRSpatialReference> spatial_reference(const std::string& wkt) {
  if (wkt.empty()) return nullptr;
  auto srs = std::make_unique<OGRSpatialReference>();
  if (srs->importFromWkt(wkt.c_str()) != OGRERR_NONE) throw std::runtime_error("unreadable CRS: " + wkt.substr(0, 60));
  srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

}  // namespace

bool is_raster(const std::string& path) {
  register_gdal();
  GdalErrorTrap quiet;
  return Dataset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY)) != nullptr;
}

RasterGrid raster_grid(const std::string& path) {
  const Dataset ds = open(path, GDAL_OF_RASTER, "raster");
  RasterGrid grid;
  grid.width = ds->GetRasterXSize();
  grid.height = ds->GetRasterYSize();
  if (ds->GetGeoTransform(grid.geotransform.data()) != CE_None)
    throw std::runtime_error(path + " has no geotransform: labels cannot be placed on it");
  if (const OGRSpatialReference* srs = ds->GetSpatialRef()) {
    char* wkt = nullptr;
    srs->exportToWkt(&wkt);
    grid.crs_wkt = wkt;
    CPLFree(wkt);
  }
  return grid;
}

torch::Tensor rasterize_labels(const std::string& vector_path, const RasterGrid& grid, const LabelOptions& options) {
  if (!(options.point_radius > 0)) throw std::runtime_error("the point radius must be positive");
  const Dataset vectors = open(vector_path, GDAL_OF_VECTOR, "vector labels");
  const auto target = spatial_reference(grid.crs_wkt);

  std::vector<std::unique_ptr<OGRGeometry>> geometries;
  std::vector<double> burn;
  for (OGRLayer* layer : vectors->GetLayers()) {
    const int field = options.class_field.empty() ? -1 : layer->GetLayerDefn()->GetFieldIndex(options.class_field.c_str());
    if (!options.class_field.empty() && field < 0)
      throw std::runtime_error(vector_path + " has no field '" + options.class_field + "'");
    std::unique_ptr<OGRCoordinateTransformation> to_target;
    const OGRSpatialReference* source = layer->GetSpatialRef();
    if (target && source && !source->IsSame(target.get())) {
      to_target.reset(OGRCreateCoordinateTransformation(source, target.get()));
      if (!to_target) throw std::runtime_error("cannot transform " + vector_path + " to the raster's CRS");
    }
    for (auto& feature : *layer) {
      const OGRGeometry* g = feature->GetGeometryRef();
      if (!g || g->IsEmpty()) continue;
      std::unique_ptr<OGRGeometry> geometry(g->clone());
      if (to_target && geometry->transform(to_target.get()) != OGRERR_NONE)
        throw std::runtime_error("cannot transform a feature of " + vector_path + " to the raster's CRS");
      const auto type = wkbFlatten(geometry->getGeometryType());
      if (type == wkbPoint || type == wkbMultiPoint) {
        geometry.reset(geometry->Buffer(options.point_radius, 16));  // GEOS, 16 segments per quarter circle
        if (!geometry) throw std::runtime_error("GEOS could not buffer a point of " + vector_path);
      }
      const int value = field < 0 ? 1 : feature->GetFieldAsInteger(field);
      if (value < 1 || value > 255)
        throw std::runtime_error(vector_path + ": class " + std::to_string(value) + " is outside 1..255");
      geometries.push_back(std::move(geometry));
      burn.push_back(value);
    }
  }

  if (!geometries.empty()) {
    // Labels that all miss the raster are another place's (or in another CRS): scoring or training
    // on them would take the whole scene as background.
    const GeoTransform& g = grid.geotransform;
    OGRLinearRing ring;
    for (const auto& [col, row] : std::vector<std::pair<double, double>>{
             {0, 0}, {grid.width, 0}, {grid.width, grid.height}, {0, grid.height}, {0, 0}})
      ring.addPoint(g[0] + col * g[1] + row * g[2], g[3] + col * g[4] + row * g[5]);
    OGRPolygon extent;
    extent.addRing(&ring);
    if (std::none_of(geometries.begin(), geometries.end(), [&](const auto& f) { return f->Intersects(&extent); }))
      throw std::runtime_error("none of the " + std::to_string(geometries.size()) + " features of " + vector_path +
                               " lies on the raster (labels of another place, or in another CRS?)");
  }
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  Dataset canvas(mem->Create("", static_cast<int>(grid.width), static_cast<int>(grid.height), 1, GDT_Byte, nullptr));
  GeoTransform gt = grid.geotransform;
  canvas->SetGeoTransform(gt.data());
  if (!geometries.empty()) {
    std::vector<OGRGeometryH> handles;
    for (const auto& g : geometries) handles.push_back(OGRGeometry::ToHandle(g.get()));
    int band = 1;
    GdalErrorTrap trap;
    if (GDALRasterizeGeometries(canvas.get(), 1, &band, static_cast<int>(handles.size()), handles.data(), nullptr,
                                nullptr, burn.data(), nullptr, nullptr, nullptr) != CE_None)
      trap.fail("rasterizing " + vector_path + " failed");
  }
  auto out = torch::empty({grid.height, grid.width}, torch::kUInt8);
  if (canvas->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, static_cast<int>(grid.width), static_cast<int>(grid.height),
                                         out.data_ptr<uint8_t>(), static_cast<int>(grid.width),
                                         static_cast<int>(grid.height), GDT_Byte, 0, 0) != CE_None)
    throw std::runtime_error("reading the rasterized labels failed");
  return out;
}

LabelRaster read_label_raster(const std::string& path) {
  const Dataset ds = open(path, GDAL_OF_RASTER, "raster");
  GDALRasterBand* band = ds->GetRasterBand(1);
  if (GDALDataTypeIsFloating(band->GetRasterDataType()) || GDALDataTypeIsComplex(band->GetRasterDataType()))
    throw std::runtime_error(path + " holds " + GDALGetDataTypeName(band->GetRasterDataType()) +
                             " values; classes must be integers");
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  LabelRaster out;
  auto values = torch::empty({h, w}, torch::kInt32);
  auto mask = torch::empty({h, w}, torch::kUInt8);
  GdalErrorTrap trap;
  if (band->RasterIO(GF_Read, 0, 0, w, h, values.data_ptr<int32_t>(), w, h, GDT_Int32, 0, 0) != CE_None ||
      band->GetMaskBand()->RasterIO(GF_Read, 0, 0, w, h, mask.data_ptr<uint8_t>(), w, h, GDT_Byte, 0, 0) != CE_None)
    trap.fail("cannot read " + path);
  out.classes = values.to(torch::kInt64);
  out.valid = mask != 0;
  return out;
}

LabelRaster read_label_raster_for(const std::string& labels, const std::string& target, const std::string& what) {
  LabelRaster out = read_label_raster(labels);
  const Dataset label_ds = open(labels, GDAL_OF_RASTER, "raster"), target_ds = open(target, GDAL_OF_RASTER, "raster");
  const std::string pair = "the labels " + labels + " and " + what + " " + target;
  if (out.classes.size(0) != target_ds->GetRasterYSize() || out.classes.size(1) != target_ds->GetRasterXSize())
    throw std::runtime_error(pair + " have different sizes");
  // Same numbers in another CRS are another place; a side without a CRS is taken as the other's.
  const std::string label_crs = label_ds->GetProjectionRef(), target_crs = target_ds->GetProjectionRef();
  if (!label_crs.empty() && !target_crs.empty() && !same_crs(label_crs, target_crs))
    throw std::runtime_error(pair + " are in different CRSs");
  GeoTransform a{}, b{};
  if (label_ds->GetGeoTransform(a.data()) == CE_None && target_ds->GetGeoTransform(b.data()) == CE_None) {
    const double pixel = std::max(std::abs(b[1]), std::abs(b[5]));
    for (int i = 0; i < 6; ++i) {
      const bool origin = i == 0 || i == 3;
      if (std::abs(a[i] - b[i]) > (origin ? 0.5 * pixel : 1e-3 * pixel))
        throw std::runtime_error(pair + " lie on different grids");
    }
  }
  return out;
}

}  // namespace geosr
