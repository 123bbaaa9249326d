#include "state/ledger.h"

#include <sqlite3.h>

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <regex>

#include "tests/support/catch.h"
#include "tests/support/ledger_helpers.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::state;
using test::open_ledger;
using test::raw_sql;

namespace {

RunRecord run_of(RunKind kind, const std::string& source, std::uint64_t sequence) {
  RunRecord record;
  record.kind = kind;
  record.source_id = source;
  record.sequence = sequence;
  record.mode = "incremental";
  record.package_dir = "/media/usb/wsus-airgap-" + std::to_string(sequence);
  return record;
}

std::int64_t begin(Ledger& ledger, RunKind kind, const std::string& source, std::uint64_t sequence) {
  auto id = ledger.begin_run(run_of(kind, source, sequence));
  REQUIRE(id.has_value());
  return *id;
}

void finish(Ledger& ledger, std::int64_t id, RunStatus status) {
  auto done = ledger.finish_run(id, status, "", "done", 0, 0);
  REQUIRE(done.has_value());
}

CachedHash hash_of(std::uint64_t n) {
  CachedHash hash;
  hash.size = n * 1000;
  hash.mtime_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(n);
  hash.file_id = n;
  hash.sha256_hex = std::string(63, 'a') + static_cast<char>('0' + n % 10);
  hash.sha1_hex = std::string(39, 'B') + static_cast<char>('0' + n % 10);
  return hash;
}

}  // namespace

TEST_CASE("a new ledger, in a folder made for it, gets a random id that survives reopening") {
  test::TestDir dir("ledger-id");
  fs::path file = dir / "state/deeper/ledger.db";
  std::string id;
  {
    Ledger ledger = open_ledger(file);
    id = ledger.ledger_id();
    CHECK(ledger.path() == file);
  }
  CHECK(fs::exists(file));
  CHECK(std::regex_match(id,
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(open_ledger(file).ledger_id() == id);
  CHECK(open_ledger(dir / "other.db").ledger_id() != id);
}

TEST_CASE("a run is journaled as running, finished once with its outcome, and not finished twice") {
  test::TestDir dir("ledger-journal");
  Ledger ledger = open_ledger(dir / "ledger.db");
  RunRecord record = run_of(RunKind::kExport, ledger.ledger_id(), 1);
  record.manifest_sha256 = "";
  record.mode = "full";
  auto id = ledger.begin_run(record);
  REQUIRE(id.has_value());

  auto running = ledger.history();
  REQUIRE(running.has_value());
  REQUIRE(running->size() == 1);
  CHECK(running->front().id == *id);
  CHECK(running->front().status == RunStatus::kRunning);
  CHECK(running->front().finished_utc.empty());
  CHECK(std::regex_match(running->front().started_utc, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));

  REQUIRE(ledger
              .finish_run(*id, RunStatus::kSucceeded, std::string(64, 'f'), "carried 2 files\nin 1 volume", 2,
                          4096)
              .has_value());
  auto finished = ledger.history();
  REQUIRE(finished.has_value());
  const RunRecord& run = finished->front();
  CHECK(run.kind == RunKind::kExport);
  CHECK(run.source_id == ledger.ledger_id());
  CHECK(run.sequence == 1);
  CHECK(run.mode == "full");
  CHECK(run.package_dir == "/media/usb/wsus-airgap-1");
  CHECK(run.status == RunStatus::kSucceeded);
  CHECK(run.manifest_sha256 == std::string(64, 'f'));
  CHECK(run.message == "carried 2 files in 1 volume");
  CHECK(run.files == 2);
  CHECK(run.bytes == 4096);
  CHECK_FALSE(run.finished_utc.empty());

  auto again = ledger.finish_run(*id, RunStatus::kFailed, "", "late", 0, 0);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().why ==
        "run " + std::to_string(*id) + " is not running in this ledger (unknown, or already finished)");
  CHECK(ledger.history()->front().status == RunStatus::kSucceeded);
}

TEST_CASE(
    "a run left running by an earlier process shows as interrupted, but not to the process running it") {
  test::TestDir dir("ledger-interrupted");
  std::int64_t crashed = 0;
  {
    Ledger ledger = open_ledger(dir / "ledger.db");
    finish(ledger, begin(ledger, RunKind::kImport, "source-a", 1), RunStatus::kSucceeded);
    crashed = begin(ledger, RunKind::kImport, "source-a", 2);
    auto own = ledger.interrupted_runs();
    REQUIRE(own.has_value());
    CHECK(own->empty());
  }
  Ledger reopened = open_ledger(dir / "ledger.db");
  auto interrupted = reopened.interrupted_runs();
  REQUIRE(interrupted.has_value());
  REQUIRE(interrupted->size() == 1);
  CHECK(interrupted->front().id == crashed);
  CHECK(interrupted->front().sequence == 2);
  CHECK(interrupted->front().status == RunStatus::kRunning);

  REQUIRE(reopened.finish_run(crashed, RunStatus::kFailed, "", "interrupted", 0, 0).has_value());
  CHECK(reopened.interrupted_runs()->empty());
}

TEST_CASE("the chain tip is the succeeded export with the highest sequence") {
  test::TestDir dir("ledger-tip");
  Ledger ledger = open_ledger(dir / "ledger.db");
  auto none = ledger.last_successful_export();
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());

  const std::string& source = ledger.ledger_id();
  finish(ledger, begin(ledger, RunKind::kExport, source, 2), RunStatus::kSucceeded);
  finish(ledger, begin(ledger, RunKind::kExport, source, 1), RunStatus::kSucceeded);
  finish(ledger, begin(ledger, RunKind::kExport, source, 3), RunStatus::kFailed);
  finish(ledger, begin(ledger, RunKind::kExport, source, 4), RunStatus::kWsusutilFailed);
  begin(ledger, RunKind::kExport, source, 5);
  finish(ledger, begin(ledger, RunKind::kImport, "elsewhere", 9), RunStatus::kSucceeded);

  auto tip = ledger.last_successful_export();
  REQUIRE(tip.has_value());
  REQUIRE(tip->has_value());
  CHECK((*tip)->sequence == 2);
  CHECK((*tip)->kind == RunKind::kExport);
  CHECK((*tip)->status == RunStatus::kSucceeded);
}

