#include "common/block_pipe.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

namespace wsa {

struct BlockPipe::State {
  std::function<void(const void*, std::size_t)> consume;
  std::mutex mutex;
  std::condition_variable changed;
  const void* data = nullptr;  // the block in flight, or null
  std::size_t size = 0;
  bool stopping = false;
  std::thread worker;

  void run() {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return data != nullptr || stopping; });
      if (data == nullptr) return;
      lock.unlock();
      consume(data, size);
      lock.lock();
      data = nullptr;
      changed.notify_all();
    }
  }

  void wait_idle(std::unique_lock<std::mutex>& lock) {
    changed.wait(lock, [&] { return data == nullptr; });
  }
};

BlockPipe::BlockPipe(std::function<void(const void*, std::size_t)> consume)
    : state_(std::make_unique<State>()) {
  state_->consume = std::move(consume);
  state_->worker = std::thread([state = state_.get()] { state->run(); });
}

BlockPipe::~BlockPipe() {
  {
    std::unique_lock lock(state_->mutex);
    state_->wait_idle(lock);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  state_->worker.join();
}

void BlockPipe::hand_over(const void* data, std::size_t size) {
  if (size == 0) return;
  std::unique_lock lock(state_->mutex);
  state_->wait_idle(lock);
  state_->data = data;
  state_->size = size;
  state_->changed.notify_all();
}

void BlockPipe::wait() {
  std::unique_lock lock(state_->mutex);
  state_->wait_idle(lock);
}

}  // namespace wsa
