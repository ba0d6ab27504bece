#pragma once
// The work of `geosr batch`: scenes (input -> output) grouped into tasks, and the `geosr sr`
// options all of them share. Every task, an array task under Slurm or a local worker, runs from
// this file, so both run exactly the same commands (docs/batch.md describes the format).

#include <cstddef>
#include <string>
#include <vector>

namespace geosr::cli {

struct BatchScene {
  std::string input;   // what GDAL opens: an absolute path or a /vsi... path
  std::string output;  // absolute
};

struct BatchManifest {
  std::string outdir;                       // absolute
  std::vector<std::string> sr_options;      // given to every `geosr sr` run, before SRC DST
  std::vector<std::vector<BatchScene>> tasks;
};

// Scenes from SRC (a raster, a directory, a text list or a JSON list of hrefs / STAC items, see
// raster_list.hpp), `group` to a task, written to OUTDIR/<name>.tif: the STAC item's id or the
// input's file stem, with _2, _3 ... added to names met before. Nothing is written.
BatchManifest plan_batch(const std::string& src, const std::string& asset, const std::string& outdir, size_t group,
                         const std::vector<std::string>& sr_options);

// Once every check has passed: the reports, logs and outputs go there.
void create_outdir(const BatchManifest& manifest);

// Written whole or not at all (a temporary file renamed into place).
void write_manifest(const BatchManifest& manifest, const std::string& path);
// Throws a one-line std::runtime_error naming the file when it is not a geosr batch manifest.
// Relative paths in it are relative to the manifest's directory.
BatchManifest read_manifest(const std::string& path);

}  // namespace geosr::cli
