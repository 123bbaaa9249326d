#include "verify/gap_report.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/progress.h"
#include "common/text.h"
#include "state/ledger.h"
#include "verify/content_lookup.h"
#include "verify/content_store.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// The classification GUIDs every WSUS server shares; anything else is shown as given.
constexpr std::pair<const char*, const char*> kClassifications[] = {
    {"e6cf1350-c01b-414d-a61f-263d14d133b4", "Critical Updates"},
    {"0fa1201d-4330-4fa8-8ae9-b877473b6441", "Security Updates"},
    {"e0789628-ce08-4437-be74-2495b842f43b", "Definition Updates"},
    {"28bc880e-0592-4cbf-8f95-c79b17911d5f", "Update Rollups"},
    {"cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83", "Updates"},
    {"b54e7d24-7add-428f-8b75-90a396fa584f", "Feature Packs"},
    {"68c5b0a3-d1a6-4553-ae49-01d3a7827828", "Service Packs"},
    {"b4832bd8-e735-4761-8daf-37f882276dab", "Tools"},
    {"ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0", "Drivers"},
    {"3689bdc8-b205-4af4-8d4a-a63924c5e9d5", "Upgrades"},
};

using Sha1 = Sha1Bytes;
using Sha256 = Sha256Bytes;

// Digests and GUIDs are already uniformly distributed: their first bytes are a good hash.
struct LeadingBytesHash {
  template <std::size_t N>
  std::size_t operator()(const std::array<unsigned char, N>& bytes) const noexcept {
    static_assert(N >= sizeof(std::size_t));
    std::size_t value = 0;
    for (std::size_t i = 0; i < sizeof value; ++i) value = (value << 8) | bytes[i];
    return value;
  }
};

// Hex of exactly N bytes -> the bytes; nullopt for anything else.
template <std::size_t N>
std::optional<std::array<unsigned char, N>> parse_bytes(std::string_view hex) {
  std::array<unsigned char, N> bytes{};
  if (!from_hex_into(hex, bytes)) return std::nullopt;  // no allocation: it runs for every file reference
  return bytes;
}

