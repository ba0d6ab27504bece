#include "batch_manifest.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <cpl_error.h>
#include <cpl_json.h>

#include "options.hpp"
#include "raster_list.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;

struct NamedInput {
  std::string path;
  std::string name;
};

std::vector<NamedInput> named_inputs(const std::string& src, const std::string& asset) {
  std::vector<NamedInput> inputs;
  if (is_json_list(src)) {
    for (auto& raster : list_json_rasters(src, asset)) {
      // GDAL paths past the query string: "/vsicurl/https://host/scene.tif?token=..." is scene.
      const std::string name = raster.name.empty() ? fs::path(raster.path.substr(0, raster.path.find('?'))).stem().string() : raster.name;
      // A manifest is read from anywhere (a Slurm job's folder): local paths are made absolute.
      const bool local = raster.path.front() != '/';
      inputs.push_back({local ? fs::absolute(raster.path).lexically_normal().string() : raster.path, name});
    }
    return inputs;
  }
  if (!asset.empty()) throw UsageError("--asset applies to a JSON list of STAC items only");
  for (const auto& path : list_inputs(src, "")) inputs.push_back({fs::absolute(path).lexically_normal().string(), fs::path(path).stem().string()});
  return inputs;
}

// Keeps an output name inside OUTDIR whatever a STAC id holds.
std::string file_name(std::string name) {
  for (char& c : name)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return name.empty() || name == "." || name == ".." ? "scene" : name;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw std::runtime_error("manifest " + path + " is corrupt: " + what);
}

std::string required_string(const CPLJSONObject& object, const std::string& key, const std::string& path) {
  const CPLJSONObject value = object.GetObj(key);
  if (value.GetType() != CPLJSONObject::Type::String || value.ToString().empty()) corrupt(path, "no \"" + key + "\" text");
  return value.ToString();
}

}  // namespace

BatchManifest plan_batch(const std::string& src, const std::string& asset, const std::string& outdir, size_t group,
                         const std::vector<std::string>& sr_options) {
  const auto inputs = named_inputs(src, asset);
  std::error_code ec;
  if (fs::exists(outdir) && !fs::is_directory(outdir)) throw UsageError("OUTDIR " + outdir + " is not a directory");
  BatchManifest manifest;
  manifest.outdir = fs::absolute(outdir).lexically_normal().string();
  manifest.sr_options = sr_options;
  std::set<std::string> taken;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string base = file_name(inputs[i].name);
    std::string name = base;
    for (int n = 2; !taken.insert(name).second; ++n) name = base + "_" + std::to_string(n);
    const fs::path output = fs::path(manifest.outdir) / (name + ".tif");
    if (fs::equivalent(inputs[i].path, output, ec)) {
      throw UsageError("the output of " + inputs[i].path + " would be the input itself; choose another OUTDIR");
    }
    if (i % group == 0) manifest.tasks.emplace_back();
    manifest.tasks.back().push_back({inputs[i].path, output.string()});
  }
  return manifest;
}

void create_outdir(const BatchManifest& manifest) {
  std::error_code ec;
  fs::create_directories(manifest.outdir, ec);
  if (!fs::is_directory(manifest.outdir))
    throw std::runtime_error("cannot create OUTDIR " + manifest.outdir + (ec ? ": " + ec.message() : ""));
}

void write_manifest(const BatchManifest& manifest, const std::string& path) {
  CPLJSONDocument document;
  CPLJSONObject root = document.GetRoot();
  root.Add("geosr_batch_manifest", kFormatVersion);
  root.Add("outdir", manifest.outdir);
  CPLJSONArray options;
  for (const auto& option : manifest.sr_options) options.Add(option);
  root.Add("sr_options", options);
  CPLJSONArray tasks;
  for (size_t t = 0; t < manifest.tasks.size(); ++t) {
    CPLJSONObject task;
    task.Add("index", static_cast<GInt64>(t));
    CPLJSONArray scenes;
    for (const auto& scene : manifest.tasks[t]) {
      CPLJSONObject entry;
      entry.Add("input", scene.input);
      entry.Add("output", scene.output);
      scenes.Add(entry);
    }
    task.Add("scenes", scenes);
    tasks.Add(task);
  }
  root.Add("tasks", tasks);
  // Not CPLJSONDocument::Save: it reports a failed open but not a failed write.
  write_text_file(path, document.SaveAsString());
}

BatchManifest read_manifest(const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error("manifest does not exist: " + path);
  CPLJSONDocument document;
  if (!document.Load(path)) corrupt(path, CPLGetLastErrorMsg());
  const CPLJSONObject root = document.GetRoot();
  if (root.GetType() != CPLJSONObject::Type::Object || root.GetInteger("geosr_batch_manifest") != kFormatVersion) {
    corrupt(path, "not a geosr batch manifest (version " + std::to_string(kFormatVersion) + ")");
  }
  // A hand-written manifest may name files relative to itself: array tasks start in other directories.
  const fs::path base = fs::absolute(path).parent_path();
  const auto file = [&](const std::string& name) { return (base / name).lexically_normal().string(); };
  // Inputs are GDAL names: URLs and connection strings ("GEOSR:", "https://") stay as written.
  const auto input = [&](const std::string& name) { return name.find(':') == std::string::npos ? file(name) : name; };
  BatchManifest manifest;
  manifest.outdir = file(required_string(root, "outdir", path));
  const CPLJSONArray options = root.GetArray("sr_options");
  if (!options.IsValid()) corrupt(path, "no \"sr_options\" list");
  for (const auto& option : options) {
    if (option.GetType() != CPLJSONObject::Type::String) corrupt(path, "\"sr_options\" holds a value that is not text");
    manifest.sr_options.push_back(option.ToString());
  }
  const CPLJSONArray tasks = root.GetArray("tasks");
  if (!tasks.IsValid() || tasks.Size() == 0) corrupt(path, "no tasks");
  // Two scenes of one output would overwrite each other's result (at once, when in two array tasks).
  std::map<std::string, std::string> written;  // output -> its input
  for (const auto& task : tasks) {
    const auto index = std::to_string(manifest.tasks.size());
    if (task.GetLong("index", -1) != static_cast<GInt64>(manifest.tasks.size())) corrupt(path, "task " + index + " is not numbered " + index);
    const CPLJSONArray scenes = task.GetArray("scenes");
    if (!scenes.IsValid() || scenes.Size() == 0) corrupt(path, "task " + index + " has no scenes");
    auto& list = manifest.tasks.emplace_back();
    for (const auto& scene : scenes) {
      list.push_back({input(required_string(scene, "input", path)), file(required_string(scene, "output", path))});
      const BatchScene& added = list.back();
      // Completeness is a COG with the run's settings; another name would give another format.
      const std::string extension = lowercase_extension(added.output);
      if (extension != ".tif" && extension != ".tiff")
        corrupt(path, "the output " + added.output + " is no .tif: geosr batch writes COGs");
      if (const auto [other, fresh] = written.emplace(added.output, added.input); !fresh)
        corrupt(path, "the scenes " + other->second + " and " + added.input + " have the same output " + added.output);
    }
  }
  for (const auto& task : manifest.tasks)
    for (const auto& scene : task)
      if (written.count(scene.input)) corrupt(path, scene.input + " is both an input and an output");
  return manifest;
}

}  // namespace geosr::cli
