#include "tests/sim/content_generator.h"

#include <fmt/format.h>
#include <boost/filesystem/operations.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "tests/sim/catalog.h"
#include "tests/sim/random.h"

namespace wsa::sim {

namespace {

// Independent random streams per purpose, so adding a fault never changes the healthy tree.
constexpr std::uint64_t kPlanStream = 0x706C616E;     // "plan"
constexpr std::uint64_t kContentStream = 0x636F6E74;  // "cont"
constexpr std::uint64_t kFaultStream = 0x6661756C;    // "faul"
constexpr std::uint64_t kExtraStream = 0x65787472;    // "extr"

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;

// The month the simulated server exports in; titles go back up to two years from it.
constexpr int kExportYear = 2026;
constexpr int kExportMonth = 11;
constexpr const char* kCreationTime = "2026-11-20T08:00:00Z";

// One family of real-world updates: how it is titled, named, classified, and how common it is.
struct UpdateKind {
  unsigned weight;
  const char* classification;
  const char* product;
  const char* extension;            // of the update's main file
  const char* companion_extension;  // of any further file it owns
};

enum KindIndex : std::size_t {
  kWindows11Cumulative,
  kWindows10Cumulative,
  kServerCumulative,
  kDotNetCumulative,
  kServicingStack,
  kDynamicUpdate,
  kDefenderIntelligence,
  kMalwareRemovalTool,
  kOfficeSecurity,
  kFeatureUpgrade,
  kWindows11Update,
};

constexpr UpdateKind kKinds[] = {
    {18, "Security Updates", "Windows 11", "msu", "cab"},
    {12, "Security Updates", "Windows 10, version 1903 and later", "msu", "cab"},
    {10, "Security Updates", "Microsoft Server operating system-21H2", "msu", "cab"},
    {10, "Security Updates", "Windows 11", "cab", "cab"},
    {6, "Security Updates", "Windows Server 2019", "cab", "cab"},
    {6, "Critical Updates", "Windows 11 Dynamic Update", "cab", "cab"},
    {14, "Definition Updates", "Microsoft Defender Antivirus", "exe", "exe"},
    {4, "Update Rollups", "Windows 11", "exe", "txt"},
    {12, "Security Updates", "Office 2016", "cab", "cab"},
    {2, "Upgrades", "Windows 11", "esd", "txt"},
    {6, "Updates", "Windows 11", "msu", "cab"},
};

struct FilePlan {
  std::string name;
  std::uint64_t size = 0;
  std::uint64_t content_seed = 0;
};

struct UpdatePlan {
  CatalogUpdate update;  // everything but files
  std::size_t kind = 0;
  std::string file_stem;           // the main file's name without extension
  std::vector<std::size_t> files;  // indexes into the file plan
};

struct Plan {
  std::string server_id;
  std::vector<UpdatePlan> updates;
  std::vector<FilePlan> files;
};

std::string random_guid(Random& random) {
  std::array<unsigned char, 16> bytes{};
  random.fill(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text += fmt::format("{:02x}", bytes[i]);
  }
  return text;
}

// Product ids are made-up but stable: the same product name always gets the same GUID.
std::string product_guid(std::string_view product) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (char c : product) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  Random random(hash);
  return random_guid(random);
}

unsigned floor_log2(std::uint64_t value) {
  unsigned bits = 0;
  while (value >>= 1) ++bits;
  return bits;
}

// Log-uniform in [low, high] using integers only (an octave, then a point in it): floating-point
// libraries may differ in the last bit, and the tree must be identical everywhere for a seed.
std::uint64_t log_uniform(Random& random, std::uint64_t low, std::uint64_t high) {
  if (low >= high) return high;
  const unsigned octave = static_cast<unsigned>(random.between(floor_log2(low), floor_log2(high)));
  const std::uint64_t from = std::max(low, std::uint64_t{1} << octave);
  const std::uint64_t to = octave >= 63 ? high : std::min(high, (std::uint64_t{2} << octave) - 1);
  return random.between(from, to);
}

// Heavy-tailed like real WSUS content: mostly KB-sized, some MB, rare large ones up to `max_size`.
std::uint64_t draw_size(Random& random, std::string_view extension, std::uint64_t max_size) {
  auto range = [&](std::uint64_t low, std::uint64_t high) {
    return log_uniform(random, std::min(low, max_size), std::min(high, max_size));
  };
  if (extension == "txt") return range(1 * KiB, 32 * KiB);
  if (extension == "esd") return range(std::max<std::uint64_t>(max_size / 4, 1), max_size);
  const std::uint64_t tier = random.below(100);
  if (tier < 90) return range(1 * KiB, 128 * KiB);
  if (tier < 99) return range(128 * KiB, 2 * MiB);
  return range(2 * MiB, max_size);
}

std::size_t pick_kind(Random& random) {
  unsigned total = 0;
  for (const auto& kind : kKinds) total += kind.weight;
  auto roll = static_cast<unsigned>(random.below(total));
  for (std::size_t i = 0; i < std::size(kKinds); ++i) {
    if (roll < kKinds[i].weight) return i;
    roll -= kKinds[i].weight;
  }
  return 0;
}

// Gives the update its title, KB, identity and the stem of its main file's name.
void describe_update(UpdatePlan& plan, Random& random, std::uint64_t& next_kb) {
  auto& update = plan.update;
  const auto& kind = kKinds[plan.kind];
  const int months_back = static_cast<int>(random.below(24));
  const int month_index = kExportYear * 12 + (kExportMonth - 1) - months_back;
  const std::string year_month = fmt::format("{:04}-{:02}", month_index / 12, month_index % 12 + 1);
  const std::string kb = std::to_string(next_kb);
  next_kb += 1 + random.below(40);
  update.update_id = random_guid(random);
  constexpr std::uint32_t kRevisions[] = {1, 100, 101, 102, 103, 200, 201, 202, 300};
  update.revision = kRevisions[random.below(std::size(kRevisions))];
  update.kb = kb;
  update.classification = kind.classification;
  update.classification_id = classification_id_for(kind.classification);
  update.product = kind.product;
  update.product_id = product_guid(kind.product);
  switch (plan.kind) {
    case kWindows11Cumulative:
      update.title = fmt::format(
          "{} Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB{})", year_month, kb);
      plan.file_stem = fmt::format("windows11.0-kb{}-x64", kb);
      break;
    case kWindows10Cumulative:
      update.title = fmt::format(
          "{} Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB{})", year_month, kb);
      plan.file_stem = fmt::format("windows10.0-kb{}-x64", kb);
      break;
    case kServerCumulative:
      update.title = fmt::format(
          "{} Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems "
          "(KB{})",
          year_month, kb);
      plan.file_stem = fmt::format("windows10.0-kb{}-x64", kb);
      break;
    case kDotNetCumulative:
      update.title = fmt::format(
          "{} Cumulative Update for .NET Framework 3.5 and 4.8.1 for Windows 11, version 24H2 for x64 (KB{})",
          year_month, kb);
      plan.file_stem = fmt::format("windows11.0-kb{}-x64-ndp481", kb);
      break;
    case kServicingStack: {
      const auto build = random.between(5000, 7999);
      update.title = fmt::format(
          "{} Servicing Stack Update for Windows Server 2019 for x64-based Systems (KB{})", year_month, kb);
      plan.file_stem = fmt::format("ssu-17763.{}-x64", build);
      break;
    }
    case kDynamicUpdate:
      update.title = fmt::format("{} Dynamic Update for Windows 11 Version 24H2 for x64-based Systems (KB{})",
                                 year_month, kb);
      plan.file_stem = fmt::format("windows11.0-kb{}-x64", kb);
      break;
    case kDefenderIntelligence: {
      const auto major = random.between(400, 449);
      const auto minor = random.between(0, 2999);
      update.kb = "2267602";
      update.title = fmt::format(
          "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.{}.{}.0) - "
          "Current "
          "Channel (Broad)",
          major, minor);
      plan.file_stem = fmt::format("am_delta_patch_1.{}.{}.0", major, minor);
      break;
    }
    case kMalwareRemovalTool: {
      const auto version = random.between(120, 140);
      update.kb = "890830";
      update.title = fmt::format("Windows Malicious Software Removal Tool x64 - v5.{} (KB890830)", version);
      plan.file_stem = fmt::format("windows-kb890830-x64-v5.{}", version);
      break;
    }
    case kOfficeSecurity:
      update.title = fmt::format("Security Update for Microsoft Office 2016 (KB{}) 64-Bit Edition", kb);
      plan.file_stem = fmt::format("mso2016-kb{}-fullfile-x64-glb", kb);
      break;
    case kFeatureUpgrade: {
      const auto build = random.between(1000, 4999);
      update.kb = "";
      update.title = fmt::format("Windows 11 (business editions), version 24H2 en-us x64 {}", year_month);
      plan.file_stem = fmt::format("26100.{}.ge_release_svc_refresh_CLIENTBUSINESS_VOL_x64FRE_en-us", build);
      break;
    }
    default:
      update.title =
          fmt::format("{} Update for Windows 11 Version 24H2 for x64-based Systems (KB{})", year_month, kb);
      plan.file_stem = fmt::format("windows11.0-kb{}-x64", kb);
      break;
  }
}

// The whole tree and catalog, decided before a byte is written: depends on the seed and counts only.
Plan make_plan(const GenerateOptions& options, std::size_t file_count) {
  Random random(derive_seed(options.seed, kPlanStream));
  Plan plan;
  plan.server_id = random_guid(random);
  std::uint64_t next_kb = 5030000 + random.below(20000);
  plan.updates.resize(options.updates);
  for (auto& update : plan.updates) {
    update.kind = pick_kind(random);
    describe_update(update, random, next_kb);
  }

  // Every update owns at least one file while files last; the rest go to random owners.
  std::vector<std::size_t> owner(file_count);
  for (std::size_t i = 0; i < file_count; ++i) {
    owner[i] = i < options.updates ? i : static_cast<std::size_t>(random.below(options.updates));
    plan.updates[owner[i]].files.push_back(i);
  }
  plan.files.resize(file_count);
  for (auto& update : plan.updates) {
    const auto& kind = kKinds[update.kind];
    for (std::size_t n = 0; n < update.files.size(); ++n) {
      FilePlan& file = plan.files[update.files[n]];
      if (n == 0) {
        file.name = update.file_stem + "." + kind.extension;
      } else if (std::string_view(kind.companion_extension) == "txt") {
        file.name = fmt::format("eula-{}-en-us.txt", n);
      } else {
        file.name = fmt::format("{}-express-{}.{}", update.file_stem, n, kind.companion_extension);
      }
      const std::string_view extension = n == 0 ? kind.extension : kind.companion_extension;
      file.size = draw_size(random, extension, options.max_size);
    }
  }
  for (std::size_t i = 0; i < file_count; ++i)
    plan.files[i].content_seed = derive_seed(options.seed ^ kContentStream, i);

  // Shared files: an update without its own file borrows one, and about one in eight references a
  // file another update owns (servicing stacks, EULAs and express files are shared in real WSUS).
  if (file_count > 0) {
    for (std::size_t u = 0; u < plan.updates.size(); ++u) {
      auto& files = plan.updates[u].files;
      const bool borrow = files.empty() || (file_count > files.size() && random.chance(1, 8));
      if (!borrow) continue;
      for (int attempt = 0; attempt < 8; ++attempt) {
        const auto candidate = static_cast<std::size_t>(random.below(file_count));
        if (std::find(files.begin(), files.end(), candidate) == files.end()) {
          files.push_back(candidate);
          break;
        }
      }
    }
  }
  return plan;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

struct TempRemover {
  fs::path path;  // cleared once the file has been moved into place
  ~TempRemover() {
    if (path.empty()) return;
    boost::system::error_code ignored;
    fs::remove(path, ignored);
  }
};

// Writes one file of PRNG bytes in 1 MiB blocks, hashing as it goes (bounded memory whatever the size),
// then moves it to its content name. With `write` false it only hashes (a planted missing file).
class ContentWriter {
 public:
  explicit ContentWriter(fs::path content) : content_(std::move(content)), block_(kIoBlockSize) {}

  Result<Digests> write_file(std::uint64_t content_seed, std::uint64_t size, std::string_view extension,
                             const std::string& temp_name, bool write, std::string* content_path) {
    Random random(content_seed);
    const fs::path temp = content_ / temp_name;
    std::unique_ptr<std::FILE, FileCloser> out;
    if (write) {
      out.reset(std::fopen(temp.string().c_str(), "wb"));
      if (!out) return make_error(ExitCode::kOperational, temp.string(), "cannot create");
    }
    // A failed write must not leave a half-written temp file in the content tree.
    TempRemover remover{write ? temp : fs::path()};
    std::uint64_t left = size;
    while (left > 0) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, block_.size()));
      random.fill(block_.data(), take);
      hasher_.update(block_.data(), take);
      if (out && std::fwrite(block_.data(), 1, take, out.get()) != take) {
        hasher_.finish();
        return make_error(ExitCode::kOperational, temp.string(), "write failed", "check free space");
      }
      left -= take;
    }
    Digests digests = hasher_.finish();
    const std::string relative =
        digests.sha1_hex.substr(38, 2) + "/" + digests.sha1_hex + "." + std::string(extension);
    if (content_path != nullptr) *content_path = relative;
    if (!out) return digests;
    if (std::fclose(out.release()) != 0)
      return make_error(ExitCode::kOperational, temp.string(), "close failed");
    const fs::path target = content_ / relative;
    boost::system::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    fs::rename(temp, target, ec);
    if (ec)
      return make_error(ExitCode::kOperational, target.string(), "cannot move into place: " + ec.message());
    remover.path.clear();
    return digests;
  }

 private:
  fs::path content_;
  std::vector<unsigned char> block_;
  DualHasher hasher_;
};

