// Entry points GDAL calls when it loads gdal_GEOSR.so from GDAL_DRIVER_PATH or its plugin
// directory: the GEOSR driver and the geosr_sr VRT pixel function, registered together.

#include <gdal_priv.h>

#include "connection.hpp"
#include "geosr_dataset.hpp"
#include "sr_pixel_function.hpp"

extern "C" void GDALRegister_GEOSR() {
  if (!GDAL_CHECK_VERSION("GEOSR")) return;
  if (GDALGetDriverByName("GEOSR") != nullptr) return;
  auto* driver = new GDALDriver();
  driver->SetDescription("GEOSR");
  driver->SetMetadataItem(GDAL_DCAP_RASTER, "YES");
  driver->SetMetadataItem(GDAL_DMD_LONGNAME, "geosr diffusion super-resolution (InfScene-SR)");
  driver->SetMetadataItem(GDAL_DMD_HELPTOPIC, "docs/gdal.md");
  driver->SetMetadataItem(GDAL_DMD_CONNECTION_PREFIX, "GEOSR:");
  driver->SetMetadataItem(GDAL_DMD_OPENOPTIONLIST, geosr::gdal::open_option_list());
  driver->SetMetadataItem(GDAL_DCAP_VIRTUALIO, "YES");
  driver->pfnIdentify = geosr::gdal::GeosrDataset::Identify;
  driver->pfnOpen = geosr::gdal::GeosrDataset::Open;
  GetGDALDriverManager()->RegisterDriver(driver);
  GDALAddDerivedBandPixelFuncWithArgs("geosr_sr", geosr::gdal::sr_pixel_function,
                                      geosr::gdal::sr_pixel_function_arguments());
}

extern "C" void GDALRegisterMe() { GDALRegister_GEOSR(); }
