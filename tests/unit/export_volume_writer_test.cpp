#include "export/volume_writer.h"

#include "export/export_pipeline.h"

#include <archive.h>
#include <archive_entry.h>

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <limits>
#include <random>

#include <fmt/format.h>

#include "common/platform.h"
#include "tests/support/catch.h"
#include "tests/support/e2e.h"
#include "tests/support/test_dir.h"
#include "verify/volume_reader.h"

using namespace wsa;
using exporting::VolumeWriter;
using verify::VolumeReader;
namespace fs = boost::filesystem;

namespace {

struct SourceFile {
  std::string entry_name;
  fs::path path;
  std::uint64_t size = 0;
};

// Bytes that differ per file and per position, so a shifted or mixed-up stream cannot pass.
std::string pseudo_random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(generator() & 0xFF);
  return bytes;
}

std::vector<SourceFile> make_sources(const test::TestDir& dir, const std::vector<std::size_t>& sizes) {
  std::vector<SourceFile> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    SourceFile file;
    file.entry_name = fmt::format("{:02X}/FILE{:04}.cab", i % 256, i);
    file.path = dir / ("src/" + std::to_string(i) + ".bin");
    file.size = sizes[i];
    test::write_file(file.path, pseudo_random_bytes(sizes[i], static_cast<std::uint32_t>(i + 1)));
    files.push_back(file);
  }
  return files;
}

std::vector<manifest::PinnedFile> write_package(const fs::path& package, const std::vector<SourceFile>& files,
                                                std::uint64_t volume_size) {
  fs::create_directories(package);
  auto writer = VolumeWriter::create(package, volume_size, nullptr);
  REQUIRE(writer.has_value());
  for (const auto& file : files) {
    auto digests = writer->add_file(file.entry_name, file.path, file.size);
    REQUIRE(digests.has_value());
    auto expected = hash_file(file.path);
    REQUIRE(expected.has_value());
    CHECK(digests->sha256_hex == expected->sha256_hex);
    CHECK(digests->sha1_hex == expected->sha1_hex);
    CHECK(digests->size == file.size);
  }
  auto volumes = writer->finish();
  REQUIRE(volumes.has_value());
  return *volumes;
}

std::vector<fs::path> volume_paths(const fs::path& package,
                                   const std::vector<manifest::PinnedFile>& volumes) {
  std::vector<fs::path> paths;
  for (const auto& volume : volumes) paths.push_back(package / volume.name);
  return paths;
}

struct ReadEntry {
  verify::VolumeEntry entry;
  Digests digests;
};

// Reads every entry, hashing its data; the first error ends the walk.
Result<std::vector<ReadEntry>> read_all(VolumeReader& reader) {
  std::vector<ReadEntry> entries;
  std::vector<char> buffer(100000);  // deliberately not a multiple of the tar block size
  for (;;) {
    auto next = reader.next();
    if (!next) return std::unexpected(next.error());
    if (!next->has_value()) return entries;
    DualHasher hasher;
    for (;;) {
      auto got = reader.read(buffer.data(), buffer.size());
      if (!got) return std::unexpected(got.error());
      if (*got == 0) break;
      hasher.update(buffer.data(), *got);
    }
    entries.push_back(ReadEntry{**next, hasher.finish()});
  }
}

void check_round_trip(const fs::path& package, const std::vector<manifest::PinnedFile>& volumes,
                      const std::vector<SourceFile>& files) {
  auto reader = VolumeReader::open(volume_paths(package, volumes));
  REQUIRE(reader.has_value());
  auto entries = read_all(*reader);
  if (!entries) FAIL(entries.error().message());
  REQUIRE(entries->size() == files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& read = (*entries)[i];
    auto expected = hash_file(files[i].path).value();
    CHECK(read.entry.name == files[i].entry_name);
    CHECK(read.entry.size == files[i].size);
    CHECK(read.digests.size == files[i].size);
    CHECK(read.digests.sha256_hex == expected.sha256_hex);
    CHECK(read.digests.sha1_hex == expected.sha1_hex);
  }
}

