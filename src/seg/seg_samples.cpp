#include "geosr/seg/seg_samples.hpp"

#include <filesystem>
#include <stdexcept>

#include "geosr/io/raster_source.hpp"

namespace geosr {

SegSample load_seg_sample(const std::string& image, const std::string& labels, const std::vector<int>& bands,
                          const LabelOptions& options) {
  const RasterSource source(image, bands);
  const RasterWindow window = source.read_values({0, source.height()}, {0, source.width()});
  torch::Tensor classes, known = window.valid;
  if (labels.empty()) {
    classes = torch::zeros({source.height(), source.width()}, torch::kInt64);
  } else if (is_raster(labels)) {
    const LabelRaster raster = read_label_raster_for(labels, image, "the image");
    classes = raster.classes;
    known = known & raster.valid;
  } else {
    classes = rasterize_labels(labels, raster_grid(image), options).to(torch::kInt64);
  }
  return {std::filesystem::path(image).stem().string(), window.data,
          torch::where(known, classes, torch::full({}, -1, torch::kInt64))};
}

std::string find_label_file(const std::string& image, const std::string& labels_dir) {
  const auto stem = std::filesystem::path(image).stem().string();
  for (const char* ext : {".geojson", ".json", ".gpkg", ".shp", ".tif", ".tiff"}) {
    const auto candidate = std::filesystem::path(labels_dir) / (stem + ext);
    // A label raster beside its image may share the image's name; the image is not its own label.
    if (std::filesystem::exists(candidate) && !std::filesystem::equivalent(candidate, image)) return candidate.string();
  }
  return {};
}

}  // namespace geosr
