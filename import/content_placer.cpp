#include "import/content_placer.h"

#include <boost/filesystem/operations.hpp>

#include <vector>

#include "common/digest.h"
#include "common/platform.h"
#include "common/progress.h"
#include "manifest/inventory.h"
#include "verify/volume_reader.h"
#include "wsus/content_name.h"

namespace wsa::importing {

namespace {

// The next inventory entry the volumes carry.
Result<std::optional<manifest::InventoryEntry>> next_carried(manifest::InventoryReader& inventory) {
  while (true) {
    auto entry = inventory.next();
    if (!entry || !*entry || (*entry)->carried) return entry;
  }
}

bool already_present(const fs::path& target, const manifest::InventoryEntry& entry) {
  boost::system::error_code ec;
  if (!fs::is_regular_file(target, ec) || fs::file_size(target, ec) != entry.size || ec) return false;
  auto digests = hash_file(target);
  return digests && digests->sha256_hex == entry.sha256_hex;
}

// Streams the current volume entry to `sink` (which may be null to discard), hashing it once.
Result<Digests> drain_entry(verify::VolumeReader& volumes, platform::OutputFile* sink, Progress* progress) {
  std::vector<char> buffer(kIoBlockSize);
  DualHasher hasher;
  while (true) {
    auto got = volumes.read(buffer.data(), buffer.size());
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;
    hasher.update(buffer.data(), *got);
    if (sink != nullptr) {
      if (auto written = sink->write(buffer.data(), *got); !written) return std::unexpected(written.error());
    }
    if (progress != nullptr) progress->advance(*got, 0);
  }
  return hasher.finish();
}

Result<void> place_one(verify::VolumeReader& volumes, const manifest::InventoryEntry& entry,
                       const fs::path& content, const fs::path& staging, const std::string& package,
                       Progress* progress) {
  fs::path target = content / entry.path;
  fs::path temp = staging / (entry.path.substr(3) + ".partial");
  auto file = platform::OutputFile::open(temp, platform::OutputFile::Mode::kTruncate);
  if (!file) return std::unexpected(file.error());
  auto digests = drain_entry(volumes, &*file, progress);
  auto discard = [&] {
    (void)file->close();
    boost::system::error_code ignored;
    fs::remove(temp, ignored);
  };
  if (!digests) {
    discard();
    return std::unexpected(digests.error());
  }
  if (digests->size != entry.size || digests->sha256_hex != entry.sha256_hex ||
      digests->sha1_hex != entry.sha1_hex) {
    discard();
    return make_error(ExitCode::kIntegrity, package + ": " + entry.path,
                      "the bytes in the volume do not match the signed inventory (size, SHA-256 or SHA-1)",
                      "the media was altered or damaged: nothing of this file was placed; export again");
  }
  if (auto synced = file->sync(); !synced) return synced;
  if (auto closed = file->close(); !closed) return closed;
  boost::system::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (!ec) fs::rename(temp, target, ec);
  if (ec) {
    std::string why = ec.message();  // the rename's error, not the clean-up's
    boost::system::error_code ignored;
    fs::remove(temp, ignored);
    return make_error(ExitCode::kOperational, target.string(), "cannot move into place: " + why,
                      "check permissions and free space on the content volume");
  }
  return {};
}

// A file an interrupted run placed is trusted without reading it when its size and time are unchanged:
// the run hashed it (or its tar entry) before recording it, and only a deliberate edit that restores
// the time could change it unseen, as with the export side's hash cache.
bool placed_before(const PlacementResume* resume, const fs::path& target,
                   const manifest::InventoryEntry& entry) {
  if (resume == nullptr) return false;
  auto found = resume->placed_before.find(entry.path);
  if (found == resume->placed_before.end()) return false;
  const state::PlacedFile& placed = found->second;
  if (placed.size != entry.size || placed.sha256_hex != entry.sha256_hex) return false;
  boost::system::error_code ec;
  if (!fs::is_regular_file(target, ec) || fs::file_size(target, ec) != placed.size || ec) return false;
  auto mtime = platform::modification_time_ns(target);
  return mtime && *mtime == placed.mtime_ns;
}

// Batches the ledger writes: one transaction per file would cost an fsync each.
class PlacementRecorder {
 public:
  explicit PlacementRecorder(PlacementResume* resume) : resume_(resume) {}
  Result<void> add(const fs::path& target, const manifest::InventoryEntry& entry) {
    if (resume_ == nullptr || !resume_->record) return {};
    auto mtime = platform::modification_time_ns(target);
    if (!mtime) return std::unexpected(mtime.error());
    pending_.push_back({entry.path, entry.size, *mtime, entry.sha256_hex});
    if (pending_.size() >= kBatch) return flush();
    return {};
  }
  Result<void> flush() {
    if (resume_ == nullptr || !resume_->record || pending_.empty()) return {};
    auto recorded = resume_->record(pending_);
    pending_.clear();
    return recorded;
  }