std::string_view as_bytes(const auto& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// Digests are kept as raw bytes, not hex: a 2 GB package references hundreds of thousands of files
// and this table is most of what find_gaps holds in memory.
struct ReferencedFile {
  Sha1 sha1{};
  std::optional<Sha256> sha256;
  std::optional<std::uint64_t> size;
  std::string name;
  bool referenced_by_update = false;
};

struct ReferencingUpdate {
  std::string update_id;
  std::uint32_t revision = 0;
  std::uint16_t classification = 0;  // index into the interned classifications; 0 is ""
  std::string title;
  std::string kb;
  std::vector<std::uint32_t> files;  // indices into the file table; sorted and unique after finish()
};

using Guid = std::array<unsigned char, 16>;

// "8f0e6a3c-1111-..." -> 16 bytes; nullopt for anything else.
std::optional<Guid> parse_guid(std::string_view text) {
  char hex[32];
  std::size_t length = 0;
  for (char c : text) {
    if (c == '-') continue;
    if (length == sizeof hex) return std::nullopt;
    hex[length++] = c;
  }
  return parse_bytes<16>(std::string_view(hex, length));
}

// What the metadata says must exist: distinct files and the updates that need them, merged by digest
// and by update id because the CAB form reports each update twice with different halves of its data.
class ReferencedContent {
 public:
  void add_file(const wsus::PackageFile& file) {
    auto index = file_index(file.sha1_hex);
    if (!index) return;
    ReferencedFile& entry = files_[*index];
    if (entry.name.empty() && !file.name.empty()) entry.name = file.name;
    if (!entry.size && file.size) entry.size = file.size;
    if (!entry.sha256 && file.sha256_hex) entry.sha256 = parse_bytes<32>(*file.sha256_hex);
  }

  void add_update(const wsus::PackageUpdate& update) {
    ReferencingUpdate& entry = updates_[update_index(update.update_id)];
    entry.revision = std::max(entry.revision, update.revision);
    if (entry.title.empty()) entry.title = update.title;
    if (entry.kb.empty()) entry.kb = update.kb_article;
    if (entry.classification == 0) entry.classification = intern_classification(update.classification);
    for (const auto& sha1 : update.file_sha1_hex) {
      if (auto index = file_index(sha1)) {
        files_[*index].referenced_by_update = true;
        entry.files.push_back(*index);
      }
    }
  }

  // Sorts each update's file list once, instead of searching it on every merge (an update may list
  // up to 100,000 files).
  void finish() {
    for (auto& update : updates_) {
      std::sort(update.files.begin(), update.files.end());
      update.files.erase(std::unique(update.files.begin(), update.files.end()), update.files.end());
    }
    update_index_ = {};
    file_index_ = {};
    odd_update_index_ = {};
  }

  std::deque<ReferencedFile>& files() { return files_; }
  const std::deque<ReferencingUpdate>& updates() const { return updates_; }
  const std::string& classification(const ReferencingUpdate& update) const {
    return classifications_[update.classification];
  }

 private:
  // Update ids are GUIDs (the reader normalises them), kept as 16 bytes in the index; anything else
  // goes to a text-keyed index so no id is ever merged with another.
  std::size_t update_index(const std::string& update_id) {
    const auto next = static_cast<std::uint32_t>(updates_.size());
    std::pair<std::uint32_t, bool> found;
    if (auto guid = parse_guid(update_id)) {
      auto [slot, added] = update_index_.try_emplace(*guid, next);
      found = {slot->second, added};
    } else {
      auto [slot, added] = odd_update_index_.try_emplace(update_id, next);
      found = {slot->second, added};
    }
    if (found.second) updates_.push_back({update_id, 0, 0, {}, {}, {}});
    return found.first;
  }

  // A handful of classifications serve hundreds of thousands of updates.
  std::uint16_t intern_classification(const std::string& classification) {
    if (classification.empty()) return 0;
    for (std::size_t i = 1; i < classifications_.size(); ++i) {
      if (classifications_[i] == classification) return static_cast<std::uint16_t>(i);
    }
    if (classifications_.size() == 0xFFFF) return 0;
    classifications_.push_back(classification);
    return static_cast<std::uint16_t>(classifications_.size() - 1);
  }

  std::optional<std::uint32_t> file_index(std::string_view sha1_hex) {
    auto digest = parse_bytes<20>(sha1_hex);
    if (!digest) return std::nullopt;
    auto [slot, inserted] = file_index_.try_emplace(*digest, static_cast<std::uint32_t>(files_.size()));
    if (inserted) files_.push_back({*digest, std::nullopt, std::nullopt, {}, false});
    return slot->second;
  }

  // Deques, not vectors: growing never copies the whole table, which would double the peak.
  std::deque<ReferencedFile> files_;
  std::unordered_map<Sha1, std::uint32_t, LeadingBytesHash> file_index_;
  std::deque<ReferencingUpdate> updates_;
  std::unordered_map<Guid, std::uint32_t, LeadingBytesHash> update_index_;
  std::unordered_map<std::string, std::uint32_t> odd_update_index_;
  std::vector<std::string> classifications_{std::string()};
};

// The extension the metadata gives for a file: nullopt when its name is unknown (any extension will
// do), "" for a name without one.
std::optional<std::string> extension_of(const ReferencedFile& file) {
  if (file.name.empty()) return std::nullopt;
  auto name = wsus::content_name_for(as_bytes(file.sha1), file.name);
  if (!name) return std::nullopt;
  return name->extension;
}

std::string canonical_path(const ReferencedFile& file, const std::optional<std::string>& extension) {
  std::string sha1 = to_hex_upper(as_bytes(file.sha1));
  std::string path = sha1.substr(38, 2) + "/" + sha1;
  if (extension && !extension->empty()) path += "." + *extension;
  return path;
}

struct FileCheck {
  std::string path;     // canonical; the name found on disk when the metadata gives no extension
  std::string problem;  // empty: present and right
};

template <class Lookup>
FileCheck check_file(Lookup& lookup, const ReferencedFile& file, bool verify_hashes, Progress* progress) {
  const std::string sha1_hex = to_hex_upper(as_bytes(file.sha1));
  auto extension = extension_of(file);
  FileCheck check{canonical_path(file, extension), {}};
  auto found = lookup.find(sha1_hex, extension);
  if (!found) {
    check.problem = "missing";
    return check;
  }
  if (!extension && !found->canonical.empty()) check.path = found->canonical;
  if (!found->regular) {
    check.problem = "not a regular file";
    return check;
  }
  if (file.size && found->size != *file.size) {
    check.problem =
        "wrong size: " + std::to_string(found->size) + " bytes, expected " + std::to_string(*file.size);
    return check;
  }
  if (!verify_hashes) return check;
  // The scan has the digests already; the disk lookup reads the file.
  Sha1 sha1{};
  Sha256 sha256{};
  if (found->scanned != nullptr) {
    sha1 = found->scanned->sha1;
    sha256 = found->scanned->sha256;
  } else {
    auto digests = hash_file(found->disk_path, progress);
    if (!digests) {
      check.problem = "unreadable: " + digests.error().why;
      return check;
    }
    from_hex_into(digests->sha1_hex, sha1);
    from_hex_into(digests->sha256_hex, sha256);
  }
  if (sha1 != file.sha1) {
    check.problem = "SHA-1 mismatch";
  } else if (file.sha256 && sha256 != *file.sha256) {
    check.problem = "SHA-256 mismatch";
  }
  return check;
}

// Checks every referenced file on every core, then groups the problems by the updates that need them.
template <class Lookup>
Result<GapReport> check_referenced(Lookup& lookup, ReferencedContent& referenced, GapReport report,
                                   const GapOptions& options) {
  referenced.finish();
  auto& files = referenced.files();
  report.files_checked = files.size();
  report.updates_read = referenced.updates().size();
  report.hashes_verified = options.verify_hashes;

  // Only problems are kept: a result per referenced file would cost as much as the file table.
  std::vector<std::pair<std::uint32_t, FileCheck>> problems;
  std::mutex problems_mutex;
  auto checked = parallel_for(files.size(), 0, [&](std::size_t i) -> Result<void> {
    FileCheck check = check_file(lookup, files[i], options.verify_hashes, options.progress);
    if (!check.problem.empty()) {
      std::lock_guard lock(problems_mutex);
      problems.emplace_back(static_cast<std::uint32_t>(i), std::move(check));
    }
    if (options.progress != nullptr) options.progress->advance(0, 1);
    return {};
  });
  if (!checked) return std::unexpected(checked.error());
  if (options.progress != nullptr) options.progress->finish();

  // One entry per damaged file, copied to every update that needs it.
  std::unordered_map<std::uint32_t, manifest::MissingFile> gaps;
  for (auto& [i, check] : problems) {
    manifest::MissingFile gap{.path = std::move(check.path),
                              .problem = std::move(check.problem),
                              .name = files[i].name,
                              .expected_size = files[i].size};
    if (options.ledger != nullptr) {
      auto sequence = options.ledger->shipped_sequence(gap.path);
      if (!sequence) return std::unexpected(sequence.error());
      gap.carried_by_sequence = *sequence;
    }
    gaps.emplace(i, std::move(gap));
  }
  report.files_with_gaps = gaps.size();

  auto by_path = [](const manifest::MissingFile& a, const manifest::MissingFile& b) {
    return a.path < b.path;
  };
  auto list_under = [](UpdateGap& entry, manifest::MissingFile file) {
    file.update_id = entry.update_id;
    file.title = entry.title;
    file.kb = entry.kb;
    entry.files.push_back(std::move(file));
  };
  for (const auto& update : referenced.updates()) {
    if (update.files.empty()) continue;
    ++report.updates_checked;
    UpdateGap entry{update.update_id,
                    update.revision,
                    update.title,
                    update.kb,
                    classification_name(referenced.classification(update)),
                    {}};
    for (auto index : update.files) {
      if (auto gap = gaps.find(index); gap != gaps.end()) list_under(entry, gap->second);
    }
    if (entry.files.empty()) continue;
    std::sort(entry.files.begin(), entry.files.end(), by_path);
    report.updates.push_back(std::move(entry));
  }
  std::sort(report.updates.begin(), report.updates.end(), [](const UpdateGap& a, const UpdateGap& b) {
    return std::tie(a.title, a.update_id) < std::tie(b.title, b.update_id);
  });

  // A file the package lists that no update references cannot make WSUS fail, but it is still
  // expected content: report it in its own group, after the updates.
  UpdateGap unreferenced{{}, 0, "Files the package lists that no update references", {}, {}, {}};
  for (const auto& [index, gap] : gaps) {
    if (!files[index].referenced_by_update) list_under(unreferenced, gap);
  }
  if (!unreferenced.files.empty()) {
    std::sort(unreferenced.files.begin(), unreferenced.files.end(), by_path);
    report.updates.push_back(std::move(unreferenced));
  }
  return report;
}

}  // namespace

