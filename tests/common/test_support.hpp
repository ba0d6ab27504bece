#pragma once
// Shared helpers for the test executables: where data lives, scratch directories, running the CLI.

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace geosr::test {

inline std::filesystem::path source_dir() { return GEOSR_SOURCE_DIR; }
inline std::filesystem::path shared_data() { return GEOSR_SHARED_DATA; }
inline std::filesystem::path samples() { return source_dir() / "data_samples"; }

// A fresh, empty scratch directory per test name, under the build tree.
inline std::filesystem::path scratch(const std::string& name) {
  auto dir = std::filesystem::path(GEOSR_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Lowers this process's file-size limit (ulimit -f) to `bytes` while it lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &before_);
    rlimit limited = before_;
    limited.rlim_cur = std::min(before_.rlim_cur, bytes);
    setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &before_); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit before_{};
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures everything it prints.
inline CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Files in `dir` other than `keep` (leftover temporaries show up here).
inline std::vector<std::string> other_files(const std::filesystem::path& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) found.push_back(name);
  }
  return found;
}

inline std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Starts `command_line` in the background (after the shell commands `starter`), its output going
// to `log`, waits (at most ~60 s) for `file` to appear, sends `signal` ("TERM", "KILL") and returns
// the job's exit code.
inline int interrupt_once_written(const std::string& command_line, const std::filesystem::path& file,
                                  const std::string& signal, const std::filesystem::path& log,
                                  const std::string& starter = "") {
  const std::string script = "( " + starter + command_line + " >" + quote(log) + " 2>&1 & pid=$!; i=0; " +
                             "while [ ! -f " + quote(file) + " ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; " +
                             "kill -" + signal + " $pid; wait $pid; echo \"exit=$?\" )";
  const auto r = run_command(script);
  const auto at = r.output.find("exit=");
  return at == std::string::npos ? -1 : std::stoi(r.output.substr(at + 5));
}

}  // namespace geosr::test
