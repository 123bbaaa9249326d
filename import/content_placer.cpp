#include "import/content_placer.h"

#include <boost/filesystem/operations.hpp>

#include <atomic>
#include <charconv>
#include <thread>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "common/platform.h"
#include "common/progress.h"
#include "common/test_hook.h"
#include "import/staging.h"
#include "manifest/inventory.h"
#include "verify/volume_reader.h"
#include "wsus/content_name.h"

namespace wsa::importing {

namespace {

bool already_present(const fs::path& target, const manifest::InventoryEntry& entry,
                     std::optional<std::int64_t>& mtime_ns) {
  auto facts = platform::file_facts(target);
  if (!facts || !facts->regular || facts->size != entry.size) return false;
  auto digests = hash_file(target);
  mtime_ns = facts->mtime_ns;
  return digests && digests->sha256_hex == entry.sha256_hex;
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
  auto facts = platform::file_facts(target);
  return facts && facts->regular && facts->size == placed.size && facts->mtime_ns == placed.mtime_ns;
}

// What stage_one reuses from one file to the next: blocks used in turn, so that the ones before are
// hashed on the hasher's two threads while the next is unpacked and written (the volume's own digest
// has a thread of its own in the VolumeReader: the three digests and the copying share both cores).
struct StagingBlocks {
  BlockRing blocks;
  BackgroundDualHasher hasher;  // after the blocks: its threads stop before they are freed
};

// Streams the current entry into `file` (created empty in staging), hashing it once; refuses bytes
// that differ from the inventory. The file is whole and closed (not yet flushed) when this returns.
Result<void> stage_one(verify::VolumeReader& volumes, const manifest::InventoryEntry& entry,
                       Result<platform::OutputFile> file, StagingBlocks& blocks, const std::string& package,
                       Progress* progress) {
  if (!file) return std::unexpected(file.error());
  BackgroundDualHasher& hasher = blocks.hasher;
  hasher.finish();  // starts from nothing, even after a file whose reading failed half-way
  while (true) {
    std::vector<char>& block = blocks.blocks.next();
    auto got = volumes.read(block.data(), block.size());
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;
    hasher.update(block.data(), *got);  // hashed while it is written
    if (auto written = file->write(block.data(), *got); !written) return written;
    if (progress != nullptr) progress->advance(*got, 0);
  }
  auto digests = hasher.finish();
  if (digests.size != entry.size || digests.sha256_hex != entry.sha256_hex ||
      digests.sha1_hex != entry.sha1_hex) {
    return make_error(ExitCode::kIntegrity, package + ": " + entry.path,
                      "the bytes in the volume do not match the signed inventory (size, SHA-256 or SHA-1)",
                      "the media was altered or damaged: nothing of this file was placed; export again");
  }
  return file->close();
}

// Batches the ledger writes of files found intact: one transaction per file would cost an fsync each.
class PresentRecorder {
 public:
  explicit PresentRecorder(PlacementResume* resume) : resume_(resume) {}
  Result<void> add(const manifest::InventoryEntry& entry, std::int64_t mtime_ns) {
    if (resume_ == nullptr || !resume_->record) return {};
    pending_.push_back({entry.path, entry.size, mtime_ns, entry.sha256_hex});
    if (pending_.size() >= kPlacementBatchFiles) return flush();
    return {};
  }
  Result<void> flush() {
    if (resume_ == nullptr || !resume_->record || pending_.empty()) return {};
    auto recorded = resume_->record(pending_);
    pending_.clear();
    return recorded;
  }

 private:
  PlacementResume* resume_;
  std::vector<state::PlacedFile> pending_;
};

std::size_t batch_files() {
  auto text = platform::environment("WSUS_AIRGAP_TEST_BATCH_FILES");
  std::size_t value = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc() ||
      value == 0 || value > 100000)
    return kPlacementBatchFiles;
  return value;
}

// Starts a flush of what is staged so far, on a thread of its own, after every 256 MiB staged, so
// the disk writes while the rest of the volumes is read and hashed and the batch flush before the
// renames (which alone is the promise) finds little left to wait for. It is sync_files() with no
// file list: one syncfs() on Linux, nothing elsewhere (the batch flush there is per file). Its
// result is not used: a flush that fails here fails again, and is reported, at the batch flush.
class EarlyFlush {
 public:
  static constexpr std::uint64_t kEveryBytes = 256ULL << 20;
  explicit EarlyFlush(fs::path staging) : staging_(std::move(staging)) {}
  EarlyFlush(const EarlyFlush&) = delete;
  EarlyFlush& operator=(const EarlyFlush&) = delete;
  ~EarlyFlush() {
    if (thread_.joinable()) thread_.join();
  }
  void staged(std::uint64_t bytes) {
    since_ += bytes;
    if (since_ < kEveryBytes || running_) return;
    if (thread_.joinable()) thread_.join();
    since_ = 0;
    running_ = true;
    thread_ = std::thread([this] {
      (void)platform::sync_files(staging_, {});
      running_ = false;
    });
  }

