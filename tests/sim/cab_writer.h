#pragma once
// Writes a Microsoft cabinet (MS-CAB: CFHEADER, one CFFOLDER, CFFILE entries, CFDATA blocks), the container
// of older wsusutil export packages. Entries are streamed: memory stays bounded whatever their size.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

// Receives an entry's bytes piece by piece.
using ByteSink = std::function<void(std::string_view)>;
// Produces an entry's bytes into the sink; called exactly once.
using ByteProducer = std::function<void(const ByteSink&)>;

struct CabinetEntry {
  std::string name;  // stored file name, ASCII, e.g. "package.xml"
  ByteProducer produce;
};

enum class CabCompression : std::uint16_t {
  kNone = 0,   // stored blocks
  kMszip = 1,  // "CK" + raw deflate per 32 KiB block, each block primed with the previous one
};

struct CabinetOptions {
  CabCompression compression = CabCompression::kMszip;
  std::uint16_t dos_date = 0x5D74;  // 2026-11-20
  std::uint16_t dos_time = 0x4000;  // 08:00:00
};

// Writes `entries` into a new cabinet at `target` atomically (temp file beside it, then rename).
Result<void> write_cabinet(const fs::path& target, const std::vector<CabinetEntry>& entries,
                           const CabinetOptions& options = {});

// The MS-CAB CFDATA checksum of `size` bytes, continuing from `seed` (as cabinet.dll computes it).
std::uint32_t cab_checksum(const unsigned char* data, std::size_t size, std::uint32_t seed);

// DOS date and time fields for "yyyy-MM-ddTHH:mm:ss..." (falls back to the defaults when unparsable).
void dos_date_time(std::string_view iso_time, std::uint16_t& dos_date, std::uint16_t& dos_time);

}  // namespace wsa::sim
