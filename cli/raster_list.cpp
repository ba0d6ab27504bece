#include "raster_list.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

bool is_raster_name(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".tif" || ext == ".tiff" || ext == ".TIF" || ext == ".TIFF" || ext == ".vrt";
}

}  // namespace

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
  } else {
    inputs.push_back(src);
  }
  if (inputs.empty()) throw std::runtime_error("no rasters found in " + src);
  return inputs;
}

}  // namespace geosr::cli
