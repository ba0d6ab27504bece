#include "geosr/io/gdal_errors.hpp"

#include <mutex>
#include <stdexcept>

#include <gdal.h>
#include <gdal_priv.h>

namespace geosr {

void register_gdal() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

GDALDriver* gdal_driver(const std::string& name) {
  register_gdal();
  GDALDriver* found = GetGDALDriverManager()->GetDriverByName(name.c_str());
  if (!found) throw std::runtime_error("GDAL has no " + name + " driver");
  return found;
}

GdalErrorTrap::GdalErrorTrap(bool warnings) : warnings_(warnings) {
  CPLErrorReset();
  CPLPushErrorHandlerEx(&GdalErrorTrap::handle, this);
}

GdalErrorTrap::~GdalErrorTrap() { CPLPopErrorHandler(); }

void GdalErrorTrap::fail(const std::string& what) const {
  if (first_error_.empty()) throw std::runtime_error(what);
  throw std::runtime_error(what + ": " + first_error_);
}

void CPL_STDCALL GdalErrorTrap::handle(CPLErr level, CPLErrorNum, const char* message) {
  auto* trap = static_cast<GdalErrorTrap*>(CPLGetErrorHandlerUserData());
  // Warnings (e.g. odd TIFF tags GDAL works around) are not the user's problem; stay silent,
  // unless the trap was asked for them.
  if (level != CE_Failure && level != CE_Fatal && !(level == CE_Warning && trap && trap->warnings_)) return;
  if (trap && trap->first_error_.empty() && message) {
    std::string text = message;
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    trap->first_error_ = text;
  }
}

}  // namespace geosr
