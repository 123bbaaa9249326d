#include "manifest/transfer_manifest.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>

#include "common/strict_json.h"
#include "common/text.h"

namespace wsa::manifest {

using nlohmann::json;

namespace {

constexpr std::string_view kFolderPrefix = "wsus-airgap-";
constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxSourceIdLength = 64;
constexpr std::size_t kMaxHostLength = 255;
constexpr std::size_t kMaxToolVersionLength = 64;
constexpr const char* kRefusalHint =
    "the manifest is damaged or was altered; do not import this package: export it again on the connected "
    "server";

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): portable where
// timegm is not, and exact for every year this tool meets.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of days_from_civil.
CivilDate civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool is_leap_year(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// Reads exactly `text.size()` decimal digits; nullopt on anything else.
std::optional<unsigned> digits(std::string_view text) {
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

json pinned_to_json(const PinnedFile& file) {
  return json{{"name", file.name}, {"size", file.size}, {"sha256", file.sha256_hex}};
}

// Reads the name, size and sha256 fields every pinned file has.
PinnedFile read_pinned(const JsonObjectReader& reader) {
  PinnedFile file;
  file.name = reader.string("name");
  if (!is_package_file_name(file.name)) {
    throw JsonRefusal{
        "field " + reader.label("name") + " \"" + printable(file.name) +
        "\" is not a plain file name ([A-Za-z0-9._-], 1-128 characters, not starting with '.')"};
  }
  file.size = reader.unsigned_integer("size");
  if (file.size > kMaxFileBytes) {
    throw JsonRefusal{"field " + reader.label("size") + " exceeds the 2^50-byte limit"};
  }
  file.sha256_hex = reader.string("sha256");
  if (!is_lower_hex(file.sha256_hex, 64)) {
    throw JsonRefusal{"field " + reader.label("sha256") + " is not 64 lower-case hex characters"};
  }
  return file;
}

std::string read_printable(const JsonObjectReader& reader, std::string_view name, std::size_t max_length,
                           bool allow_empty) {
  std::string text = reader.string(name);
  // These values reach terminals and logs: control characters could rewrite what an operator sees.
  if ((!allow_empty && text.empty()) || text.size() > max_length || !is_printable_ascii(text)) {
    throw JsonRefusal{"field " + reader.label(name) + " must be " + (allow_empty ? "0" : "1") + "-" +
                      std::to_string(max_length) + " printable ASCII characters"};
  }
  return text;
}

// Each pinned file must be a different file, and none may be the manifest or its signatures.
void refuse_repeated_names(const TransferManifest& manifest) {
  std::set<std::string> names;
  auto claim = [&](const PinnedFile& file) {
    if (file.name == kManifestFileName || file.name == kSignaturesFileName) {
      throw JsonRefusal{"pins \"" + file.name +
                        "\", a name reserved for the package's manifest and signatures"};
    }
    if (!names.insert(file.name).second) throw JsonRefusal{"pins the file name \"" + file.name + "\" twice"};
  };
  if (manifest.metadata) claim(*manifest.metadata);
  if (manifest.approvals) claim(*manifest.approvals);
  for (const auto& volume : manifest.volumes) claim(volume);
  claim(manifest.inventory.file);
}

TransferManifest read_manifest(const json& document) {
  JsonObjectReader top(document, "");
  TransferManifest manifest;
  manifest.source_id = top.string("source_id");
  if (!is_identifier(manifest.source_id, kMaxSourceIdLength)) {
    throw JsonRefusal{"field source_id \"" + printable(manifest.source_id) +
                      "\" is not 1-64 characters from A-Z a-z 0-9 . _ -"};
  }
  manifest.source_host = read_printable(top, "source_host", kMaxHostLength, /*allow_empty=*/true);
  manifest.sequence = top.unsigned_integer("sequence");
  if (manifest.sequence == 0) throw JsonRefusal{"field sequence is 0; sequences start at 1"};
  manifest.previous_manifest_sha256 = top.string("previous_manifest_sha256");
  if (!manifest.previous_manifest_sha256.empty() && !is_lower_hex(manifest.previous_manifest_sha256, 64)) {
    throw JsonRefusal{"field previous_manifest_sha256 is neither empty nor 64 lower-case hex characters"};
  }
  manifest.created_utc = read_utc_field(top, "created_utc");
  if (!top.is_null("expires_utc")) {
    // Any time, even one before created_utc: a package that has expired is refused as expired by the
    // order rules (exit 4), never as a damaged manifest that would stop the other packages too.
    manifest.expires_utc = read_utc_field(top, "expires_utc");
  }
  auto mode = top.string("mode");
  if (mode == to_string(PackageMode::kFull)) {
    manifest.mode = PackageMode::kFull;
  } else if (mode == to_string(PackageMode::kIncremental)) {
    manifest.mode = PackageMode::kIncremental;
  } else {
    throw JsonRefusal{"field mode \"" + printable(mode) + "\" is neither \"full\" nor \"incremental\""};
  }
  if (!top.is_null("metadata")) {
    JsonObjectReader metadata(top.field("metadata"), "metadata.");
    metadata.refuse_unknown({"name", "size", "sha256"});
    manifest.metadata = read_pinned(metadata);
  }
  if (!top.is_null("approvals")) {
    JsonObjectReader approvals(top.field("approvals"), "approvals.");
    approvals.refuse_unknown({"name", "size", "sha256"});
    manifest.approvals = read_pinned(approvals);
    if (manifest.approvals->name != kApprovalsFileName) {
      throw JsonRefusal{"field approvals.name is \"" + printable(manifest.approvals->name) +
                        "\"; expected \"" + kApprovalsFileName + "\""};
    }
  }

  const json& volumes = top.array("volumes");
  if (volumes.size() > kMaxVolumes) {
    throw JsonRefusal{"lists " + std::to_string(volumes.size()) + " volumes; the limit is " +
                      std::to_string(kMaxVolumes)};
  }
  std::uint64_t volume_bytes = 0;
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    JsonObjectReader volume(volumes[i], "volumes[" + std::to_string(i) + "].");
    volume.refuse_unknown({"name", "size", "sha256"});
    PinnedFile file = read_pinned(volume);
    // Names fixed by position mean a reader never has to sort or guess which volume comes next.
    if (file.name != volume_file_name(i)) {
      throw JsonRefusal{"field " + volume.label("name") + " is \"" + printable(file.name) +
                        "\"; expected \"" + volume_file_name(i) + "\" (volumes are listed in order)"};
    }
    // Saturating: 100000 volumes of 2^50 bytes would overflow, and only "at least" matters below.
    volume_bytes = file.size > UINT64_MAX - volume_bytes ? UINT64_MAX : volume_bytes + file.size;
    manifest.volumes.push_back(std::move(file));
  }

  JsonObjectReader inventory(top.field("inventory"), "inventory.");
  inventory.refuse_unknown(
      {"name", "size", "sha256", "file_count", "total_bytes", "carried_count", "carried_bytes"});
  manifest.inventory.file = read_pinned(inventory);
  manifest.inventory.file_count = inventory.unsigned_integer("file_count");
  manifest.inventory.total_bytes = inventory.unsigned_integer("total_bytes");
  manifest.inventory.carried_count = inventory.unsigned_integer("carried_count");
  manifest.inventory.carried_bytes = inventory.unsigned_integer("carried_bytes");
  if (manifest.inventory.carried_count > manifest.inventory.file_count) {
    throw JsonRefusal{"field inventory.carried_count is larger than inventory.file_count"};
  }
  if (manifest.inventory.carried_bytes > manifest.inventory.total_bytes) {
    throw JsonRefusal{"field inventory.carried_bytes is larger than inventory.total_bytes"};
  }
  // A tar stream is never smaller than the file bytes it holds.
  if (manifest.inventory.carried_bytes > volume_bytes) {
    throw JsonRefusal{"field inventory.carried_bytes (" + std::to_string(manifest.inventory.carried_bytes) +
                      ") is more than the volumes hold (" + std::to_string(volume_bytes) + " bytes)"};
  }
  refuse_repeated_names(manifest);

  manifest.tool_version = read_printable(top, "tool_version", kMaxToolVersionLength, /*allow_empty=*/false);
  return manifest;
}

}  // namespace

Result<void> check_format_version(const JsonObjectReader& top, int supported, std::string_view what,
                                  std::string_view what_in_newer, const std::string& where,
                                  const char* older_hint) {
  auto version = top.integer("format_version");
  if (version < supported) {
    return make_error(ExitCode::kIntegrity, where,
                      std::string(what) + " format version " + std::to_string(version) +
                          " is older than this wsus-airgap reads (" + std::to_string(supported) + ")",
                      older_hint);
  }
  if (version > supported) {
    std::string named = what_in_newer.empty() ? std::string() : std::string(what_in_newer) + " ";
    return make_error(ExitCode::kIntegrity, where,
                      "was written by a newer wsus-airgap (" + named + "format " + std::to_string(version) +
                          "); this one reads format " + std::to_string(supported) +
                          ": upgrade wsus-airgap on this server");
  }
  return {};
}

std::string read_utc_field(const JsonObjectReader& reader, std::string_view name) {
  std::string text = reader.string(name);
  if (!parse_utc(text)) {
    throw JsonRefusal{"field " + reader.label(name) + " \"" + printable(text) +
                      "\" is not a UTC time like 2026-11-25T08:00:00Z"};
  }
  return text;
}

const char* to_string(PackageMode mode) {
  return mode == PackageMode::kFull ? "full" : "incremental";
}

bool is_package_file_name(std::string_view name) {
  // No leading '.', so also neither "." nor "..": nothing hidden and nothing that walks out of the folder.
  return is_identifier(name, kMaxNameLength) && name.front() != '.';
}

std::string volume_file_name(std::size_t index) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "content.tar.%03zu", index);
  return buffer;
}