std::size_t count_partial_files(const fs::path& package) {
  std::size_t count = 0;
  for (const auto& item : fs::directory_iterator(package)) {
    if (item.path().extension() == ".partial") ++count;
  }
  return count;
}

// Writes a tar file with libarchive directly: the reader must refuse what our writer never makes.
class TarBuilder {
 public:
  explicit TarBuilder(const fs::path& file) : handle_(archive_write_new()) {
    archive_write_set_format_pax_restricted(handle_);
    REQUIRE(archive_write_open_filename(handle_, file.string().c_str()) == ARCHIVE_OK);
  }
  ~TarBuilder() { archive_write_free(handle_); }
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  void regular(const std::string& name, const std::string& data) {
    archive_entry* entry = start(name, AE_IFREG);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    finish(entry);
    REQUIRE(archive_write_data(handle_, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
  }
  void symlink(const std::string& name, const std::string& target) {
    archive_entry* entry = start(name, AE_IFLNK);
    archive_entry_copy_symlink(entry, target.c_str());
    finish(entry);
  }
  void hardlink(const std::string& name, const std::string& target) {
    archive_entry* entry = start(name, AE_IFREG);
    archive_entry_copy_hardlink(entry, target.c_str());
    finish(entry);
  }
  void folder(const std::string& name) { finish(start(name, AE_IFDIR)); }
  void close() { REQUIRE(archive_write_close(handle_) == ARCHIVE_OK); }

 private:
  archive_entry* start(const std::string& name, unsigned int type) {
    archive_entry* entry = archive_entry_new();
    archive_entry_copy_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, 0644);
    return entry;
  }
  void finish(archive_entry* entry) {
    int rc = archive_write_header(handle_, entry);
    archive_entry_free(entry);
    REQUIRE(rc == ARCHIVE_OK);
  }
  archive* handle_;
};

// Reads the single-volume tar: the first entry is fine, the second must be refused.
Error refusal_of_second_entry(const fs::path& tar) {
  auto reader = VolumeReader::open({tar});
  REQUIRE(reader.has_value());
  auto first = reader->next();
  REQUIRE(first.has_value());
  REQUIRE(first->has_value());
  CHECK((*first)->name == "01/GOOD.cab");
  auto second = reader->next();
  REQUIRE_FALSE(second.has_value());
  auto after = reader->next();  // an error is final
  CHECK_FALSE(after.has_value());
  return second.error();
}

}  // namespace

TEST_CASE("many files of awkward sizes round-trip byte for byte through one volume") {
  test::TestDir dir("volumes-one");
  std::vector<std::size_t> sizes = {
      0, 1, 511, 512, 513, 1023, 1024, 10240, 10241, 100000, 3 * 1024 * 1024 + 5};
  for (std::size_t i = 0; i < 40; ++i) sizes.push_back(i * 97 + 3);
  auto files = make_sources(dir, sizes);
  auto volumes = write_package(dir / "package", files, 1024ULL * 1024 * 1024);

  REQUIRE(volumes.size() == 1);
  CHECK(volumes[0].name == "content.tar.000");
  CHECK(volumes[0].size == fs::file_size(dir / "package" / "content.tar.000"));
  CHECK(volumes[0].sha256_hex == sha256_file(dir / "package" / "content.tar.000").value());
  CHECK(count_partial_files(dir / "package") == 0);
  check_round_trip(dir / "package", volumes, files);
}

