#pragma once
// Labelled images for segmentation training and validation, read with GDAL: the image's bands as
// values, and labels from a label raster or vector features burnt on the image's grid.

#include <string>
#include <vector>

#include "geosr/core/segmentation/seg_trainer.hpp"
#include "geosr/seg/labels.hpp"

namespace geosr {

// `labels`: a label raster on the image's grid, vector features, or empty for an image without
// any labelled object (all background). Pixels the image or the label raster marks as NoData are
// unknown (-1). `bands`: 1-based (empty: all). Throws std::runtime_error (one line).
SegSample load_seg_sample(const std::string& image, const std::string& labels, const std::vector<int>& bands,
                          const LabelOptions& options);

// The label file of `image` in `labels_dir`: <stem>.geojson, .json, .gpkg, .shp, .tif or .tiff;
// empty when there is none.
std::string find_label_file(const std::string& image, const std::string& labels_dir);

}  // namespace geosr
