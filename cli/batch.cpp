// geosr batch: super-resolve many scenes (docs/batch.md). SRC OUTDIR [-- SR_OPTIONS] becomes a
// manifest of tasks, run here by N local workers or, through the sbatch script --slurm writes, as
// a Slurm job array whose tasks each run `geosr batch --manifest M --task I`.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "batch_runner.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "slurm_script.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

// The largest array Slurm accepts unless the site raised MaxArraySize.
constexpr size_t kSlurmDefaultMaxArray = 1001;

const char* const kUsage =
    "geosr batch [options] SRC OUTDIR [-- SR_OPTIONS]\n"
    "       geosr batch [options] --manifest FILE\n\n"
    "SRC: a raster, a directory of GeoTIFFs, a text list (one path a line) or a JSON list of hrefs or\n"
    "STAC items. Each scene becomes OUTDIR/<name>.tif, written by `geosr sr --overwrite -q SR_OPTIONS`;\n"
    "scenes whose output is already complete are skipped. Without SRC OUTDIR, --manifest FILE names\n"
    "the manifest of an earlier call, to run here or to write a --slurm script for.";

SlurmOptions read_slurm_options(const po::variables_map& values) {
  SlurmOptions slurm;
  slurm.job_name = values["job-name"].as<std::string>();
  const std::pair<const char*, std::string*> texts[] = {
      {"partition", &slurm.partition}, {"time", &slurm.time}, {"account", &slurm.account},
      {"mem", &slurm.mem},             {"gres", &slurm.gres}, {"gpus-per-task", &slurm.gpus_per_task}};
  for (const auto& [name, field] : texts)
    if (values.count(name)) *field = values[name].as<std::string>();
  // 0 is how SlurmOptions says "not given"; given, it would vanish from the script.
  for (const auto& [name, field] : {std::pair{"cpus-per-task", &slurm.cpus_per_task}, std::pair{"max-parallel", &slurm.max_parallel}}) {
    if (!values.count(name)) continue;
    *field = values[name].as<int>();
    if (*field < 1) throw UsageError(std::string("--") + name + " must be at least 1");
  }
  if (values.count("sbatch")) slurm.extra = values["sbatch"].as<std::vector<std::string>>();
  check_slurm_options(slurm);
  return slurm;
}

// Before anything is written: the script's directory exists, and a file already there is replaced
// only when it is a script geosr batch wrote.
void check_slurm_path(const std::string& path) {
  const fs::path parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent)) throw UsageError("--slurm " + path + ": " + parent.string() + " is not a directory");
  if (!fs::exists(path)) return;
  if (fs::is_directory(path)) throw UsageError("--slurm " + path + " is a directory");
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("# Written by geosr batch.") == std::string::npos)
    throw UsageError(path + " exists and is not a Slurm script of geosr batch; geosr batch will not replace it");
}

fs::path log_directory(const BatchManifest& manifest) { return fs::path(manifest.outdir) / "logs"; }

void write_slurm_script(const BatchManifest& manifest, const std::string& script, const std::string& path, bool quiet) {
  // sbatch does not create the directory of --output; a task whose log cannot be opened fails.
  fs::create_directories(log_directory(manifest));
  write_text_file(path, script);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  if (manifest.tasks.size() > kSlurmDefaultMaxArray) {
    warn("batch", std::to_string(manifest.tasks.size()) + " array tasks: Slurm refuses more than " +
                      std::to_string(kSlurmDefaultMaxArray) + " unless MaxArraySize was raised; use --group");
  }
  if (!quiet) std::cout << "Slurm script: " << path << " (submit with: sbatch " << path << ")\n";
}

}  // namespace