TEST_CASE(
    "files larger than a volume continue in the next one, and every volume but the last is exactly full") {
  test::TestDir dir("volumes-many");
  const std::uint64_t volume_size = 64 * 1024;
  auto files = make_sources(dir, {200 * 1024, 150 * 1024 + 7, 1, 70 * 1024, 0, 64 * 1024});
  auto volumes = write_package(dir / "package", files, volume_size);

  REQUIRE(volumes.size() > 5);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    CAPTURE(i);
    CHECK(volumes[i].name == fmt::format("content.tar.{:03}", i));
    fs::path on_disk = dir / "package" / volumes[i].name;
    CHECK(fs::file_size(on_disk) == volumes[i].size);
    CHECK(sha256_file(on_disk).value() == volumes[i].sha256_hex);
    if (i + 1 < volumes.size()) {
      CHECK(volumes[i].size == volume_size);
    } else {
      CHECK(volumes[i].size > 0);
      CHECK(volumes[i].size <= volume_size);
    }
    total += volumes[i].size;
  }
  CHECK_FALSE(fs::exists(dir / "package" / fmt::format("content.tar.{:03}", volumes.size())));
  CHECK(count_partial_files(dir / "package") == 0);
  std::uint64_t data = 0;
  for (const auto& file : files) data += (file.size + 511) / 512 * 512 + 512;  // ustar: header + padded data
  CHECK(total == data + 1024);                                                 // + the end-of-archive blocks
  check_round_trip(dir / "package", volumes, files);

  std::vector<std::uint64_t> sizes;
  for (const auto& volume : volumes) sizes.push_back(volume.size);
  auto sized = VolumeReader::open(volume_paths(dir / "package", volumes), sizes);
  REQUIRE(sized.has_value());
  auto entries = read_all(*sized);
  REQUIRE(entries.has_value());
  CHECK(entries->size() == files.size());
}

TEST_CASE("the volumes put back together are a tar archive that the system tar lists and extracts") {
#ifdef _WIN32
  // bsdtar, in Windows 10 and Server 2019 and later.
  const fs::path tar =
      fs::path(platform::environment("SystemRoot").value_or("C:\\Windows")) / "System32" / "tar.exe";
#else
  const fs::path tar = "/bin/tar";
#endif
  if (!fs::exists(tar)) test::skip_test(tar.string() + " is absent (Wine ships no tar.exe)");
  test::TestDir dir("volumes-system-tar");
  auto files = make_sources(dir, {300 * 1024, 5, 90 * 1024, 0});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  REQUIRE(volumes.size() > 1);

  // The volumes joined in order, as `cat content.tar.*` would.
  std::string joined;
  for (const auto& volume : volume_paths(dir / "package", volumes)) joined += test::read_file(volume);
  test::write_file(dir / "joined.tar", joined);
  auto listed = test::run(tar, {"-tf", (dir / "joined.tar").string()}, dir.path());
  CHECK(listed.exit_code == 0);
  CHECK(listed.err.empty());
  std::string expected;
  for (const auto& file : files) expected += file.entry_name + "\n";
  CHECK(listed.out == expected);

  fs::create_directories(dir / "extracted");
  auto extracted = test::run(
      tar, {"-xf", (dir / "joined.tar").string(), "--no-same-owner", "-C", (dir / "extracted").string()},
      dir.path());
  CHECK(extracted.exit_code == 0);
  for (const auto& file : files) {
    CAPTURE(file.entry_name);
    auto copy = sha256_file(dir / "extracted" / file.entry_name);
    REQUIRE(copy.has_value());
    CHECK(*copy == sha256_file(file.path).value());
  }
}

TEST_CASE("a missing middle volume is refused when the reader opens, naming it") {
  test::TestDir dir("volumes-missing");
  auto files = make_sources(dir, {300 * 1024});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  REQUIRE(volumes.size() >= 3);
  fs::remove(dir / "package" / "content.tar.001");

  auto reader = VolumeReader::open(volume_paths(dir / "package", volumes));
  REQUIRE_FALSE(reader.has_value());
  CHECK(reader.error().code == ExitCode::kIntegrity);
  CHECK(reader.error().what == (dir / "package" / "content.tar.001").string());
  CHECK(reader.error().why == "is missing");
}

