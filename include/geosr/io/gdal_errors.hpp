#pragma once
// GDAL reports errors through a process-wide handler, not through return values we can print.
// The trap keeps GDAL quiet while it is alive and remembers the first error text, so that a
// failure becomes one std::runtime_error with GDAL's reason folded into a single line.

#include <string>

#include <cpl_error.h>

class GDALDriver;

namespace geosr {

// Registers the GDAL drivers once (idempotent, thread-safe).
void register_gdal();

// The registered driver of that short name (any case); throws std::runtime_error when GDAL has none.
GDALDriver* gdal_driver(const std::string& name);

class GdalErrorTrap {
 public:
  // With `warnings`, a warning counts as a failure too (GDAL warns about bad creation options).
  explicit GdalErrorTrap(bool warnings = false);
  ~GdalErrorTrap();
  GdalErrorTrap(const GdalErrorTrap&) = delete;
  GdalErrorTrap& operator=(const GdalErrorTrap&) = delete;

  // The first failure GDAL reported since construction (empty if none).
  const std::string& first_error() const { return first_error_; }

  // Throws std::runtime_error("<what>: <first GDAL error>").
  [[noreturn]] void fail(const std::string& what) const;

 private:
  static void CPL_STDCALL handle(CPLErr level, CPLErrorNum number, const char* message);
  bool warnings_;
  std::string first_error_;
};

}  // namespace geosr