TEST_CASE("the last applied import of a source counts succeeded and gaps-remain runs, never failed ones") {
  test::TestDir dir("ledger-imports");
  Ledger ledger = open_ledger(dir / "ledger.db");
  finish(ledger, begin(ledger, RunKind::kImport, "source-a", 1), RunStatus::kSucceeded);
  finish(ledger, begin(ledger, RunKind::kImport, "source-a", 2), RunStatus::kGapsRemain);
  finish(ledger, begin(ledger, RunKind::kImport, "source-a", 3), RunStatus::kFailed);
  begin(ledger, RunKind::kImport, "source-a", 4);
  finish(ledger, begin(ledger, RunKind::kImport, "source-b", 7), RunStatus::kFailed);
  finish(ledger, begin(ledger, RunKind::kExport, "source-c", 5), RunStatus::kSucceeded);

  auto a = ledger.last_applied_import("source-a");
  REQUIRE(a.has_value());
  REQUIRE(a->has_value());
  CHECK((*a)->sequence == 2);
  CHECK((*a)->status == RunStatus::kGapsRemain);
  CHECK((*a)->source_id == "source-a");

  auto b = ledger.last_applied_import("source-b");
  REQUIRE(b.has_value());
  CHECK_FALSE(b->has_value());
  auto c = ledger.last_applied_import("source-c");  // an export of that source is not an import
  REQUIRE(c.has_value());
  CHECK_FALSE(c->has_value());
}

