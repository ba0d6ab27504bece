#include "geosr/core/canvas/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "errno_message.hpp"
#include "geosr/core/runtime.hpp"

namespace geosr {

namespace {

constexpr const char* kMagic = "GEOSR-CHECKPOINT 2";
constexpr const char* kMagicPrefix = "GEOSR-CHECKPOINT ";
constexpr const char* kDigestKey = "digest=";
constexpr size_t kTrailerBytes = 7 + 16 + 1;  // "digest=" + 16 hex digits + "\n"
constexpr int64_t kChunkBytes = 64 << 20;

int64_t rows_per_chunk(const SceneArray& state) {
  return std::max<int64_t>(1, kChunkBytes / (state.width() * static_cast<int64_t>(sizeof(float))));
}

// Calls body(channel, y0, y1) over row chunks of every plane, releasing each chunk afterwards.
template <typename Body>
void for_each_chunk(SceneArray& state, Body body) {
  const int64_t step = rows_per_chunk(state);
  for (int64_t c = 0; c < state.channels(); ++c)
    for (int64_t y = 0; y < state.height(); y += step) {
      const int64_t y1 = std::min(state.height(), y + step);
      body(c, y, y1);
      state.release_rows(y, y1);
    }
}

void fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = open(path.c_str(), flags);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

void save_checkpoint(const std::string& path, const RunSettings& settings, int steps_completed, SceneArray& state) {
  const std::filesystem::path final_path(path);
  const std::filesystem::path temp = final_path.string() + ".tmp";
  {
    std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(temp.c_str(), "wb"), std::fclose);
    if (!out) throw std::runtime_error(errno_message("cannot write checkpoint " + temp.string()));
    std::ostringstream header;
    header << kMagic << "\n";
    for (const auto& [key, value] : settings) header << key << "=" << value << "\n";
    header << "steps_completed=" << steps_completed << "\n"
           << "shape=" << state.channels() << "," << state.height() << "," << state.width() << "\n\n";
    const std::string text = header.str();
    bool ok = std::fwrite(text.data(), 1, text.size(), out.get()) == text.size();
    uint64_t digest = kDigestStart;
    for_each_chunk(state, [&](int64_t c, int64_t y0, int64_t y1) {
      // Whole rows of a plane: contiguous, so a host array is written without a copy.
      const torch::Tensor rows = state.data()[c].slice(0, y0, y1).cpu().contiguous();
      const auto count = static_cast<size_t>(rows.numel());
      digest = digest_bytes(rows.data_ptr<float>(), count * sizeof(float), digest);
      ok = ok && std::fwrite(rows.data_ptr<float>(), sizeof(float), count, out.get()) == count;
    });
    const std::string trailer = kDigestKey + digest_text(digest) + "\n";
    ok = ok && std::fwrite(trailer.data(), 1, trailer.size(), out.get()) == trailer.size();
    ok = ok && std::fflush(out.get()) == 0 && fsync(fileno(out.get())) == 0;
    if (!ok) {
      const std::string message = errno_message("cannot write checkpoint " + temp.string());
      out.reset();
      std::filesystem::remove(temp);
      throw std::runtime_error(message);
    }
  }
  std::filesystem::rename(temp, final_path);
  // The rename itself must reach the disk before the checkpoint counts as saved.
  fsync_path(final_path.parent_path().empty() ? "." : final_path.parent_path(), O_RDONLY | O_DIRECTORY);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("no checkpoint to resume from: " + path + " does not exist");
  std::string line;
  if (!std::getline(in, line) || line.rfind(kMagicPrefix, 0) != 0)
    throw std::runtime_error(path + " is not a geosr checkpoint");
  // Version 1 had no digest to check its state against.
  if (line != kMagic)
    throw std::runtime_error(path + " is a checkpoint of another geosr version (format " +
                             line.substr(std::string_view(kMagicPrefix).size()) + "); run again without --resume");
  CheckpointInfo info;
  while (std::getline(in, line) && !line.empty()) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw std::runtime_error(path + ": corrupt checkpoint header");
    info.settings[line.substr(0, eq)] = line.substr(eq + 1);
  }
  try {
    info.steps_completed = std::stoi(info.settings.at("steps_completed"));
    char comma = 0;
    std::istringstream shape(info.settings.at("shape"));
    shape >> info.channels >> comma >> info.height >> comma >> info.width;
    if (!shape || info.channels < 1 || info.height < 1 || info.width < 1) throw std::runtime_error("shape");
  } catch (const std::exception&) {
    throw std::runtime_error(path + ": corrupt checkpoint header");
  }
  info.settings.erase("steps_completed");
  info.settings.erase("shape");
  const auto data_bytes = static_cast<std::uintmax_t>(info.channels * info.height * info.width) * sizeof(float);
  const auto header_bytes = static_cast<std::uintmax_t>(in.tellg());
  if (!in || std::filesystem::file_size(path) != header_bytes + data_bytes + kTrailerBytes)
    throw std::runtime_error(path + " is truncated or corrupt");
  return info;
}

void load_checkpoint_state(const std::string& path, SceneArray& state) {
  const CheckpointInfo info = read_checkpoint_info(path);
  if (info.channels != state.channels() || info.height != state.height() || info.width != state.width())
    throw std::runtime_error(path + ": the checkpoint's canvas does not have this run's shape");
  const auto data_bytes = static_cast<std::uintmax_t>(state.data().numel()) * sizeof(float);
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!in || std::fseek(in.get(), static_cast<long>(std::filesystem::file_size(path) - data_bytes - kTrailerBytes),
                        SEEK_SET) != 0)
    throw std::runtime_error(errno_message("cannot read checkpoint " + path));
  uint64_t digest = kDigestStart;
  for_each_chunk(state, [&](int64_t c, int64_t y0, int64_t y1) {
    torch::Tensor rows = state.data()[c].slice(0, y0, y1);
    // A host array is read into directly; an accelerator's rows go through host memory.
    torch::Tensor host = rows.is_cpu() ? rows : torch::empty(rows.sizes(), torch::kFloat32);
    const auto count = static_cast<size_t>(host.numel());
    if (std::fread(host.data_ptr<float>(), sizeof(float), count, in.get()) != count)
      throw std::runtime_error("cannot read checkpoint " + path + ": file is truncated");
    digest = digest_bytes(host.data_ptr<float>(), count * sizeof(float), digest);
    if (!rows.is_cpu()) rows.copy_(host);
  });
  // A flipped bit on disk would otherwise resume into other pixels without a word.
  std::string trailer(kTrailerBytes, '\0');
  if (std::fread(trailer.data(), 1, trailer.size(), in.get()) != trailer.size() ||
      trailer != kDigestKey + digest_text(digest) + "\n")
    throw std::runtime_error(path + " is corrupt (its state does not match its digest); run again without --resume");
}

std::string settings_difference(const RunSettings& run, const RunSettings& checkpoint) {
  for (const auto& [key, value] : run) {
    const auto it = checkpoint.find(key);
    if (it == checkpoint.end()) return "the checkpoint records no " + key;
    if (it->second != value) return key + " is " + value + " but the checkpoint was made with " + it->second;
  }
  return "";
}

}  // namespace geosr