std::vector<manifest::MissingFile> GapReport::missing_files() const {
  std::vector<manifest::MissingFile> files;
  std::unordered_set<std::string> listed;
  for (const auto& update : updates) {
    for (const auto& file : update.files) {
      if (listed.insert(file.path).second) files.push_back(file);
    }
  }
  return files;
}

std::string classification_name(const std::string& classification) {
  for (const auto& [id, name] : kClassifications) {
    if (classification == id) return name;
  }
  return classification;
}

std::string listing_digest(const ContentListing& listing) {
  Sha256Hasher hasher;
  for (const ContentFile& file : listing.files) {
    // Each string ends with a NUL (content names never hold one), so no two listings run together.
    hasher.update(file.path.c_str(), file.path.size() + 1);
    hasher.update(file.found_as.c_str(), file.found_as.size() + 1);
    std::array<unsigned char, 8> size{};
    for (std::size_t i = 0; i < size.size(); ++i) size[i] = static_cast<unsigned char>(file.size >> (8 * i));
    hasher.update(size.data(), size.size());
    hasher.update(file.sha1.data(), file.sha1.size());
    hasher.update(file.sha256.data(), file.sha256.size());
  }
  return hasher.finish_hex();
}

struct ReferencedFiles::Content {
  ReferencedContent referenced;
  std::string source;
};