std::string serialize_manifest(const TransferManifest& manifest) {
  // The default nlohmann object is a std::map: keys come out sorted, so equal manifests give equal bytes.
  json document{
      {"format_version", manifest.format_version},
      {"source_id", manifest.source_id},
      // The reader wants printable ASCII here; a host name in another code page must not make the
      // exporter write a manifest its own importer refuses.
      {"source_host", to_printable_ascii(manifest.source_host, kMaxHostLength)},
      {"sequence", manifest.sequence},
      {"previous_manifest_sha256", manifest.previous_manifest_sha256},
      {"created_utc", manifest.created_utc},
      {"expires_utc", manifest.expires_utc ? json(*manifest.expires_utc) : json(nullptr)},
      {"mode", to_string(manifest.mode)},
      {"metadata", manifest.metadata ? pinned_to_json(*manifest.metadata) : json(nullptr)},
      {"approvals", manifest.approvals ? pinned_to_json(*manifest.approvals) : json(nullptr)},
      {"volumes", json::array()},
      {"tool_version", to_printable_ascii(manifest.tool_version, kMaxToolVersionLength)},
  };
  for (const auto& volume : manifest.volumes) document["volumes"].push_back(pinned_to_json(volume));
  json inventory = pinned_to_json(manifest.inventory.file);
  inventory["file_count"] = manifest.inventory.file_count;
  inventory["total_bytes"] = manifest.inventory.total_bytes;
  inventory["carried_count"] = manifest.inventory.carried_count;
  inventory["carried_bytes"] = manifest.inventory.carried_bytes;
  document["inventory"] = std::move(inventory);
  // Format 1 came before approvals and has no such field: a format 1 manifest read back in is written as
  // format 1 has it, so it reads back the same (a format 1 manifest never carries approvals).
  if (manifest.format_version == 1) document.erase("approvals");
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<TransferManifest> parse_manifest(std::string_view text, const std::string& where) {
  try {
    json document = parse_strict_json(text, kMaxManifestBytes);
    JsonObjectReader top(document, "");
    // The version is read first: a newer manifest may have fields this reader does not know, and the
    // useful message then is "upgrade", not "unknown field".
    // Format 1 is format 2 without approvals: a package from a connected server not yet upgraded is
    // still read (the offline side is often upgraded first), and carries no approvals.
    bool format_1 = document.is_object() && document.contains("format_version") &&
                    document["format_version"].is_number_integer() && document["format_version"] == 1;
    if (auto version = check_format_version(top, format_1 ? 1 : kManifestFormatVersion, "manifest", "", where,
                                            "export the package again with a current wsus-airgap on the "
                                            "connected server");
        !version) {
      return std::unexpected(version.error());
    }
    if (format_1) {
      top.refuse_unknown({"format_version", "source_id", "source_host", "sequence",
                          "previous_manifest_sha256", "created_utc", "expires_utc", "mode", "metadata",
                          "volumes", "inventory", "tool_version"});
      document["approvals"] = nullptr;
      auto manifest = read_manifest(document);
      manifest.format_version = 1;
      return manifest;
    }
    top.refuse_unknown({"format_version", "source_id", "source_host", "sequence", "previous_manifest_sha256",
                        "created_utc", "expires_utc", "mode", "metadata", "approvals", "volumes", "inventory",
                        "tool_version"});
    return read_manifest(document);
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, where, refusal.why, kRefusalHint);
  }
}