 private:
  static constexpr std::size_t kBatch = 256;
  PlacementResume* resume_;
  std::vector<state::PlacedFile> pending_;
};

Result<Placement> place_entries(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume, PlacementRecorder& recorder);

}  // namespace

fs::path staging_folder(const fs::path& content) {
  return content / ".wsus-airgap-staging";
}

Result<Placement> place_content(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume) {
  PlacementRecorder recorder(resume);
  auto placement = place_entries(package, content, progress, resume, recorder);
  // Files placed before a failure are whole and verified: recording them lets the next run skip them.
  auto flushed = recorder.flush();
  if (!placement) return placement;
  if (!flushed) return std::unexpected(flushed.error());
  return placement;
}

namespace {

Result<Placement> place_entries(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume, PlacementRecorder& recorder) {
  const std::string what = package.found.folder_name;
  auto inventory = manifest::InventoryReader::open(package.inventory);
  if (!inventory) return std::unexpected(inventory.error());
  std::vector<std::uint64_t> sizes;
  for (const auto& volume : package.manifest.volumes) sizes.push_back(volume.size);
  auto volumes = verify::VolumeReader::open(package.volumes, sizes);
  if (!volumes) return std::unexpected(volumes.error());
  fs::path staging = staging_folder(content);
  boost::system::error_code ec;
  fs::remove_all(staging, ec);  // leftovers of a killed run: never trusted
  fs::create_directories(staging, ec);
  if (ec) return make_error(ExitCode::kOperational, staging.string(), "cannot create: " + ec.message());
  // Whatever happens below, WsusContent keeps no staging folder and no partial file.
  struct StagingCleanup {
    fs::path dir;
    ~StagingCleanup() {
      boost::system::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{staging};

  Placement placement;
  while (true) {
    auto entry = volumes->next();
    if (!entry) return std::unexpected(entry.error());
    auto expected = next_carried(*inventory);
    if (!expected) return std::unexpected(expected.error());
    if (!*entry && !*expected) break;
    if (!*entry) {
      return make_error(ExitCode::kIntegrity, what, "the volumes end before " + (*expected)->path,
                        "the package is incomplete: export it again");
    }
    // Entries are accepted only in the inventory's order and only under their own safe names.
    auto name = wsus::parse_content_path((*entry)->name);
    if (!name || name->relative_path() != (*entry)->name) {
      return make_error(ExitCode::kIntegrity, what + ": " + (*entry)->name,
                        "is not a WsusContent name (XX/<SHA1>.ext); refusing to extract it",
                        "the package was built by something other than wsus-airgap export: do not import it");
    }
    if (!*expected || (*expected)->path != (*entry)->name || (*expected)->size != (*entry)->size) {
      return make_error(
          ExitCode::kIntegrity, what + ": " + (*entry)->name,
          "is not the next file the signed inventory lists (a duplicate, extra or reordered entry)",
          "the package was altered: do not import it");
    }
    fs::path target = content / (*expected)->path;
    if (placed_before(resume, target, **expected)) {
      // next() reads through the unread entry data: each volume byte is still read once, never hashed.
      if (progress != nullptr) progress->advance((*expected)->size, 1);
      ++placement.files_skipped;
      continue;
    }
    if (already_present(target, **expected)) {
      auto drained = drain_entry(*volumes, nullptr, progress);
      if (!drained) return std::unexpected(drained.error());
      ++placement.files_already_present;
      if (auto recorded = recorder.add(target, **expected); !recorded)
        return std::unexpected(recorded.error());
      continue;
    }
    if (auto placed = place_one(*volumes, **expected, content, staging, what, progress); !placed) {
      return std::unexpected(placed.error());
    }
    ++placement.files_placed;
    placement.bytes_placed += (*expected)->size;
    if (progress != nullptr) progress->advance(0, 1);
    if (auto recorded = recorder.add(target, **expected); !recorded) return std::unexpected(recorded.error());
  }
  return placement;
}

}  // namespace

}  // namespace wsa::importing
