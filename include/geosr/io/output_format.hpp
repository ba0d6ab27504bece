#pragma once
// Which GDAL driver writes an output, and the creation options geosr starts it with. As GDAL's
// utilities do, -of names the driver and an output without -of goes by its extension; geosr's
// default for .tif, .tiff or no extension is a Cloud-Optimized GeoTIFF.

#include <string>
#include <vector>

namespace geosr {

// The driver's short name (COG, GTiff, PNG, ...) for writing `path`, from `requested` (-of, any
// case) when it is not empty. Throws std::invalid_argument with a one-line reason: no such raster
// driver, a driver that cannot create files or cannot be staged in memory (MEM, VRT: see
// `geosr vrt`), an extension no driver or several drivers write.
std::string output_format(const std::string& path, const std::string& requested = "");

// geosr's defaults for `format`: compressed (ZSTD, else DEFLATE), horizontal predictor and BigTIFF
// when needed for COG and GTiff (COG: overviews by AVERAGE, GTiff: tiled); none for other formats.
std::vector<std::string> default_creation_options(const std::string& format);

// The defaults for `format` with `user`'s NAME=VALUE options replacing or extending them.
std::vector<std::string> creation_options(const std::string& format, const std::vector<std::string>& user);

// Throws std::runtime_error for a creation option the driver does not know or a value it does not
// take, as gdal_translate would warn (here before the computation, not after it).
void check_creation_options(const std::string& format, const std::vector<std::string>& user);

// The extension GDAL gives files of `format` ("tif", "png"; empty when it names none).
std::string format_extension(const std::string& format);

}  // namespace geosr