std::string package_folder_name(std::uint64_t sequence) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "wsus-airgap-%06llu", static_cast<unsigned long long>(sequence));
  return buffer;
}

std::optional<std::uint64_t> parse_package_folder_name(std::string_view name) {
  if (!name.starts_with(kFolderPrefix)) return std::nullopt;
  std::string_view number = name.substr(kFolderPrefix.size());
  if (number.size() < 6 ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t sequence = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), sequence);
  if (ec != std::errc() || end != number.data() + number.size() || sequence == 0) return std::nullopt;
  // Only the one spelling package_folder_name() makes: "wsus-airgap-0000042" is not sequence 42.
  if (package_folder_name(sequence) != name) return std::nullopt;
  return sequence;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return format_utc(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

std::string format_utc(std::int64_t seconds) {
  constexpr std::int64_t kSecondsPerDay = 86400;
  const std::int64_t lowest = days_from_civil(0, 1, 1) * kSecondsPerDay;
  const std::int64_t highest = days_from_civil(9999, 12, 31) * kSecondsPerDay + kSecondsPerDay - 1;
  seconds = std::clamp(seconds, lowest, highest);
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t rest = seconds % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  CivilDate date = civil_from_days(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(date.year), date.month, date.day, static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  return buffer;
}

std::optional<std::int64_t> parse_utc(std::string_view text) {
  // Exactly "YYYY-MM-DDTHH:MM:SSZ": one spelling per instant, so equal times compare equal as text too.
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return std::nullopt;
  }
  auto year = digits(text.substr(0, 4));
  auto month = digits(text.substr(5, 2));
  auto day = digits(text.substr(8, 2));
  auto hour = digits(text.substr(11, 2));
  auto minute = digits(text.substr(14, 2));
  auto second = digits(text.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  return days_from_civil(*year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
}

}  // namespace wsa::manifest