TEST_CASE("a truncated last volume makes reading fail, naming that volume") {
  test::TestDir dir("volumes-truncated-last");
  auto files = make_sources(dir, {300 * 1024});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  fs::path last = dir / "package" / volumes.back().name;
  fs::resize_file(last, volumes.back().size / 2);

  auto reader = VolumeReader::open(volume_paths(dir / "package", volumes));
  REQUIRE(reader.has_value());
  auto entries = read_all(*reader);
  REQUIRE_FALSE(entries.has_value());
  CHECK(entries.error().code == ExitCode::kIntegrity);
  CHECK(entries.error().what == last.string());
  CHECK(entries.error().why.starts_with("the tar stream is damaged: "));
}

TEST_CASE("a truncated middle volume is refused by its expected size, before and while reading") {
  test::TestDir dir("volumes-truncated-middle");
  auto files = make_sources(dir, {300 * 1024});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  std::vector<std::uint64_t> sizes;
  for (const auto& volume : volumes) sizes.push_back(volume.size);
  fs::path middle = dir / "package" / "content.tar.001";

  SECTION("truncated before opening") {
    fs::resize_file(middle, 1000);
    auto reader = VolumeReader::open(volume_paths(dir / "package", volumes), sizes);
    REQUIRE_FALSE(reader.has_value());
    CHECK(reader.error().code == ExitCode::kIntegrity);
    CHECK(reader.error().what == middle.string());
    CHECK(reader.error().why ==
          "should be 65536 bytes long but has 1000: the volume is truncated or altered");
  }
  SECTION("truncated after opening") {
    auto reader = VolumeReader::open(volume_paths(dir / "package", volumes), sizes);
    REQUIRE(reader.has_value());
    fs::resize_file(middle, 1000);
    auto entries = read_all(*reader);
    REQUIRE_FALSE(entries.has_value());
    CHECK(entries.error().code == ExitCode::kIntegrity);
    CHECK(entries.error().what == middle.string());
    CHECK(entries.error().why ==
          "should be 65536 bytes long but has 1000: the volume is truncated or altered");
  }
  SECTION("an empty volume is refused even without expected sizes") {
    fs::resize_file(middle, 0);
    auto reader = VolumeReader::open(volume_paths(dir / "package", volumes));
    REQUIRE(reader.has_value());
    auto entries = read_all(*reader);
    REQUIRE_FALSE(entries.has_value());
    CHECK(entries.error().what == middle.string());
    CHECK(entries.error().why == "is empty: the volume is truncated");
  }
}

TEST_CASE("a volume after the end of the tar stream is refused, naming it") {
  test::TestDir dir("volumes-extra");
  auto files = make_sources(dir, {1000});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  REQUIRE(volumes.size() == 1);
  test::write_file(dir / "package" / "content.tar.001", "smuggled");
  auto reader =
      VolumeReader::open({dir / "package" / "content.tar.000", dir / "package" / "content.tar.001"});
  REQUIRE(reader.has_value());
  auto entries = read_all(*reader);
  REQUIRE_FALSE(entries.has_value());
  CHECK(entries.error().code == ExitCode::kIntegrity);
  CHECK(entries.error().what == (dir / "package" / "content.tar.001").string());
  CHECK(entries.error().why == "comes after the end of the tar stream");
}

TEST_CASE("a tar entry that is a symbolic link is refused, naming the entry") {
  test::TestDir dir("volumes-symlink");
  fs::path tar = dir / "content.tar.000";
  {
    TarBuilder builder(tar);
    builder.regular("01/GOOD.cab", "good");
    builder.symlink("02/LINK.exe", "/etc/passwd");
    builder.close();
  }
  Error error = refusal_of_second_entry(tar);
  CHECK(error.code == ExitCode::kIntegrity);
  CHECK(error.what == tar.string());
  CHECK(error.why == "entry \"02/LINK.exe\" is a symbolic link: a package carries regular files only");
}

