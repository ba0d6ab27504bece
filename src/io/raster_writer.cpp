#include "geosr/io/raster_writer.hpp"

#include <algorithm>
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
#include "geosr/io/output_format.hpp"

namespace geosr {
namespace fs = std::filesystem;
namespace {

void close_dataset(GDALDataset* dataset) {
  if (dataset) GDALClose(dataset);
}

CPLStringList option_list(const OutputSpec& spec) {
  CPLStringList list;
  for (const auto& option : creation_options(spec.format, spec.creation_options)) list.AddString(option.c_str());
  return list;
}

// JPEG and WEBP (as formats or as a GeoTIFF's compression) and JPEG 2000 unless lossless (its
// driver needs both REVERSIBLE=YES and QUALITY=100 for that).
std::string lossy_encoding(const OutputSpec& spec, const CPLStringList& options) {
  const std::string compress = CPLString(options.FetchNameValueDef("COMPRESS", "")).toupper();
  if (compress == "JPEG" || compress == "WEBP") return "-co COMPRESS=" + compress;
  if (spec.format == "JPEG" || spec.format == "WEBP") return spec.format;
  if (spec.format == "JP2OpenJPEG" && !(CPLTestBool(options.FetchNameValueDef("REVERSIBLE", "NO")) &&
                                        CPLAtof(options.FetchNameValueDef("QUALITY", "25")) >= 100.0))
    return "JP2OpenJPEG without -co REVERSIBLE=YES -co QUALITY=100";
  return "";
}

struct ProbeWrite {
  std::string path;
  bool written = false;
  std::string error;  // GDAL's first
  bool mask_kept = true;
  int bands_read = -1;     // -1: not read back; 0: subdatasets (netCDF), no band count to compare
  int alpha_band = 0;      // a data band that reads back as alpha (PNG's second of two), or 0
};

// `sample` copied with the output's driver and options into a folder of its own (so the probe and
// whatever sidecars the driver writes go with it), which is removed after.
ProbeWrite probe_write(GDALDriver* driver, GDALDataset* sample, const CPLStringList& options, bool masked,
                       const std::string& folder, const std::string& extension) {
  VSIMkdirRecursive(folder.c_str(), 0700);
  ProbeWrite probe;
  probe.path = folder + "/probe" + (extension.empty() ? "" : "." + extension);
  GdalErrorTrap trap;
  // Strict, here and in commit(): a driver that cannot hold the type (PNG of Float64) fails instead
  // of converting the values with a warning.
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> copy(
      driver->CreateCopy(probe.path.c_str(), sample, TRUE, options.List(), nullptr, nullptr), close_dataset);
  probe.written = copy != nullptr;
  copy.reset();
  if (probe.written && trap.first_error().empty()) {
    // Read back, the bands are the bands written: not 4 as JPEG's CMYK or YCbCr with the fourth
    // gone into a mask, not a data band taken for transparency.
    copy.reset(GDALDataset::Open(probe.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (copy) {
      probe.bands_read = copy->GetRasterCount();
      for (int b = 1; b <= std::min(probe.bands_read, sample->GetRasterCount()) && !probe.alpha_band; ++b)
        if (copy->GetRasterBand(b)->GetColorInterpretation() == GCI_AlphaBand &&
            sample->GetRasterBand(b)->GetColorInterpretation() != GCI_AlphaBand)
          probe.alpha_band = b;
    }
    // The input's mask read back as a mask: not all valid, and not an alpha band in its place
    // (nor a file that reads back as subdatasets, as netCDF's bands do).
    if (masked)
      probe.mask_kept = copy && copy->GetRasterCount() > 0 && copy->GetRasterBand(1)->GetMaskFlags() == GMF_PER_DATASET;
    copy.reset();
  }
  probe.error = trap.first_error();
  VSIRmdirRecursive(folder.c_str());
  return probe;
}

fs::path output_directory(const fs::path& output) {
  const fs::path parent = output.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

void check_output_spec(const OutputSpec& spec) {
  const CPLStringList options = option_list(spec);
  const std::string lossy = lossy_encoding(spec, options);
  if (!lossy.empty() && spec.categorical)
    throw std::runtime_error(lossy + " is lossy and the output holds class numbers: edges would turn into classes "
                             "that were never predicted; choose a lossless format or compression");
  if (!lossy.empty() && spec.nodata)
    throw std::runtime_error(lossy + " is lossy and the output has a NoData value: pixels would turn into NoData and "
                             "NoData into pixels; choose a lossless format or compression");
  const int bands = static_cast<int>(spec.ranges.size());
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> sample(
      gdal_driver("MEM")->Create("", 16, 16, bands, spec.type, nullptr), close_dataset);
  if (!sample) throw std::runtime_error("cannot check the output options");
  if (spec.nodata)
    for (int b = 1; b <= bands; ++b) sample->GetRasterBand(b)->SetNoDataValue(*spec.nodata);
  if (spec.colors.size() == static_cast<size_t>(bands))
    for (int b = 1; b <= bands; ++b) sample->GetRasterBand(b)->SetColorInterpretation(spec.colors[static_cast<size_t>(b - 1)]);
  const bool masked = spec.mask && !spec.nodata;
  if (masked && sample->CreateMaskBand(GMF_PER_DATASET) != CE_None)
    throw std::runtime_error("cannot check the output options");
  GDALDriver* driver = gdal_driver(spec.format);
  const std::string name = "geosr-output-check-" + std::to_string(::getpid());
  const std::string extension = format_extension(spec.format);
  // In memory first; a driver that writes through its own library (netCDF) needs a real file.
  ProbeWrite probe = probe_write(driver, sample.get(), options, masked, "/vsimem/" + name, extension);
  if (!probe.error.empty() || !probe.written)
    probe = probe_write(driver, sample.get(), options, masked, (fs::temp_directory_path() / name).string(), extension);
  const std::string what = "cannot write a " + std::string(GDALGetDataTypeName(spec.type)) + " output of " +
                           std::to_string(bands) + " band" + (bands == 1 ? "" : "s") + " as " + spec.format +
                           (spec.creation_options.empty() ? "" : " with these -co");
  if (!probe.error.empty() || !probe.written) {
    std::string reason = probe.error;  // without the probe's name, which means nothing to the user
    if (reason.rfind(probe.path + ": ", 0) == 0) reason.erase(0, probe.path.size() + 2);
    throw std::runtime_error(what + ": " + (reason.empty() ? "the driver wrote nothing" : reason));
  }
  if (!probe.mask_kept)
    throw std::runtime_error(what + ": it cannot store the mask of invalid pixels the input has as a mask (COG, "
                             "GTiff and JPEG can)");
  if (probe.bands_read > 0 && probe.bands_read != bands)
    throw std::runtime_error(what + ": they read back as " + std::to_string(probe.bands_read) +
                             " (the format or compression recodes them); choose the bands with -b or another format");
  if (probe.alpha_band)
    throw std::runtime_error(what + ": band " + std::to_string(probe.alpha_band) +
                             " would read back as transparency (alpha), not data; choose the bands with -b or another format");
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
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

namespace {

// A hidden name beside the output, unique to this process.
fs::path hidden_sibling(const fs::path& output, const std::string& suffix) {
  return output_directory(output) /
         ("." + output.filename().string() + ".geosr-" + std::to_string(::getpid()) + suffix);
}

// The files of the dataset at `path` as GDAL lists them (none when there is no dataset there).
std::vector<std::string> dataset_files(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  GdalErrorTrap quiet;
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> dataset(
      GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY), close_dataset);
  std::vector<std::string> files;
  if (!dataset) return files;
  char** list = dataset->GetFileList();
  for (char** file = list; file && *file; ++file) files.emplace_back(*file);
  CSLDestroy(list);
  return files;
}

}  // namespace

RasterWriter::RasterWriter(fs::path output, OutputSpec spec)
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
  // Under the output's own name in a hidden folder: GDAL moves a dataset's files (a .aux.xml, an
  // ENVI .hdr) by swapping the folder and the name's stem, which needs them to match the output's.
  final_ = hidden_sibling(output_, ".d") / output_.filename();

  GdalErrorTrap trap;
  // Uncompressed, so blocks that straddle tiles can be rewritten without growing the file.
  CPLStringList options;
  options.SetNameValue("TILED", "YES");
  options.SetNameValue("BLOCKXSIZE", "256");
  options.SetNameValue("BLOCKYSIZE", "256");
  options.SetNameValue("BIGTIFF", "IF_NEEDED");
  dataset_.reset(gdal_driver("GTiff")->Create(staging_.c_str(), static_cast<int>(spec_.width),
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
      if (b < spec_.scales.size() && spec_.scales[b] != 1.0) band->SetScale(spec_.scales[b]);
      if (b < spec_.offsets.size() && spec_.offsets[b] != 0.0) band->SetOffset(spec_.offsets[b]);
      if (b < spec_.units.size() && !spec_.units[b].empty()) band->SetUnitType(spec_.units[b].c_str());
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

RasterWriter::~RasterWriter() {
  dataset_.reset();
  remove_temporaries();
}

void RasterWriter::write(Span rows, Span cols, const torch::Tensor& data, const torch::Tensor& valid) {
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

void RasterWriter::commit(GDALProgressFunc progress, void* progress_data) {
  if (!dataset_) throw std::runtime_error("output already committed: " + output_.string());
  GdalErrorTrap trap;
  dataset_->FlushCache();
  dataset_.reset();
  if (!trap.first_error().empty()) trap.fail("cannot write " + output_.string());

  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> staged(
      GDALDataset::Open(staging_.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY), close_dataset);
  if (!staged) trap.fail("cannot reopen the temporary file " + staging_.string());

  const CPLStringList options = option_list(spec_);
  std::error_code ec;
  if (!fs::create_directory(final_.parent_path(), ec))
    throw std::runtime_error("cannot create a folder in " + output_directory(output_).string() + ": " + ec.message());
  // A GTiff's mask inside the file, as a COG's is (unless --config says otherwise).
  CPLConfigOptionSetter internal_mask("GDAL_TIFF_INTERNAL_MASK", "YES", true);
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> finished(
      gdal_driver(spec_.format)->CreateCopy(final_.c_str(), staged.get(), TRUE, options.List(),
                                            progress ? progress : GDALDummyProgress, progress_data),
      close_dataset);
  if (!finished) trap.fail("cannot write " + output_.string());
  finished.reset();
  staged.reset();
  if (!trap.first_error().empty()) trap.fail("cannot write " + output_.string());

  // A replaced output's sidecars (statistics in .aux.xml, a .msk) would describe the old pixels.
  const std::vector<std::string> replaced = dataset_files(output_);
  std::vector<std::string> written;  // the finished files under their final names
  for (const auto& file : dataset_files(final_)) written.push_back(file_in_place(file));
  // GDAL moves every file of the dataset: a PNG's .aux.xml (the GEOSR_ metadata), an ENVI .hdr, ...
  if (gdal_driver(spec_.format)->Rename(output_.c_str(), final_.c_str()) != CE_None)
    trap.fail("cannot move the finished output to " + output_.string());
  for (const auto& file : replaced) {
    const std::string name = file_in_place(file);
    if (std::find(written.begin(), written.end(), name) == written.end() && !fs::equivalent(name, output_, ec))
      fs::remove(name, ec);
  }
  remove_temporaries();
}

std::string RasterWriter::file_in_place(const std::string& file) const {
  return (output_directory(output_) / fs::path(file).filename()).lexically_normal().string();
}

void RasterWriter::remove_temporaries() noexcept {
  // The staging GTiff and the folder of the finished output with every sidecar its driver wrote.
  const std::string prefix = hidden_sibling(output_, ".").filename().string();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_directory(output_), ec))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path(), ec);
}

}  // namespace geosr
