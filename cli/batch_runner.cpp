#include "batch_runner.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include <gdal_priv.h>

#include "geosr/core/interrupt.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/io/raster_writer.hpp"
#include "options.hpp"

extern char** environ;

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The pid of the geosr batch that started a run, in the run's environment.
constexpr const char* kParentVariable = "GEOSR_BATCH_PARENT";

// The cores this process may use: a Slurm allocation or taskset narrows them, and
// hardware_concurrency would not see it.
int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return text;
}

std::string read_log(FILE* log) {
  std::string text;
  std::rewind(log);
  char buffer[4096];
  while (const size_t n = std::fread(buffer, 1, sizeof buffer, log)) text.append(buffer, n);
  return text;
}

// The last "error:" line of the run's output without its "geosr sr: error: " prefix, else its last
// line, else how it ended.
std::string failure_reason(const std::string& log, int status) {
  std::string last, last_error;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    last = line;
    if (const auto at = line.find("error: "); at != std::string::npos) last_error = line.substr(at + 7);
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  if (!last_error.empty()) return last_error;
  if (!last.empty()) return last;
  return "geosr sr exited with code " + std::to_string(WEXITSTATUS(status));
}

// The warnings in a run's output without their "geosr sr: warning: " prefix: what a user running
// sr alone would have read, such as a value rule the model cannot use.
std::vector<std::string> run_warnings(const std::string& log) {
  std::vector<std::string> warnings;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (const auto at = line.find("warning: "); at != std::string::npos) warnings.push_back(line.substr(at + 9));
  return warnings;
}

const char* status_name(SceneStatus status) {
  switch (status) {
    case SceneStatus::Done: return "done";
    case SceneStatus::Skipped: return "skipped";
    case SceneStatus::Failed: break;
  }
  return "failed";
}

struct Child {
  size_t result = 0;  // index in BatchRun::results
  Clock::time_point started;
  FILE* log = nullptr;  // the run's stdout and stderr
};

}  // namespace

void stop_with_batch_parent() {
  const char* parent = std::getenv(kParentVariable);
  if (!parent) return;
  const pid_t expected = static_cast<pid_t>(std::atoll(parent));
  ::unsetenv(kParentVariable);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // Batch may have died between the spawn and the prctl: then no signal would come.
  if (::getppid() != expected) ::raise(SIGTERM);
}

std::string geosr_executable() { return fs::read_symlink("/proc/self/exe").string(); }

std::optional<SrRequest> shared_sr_request(const BatchManifest& manifest) {
  const BatchScene& first = manifest.tasks.front().front();
  std::vector<std::string> args = manifest.sr_options;
  args.push_back(first.input);
  args.push_back(first.output);
  auto request = parse_sr_request(args);
  if (request && (request->io.quiet || request->io.overwrite || request->diffusion.resume || request->diffusion.dry_run)) {
    throw UsageError("leave -q, --overwrite, --resume and --dry-run out of the sr options; geosr batch sets what each run needs");
  }
  if (request && !request->io.requested_format.empty())
    throw UsageError("geosr batch writes every scene as a COG, OUTDIR/<name>.tif; leave -of " +
                     request->io.requested_format + " out of the sr options");
  return request;
}