TEST_CASE("a tar entry that is a hard link is refused, naming the entry") {
  test::TestDir dir("volumes-hardlink");
  fs::path tar = dir / "content.tar.000";
  {
    TarBuilder builder(tar);
    builder.regular("01/GOOD.cab", "good");
    builder.hardlink("03/HARD.cab", "01/GOOD.cab");
    builder.close();
  }
  Error error = refusal_of_second_entry(tar);
  CHECK(error.code == ExitCode::kIntegrity);
  CHECK(error.what == tar.string());
  CHECK(error.why == "entry \"03/HARD.cab\" is a hard link: a package carries regular files only");
}

TEST_CASE("a tar entry that is a folder, or has an overlong name, is refused, naming the entry") {
  test::TestDir dir("volumes-folder");
  fs::path tar = dir / "content.tar.000";
  SECTION("folder") {
    {
      TarBuilder builder(tar);
      builder.regular("01/GOOD.cab", "good");
      builder.folder("04");
      builder.close();
    }
    CHECK(refusal_of_second_entry(tar).why ==
          "entry \"04/\" is a folder: a package carries regular files only");
  }
  SECTION("overlong name") {
    std::string name = "05/" + std::string(253, 'N');
    {
      TarBuilder builder(tar);
      builder.regular("01/GOOD.cab", "good");
      builder.regular(name, "x");
      builder.close();
    }
    CHECK(refusal_of_second_entry(tar).why ==
          "entry \"" + name + "\" has a name of 256 bytes; a package allows 1 to 255");
  }
}

TEST_CASE("a volume that is not a tar archive is refused when the reader opens") {
  test::TestDir dir("volumes-not-tar");
  test::write_file(dir / "content.tar.000", pseudo_random_bytes(5000, 7));
  auto reader = VolumeReader::open({dir / "content.tar.000"});
  REQUIRE_FALSE(reader.has_value());
  CHECK(reader.error().code == ExitCode::kIntegrity);
  CHECK(reader.error().what == (dir / "content.tar.000").string());
  CHECK(reader.error().why.starts_with("the tar stream is damaged: "));
}

TEST_CASE("a source file that changed size since the scan is refused as changed while being exported") {
  test::TestDir dir("volumes-changed");
  auto files = make_sources(dir, {1000, 2000});
  fs::create_directories(dir / "package");
  auto writer = VolumeWriter::create(dir / "package", 64 * 1024, nullptr);
  REQUIRE(writer.has_value());

  auto shrunk = writer->add_file(files[0].entry_name, files[0].path, 1500);  // the scan saw 1500 bytes
  REQUIRE_FALSE(shrunk.has_value());
  CHECK(shrunk.error().code == ExitCode::kOperational);
  CHECK(shrunk.error().what == files[0].path.string());
  CHECK(shrunk.error().why == "changed while being exported (the scan saw 1500 bytes, it now has 1000)");

  auto grown = writer->add_file(files[0].entry_name, files[0].path, 500);
  REQUIRE_FALSE(grown.has_value());
  CHECK(grown.error().why == "changed while being exported (the scan saw 500 bytes, it now has 1000)");

  // Nothing was written for the changed file: the writer goes on, and the package holds the rest.
  REQUIRE(writer->add_file(files[1].entry_name, files[1].path, files[1].size).has_value());
  auto volumes = writer->finish();
  REQUIRE(volumes.has_value());
  check_round_trip(dir / "package", *volumes, {files[1]});
}

TEST_CASE("a writer dropped before finishing leaves no partial volume behind, only the full ones") {
  test::TestDir dir("volumes-abandoned");
  auto files = make_sources(dir, {200 * 1024});
  fs::create_directories(dir / "package");
  {
    auto writer = VolumeWriter::create(dir / "package", 64 * 1024, nullptr);
    REQUIRE(writer.has_value());
    REQUIRE(writer->add_file(files[0].entry_name, files[0].path, files[0].size).has_value());
    CHECK(count_partial_files(dir / "package") == 1);
  }
  CHECK(count_partial_files(dir / "package") == 0);
  CHECK(fs::file_size(dir / "package" / "content.tar.000") == 64 * 1024);
  CHECK(fs::file_size(dir / "package" / "content.tar.002") == 64 * 1024);
  CHECK_FALSE(fs::exists(dir / "package" / "content.tar.003"));
}