TEST_CASE("history lists runs oldest first and keeps the newest when limited") {
  test::TestDir dir("ledger-history");
  Ledger ledger = open_ledger(dir / "ledger.db");
  for (std::uint64_t sequence = 1; sequence <= 5; ++sequence) {
    finish(ledger, begin(ledger, RunKind::kImport, "source-a", sequence), RunStatus::kSucceeded);
  }
  auto all = ledger.history();
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 5);
  for (std::size_t i = 0; i < all->size(); ++i) CHECK((*all)[i].sequence == i + 1);

  auto newest = ledger.history(2);
  REQUIRE(newest.has_value());
  REQUIRE(newest->size() == 2);
  CHECK((*newest)[0].sequence == 4);
  CHECK((*newest)[1].sequence == 5);
}

TEST_CASE("the hash cache stores, finds, replaces and forgets entries, keeping 64-bit file ids exact") {
  test::TestDir dir("ledger-hashes");
  Ledger ledger = open_ledger(dir / "ledger.db");
  auto missing = ledger.cached_hash("02/ABC.exe");
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->has_value());

  CachedHash big = hash_of(1);
  big.file_id = 0xFFFF'FFFF'FFFF'FFF0ULL;  // Windows file indexes use all 64 bits
  CachedHash no_id = hash_of(2);
  no_id.file_id.reset();
  REQUIRE(ledger.store_hashes({{"01/ONE.cab", big}, {"02/TWO.exe", no_id}}).has_value());

  auto one = ledger.cached_hash("01/ONE.cab");
  REQUIRE(one.has_value());
  REQUIRE(one->has_value());
  CHECK((*one)->size == big.size);
  CHECK((*one)->mtime_ns == big.mtime_ns);
  CHECK((*one)->file_id == big.file_id);
  CHECK((*one)->sha256_hex == big.sha256_hex);
  CHECK((*one)->sha1_hex == big.sha1_hex);
  auto two = ledger.cached_hash("02/TWO.exe");
  REQUIRE(two.has_value());
  REQUIRE(two->has_value());
  CHECK_FALSE((*two)->file_id.has_value());

  CachedHash changed = hash_of(7);
  REQUIRE(ledger.store_hashes({{"01/ONE.cab", changed}}).has_value());
  CHECK(ledger.cached_hash("01/ONE.cab").value()->sha256_hex == changed.sha256_hex);
  CHECK(ledger.cached_hash("01/ONE.cab").value()->size == changed.size);

  REQUIRE(
      ledger.forget_hashes_except([](const std::string& path) { return path == "02/TWO.exe"; }).has_value());
  CHECK_FALSE(ledger.cached_hash("01/ONE.cab").value().has_value());
  CHECK(ledger.cached_hash("02/TWO.exe").value().has_value());
}

TEST_CASE("the hash cache takes 100000 entries in one call and finds each of them") {
  test::TestDir dir("ledger-hashes-bulk");
  std::vector<std::pair<std::string, CachedHash>> entries;
  entries.reserve(100000);
  for (std::uint64_t n = 0; n < 100000; ++n)
    entries.emplace_back("0" + std::to_string(n % 10) + "/F" + std::to_string(n) + ".cab", hash_of(n));
  {
    Ledger ledger = open_ledger(dir / "ledger.db");
    REQUIRE(ledger.store_hashes(entries).has_value());
  }
  Ledger ledger = open_ledger(dir / "ledger.db");
  std::size_t found = 0;
  for (const auto& [path, hash] : entries) {
    auto cached = ledger.cached_hash(path);
    if (cached && *cached && (*cached)->size == hash.size && (*cached)->sha256_hex == hash.sha256_hex)
      ++found;
  }
  CHECK(found == entries.size());
}