int batch_command(const std::vector<std::string>& arguments) {
  return guarded("batch", [&] {
    std::vector<std::string> args = arguments;
    // Everything after "--" belongs to `geosr sr`, which parses it itself.
    const auto dashes = std::find(args.begin(), args.end(), "--");
    const bool has_sr_options = dashes != args.end();
    const std::vector<std::string> sr_options(has_sr_options ? dashes + 1 : args.end(), args.end());
    args.erase(dashes, args.end());
    apply_config_options(args);

    po::options_description options("Options");
    options.add_options()
        ("manifest", po::value<std::string>()->value_name("FILE"),
         "the manifest to write (default OUTDIR/batch_manifest.json), or without SRC OUTDIR the one to run")
        ("group", po::value<int64_t>()->default_value(1)->value_name("G"), "scenes per task")
        ("asset", po::value<std::string>()->value_name("NAME"),
         "the asset of each STAC item to super-resolve (default: its first GeoTIFF asset)")
        ("workers", po::value<int>()->value_name("N"), "runs at a time on this machine (default 1)")
        ("task", po::value<int64_t>()->value_name("I"), "run task I (0-based) only, as a Slurm array task does")
        ("slurm", po::value<std::string>()->value_name("FILE"),
         "write an sbatch script running the manifest as a job array, instead of running it here")
        ("quiet,q", po::bool_switch(), "no line per scene, no summary; failures still listed on stderr")
        ("config", po::value<std::string>()->value_name("KEY VALUE"),
         "set a GDAL configuration option for geosr batch (after -- for the sr runs too)")
        ("help", "show this help");
    po::options_description slurm_options("Slurm options (with --slurm; empty: the cluster's defaults)");
    slurm_options.add_options()
        ("job-name", po::value<std::string>()->default_value("geosr-batch")->value_name("NAME"), "job name")
        ("partition", po::value<std::string>()->value_name("NAME"), "partition")
        ("time", po::value<std::string>()->value_name("TIME"), "time limit of each array task, e.g. 02:00:00")
        ("account", po::value<std::string>()->value_name("NAME"), "account charged")
        ("cpus-per-task", po::value<int>()->value_name("N"), "CPU cores of each array task")
        ("mem", po::value<std::string>()->value_name("SIZE"), "memory of each array task, e.g. 16G")
        ("gres", po::value<std::string>()->value_name("LIST"), "generic resources, e.g. gpu:1 (add --device cuda to SR_OPTIONS)")
        ("gpus-per-task", po::value<std::string>()->value_name("N"), "GPUs of each array task")
        ("max-parallel", po::value<int>()->value_name("N"), "array tasks running at once (the array's %N)")
        ("sbatch", po::value<std::vector<std::string>>()->value_name("OPTION"),
         "any other sbatch option, e.g. --sbatch=--qos=high (repeat for more)");
    options.add(slurm_options);
    po::variables_map values;
    if (!parse_named(kUsage, args, options, values, {"src", "outdir"})) return 0;

    const bool planning = values.count("src") > 0;
    if (planning && !values.count("outdir")) throw UsageError("missing OUTDIR (usage: geosr batch [options] SRC OUTDIR)");
    if (!planning && !values.count("manifest")) throw UsageError("give SRC OUTDIR, or --manifest FILE written by geosr batch");
    if (!planning && (has_sr_options || values.count("asset") || !values["group"].defaulted())) {
      throw UsageError("sr options, --group and --asset shape a new manifest; give them with SRC OUTDIR");
    }
    for (const auto& option : slurm_options.options()) {
      const std::string& name = option->long_name();
      if (values.count(name) && !values[name].defaulted() && !values.count("slurm"))
        throw UsageError("--" + name + " applies to the script --slurm writes");
    }
    if (values.count("slurm") && (values.count("workers") || values.count("task")))
      throw UsageError("--slurm writes a script and runs nothing; --workers and --task do not go with it");
    if (values.count("workers") && values.count("task")) throw UsageError("give --workers or --task, not both");
    const int workers = values.count("workers") ? values["workers"].as<int>() : 1;
    if (workers < 1) throw UsageError("--workers must be at least 1");
    const int64_t group = values["group"].as<int64_t>();
    if (group < 1) throw UsageError("--group must be at least 1");
    const bool quiet = values["quiet"].as<bool>();

    std::string manifest_path;
    BatchManifest manifest;
    if (planning) {
      manifest = plan_batch(values["src"].as<std::string>(), values.count("asset") ? values["asset"].as<std::string>() : "",
                            values["outdir"].as<std::string>(), static_cast<size_t>(group), sr_options);
      manifest_path = values.count("manifest") ? values["manifest"].as<std::string>()
                                               : (fs::path(manifest.outdir) / "batch_manifest.json").string();
    } else {
      manifest_path = values["manifest"].as<std::string>();
      manifest = read_manifest(manifest_path);
    }
    const bool one_task = values.count("task") > 0;
    const int64_t task = one_task ? values["task"].as<int64_t>() : 0;
    if (one_task && (task < 0 || task >= static_cast<int64_t>(manifest.tasks.size()))) {
      throw UsageError("--task " + std::to_string(task) + " is out of range: the manifest has tasks 0 .. " +
                       std::to_string(manifest.tasks.size() - 1));
    }
    // The sr options are checked, and the model read, before any file is written or run started.
    const auto request = shared_sr_request(manifest);
    if (!request) return 0;
    const SrOutputForecast forecast(*request);
    const auto slurm = values.count("slurm") ? std::optional<SlurmOptions>(read_slurm_options(values)) : std::nullopt;
    // The files batch writes itself are never a scene's input or output.
    for (const auto& scenes : manifest.tasks)
      for (const auto& scene : scenes) {
        for (const std::string& path : {scene.input, scene.output}) {
          if (planning) check_not_input(path, manifest_path);
          if (slurm) check_not_input(path, values["slurm"].as<std::string>());
        }
      }
    std::string script;  // composed before anything is written: it refuses an OUTDIR an #SBATCH line cannot carry
    if (slurm) {
      check_not_input(manifest_path, values["slurm"].as<std::string>());
      check_slurm_path(values["slurm"].as<std::string>());
      script = slurm_script(*slurm, manifest.tasks.size(), geosr_executable(), fs::absolute(manifest_path).string(),
                            log_directory(manifest).string());
    }
    if (planning && fs::exists(manifest_path)) {  // replaced only when it is an earlier manifest
      try {
        read_manifest(manifest_path);
      } catch (const std::exception&) {
        throw UsageError(manifest_path + " exists and is not a geosr batch manifest; geosr batch will not replace it");
      }
    }
    create_outdir(manifest);
    if (planning) {
      write_manifest(manifest, manifest_path);
      if (!quiet) {
        size_t scenes = 0;
        for (const auto& listed : manifest.tasks) scenes += listed.size();
        std::cout << "manifest: " << manifest_path << " (" << scenes << " scenes in " << manifest.tasks.size()
                  << (manifest.tasks.size() == 1 ? " task)\n" : " tasks)\n");
      }
    }
    if (slurm) {
      write_slurm_script(manifest, script, values["slurm"].as<std::string>(), quiet);
      return 0;
    }

    std::vector<size_t> tasks;
    std::string report = (fs::path(manifest.outdir) / "batch_report.tsv").string();
    if (one_task) {
      tasks.push_back(static_cast<size_t>(task));
      // Array tasks run at the same time; each keeps its own report.
      report = (fs::path(manifest.outdir) / ("batch_report_task" + std::to_string(task) + ".tsv")).string();
    } else {
      for (size_t t = 0; t < manifest.tasks.size(); ++t) tasks.push_back(t);
    }
    const BatchRun run = run_batch(manifest, forecast, tasks, workers, quiet);
    report_batch(run, report, quiet);
    if (run.signal) return 128 + run.signal;
    const bool failed = std::any_of(run.results.begin(), run.results.end(),
                                    [](const SceneResult& r) { return r.status == SceneStatus::Failed; });
    return failed ? 1 : 0;
  });
}

}  // namespace geosr::cli