ReferencedFiles::ReferencedFiles() : content_(std::make_unique<Content>()) {}
ReferencedFiles::ReferencedFiles(ReferencedFiles&&) noexcept = default;
ReferencedFiles& ReferencedFiles::operator=(ReferencedFiles&&) noexcept = default;
ReferencedFiles::~ReferencedFiles() = default;

Result<ReferencedFiles> ReferencedFiles::read(const fs::path& metadata_package) {
  ReferencedFiles files;
  files.content_->source = metadata_package.string();
  ReferencedContent& referenced = files.content_->referenced;
  wsus::PackageVisitor visitor;
  visitor.on_file = [&](const wsus::PackageFile& file) { referenced.add_file(file); };
  visitor.on_update = [&](const wsus::PackageUpdate& update) { referenced.add_update(update); };
  auto summary = wsus::read_export_package(metadata_package, visitor);
  if (!summary) return std::unexpected(summary.error());
  return files;
}

ReferencedFiles ReferencedFiles::of(const std::vector<wsus::PackageUpdate>& updates,
                                    const std::vector<wsus::PackageFile>& files, const std::string& source) {
  ReferencedFiles referenced;
  referenced.content_->source = source;
  for (const auto& file : files) referenced.content_->referenced.add_file(file);
  for (const auto& update : updates) referenced.content_->referenced.add_update(update);
  return referenced;
}

Result<GapReport> ReferencedFiles::check_on_disk(const fs::path& content, const GapOptions& options) && {
  boost::system::error_code ec;
  if (!fs::is_directory(content, ec)) {
    return make_error(ExitCode::kOperational, content.string(), "is not a folder (or cannot be read)",
                      "give the WsusContent folder with --content");
  }
  GapReport report;
  report.metadata_package = content_->source;
  DiskLookup lookup(content, options.listing);
  return check_referenced(lookup, content_->referenced, std::move(report), options);
}

Result<GapReport> ReferencedFiles::check_against(const ContentListing& scanned,
                                                 const GapOptions& options) && {
  GapReport report;
  report.metadata_package = content_->source;
  ScanLookup lookup(scanned);
  return check_referenced(lookup, content_->referenced, std::move(report), options);
}

Result<GapReport> find_gaps(const fs::path& content, const fs::path& metadata_package,
                            const GapOptions& options) {
  auto referenced = ReferencedFiles::read(metadata_package);
  if (!referenced) return std::unexpected(referenced.error());
  return std::move(*referenced).check_on_disk(content, options);
}

Result<GapReport> check_updates(const fs::path& content, const std::vector<wsus::PackageUpdate>& updates,
                                const std::vector<wsus::PackageFile>& files, const std::string& source,
                                const GapOptions& options) {
  return ReferencedFiles::of(updates, files, source).check_on_disk(content, options);
}

}  // namespace wsa::verify
