#pragma once
// Hands blocks of bytes, in order, to a function run on a thread of its own: a reader that also
// hashes, unpacks and writes what it reads gets the second core for part of that work. Up to `depth`
// blocks may wait, so a consumer that is slow on one block catches up on the next ones instead of
// stalling the reader.

#include <cstddef>
#include <functional>
#include <memory>

namespace wsa {

class BlockPipe {
 public:
  BlockPipe(std::function<void(const void*, std::size_t)> consume, std::size_t depth);
  BlockPipe(const BlockPipe&) = delete;
  BlockPipe& operator=(const BlockPipe&) = delete;
  ~BlockPipe();  // waits for the blocks in flight, then stops the thread

  // Waits until fewer than `depth` blocks are in flight, then hands `data` over and returns: the
  // caller leaves those bytes alone until `depth` more calls to hand_over() or a call to wait() have
  // returned (a reader using depth + 1 buffers in turn does).
  void hand_over(const void* data, std::size_t size);
  // Returns once every block handed over has been consumed.
  void wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wsa
