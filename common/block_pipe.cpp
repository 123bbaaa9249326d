#include "common/block_pipe.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace wsa {

struct BlockPipe::State {
  std::function<void(const void*, std::size_t)> consume;
  std::mutex mutex;
  std::condition_variable changed;
  struct Block {
    const void* data;
    std::size_t size;
  };
  std::deque<Block> in_flight;  // the front one is being consumed
  std::size_t depth = 1;
  bool stopping = false;
  std::thread worker;

  void run() {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return !in_flight.empty() || stopping; });
      if (in_flight.empty()) return;
      Block block = in_flight.front();
      lock.unlock();
      consume(block.data, block.size);
      lock.lock();
      in_flight.pop_front();
      changed.notify_all();
    }
  }

  void wait_below(std::unique_lock<std::mutex>& lock, std::size_t count) {
    changed.wait(lock, [&] { return in_flight.size() < count; });
  }
};

BlockPipe::BlockPipe(std::function<void(const void*, std::size_t)> consume, std::size_t depth)
    : state_(std::make_unique<State>()) {
  state_->consume = std::move(consume);
  state_->depth = depth == 0 ? 1 : depth;
  state_->worker = std::thread([state = state_.get()] { state->run(); });
}

BlockPipe::~BlockPipe() {
  {
    std::unique_lock lock(state_->mutex);
    state_->wait_below(lock, 1);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  state_->worker.join();
}

void BlockPipe::hand_over(const void* data, std::size_t size) {
  if (size == 0) return;
  std::unique_lock lock(state_->mutex);
  state_->wait_below(lock, state_->depth);
  state_->in_flight.push_back({data, size});
  state_->changed.notify_all();
}

void BlockPipe::wait() {
  std::unique_lock lock(state_->mutex);
  state_->wait_below(lock, 1);
}

}  // namespace wsa
