#include "geosr/core/train/batch_loader.hpp"

#include <algorithm>

namespace geosr {

BatchLoader::BatchLoader(Producer producer, int64_t first_index, int workers, int64_t depth)
    : producer_(std::move(producer)), next_out_(first_index), next_claim_(first_index),
      depth_(std::max<int64_t>(depth, 1)) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void BatchLoader::work() {
  for (;;) {
    int64_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || next_claim_ < next_out_ + depth_; });
      if (stopping_) return;
      index = next_claim_++;
    }
    try {
      TrainingBatch batch = producer_(index);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(index, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failed_.emplace(index, std::current_exception());
    }
    changed_.notify_all();
  }
}

TrainingBatch BatchLoader::next() {
  if (workers_.empty()) return producer_(next_out_++);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return ready_.count(next_out_) || failed_.count(next_out_); });
  if (auto failure = failed_.find(next_out_); failure != failed_.end()) std::rethrow_exception(failure->second);
  TrainingBatch batch = std::move(ready_.at(next_out_));
  ready_.erase(next_out_);
  ++next_out_;
  lock.unlock();
  changed_.notify_all();
  return batch;
}

}  // namespace geosr