std::string incomplete_reason(const SrOutputForecast& forecast, const BatchScene& scene) {
  if (!fs::exists(scene.output)) return "no output yet";
  SrOutput expected;
  try {
    expected = forecast(scene.input);
  } catch (const std::exception& e) {
    return std::string("the input cannot be read: ") + e.what();
  }
  const GDALDatasetUniquePtr output(GDALDataset::Open(scene.output.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!output) return "the output cannot be opened";
  const char* layout = output->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
  if (!layout || std::string(layout) != "COG") return "the output is no COG";
  if (output->GetRasterXSize() != expected.width || output->GetRasterYSize() != expected.height) {
    return "the output is " + std::to_string(output->GetRasterXSize()) + " x " + std::to_string(output->GetRasterYSize()) +
           ", not " + std::to_string(expected.width) + " x " + std::to_string(expected.height);
  }
  for (const auto& [key, value] : expected.metadata) {
    // An upgrade of geosr in the middle of a campaign should not redo the scenes already finished.
    if (key == "GEOSR_VERSION") continue;
    const char* found = output->GetMetadataItem(key.c_str());
    if (!found || value != found) return "the output's " + key + " is " + (found ? found : "missing") + ", not " + value;
  }
  return "";
}

BatchRun run_batch(const BatchManifest& manifest, const SrOutputForecast& forecast, const std::vector<size_t>& tasks,
                   int workers, bool quiet) {
  setenv("OMP_NUM_THREADS", std::to_string(std::max(1, available_cores() / workers)).c_str(), 0);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  setenv(kParentVariable, std::to_string(::getpid()).c_str(), 1);
  const std::string geosr = geosr_executable();

  BatchRun run;
  for (const size_t task : tasks)
    for (const auto& scene : manifest.tasks[task]) run.results.push_back({task, scene, SceneStatus::Failed, "", 0.0});
  const std::string total = std::to_string(run.results.size());
  size_t finished = 0;
  const auto finish = [&](const SceneResult& result) {
    ++finished;
    if (quiet) return;
    std::cout << "[" << finished << "/" << total << "] " << status_name(result.status) << " " << result.scene.input;
    if (result.status == SceneStatus::Done)
      std::cout << " -> " << result.scene.output << " (" << format_number(std::round(result.seconds * 10.0) / 10.0) << " s)";
    else if (result.status == SceneStatus::Skipped)
      std::cout << ": " << result.scene.output << " is complete";
    else
      std::cout << ": " << result.reason;
    std::cout << std::endl;
  };

  const InterruptGuard interrupts;
  std::map<pid_t, Child> children;
  bool forwarded = false;
  const auto wait_for_one = [&] {
    // A signal sent to geosr batch alone (Slurm's time limit, kill) is passed on, so the runs save
    // their checkpoints; from a terminal it has reached them already, and a second one is harmless.
    if (InterruptGuard::received() && !forwarded) {
      for (const auto& [pid, child] : children) ::kill(pid, InterruptGuard::received());
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) return;  // EINTR: the signal is handled on the next call
    const auto found = children.find(pid);
    if (found == children.end()) return;
    const Child child = found->second;
    children.erase(found);
    SceneResult& result = run.results[child.result];
    result.seconds = std::chrono::duration<double>(Clock::now() - child.started).count();
    const std::string log = read_log(child.log);
    std::fclose(child.log);
    for (const auto& warning : run_warnings(log)) warn("batch", result.scene.input + ": " + one_line(warning));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      const std::string problem = incomplete_reason(forecast, result.scene);
      result.status = problem.empty() ? SceneStatus::Done : SceneStatus::Failed;
      result.reason = problem.empty() ? "" : "geosr sr ended well but " + problem;
    } else {
      result.reason = one_line(failure_reason(log, status));
      // A run killed outright (SIGKILL, out of memory) could not remove its hidden temporaries.
      remove_stale_temporaries(result.scene.output);
    }
    finish(result);
  };
  const auto start = [&](size_t index) {
    SceneResult& result = run.results[index];
    std::vector<std::string> args = {geosr, "sr", "-q", "--overwrite"};
    args.insert(args.end(), manifest.sr_options.begin(), manifest.sr_options.end());
    args.push_back(result.scene.input);
    args.push_back(result.scene.output);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    FILE* log = std::tmpfile();
    if (!log) throw std::runtime_error(std::string("cannot create a temporary file: ") + std::strerror(errno));
    ::fcntl(fileno(log), F_SETFD, FD_CLOEXEC);  // each run's log stays out of the other runs
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fileno(log), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fileno(log), STDERR_FILENO);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, geosr.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      std::fclose(log);
      result.reason = "cannot start " + geosr + ": " + std::strerror(error);
      finish(result);
      return;
    }
    children[pid] = {index, Clock::now(), log};
  };

  size_t next = 0;
  while (next < run.results.size() && !InterruptGuard::received()) {
    if (incomplete_reason(forecast, run.results[next].scene).empty()) {
      run.results[next].status = SceneStatus::Skipped;
      finish(run.results[next++]);
      continue;
    }
    while (children.size() >= static_cast<size_t>(workers) && !InterruptGuard::received()) wait_for_one();
    if (InterruptGuard::received()) break;
    start(next++);
  }
  while (!children.empty()) wait_for_one();
  run.signal = InterruptGuard::received();
  for (; next < run.results.size(); ++next) {
    run.results[next].reason = "not started: geosr batch was interrupted";
  }
  return run;
}

void report_batch(const BatchRun& run, const std::string& report, bool quiet) {
  size_t counts[3] = {0, 0, 0};
  for (const auto& result : run.results) ++counts[static_cast<int>(result.status)];
  std::ostringstream text;
  text << "status\ttask\tinput\toutput\tseconds\treason\n";
  for (const auto& r : run.results) {
    text << status_name(r.status) << "\t" << r.task << "\t" << one_line(r.scene.input) << "\t" << one_line(r.scene.output)
         << "\t" << format_number(std::round(r.seconds * 10.0) / 10.0) << "\t" << one_line(r.reason) << "\n";
  }
  write_text_file(report, text.str());
  std::ostream& failures = quiet ? std::cerr : std::cout;
  if (!quiet) {
    std::cout << run.results.size() << " scenes: " << counts[0] << " done, " << counts[1] << " skipped, " << counts[2]
              << " failed (report: " << report << ")\n";
  }
  for (const auto& r : run.results)
    if (r.status == SceneStatus::Failed) failures << "failed: " << r.scene.input << ": " << r.reason << "\n";
  if (run.signal) std::cerr << "geosr batch: interrupted by signal " << run.signal << " (" << strsignal(run.signal) << ")\n";
}

}  // namespace geosr::cli