std::string extension_of(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(dot + 1);
}

// Flips one byte in the middle: the file keeps its name and size but no longer matches its SHA-1.
Result<void> corrupt_file(const fs::path& path, std::uint64_t size) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.string().c_str(), "r+b"));
  if (!file) return make_error(ExitCode::kOperational, path.string(), "cannot open to corrupt");
  const auto offset = static_cast<long>(size / 2);
  int byte = 0;
  if (std::fseek(file.get(), offset, SEEK_SET) != 0 || (byte = std::fgetc(file.get())) == EOF ||
      std::fseek(file.get(), offset, SEEK_SET) != 0 || std::fputc(byte ^ 0xFF, file.get()) == EOF) {
    return make_error(ExitCode::kOperational, path.string(), "cannot flip a byte");
  }
  return {};
}

}  // namespace

Result<GenerateSummary> generate_content(const GenerateOptions& options) {
  const std::size_t file_count = options.files.value_or(options.updates + options.updates / 2);
  if (options.updates == 0 && file_count > 0) {
    return make_error(ExitCode::kUsage, "--files", "files need at least one update to belong to");
  }
  if (options.max_size == 0) return make_error(ExitCode::kUsage, "--max-size", "must be at least 1 byte");
  if (options.corrupt + options.missing > file_count) {
    return make_error(ExitCode::kUsage, "--corrupt/--missing",
                      fmt::format("{} corrupt + {} missing files exceed the {} catalog files",
                                  options.corrupt, options.missing, file_count));
  }
  const Plan plan = make_plan(options, file_count);

  // Which files carry faults: a shuffle from its own stream, corrupt first, then missing (disjoint).
  std::vector<std::size_t> order(file_count);
  for (std::size_t i = 0; i < file_count; ++i) order[i] = i;
  Random fault_random(derive_seed(options.seed, kFaultStream));
  fault_random.shuffle(order.begin(), order.end());
  std::vector<char> is_missing(file_count, 0);
  for (std::size_t i = options.corrupt; i < options.corrupt + options.missing; ++i) is_missing[order[i]] = 1;

  boost::system::error_code ec;
  fs::create_directories(options.content, ec);
  if (ec)
    return make_error(ExitCode::kOperational, options.content.string(), "cannot create: " + ec.message());

  // Each file has its own random stream, so workers may take files in any order and the bytes stay
  // the same; only the first error is kept.
  std::vector<Digests> digests(file_count);
  std::vector<std::string> paths(file_count);
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::optional<Error> first_error;
  auto worker = [&] {
    ContentWriter writer(options.content);
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= file_count) return;
      {
        std::lock_guard lock(error_mutex);
        if (first_error) return;
      }
      const FilePlan& file = plan.files[i];
      auto result = writer.write_file(file.content_seed, file.size, extension_of(file.name),
                                      fmt::format(".wsusutil-sim-{}.tmp", i), is_missing[i] == 0, &paths[i]);
      if (!result) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = result.error();
        return;
      }
      digests[i] = std::move(*result);
    }
  };
  // No more writers than files; always at least this thread.
  const std::size_t jobs = std::clamp<std::size_t>(options.jobs, 1, std::max<std::size_t>(file_count, 1));
  std::vector<std::thread> threads;
  for (std::size_t j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  if (first_error) return std::unexpected(*first_error);

  GenerateSummary summary;
  summary.updates = plan.updates.size();
  summary.files = file_count;
  for (const auto& digest : digests) summary.bytes += digest.size;
  for (std::size_t i = 0; i < options.corrupt; ++i) {
    const std::size_t index = order[i];
    if (auto flipped = corrupt_file(options.content / paths[index], plan.files[index].size); !flipped) {
      return std::unexpected(flipped.error());
    }
    summary.corrupted.push_back(paths[index]);
  }
  for (std::size_t i = options.corrupt; i < options.corrupt + options.missing; ++i) {
    summary.missing.push_back(paths[order[i]]);
  }

  // Extra files: valid names for their own random bytes, named by no catalog entry.
  ContentWriter extra_writer(options.content);
  Random extra_random(derive_seed(options.seed, kExtraStream));
  constexpr const char* kExtraExtensions[] = {"cab", "exe", "msu", "esd", "txt"};
  for (std::size_t j = 0; j < options.extra; ++j) {
    const std::uint64_t size = extra_random.between(1 * KiB, 64 * KiB);
    const std::string extension = kExtraExtensions[extra_random.below(std::size(kExtraExtensions))];
    std::string path;
    auto written =
        extra_writer.write_file(derive_seed(options.seed ^ kExtraStream, j), std::min(size, options.max_size),
                                extension, fmt::format(".wsusutil-sim-extra-{}.tmp", j), true, &path);
    if (!written) return std::unexpected(written.error());
    summary.extra.push_back(path);
  }
  std::sort(summary.corrupted.begin(), summary.corrupted.end());
  std::sort(summary.missing.begin(), summary.missing.end());
  std::sort(summary.extra.begin(), summary.extra.end());

  Catalog catalog;
  catalog.server_id = plan.server_id;
  catalog.creation_time = kCreationTime;
  catalog.updates.reserve(plan.updates.size());
  for (const auto& planned : plan.updates) {
    CatalogUpdate update = planned.update;
    for (std::size_t index : planned.files) {
      update.files.push_back(CatalogFile{plan.files[index].name, digests[index].size, digests[index].sha1_hex,
                                         digests[index].sha256_hex});
    }
    catalog.updates.push_back(std::move(update));
  }
  if (options.catalog.has_parent_path()) fs::create_directories(options.catalog.parent_path(), ec);
  if (auto written = write_file_atomically(options.catalog, catalog_to_json(catalog)); !written) {
    return std::unexpected(written.error());
  }
  return summary;
}

std::string summary_to_json(const GenerateSummary& summary, const GenerateOptions& options) {
  nlohmann::ordered_json json;
  json["catalog"] = options.catalog.string();
  json["content"] = options.content.string();
  json["seed"] = options.seed;
  json["updates"] = summary.updates;
  json["files"] = summary.files;
  json["bytes"] = summary.bytes;
  json["corrupted"] = summary.corrupted;
  json["missing"] = summary.missing;
  json["extra"] = summary.extra;
  return json.dump(2) + "\n";
}

}  // namespace wsa::sim
