#pragma once
// Hands blocks of bytes, one at a time, to a function run on a thread of its own: a reader that also
// hashes, unpacks and writes what it reads gets the second core for part of that work.

#include <cstddef>
#include <functional>
#include <memory>

namespace wsa {

class BlockPipe {
 public:
  explicit BlockPipe(std::function<void(const void*, std::size_t)> consume);
  BlockPipe(const BlockPipe&) = delete;
  BlockPipe& operator=(const BlockPipe&) = delete;
  ~BlockPipe();  // waits for the block in flight, then stops the thread

  // Waits for the block before it, then hands `data` over and returns: the caller leaves those bytes
  // alone until its next call to hand_over() or wait() (a reader alternating two buffers does).
  void hand_over(const void* data, std::size_t size);
  // Returns once the block in flight (if any) has been consumed.
  void wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wsa