TEST_CASE(
    "the hash cache and the shipped set are read back in byte-wise path order, whatever the order stored") {
  test::TestDir dir("ledger-ordered");
  Ledger ledger = open_ledger(dir / "ledger.db");
  const std::vector<std::string> stored = {"FF/Z.cab", "0A/B.exe", "0A/A.cab", "A0/a.cab", "0a/x.cab"};
  std::vector<std::pair<std::string, CachedHash>> hashes;
  std::vector<std::pair<std::string, std::string>> shipped;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    hashes.emplace_back(stored[i], hash_of(i));
    shipped.emplace_back(stored[i], std::string(64, static_cast<char>('a' + i)));
  }
  shipped.emplace_back("0A/A.cab", std::string(64, '0'));  // a second digest under one path
  REQUIRE(ledger.store_hashes(hashes).has_value());
  REQUIRE(ledger.record_shipped(4, shipped.size(), [&](std::size_t i) { return shipped[i]; }).has_value());

  std::vector<std::string> sorted = stored;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> visited;
  REQUIRE(ledger.each_cached_hash([&](const std::string& path, const CachedHash& hash) {
    visited.push_back(path);
    CHECK(hash.sha256_hex ==
          hash_of(static_cast<std::uint64_t>(std::find(stored.begin(), stored.end(), path) - stored.begin()))
              .sha256_hex);
  }));
  CHECK(visited == sorted);

  // One folder's rows: exactly those under "0A/", in order (not "0a/", not "A0/").
  visited.clear();
  REQUIRE(ledger.each_cached_hash(
      [&](const std::string& path, const CachedHash&) { visited.push_back(path); }, "0A/"));
  CHECK(visited == std::vector<std::string>{"0A/A.cab", "0A/B.exe"});

  std::vector<std::pair<std::string, std::string>> pairs;
  REQUIRE(ledger.each_shipped(
      [&](const std::string& path, const std::string& sha256) { pairs.emplace_back(path, sha256); }));
  std::vector<std::pair<std::string, std::string>> expected = shipped;
  std::sort(expected.begin(), expected.end());
  CHECK(pairs == expected);
  CHECK(ledger.shipped_sequence("0A/A.cab").value() == 4u);
}

TEST_CASE("the shipped set remembers which path carried which digest until forgotten") {
  test::TestDir dir("ledger-shipped");
  Ledger ledger = open_ledger(dir / "ledger.db");
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  CHECK_FALSE(ledger.was_shipped("01/ONE.cab", a).value());
  REQUIRE(ledger.record_shipped(1, {{"01/ONE.cab", a}, {"02/TWO.exe", b}}).has_value());
  REQUIRE(ledger.record_shipped(2, {{"01/ONE.cab", a}}).has_value());  // shipped again: no duplicate error
  CHECK(ledger.was_shipped("01/ONE.cab", a).value());
  CHECK(ledger.was_shipped("02/TWO.exe", b).value());
  CHECK_FALSE(ledger.was_shipped("01/ONE.cab", b).value());

  REQUIRE(ledger.forget_shipped({"01/ONE.cab"}).has_value());
  CHECK_FALSE(ledger.was_shipped("01/ONE.cab", a).value());
  CHECK(ledger.was_shipped("02/TWO.exe", b).value());
}

TEST_CASE("a ledger written by a newer wsus-airgap is refused with the schema it has, and left unchanged") {
  test::TestDir dir("ledger-newer");
  fs::path file = dir / "ledger.db";
  { open_ledger(file); }
  const int newer = wsa::state::kLedgerSchemaVersion + 1;
  raw_sql(file, ("PRAGMA user_version = " + std::to_string(newer)).c_str());
  auto ledger = Ledger::open(file);
  REQUIRE_FALSE(ledger.has_value());
  CHECK(ledger.error().code == ExitCode::kOperational);
  CHECK(ledger.error().what == file.string());
  CHECK(ledger.error().why == "was written by a newer wsus-airgap (schema " + std::to_string(newer) +
                                  "); this one reads schema " +
                                  std::to_string(wsa::state::kLedgerSchemaVersion) + ": upgrade wsus-airgap");
  // Proves the file is still the same database.
  raw_sql(file, ("PRAGMA user_version = " + std::to_string(wsa::state::kLedgerSchemaVersion)).c_str());
  CHECK(Ledger::open(file).has_value());
}