TEST_CASE("the writer refuses a volume size under 64 KiB and a package folder that does not exist") {
  test::TestDir dir("volumes-arguments");
  auto small = VolumeWriter::create(dir.path(), 64 * 1024 - 1, nullptr);
  REQUIRE_FALSE(small.has_value());
  CHECK(small.error().code == ExitCode::kUsage);
  CHECK(small.error().why == "volume size 65535 is below the smallest allowed, 65536 bytes");

  auto nowhere = VolumeWriter::create(dir / "missing", 64 * 1024, nullptr);
  REQUIRE_FALSE(nowhere.has_value());
  CHECK(nowhere.error().what == (dir / "missing").string());
  CHECK(nowhere.error().why == "is not a folder");
}

TEST_CASE("the same files in the same order give the same volumes") {
  test::TestDir dir("volumes-deterministic");
  auto files = make_sources(dir, {100 * 1024, 3});
  auto first = write_package(dir / "a", files, 64 * 1024);
  auto second = write_package(dir / "b", files, 64 * 1024);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) CHECK(first[i].sha256_hex == second[i].sha256_hex);
}

TEST_CASE("a 4G volume size means the largest file FAT32 can hold") {
  CHECK(wsa::exporting::volume_limit(4ULL << 30) == (4ULL << 30) - 1);
  CHECK(wsa::exporting::volume_limit(700ULL << 20) == 700ULL << 20);
  CHECK(wsa::exporting::volume_limit(0) == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE(
    "a volume reader given the volumes' SHA-256 checks each one at its last byte, on the bytes it reads") {
  test::TestDir dir("volumes-digest");
  auto files = make_sources(dir, {300 * 1024, 5, 90 * 1024});
  auto volumes = write_package(dir / "package", files, 64 * 1024);
  REQUIRE(volumes.size() > 2);
  std::vector<VolumeReader::Expected> expected;
  for (const auto& volume : volumes) expected.push_back({volume.size, volume.sha256_hex});
  std::vector<std::size_t> verified;
  auto record = [&](std::size_t index) -> Result<void> {
    verified.push_back(index);
    return {};
  };
  auto read_with = [&](const std::vector<VolumeReader::Expected>& pins) {
    verified.clear();
    auto reader = VolumeReader::open(volume_paths(dir / "package", volumes), pins, record);
    REQUIRE(reader.has_value());
    return read_all(*reader);
  };
  auto intact = read_with(expected);
  REQUIRE(intact.has_value());
  CHECK(intact->size() == files.size());
  std::vector<std::size_t> every(volumes.size());
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  CHECK(verified == every);  // each volume once, in order, the last one after the stream's end blocks

  // One byte of entry data changed in the second volume: no tar check can see it, the digest does.
  fs::path second = dir / "package" / volumes[1].name;
  std::string bytes = test::read_file(second);
  bytes[1000] = static_cast<char>(bytes[1000] ^ 0x5A);
  test::write_file(second, bytes);
  auto damaged = read_with(expected);
  REQUIRE_FALSE(damaged.has_value());
  CHECK(damaged.error().code == ExitCode::kIntegrity);
  CHECK(damaged.error().what == second.string());
  CHECK(damaged.error().why == "volume does not match its SHA-256 in the signed manifest");
  CHECK(verified == std::vector<std::size_t>{0});

  // A volume pinned by size only (hashed by an earlier run) is read but not hashed.
  expected[1].sha256_hex.clear();
  auto unhashed = read_with(expected);
  REQUIRE(unhashed.has_value());
  every.erase(every.begin() + 1);
  CHECK(verified == every);
}
