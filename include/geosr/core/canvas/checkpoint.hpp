#pragma once
// Checkpoints of a joint-denoising run: the state y_t after a completed step plus the settings that
// determine the output bytes. A checkpoint file is written beside its final name, flushed to disk
// and renamed over it, so a process killed at any moment leaves either the previous checkpoint or
// the new one, never a torn file. The state is streamed in row chunks, so memory-mapped canvases
// stay out of RAM.
//
// Format: the line "GEOSR-CHECKPOINT 2", then "key=value" lines (the run's settings, then
// steps_completed and shape=C,H,W), an empty line, the state as raw little-endian float32 (C, H, W),
// and the line "digest=" + digest_text of the state's bytes.

#include <map>
#include <string>

#include "geosr/core/canvas/scene_array.hpp"

namespace geosr {

using RunSettings = std::map<std::string, std::string>;

struct CheckpointInfo {
  RunSettings settings;
  int steps_completed = 0;
  int64_t channels = 0, height = 0, width = 0;
};

void save_checkpoint(const std::string& path, const RunSettings& settings, int steps_completed, SceneArray& state);

// Throws std::runtime_error with a one-line reason when the file is missing, not a checkpoint (or
// one of another format version) or truncated.
CheckpointInfo read_checkpoint_info(const std::string& path);
// Also throws when the state does not match the file's digest (a corrupted file).
void load_checkpoint_state(const std::string& path, SceneArray& state);

// "" when the checkpoint's settings are the run's, else a one-line description of the first difference.
std::string settings_difference(const RunSettings& run, const RunSettings& checkpoint);

}  // namespace geosr