TEST_CASE("a file that is not a SQLite database is refused as not a ledger, naming it, and left unchanged") {
  test::TestDir dir("ledger-garbage");
  fs::path file = dir / "ledger.db";
  const std::string garbage = "this is a shopping list, not a ledger\n" + std::string(5000, 'x');
  test::write_file(file, garbage);
  auto ledger = Ledger::open(file);
  REQUIRE_FALSE(ledger.has_value());
  CHECK(ledger.error().code == ExitCode::kOperational);
  CHECK(ledger.error().what == file.string());
  CHECK(ledger.error().why == "is not a wsus-airgap ledger: file is not a database");
  CHECK(test::read_file(file) == garbage);
}

TEST_CASE("a SQLite database of another program is refused as not a ledger") {
  test::TestDir dir("ledger-foreign");
  fs::path file = dir / "ledger.db";
  raw_sql(file, "CREATE TABLE recipes (name TEXT)");
  auto ledger = Ledger::open(file);
  REQUIRE_FALSE(ledger.has_value());
  CHECK(ledger.error().what == file.string());
  CHECK(ledger.error().why == "is not a wsus-airgap ledger: it is a SQLite database of another program");
}

TEST_CASE("a run cannot be finished as running") {
  test::TestDir dir("ledger-finish-running");
  Ledger ledger = open_ledger(dir / "ledger.db");
  auto id = begin(ledger, RunKind::kExport, ledger.ledger_id(), 1);
  auto done = ledger.finish_run(id, RunStatus::kRunning, "", "", 0, 0);
  REQUIRE_FALSE(done.has_value());
  CHECK(done.error().why == "run " + std::to_string(id) + " cannot be finished with status running");
}

TEST_CASE(
    "freshness gives per source the newest applied run, when its package was made and the newest seen") {
  test::TestDir dir("ledger-freshness");
  auto ledger = Ledger::open(dir / "ledger.db").value();
  CHECK(ledger.freshness().value().empty());
  auto finish_import = [&](const std::string& source, std::uint64_t sequence, const std::string& sha,
                           RunStatus status) {
    RunRecord run;
    run.kind = RunKind::kImport;
    run.source_id = source;
    run.sequence = sequence;
    auto id = ledger.begin_run(run).value();
    REQUIRE(ledger.finish_run(id, status, sha, "", 0, 0).has_value());
  };
  REQUIRE(ledger.record_package_seen({"b-source", 1, "b1", "2026-11-01T00:00:00Z", {}}).has_value());
  finish_import("b-source", 1, "b1", RunStatus::kSucceeded);
  REQUIRE(ledger.record_package_seen({"b-source", 2, "b2", "2026-11-08T00:00:00Z", {}}).has_value());
  finish_import("b-source", 2, "b2", RunStatus::kGapsRemain);  // applied, with gaps: still applied
  REQUIRE(ledger.record_package_seen({"b-source", 3, "b3", "2026-11-15T00:00:00Z", {}}).has_value());
  finish_import("b-source", 3, "b3", RunStatus::kFailed);
  // Seeing a package again keeps its first sighting.
  REQUIRE(ledger.record_package_seen({"b-source", 3, "b3", "2026-11-15T00:00:00Z", "2030-01-01T00:00:00Z"})
              .has_value());
  // A source only ever seen (refused before any run of it began).
  REQUIRE(ledger.record_package_seen({"a-source", 7, "a7", "2026-10-01T00:00:00Z", {}}).has_value());

  auto sources = ledger.freshness().value();
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].source_id == "a-source");
  CHECK(sources[0].kind == RunKind::kImport);
  CHECK_FALSE(sources[0].last_success.has_value());
  CHECK(sources[0].newest_seen->sequence == 7);
  CHECK(sources[1].source_id == "b-source");
  CHECK(sources[1].last_success->sequence == 2);
  CHECK(sources[1].last_success_made_utc == "2026-11-08T00:00:00Z");
  CHECK(sources[1].newest_seen->sequence == 3);
  CHECK(sources[1].newest_seen->created_utc == "2026-11-15T00:00:00Z");
  CHECK(sources[1].newest_seen->first_seen_utc != "2030-01-01T00:00:00Z");
}
