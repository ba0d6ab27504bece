#pragma once
// Many rasters named at once, as `geosr chips`, `geosr seg train` and `geosr batch` take them.

#include <string>
#include <vector>

namespace geosr::cli {

// SRC is a raster, a directory of GeoTIFFs, a JSON list (list_json_rasters, default asset) or a
// text file with one entry a line: a path, or a name without extension (a split file such as
// naip-trees/train.txt) meaning IMAGES/NAME.tif, IMAGES defaulting to the folder `images` beside
// the list. Throws when SRC is missing or empty.
std::vector<std::string> list_inputs(const std::string& src, const std::string& images_dir);

struct JsonRaster {
  std::string path;  // what GDAL opens
  std::string name;  // the STAC item's id; empty for a bare href
};

// A JSON file (local or /vsi...) listing hrefs: an array of href strings, or STAC-like items: a
// FeatureCollection / ItemCollection, a single Feature, or an array of them, each item's raster
// being its asset named `asset`, else its first GeoTIFF asset, else its first "data" asset, else
// its first asset. http(s)://, s3:// and gs:// hrefs become /vsicurl/, /vsis3/ and /vsigs/
// paths; relative ones are taken relative to the JSON file.
std::vector<JsonRaster> list_json_rasters(const std::string& json, const std::string& asset);

// ".json" or ".geojson": what list_inputs hands to list_json_rasters.
bool is_json_list(const std::string& path);

}  // namespace geosr::cli
