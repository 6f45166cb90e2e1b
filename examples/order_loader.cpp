#include "examples/order_loader.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace sluice::examples {
namespace {

using clock = std::chrono::steady_clock;

// Batches made by the generator thread, waiting to be written; at most `capacity` at a time.
class batch_queue {
 public:
  explicit batch_queue(size_t capacity) : capacity_(capacity) {}
  void push(row_batch batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
    if (closed_) return;
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  std::optional<row_batch> pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    row_batch batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return batch;
  }
  // Ends the queue: the producer when it has made everything, the consumer when it gives up.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<row_batch> queue_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace

pacing::pacing(double rate, size_t batch_rows)
    : rate_(rate),
      batch_rows_(rate > 0 ? std::clamp<size_t>(static_cast<size_t>(rate / 20), 1, batch_rows)
                           : batch_rows) {}

void pacing::wait_for(clock::time_point start, uint64_t rows_before) const {
  if (rate_ <= 0) return;
  std::this_thread::sleep_until(start + std::chrono::duration_cast<clock::duration>(
                                            std::chrono::duration<double>(rows_before / rate_)));
}

absl::StatusOr<uint64_t> load_orders(store::api& db, std::shared_ptr<const table_schema> table,
                                     const order_generator& generator, const load_options& options,
                                     const std::function<void(uint64_t)>& on_progress) {
  pacing pace(options.rate, options.batch_rows);
  batch_queue queue(2);
  std::thread producer([&] {
    for (uint64_t first = 0; first < options.rows; first += pace.batch_rows()) {
      if (options.stop && options.stop->load()) break;
      row_batch batch(table);
      generator.fill(batch, first, std::min<uint64_t>(pace.batch_rows(), options.rows - first));
      queue.push(std::move(batch));
    }
    queue.close();
  });
  auto start = clock::now();
  uint64_t written = 0;
  absl::Status status;
  while (auto batch = queue.pop()) {
    pace.wait_for(start, written);
    auto result = db.write(*batch);
    if (!result.ok()) {
      status = result.status();
      queue.close();
      break;
    }
    written += batch->size();
    on_progress(written);
  }
  producer.join();
  if (!status.ok()) return status;
  return written;
}

}  // namespace sluice::examples
