#include "geosr/io/output_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <cpl_string.h>
#include <gdal_priv.h>

#include "geosr/io/gdal_errors.hpp"

namespace geosr {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool has(GDALDriver* driver, const char* capability) {
  const char* value = driver->GetMetadataItem(capability);
  return value && EQUAL(value, "YES");
}

std::vector<std::string> extensions(GDALDriver* driver) {
  std::vector<std::string> found;
  const char* list = driver->GetMetadataItem(GDAL_DMD_EXTENSIONS);
  if (!list) list = driver->GetMetadataItem(GDAL_DMD_EXTENSION);
  std::istringstream words(list ? list : "");
  for (std::string word; words >> word;) found.push_back(lower(word));
  return found;
}

bool writes_rasters(GDALDriver* driver) {
  return has(driver, GDAL_DCAP_RASTER) && (has(driver, GDAL_DCAP_CREATE) || has(driver, GDAL_DCAP_CREATECOPY));
}

// Every output is checked by writing a small copy in memory (/vsimem) before the computation, and
// a VRT would point at the staging file that is removed once the output is written. `chosen` says
// how the driver was chosen (-of, or DST's extension).
void check_writable(GDALDriver* driver, const std::string& chosen) {
  const std::string name = driver->GetDescription();
  if (EQUAL(name.c_str(), "VRT"))
    throw std::invalid_argument(chosen + ": a VRT would point at a temporary file; geosr vrt writes a VRT that "
                                "super-resolves on read");
  if (!writes_rasters(driver)) throw std::invalid_argument(chosen + ": GDAL cannot write rasters as " + name);
  if (!has(driver, GDAL_DCAP_VIRTUALIO))
    throw std::invalid_argument(chosen + ": geosr cannot write " + name + " (GDAL cannot stage it in memory first)");
}

}  // namespace

std::string output_format(const std::string& path, const std::string& requested) {
  register_gdal();
  if (!requested.empty()) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(requested.c_str());
    if (!driver || !has(driver, GDAL_DCAP_RASTER))
      throw std::invalid_argument("-of " + requested + ": GDAL has no such raster format (gdalinfo --formats lists them)");
    check_writable(driver, "-of " + requested);
    return driver->GetDescription();
  }
  const std::string extension = lower(std::filesystem::path(path).extension().string());
  if (extension.empty() || extension == ".tif" || extension == ".tiff") return "COG";
  std::vector<GDALDriver*> drivers;
  GDALDriverManager* manager = GetGDALDriverManager();
  for (int i = 0; i < manager->GetDriverCount(); ++i) {
    GDALDriver* driver = manager->GetDriver(i);
    const auto names = extensions(driver);
    if (writes_rasters(driver) && std::find(names.begin(), names.end(), extension.substr(1)) != names.end())
      drivers.push_back(driver);
  }
  if (drivers.empty())
    throw std::invalid_argument("no GDAL format writes '" + extension + "' files; name one with -of (e.g. -of COG)");
  if (drivers.size() > 1) {
    std::string names;
    for (GDALDriver* driver : drivers) names += std::string(names.empty() ? "" : ", ") + driver->GetDescription();
    throw std::invalid_argument("several GDAL formats write '" + extension + "' files (" + names +
                                "); choose one with -of");
  }
  check_writable(drivers.front(), "DST '" + std::filesystem::path(path).filename().string() + "'");
  return drivers.front()->GetDescription();
}

std::vector<std::string> default_creation_options(const std::string& format) {
  const bool cog = format == "COG";
  if (!cog && format != "GTiff") return {};
  const char* list = gdal_driver(format)->GetMetadataItem(GDAL_DMD_CREATIONOPTIONLIST);
  const bool zstd = list && std::strstr(list, "ZSTD");
  std::vector<std::string> options = {std::string("COMPRESS=") + (zstd ? "ZSTD" : "DEFLATE"), "PREDICTOR=2",
                                      "BIGTIFF=IF_SAFER"};
  options.emplace_back(cog ? "OVERVIEW_RESAMPLING=AVERAGE" : "TILED=YES");
  return options;
}

std::vector<std::string> creation_options(const std::string& format, const std::vector<std::string>& user) {
  CPLStringList options;
  for (const auto& option : default_creation_options(format)) options.AddString(option.c_str());
  for (const auto& option : user) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(option.c_str(), &key);
    if (!key || !value) {
      CPLFree(key);
      throw std::runtime_error("creation option is not NAME=VALUE: " + option);
    }
    options.SetNameValue(key, value);
    CPLFree(key);
  }
  std::vector<std::string> result;
  for (int i = 0; i < options.size(); ++i) result.emplace_back(options[i]);
  return result;
}

void check_creation_options(const std::string& format, const std::vector<std::string>& user) {
  GDALDriver* driver = gdal_driver(format);
  CPLStringList list;
  for (const auto& option : creation_options(format, user)) list.AddString(option.c_str());
  GdalErrorTrap trap(/*warnings=*/true);
  if (!GDALValidateCreationOptions(driver, list.List()) || !trap.first_error().empty()) trap.fail("-co");
}

std::string format_extension(const std::string& format) {
  register_gdal();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(format.c_str());
  const auto names = driver ? extensions(driver) : std::vector<std::string>{};
  return names.empty() ? "" : names.front();
}

}  // namespace geosr
