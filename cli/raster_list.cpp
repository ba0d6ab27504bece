#include "raster_list.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <cpl_error.h>
#include <cpl_json.h>

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

bool is_raster_name(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".tif" || ext == ".tiff" || ext == ".TIF" || ext == ".TIFF" || ext == ".vrt";
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// An href as GDAL opens it; relative ones against the folder (or URL folder) of the JSON file.
std::string gdal_path(const std::string& href, const std::string& json) {
  static const std::pair<const char*, const char*> kSchemes[] = {
      {"http://", "/vsicurl/http://"}, {"https://", "/vsicurl/https://"}, {"s3://", "/vsis3/"},
      {"gs://", "/vsigs/"},            {"file://", ""}};
  for (const auto& [scheme, prefix] : kSchemes)
    if (starts_with(href, scheme)) return prefix + href.substr(std::string(scheme).size());
  if (starts_with(href, "/")) return href;
  // String surgery rather than fs::path: "/vsicurl/https://host/..." is no file-system path.
  const auto slash = json.rfind('/');
  return (slash == std::string::npos ? "" : json.substr(0, slash + 1)) + (starts_with(href, "./") ? href.substr(2) : href);
}

// Which asset stands for the item when none is named: 0 a GeoTIFF, 1 one with the "data" role, 2 any.
int asset_rank(const CPLJSONObject& asset) {
  const std::string type = asset.GetString("type");
  if (starts_with(type, "image/tiff") || type.find("geotiff") != std::string::npos) return 0;
  for (const auto& role : asset.GetArray("roles"))
    if (role.ToString() == "data") return 1;
  return 2;
}

std::string asset_href(const CPLJSONObject& item, const std::string& wanted, const std::string& id) {
  const auto assets = item.GetObj("assets");
  if (!assets.IsValid() || assets.GetType() != CPLJSONObject::Type::Object)
    throw std::runtime_error("item '" + id + "' has no assets");
  const auto children = assets.GetChildren();
  const CPLJSONObject* chosen = nullptr;
  if (!wanted.empty()) {
    for (const auto& asset : children)
      if (asset.GetName() == wanted) chosen = &asset;
    if (!chosen) throw std::runtime_error("item '" + id + "' has no asset '" + wanted + "'");
  } else {
    for (const auto& asset : children)
      if (!chosen || asset_rank(asset) < asset_rank(*chosen)) chosen = &asset;
    if (!chosen) throw std::runtime_error("item '" + id + "' has no assets");
  }
  const std::string href = chosen->GetString("href");
  if (href.empty()) throw std::runtime_error("asset '" + chosen->GetName() + "' of item '" + id + "' has no href");
  return href;
}

}  // namespace

bool is_json_list(const std::string& path) {
  const auto ext = fs::path(path).extension().string();
  return ext == ".json" || ext == ".geojson" || ext == ".JSON";
}

std::vector<JsonRaster> list_json_rasters(const std::string& json, const std::string& asset) {
  CPLJSONDocument document;
  if (!document.Load(json)) throw std::runtime_error("cannot read the JSON list " + json + ": " + CPLGetLastErrorMsg());
  const CPLJSONObject root = document.GetRoot();
  std::vector<CPLJSONObject> entries;
  if (root.GetType() == CPLJSONObject::Type::Array) {
    for (const auto& entry : root.ToArray()) entries.push_back(entry);
  } else if (root.GetType() == CPLJSONObject::Type::Object && root.GetArray("features").IsValid()) {
    for (const auto& entry : root.GetArray("features")) entries.push_back(entry);
  } else if (root.GetType() == CPLJSONObject::Type::Object && root.GetObj("assets").IsValid()) {
    entries.push_back(root);
  } else {
    throw std::runtime_error(json + " is neither a JSON array of hrefs nor a STAC FeatureCollection or Feature");
  }
  std::vector<JsonRaster> rasters;
  for (const auto& entry : entries) {
    if (entry.GetType() == CPLJSONObject::Type::String) {
      rasters.push_back({gdal_path(entry.ToString(), json), ""});
      continue;
    }
    if (entry.GetType() != CPLJSONObject::Type::Object)
      throw std::runtime_error("entry " + std::to_string(rasters.size() + 1) + " of " + json + " is neither an href nor an item");
    const std::string id = entry.GetString("id", std::to_string(rasters.size() + 1));
    rasters.push_back({gdal_path(asset_href(entry, asset, id), json), entry.GetString("id")});
  }
  if (rasters.empty()) throw std::runtime_error("no rasters listed in " + json);
  return rasters;
}

std::vector<std::string> list_inputs(const std::string& src, const std::string& images_dir) {
  const fs::path path(src);
  if (!fs::exists(path)) throw std::runtime_error("input does not exist: " + src);
  std::vector<std::string> inputs;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.is_regular_file() && is_raster_name(entry.path())) inputs.push_back(entry.path().string());
    std::sort(inputs.begin(), inputs.end());
  } else if (path.extension() == ".txt") {
    const fs::path images = images_dir.empty() ? path.parent_path() / "images" : fs::path(images_dir);
    std::ifstream in(src);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const fs::path entry(line);
      if (entry.has_extension() && is_raster_name(entry))
        inputs.push_back((entry.is_absolute() ? entry : path.parent_path() / entry).string());
      else
        inputs.push_back((images / (line + ".tif")).string());
    }
  } else if (is_json_list(src)) {
    for (const auto& raster : list_json_rasters(src, "")) inputs.push_back(raster.path);
  } else {
    inputs.push_back(src);
  }
  if (inputs.empty()) throw std::runtime_error("no rasters found in " + src);
  return inputs;
}

}  // namespace geosr::cli