 private:
  fs::path staging_;
  std::uint64_t since_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

struct Staged {
  std::vector<bool> carried;  // one bit per carried inventory file, in order: staged by this pass
  std::uint64_t count = 0;
};

// Pass one: every entry read once from the media, each new file written to staging; every volume's
// digest checked on the same bytes by the reader. Nothing in XX/ changes.
Result<Staged> stage_entries(const verify::VerifiedPackage& package, const fs::path& content,
                             const fs::path& staging, Progress* progress, PlacementResume* resume,
                             Placement& placement) {
  const std::string what = package.found.folder_name;
  auto inventory = manifest::InventoryReader::open(package.inventory);
  if (!inventory) return std::unexpected(inventory.error());
  std::vector<verify::VolumeReader::Expected> expected;
  for (std::size_t i = 0; i < package.manifest.volumes.size(); ++i) {
    const auto& volume = package.manifest.volumes[i];
    bool before =
        resume != nullptr && i < resume->volume_hashed_before.size() && resume->volume_hashed_before[i];
    expected.push_back({volume.size, before ? std::string() : volume.sha256_hex});
    ++(before ? placement.volumes_skipped : placement.volumes_hashed);
  }
  auto volumes =
      verify::VolumeReader::open(package.volumes, expected, [&](std::size_t index) -> Result<void> {
        if (resume == nullptr || !resume->volume_verified) return {};
        return resume->volume_verified(index);
      });
  if (!volumes) return std::unexpected(volumes.error());
  // An integrity error inside a hashed volume is said as the volume's, when its digest differs too.
  auto refuse = [&](const Error& error) -> Result<Staged> {
    if (error.code != ExitCode::kIntegrity) return std::unexpected(error);
    return std::unexpected(volumes->explain(error));
  };

  FolderNames present(content);
  StagingOpener opener(package.inventory, content, staging);
  PresentRecorder recorder(resume);
  StagingBlocks blocks;
  EarlyFlush early_flush(staging);
  Staged staged;
  while (true) {
    auto entry = volumes->next();
    if (!entry) return refuse(entry.error());
    auto expected_entry = next_carried(*inventory);
    if (!expected_entry) return std::unexpected(expected_entry.error());
    if (!*entry && !*expected_entry) break;
    if (!*entry) {
      return make_error(ExitCode::kIntegrity, what, "the volumes end before " + (*expected_entry)->path,
                        "the package is incomplete: export it again");
    }
    // Entries are accepted only in the inventory's order and only under their own safe names.
    auto name = wsus::parse_content_path((*entry)->name);
    if (!name || name->relative_path() != (*entry)->name) {
      return refuse(
          Error{ExitCode::kIntegrity, what + ": " + (*entry)->name,
                "is not a WsusContent name (XX/<SHA1>.ext); refusing to extract it",
                "the package was built by something other than wsus-airgap export: do not import it"});
    }
    if (!*expected_entry || (*expected_entry)->path != (*entry)->name ||
        (*expected_entry)->size != (*entry)->size) {
      return refuse(
          Error{ExitCode::kIntegrity, what + ": " + (*entry)->name,
                "is not the next file the signed inventory lists (a duplicate, extra or reordered entry)",
                "the package was altered: do not import it"});
    }
    const auto& file = **expected_entry;
    fs::path target = content / file.path;
    staged.carried.push_back(false);
    // Files not written are still read through by next(): every volume byte is read once and hashed.
    if (present.contains(file.path)) {
      if (placed_before(resume, target, file)) {
        if (progress != nullptr) progress->advance(file.size, 1);
        ++placement.files_skipped;
        continue;
      }
      std::optional<std::int64_t> mtime;
      if (already_present(target, file, mtime)) {
        if (progress != nullptr) progress->advance(file.size, 1);
        ++placement.files_already_present;
        if (auto recorded = recorder.add(file, mtime.value_or(0)); !recorded)
          return std::unexpected(recorded.error());
        continue;
      }
    }
    auto opened = opener.take(staged.carried.size() - 1);
    if (!opened) {
      opened = platform::OutputFile::open(staging / file.path.substr(3),
                                          platform::OutputFile::Mode::kCreateNewUnbuffered);
    }
    if (auto written = stage_one(*volumes, file, std::move(*opened), blocks, what, progress); !written)
      return refuse(written.error());
    if (progress != nullptr) progress->advance(0, 1);
    early_flush.staged(file.size);
    staged.carried.back() = true;
    ++staged.count;
  }
  if (auto flushed = recorder.flush(); !flushed) return std::unexpected(flushed.error());
  return staged;
}

// Pass two, once every volume matched: the staged files move into XX/ a batch at a time. Each batch
// is flushed to disk (data before names), renamed, its folders flushed, then recorded in one ledger
// transaction: nothing is recorded before it is on disk, and no file is visible half-written.
Result<void> move_into_place(const verify::VerifiedPackage& package, const fs::path& content,
                             const fs::path& staging, const Staged& staged, PlacementResume* resume,
                             Placement& placement) {
  auto inventory = manifest::InventoryReader::open(package.inventory);
  if (!inventory) return std::unexpected(inventory.error());
  const std::size_t limit = batch_files();
  std::vector<manifest::InventoryEntry> batch;
  std::vector<fs::path> staged_paths;
  std::uint64_t batch_bytes = 0;
  std::string made_prefix;  // the last XX/ folder made or found (the inventory is in path order)

  auto commit = [&]() -> Result<void> {
    if (batch.empty()) return {};
    if (auto synced = platform::sync_files(staging, staged_paths); !synced) return synced;
    std::vector<state::PlacedFile> placed;
    std::vector<fs::path> folders;
    bool new_folder = false;
    for (const auto& file : batch) {
      fs::path target = content / file.path;
      std::string prefix = file.path.substr(0, 2);
      boost::system::error_code ec;
      if (prefix != made_prefix) {
        new_folder = fs::create_directory(target.parent_path(), ec) || new_folder;
        made_prefix = prefix;
      }
      if (folders.empty() || folders.back() != target.parent_path()) folders.push_back(target.parent_path());
      if (!ec) fs::rename(staging / file.path.substr(3), target, ec);
      if (ec) {
        return make_error(ExitCode::kOperational, target.string(), "cannot move into place: " + ec.message(),
                          "check permissions and free space on the content volume");
      }
      auto facts = platform::file_facts(target);
      if (!facts) return std::unexpected(facts.error());
      placed.push_back({file.path, file.size, facts->mtime_ns.value_or(0), file.sha256_hex});
      ++placement.files_placed;
      placement.bytes_placed += file.size;
    }
    reached_step("renamed-batch");
    if (new_folder) folders.push_back(content);
    for (const auto& folder : folders) {
      if (auto synced = platform::sync_folder(folder); !synced) return synced;
    }
    if (resume != nullptr && resume->record) {
      if (auto recorded = resume->record(placed); !recorded) return recorded;
    }
    reached_step("recorded-batch");
    batch.clear();
    staged_paths.clear();
    batch_bytes = 0;
    return {};
  };

  std::size_t index = 0;
  while (true) {
    auto entry = next_carried(*inventory);
    if (!entry) return std::unexpected(entry.error());
    if (!*entry || index >= staged.carried.size()) break;
    if (!staged.carried[index++]) continue;
    staged_paths.push_back(staging / (*entry)->path.substr(3));
    batch_bytes += (*entry)->size;
    batch.push_back(std::move(**entry));
    if (batch.size() >= limit || batch_bytes >= kPlacementBatchBytes) {
      if (auto done = commit(); !done) return done;
    }
  }
  return commit();
}

}  // namespace

fs::path staging_folder(const fs::path& content) {
  return content / ".wsus-airgap-staging";
}

Result<Placement> place_content(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume) {
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
  auto staged = stage_entries(package, content, staging, progress, resume, placement);
  if (!staged) return std::unexpected(staged.error());
  reached_step("staged");
  if (auto moved = move_into_place(package, content, staging, *staged, resume, placement); !moved)
    return std::unexpected(moved.error());
  return placement;
}

}  // namespace wsa::importing
