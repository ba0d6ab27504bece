#pragma once
// Prepares numbered batches ahead of the training loop on worker threads and hands them out in
// order. Because a batch depends only on its number, the worker count never changes the result.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "geosr/core/train/chip_dataset.hpp"

namespace geosr {

class BatchLoader {
 public:
  using Producer = std::function<TrainingBatch(int64_t index)>;

  // workers == 0 makes each batch on the calling thread inside next().
  BatchLoader(Producer producer, int64_t first_index, int workers, int64_t depth = 4);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The batch numbered first_index, then first_index + 1, ...; rethrows a worker's error.
  TrainingBatch next();

 private:
  void work();

  Producer producer_;
  int64_t next_out_;    // the number next() returns next
  int64_t next_claim_;  // the number the next idle worker makes
  int64_t depth_;
  bool stopping_ = false;
  std::map<int64_t, TrainingBatch> ready_;
  std::map<int64_t, std::exception_ptr> failed_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> workers_;
};

}  // namespace geosr
