#pragma once
// The VRT pixel function geosr_sr. Its sources are the LR bands resampled to the HR grid (cubic,
// by the VRT), which is the model's condition; each request is denoised jointly as a scene of its
// own with `geosr sr`'s window grid and noise, and kept, so reading the R, G and B bands of one
// region runs the network once. A pixel function is not told where its request lies in the
// raster, so unlike the GEOSR driver it cannot give two requests one global grid: read whole
// regions (gdal_translate does) or use the driver for seamless block-wise reads.

#include <gdal.h>

namespace geosr::gdal {

// Arguments (PixelFunctionArguments): band (1-based output band, required), model, steps, seed,
// sampler, eta, fusion, weights, window, stride, batch, device, precision, in_range ("lo,hi"
// for all sources or one pair per source band: source values mapped to the model range; default:
// the source type's full range).
CPLErr sr_pixel_function(void** sources, int source_count, void* data, int width, int height, GDALDataType source_type,
                         GDALDataType buffer_type, int pixel_space, int line_space, CSLConstList arguments);

// PixelFunctionArgumentsList XML declaring those arguments.
const char* sr_pixel_function_arguments();

}  // namespace geosr::gdal
