#pragma once
// A fixed pseudo-random generator (xoshiro256**, seeded through splitmix64) whose output is the same on
// every platform and compiler, so one seed always yields byte-identical content trees and catalogs.

#include <cstddef>
#include <cstdint>
#include <utility>

namespace wsa::sim {

// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Derives an independent seed for stream `index` of `seed` (one stream per file, per purpose).
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t state = seed ^ (index * 0xD1B54A32D192ED03ULL);
  splitmix64(state);
  return splitmix64(state);
}

class Random {
 public:
  // Seeds the four words of state from splitmix64(seed).
  explicit constexpr Random(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  // The next 64 random bits.
  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound) for bound > 0 (modulo bias is negligible for the small bounds used here).
  constexpr std::uint64_t below(std::uint64_t bound) { return next() % bound; }

  // Uniform in [low, high], both inclusive.
  constexpr std::uint64_t between(std::uint64_t low, std::uint64_t high) {
    return low + below(high - low + 1);
  }

  // True with probability numerator/denominator.
  constexpr bool chance(std::uint64_t numerator, std::uint64_t denominator) {
    return below(denominator) < numerator;
  }

  // Fills `size` bytes, little-endian word by word, so the bytes do not depend on the host's byte order.
  void fill(unsigned char* out, std::size_t size) {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      const std::uint64_t word = next();
      for (std::size_t b = 0; b < 8; ++b) out[i + b] = static_cast<unsigned char>(word >> (8 * b));
    }
    if (i < size) {
      const std::uint64_t word = next();
      for (std::size_t b = 0; i < size; ++i, ++b) out[i] = static_cast<unsigned char>(word >> (8 * b));
    }
  }

  // Shuffles [first, last) in place (Fisher-Yates), reproducibly for a given generator state.
  template <class Iterator>
  void shuffle(Iterator first, Iterator last) {
    const auto count = static_cast<std::uint64_t>(last - first);
    for (std::uint64_t i = count; i > 1; --i) {
      using std::swap;
      swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(below(i))]);
    }
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4] = {};
};

}  // namespace wsa::sim
