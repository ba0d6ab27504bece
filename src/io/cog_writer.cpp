#include "geosr/io/cog_writer.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <signal.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "geosr/io/gdal_errors.hpp"

namespace geosr {
namespace fs = std::filesystem;
namespace {

void close_dataset(GDALDataset* dataset) {
  if (dataset) GDALClose(dataset);
}

GDALDriver* driver(const char* name) {
  register_gdal();
  GDALDriver* found = GetGDALDriverManager()->GetDriverByName(name);
  if (!found) throw std::runtime_error(std::string("GDAL has no ") + name + " driver");
  return found;
}

// geosr's defaults, overridden by the user's -co.
CPLStringList cog_options(const std::vector<std::string>& user) {
  CPLStringList options;
  for (const auto& option : default_cog_options()) options.AddString(option.c_str());
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
  return options;
}

fs::path output_directory(const fs::path& output) {
  const fs::path parent = output.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

void check_creation_options(const std::vector<std::string>& options) {
  const CPLStringList list = cog_options(options);
  GdalErrorTrap trap(/*warnings=*/true);
  if (!GDALValidateCreationOptions(driver("COG"), list.List()) || !trap.first_error().empty())
    trap.fail("-co");
}

void check_output_spec(const OutputSpec& spec) {
  const CPLStringList options = cog_options(spec.creation_options);
  const std::string compress = CPLString(options.FetchNameValueDef("COMPRESS", "")).toupper();
  if (spec.nodata && (compress == "JPEG" || compress == "WEBP"))
    throw std::runtime_error("-co COMPRESS=" + compress + " is lossy and the output has a NoData value: pixels would "
                             "turn into NoData and NoData into pixels; choose a lossless compression");
  const int bands = static_cast<int>(spec.ranges.size());
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> sample(
      driver("MEM")->Create("", 16, 16, bands, spec.type, nullptr), close_dataset);
  if (!sample) throw std::runtime_error("cannot check the output options");
  if (spec.nodata)
    for (int b = 1; b <= bands; ++b) sample->GetRasterBand(b)->SetNoDataValue(*spec.nodata);
  const std::string probe = "/vsimem/geosr-output-check-" + std::to_string(::getpid()) + ".tif";
  GdalErrorTrap trap;
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> copy(
      driver("COG")->CreateCopy(probe.c_str(), sample.get(), FALSE, options.List(), nullptr, nullptr), close_dataset);
  copy.reset();
  VSIUnlink(probe.c_str());
  if (!trap.first_error().empty()) {
    std::string reason = trap.first_error();  // without the probe's name, which means nothing to the user
    if (reason.rfind(probe + ": ", 0) == 0) reason.erase(0, probe.size() + 2);
    throw std::runtime_error("-co for a " + std::string(GDALGetDataTypeName(spec.type)) + " output: " + reason);
  }
}

void check_output_path(const fs::path& output, bool overwrite) {
  std::error_code ec;
  const fs::path dir = output_directory(output);
  if (output.filename().empty()) throw std::runtime_error("output is not a file name: " + output.string());
  if (!fs::exists(dir, ec)) throw std::runtime_error("output directory does not exist: " + dir.string());
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("output directory is not a directory: " + dir.string());
  if (::access(dir.c_str(), W_OK) != 0) {
    throw std::runtime_error("output directory is not writable: " + dir.string());
  }
  if (fs::is_directory(output, ec)) throw std::runtime_error("output is a directory: " + output.string());
  // The output is renamed into place: that would replace a device, a pipe or a link, not write through it.
  const auto status = fs::symlink_status(output, ec);
  if (fs::is_symlink(status))
    throw std::runtime_error("output is a symbolic link (name the file it points to): " + output.string());
  if (fs::exists(status) && !fs::is_regular_file(status))
    throw std::runtime_error("output is not a regular file (a device, pipe or socket): " + output.string());
  if (fs::exists(output, ec) && !overwrite) {
    throw std::runtime_error("output exists (use --overwrite to replace it): " + output.string());
  }
}

void remove_stale_temporaries(const fs::path& output) {
  const std::string prefix = "." + output.filename().string() + ".geosr-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_directory(output), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) continue;
    const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(entry.path(), ec);
  }
}

namespace {

// A hidden name beside the output, unique to this process.
fs::path hidden_sibling(const fs::path& output, const std::string& suffix) {
  return output_directory(output) /
         ("." + output.filename().string() + ".geosr-" + std::to_string(::getpid()) + suffix);
}

}  // namespace

std::vector<std::string> default_cog_options() {
  const char* list = driver("COG")->GetMetadataItem(GDAL_DMD_CREATIONOPTIONLIST);
  const bool zstd = list && std::strstr(list, "ZSTD");
  return {std::string("COMPRESS=") + (zstd ? "ZSTD" : "DEFLATE"), "PREDICTOR=2", "BIGTIFF=IF_SAFER",
          "OVERVIEW_RESAMPLING=AVERAGE"};
}

CogWriter::CogWriter(fs::path output, OutputSpec spec)
    : output_(std::move(output)), spec_(std::move(spec)), dataset_(nullptr, close_dataset) {
  check_output_path(output_, spec_.overwrite);
  const size_t bands = spec_.ranges.size();
  if (bands == 0 || spec_.width < 1 || spec_.height < 1 || spec_.colors.size() != bands ||
      spec_.descriptions.size() != bands) {
    throw std::runtime_error("invalid output specification for " + output_.string());
  }
  if (spec_.width > INT32_MAX || spec_.height > INT32_MAX) {
    throw std::runtime_error("output too large: " + std::to_string(spec_.width) + " x " +
                             std::to_string(spec_.height) + " pixels");
  }
  check_output_spec(spec_);
  remove_stale_temporaries(output_);
  staging_ = hidden_sibling(output_, ".tmp.tif");
  cog_ = hidden_sibling(output_, ".cog.tif");

  GdalErrorTrap trap;
  // Uncompressed, so blocks that straddle tiles can be rewritten without growing the file.
  CPLStringList options;
  options.SetNameValue("TILED", "YES");
  options.SetNameValue("BLOCKXSIZE", "256");
  options.SetNameValue("BLOCKYSIZE", "256");
  options.SetNameValue("BIGTIFF", "IF_NEEDED");
  dataset_.reset(driver("GTiff")->Create(staging_.c_str(), static_cast<int>(spec_.width),
                                         static_cast<int>(spec_.height), static_cast<int>(bands), spec_.type,
                                         options.List()));
  if (!dataset_) {
    remove_temporaries();
    trap.fail("cannot create a file in " + output_directory(output_).string());
  }
  try {
    if (spec_.geotransform) dataset_->SetGeoTransform(spec_.geotransform->data());
    if (!spec_.crs_wkt.empty()) {
      OGRSpatialReference srs;
      if (srs.importFromWkt(spec_.crs_wkt.c_str()) != OGRERR_NONE || dataset_->SetSpatialRef(&srs) != CE_None) {
        trap.fail("cannot set the output CRS");
      }
    }
    for (size_t b = 0; b < bands; ++b) {
      GDALRasterBand* band = dataset_->GetRasterBand(static_cast<int>(b + 1));
      band->SetColorInterpretation(spec_.colors[b]);
      if (!spec_.descriptions[b].empty()) band->SetDescription(spec_.descriptions[b].c_str());
      if (spec_.nodata) band->SetNoDataValue(*spec_.nodata);
    }
    for (const auto& [key, value] : spec_.metadata) dataset_->SetMetadataItem(key.c_str(), value.c_str());
    if (spec_.mask && !spec_.nodata) {
      CPLConfigOptionSetter internal("GDAL_TIFF_INTERNAL_MASK", "YES", false);
      if (dataset_->CreateMaskBand(GMF_PER_DATASET) != CE_None) trap.fail("cannot create the output mask");
    }
  } catch (...) {
    dataset_.reset();
    remove_temporaries();
    throw;
  }
}

CogWriter::~CogWriter() {
  dataset_.reset();
  remove_temporaries();
}

void CogWriter::write(Span rows, Span cols, const torch::Tensor& data, const torch::Tensor& valid) {
  if (!dataset_) throw std::runtime_error("output already committed: " + output_.string());
  const int64_t bands = static_cast<int64_t>(spec_.ranges.size());
  const int64_t h = rows.size(), w = cols.size();
  if (data.dim() != 3 || data.size(0) != bands || data.size(1) != h || data.size(2) != w ||
      valid.sizes() != torch::IntArrayRef({h, w})) {
    throw std::runtime_error("block shape does not match the output window");
  }
  auto values = torch::empty({bands, h, w}, torch::kFloat64);
  for (int64_t b = 0; b < bands; ++b) {
    values[b] = output_values(data[b], spec_.ranges[b], spec_.type, valid, spec_.nodata);
  }
  values = values.contiguous();
  GdalErrorTrap trap;
  const int x = static_cast<int>(cols.begin), y = static_cast<int>(rows.begin);
  if (dataset_->RasterIO(GF_Write, x, y, static_cast<int>(w), static_cast<int>(h), values.data_ptr<double>(),
                         static_cast<int>(w), static_cast<int>(h), GDT_Float64, static_cast<int>(bands), nullptr,
                         0, 0, 0, nullptr) != CE_None) {
    trap.fail("cannot write " + output_.string());
  }
  if (spec_.mask && !spec_.nodata) {
    auto mask = (valid.to(torch::kUInt8) * 255).contiguous();
    if (dataset_->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, x, y, static_cast<int>(w),
                                                            static_cast<int>(h), mask.data_ptr<uint8_t>(),
                                                            static_cast<int>(w), static_cast<int>(h), GDT_Byte, 0,
                                                            0, nullptr) != CE_None) {
      trap.fail("cannot write the mask of " + output_.string());
    }
  }
}

void CogWriter::commit(GDALProgressFunc progress, void* progress_data) {
  if (!dataset_) throw std::runtime_error("output already committed: " + output_.string());
  GdalErrorTrap trap;
  dataset_->FlushCache();
  dataset_.reset();
  if (!trap.first_error().empty()) trap.fail("cannot write " + output_.string());

  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> staged(
      GDALDataset::Open(staging_.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY), close_dataset);
  if (!staged) trap.fail("cannot reopen the temporary file " + staging_.string());

  const CPLStringList options = cog_options(spec_.creation_options);
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> cog(
      driver("COG")->CreateCopy(cog_.c_str(), staged.get(), FALSE, options.List(),
                                progress ? progress : GDALDummyProgress, progress_data),
      close_dataset);
  if (!cog) trap.fail("cannot write the COG " + output_.string());
  cog.reset();
  staged.reset();
  if (!trap.first_error().empty()) trap.fail("cannot write the COG " + output_.string());

  std::error_code ec;
  fs::rename(cog_, output_, ec);
  if (ec) throw std::runtime_error("cannot move the finished COG to " + output_.string() + ": " + ec.message());
  remove_temporaries();
}

void CogWriter::remove_temporaries() noexcept {
  std::error_code ec;
  for (const auto& path : {staging_, cog_}) {
    if (path.empty()) continue;
    fs::remove(path, ec);
    for (const char* extra : {".aux.xml", ".msk", ".ovr"}) fs::remove(path.string() + extra, ec);
  }
}

}  // namespace geosr
