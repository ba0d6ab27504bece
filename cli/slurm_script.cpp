#include "slurm_script.hpp"

#include <regex>
#include <sstream>
#include <tuple>

#include "options.hpp"

namespace geosr::cli {
namespace {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// sbatch takes an #SBATCH line's option up to the first blank, quotes included.
void check_sbatch_value(const std::string& what, const std::string& value) {
  if (value.find_first_of(" \t\r\n'\"") != std::string::npos) {
    throw UsageError(what + " '" + value + "' holds blanks or quotes, which an #SBATCH line cannot carry");
  }
}

// The options written as #SBATCH --NAME=VALUE when not empty.
std::vector<std::pair<std::string, std::string>> valued_options(const SlurmOptions& o) {
  return {{"job-name", o.job_name}, {"partition", o.partition}, {"time", o.time},
          {"account", o.account},   {"mem", o.mem},             {"gres", o.gres},
          {"gpus-per-task", o.gpus_per_task}};
}

}  // namespace

void check_slurm_options(const SlurmOptions& options) {
  for (const auto& [name, value] : valued_options(options)) check_sbatch_value("--" + name, value);
  if (options.job_name.empty()) throw UsageError("--job-name must not be empty");
  if (options.cpus_per_task < 0) throw UsageError("--cpus-per-task must be positive");
  if (options.max_parallel < 0) throw UsageError("--max-parallel must be positive");
  // sbatch refuses these only when the job is submitted, after the script was written and copied.
  const std::tuple<const char*, const std::string*, const char*, const char*> formats[] = {
      {"--mem", &options.mem, "[0-9]+[KMGTkmgt]?", "a size such as 16G or 4000 (megabytes)"},
      {"--time", &options.time,
       "[0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2}|[Uu][Nn][Ll][Ii][Mm][Ii][Tt][Ee][Dd]|[Ii][Nn][Ff][Ii][Nn][Ii][Tt][Ee]",
       "MINUTES, HH:MM:SS, DAYS-HH[:MM[:SS]] or UNLIMITED"},
      {"--gpus-per-task", &options.gpus_per_task, "([A-Za-z0-9_.-]+:)?[1-9][0-9]*", "a count such as 1 or a100:2"}};
  for (const auto& [name, value, pattern, meaning] : formats)
    if (!value->empty() && !std::regex_match(*value, std::regex(pattern)))
      throw UsageError(std::string(name) + " takes " + meaning + " (got '" + *value + "')");
  for (const auto& option : options.extra) {
    if (option.rfind("--", 0) != 0 || option.find_first_of("\r\n") != std::string::npos) {
      throw UsageError("--sbatch takes one sbatch option such as --qos=high (got '" + option + "')");
    }
  }
}

std::string slurm_script(const SlurmOptions& options, size_t tasks, const std::string& geosr,
                         const std::string& manifest, const std::string& logdir) {
  check_sbatch_value("the log directory", logdir);
  std::ostringstream script;
  script << "#!/bin/bash\n"
         << "#SBATCH --array=0-" << tasks - 1;
  if (options.max_parallel > 0) script << "%" << options.max_parallel;
  script << "\n#SBATCH --output=" << logdir << "/%x_%A_%a.log\n";
  for (const auto& [name, value] : valued_options(options))
    if (!value.empty()) script << "#SBATCH --" << name << "=" << value << "\n";
  if (options.cpus_per_task > 0) script << "#SBATCH --cpus-per-task=" << options.cpus_per_task << "\n";
  for (const auto& option : options.extra) script << "#SBATCH " << option << "\n";
  script << "\n# Written by geosr batch. Each array task runs one task of the manifest and skips\n"
         << "# the scenes already finished, so resubmitting redoes only what is missing.\n"
         << "exec " << shell_quote(geosr) << " batch --manifest " << shell_quote(manifest)
         << " --task \"$SLURM_ARRAY_TASK_ID\"\n";
  return script.str();
}

}  // namespace geosr::cli
