#pragma once
// The only place that knows which operating system it runs on. Everything else uses these
// functions and Boost.Filesystem paths (wide on Windows).

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa::platform {

namespace fs = boost::filesystem;

// The command line as UTF-8. Call first in main. On Windows it reads the wide command line (argv is
// in the ANSI code page there), switches console output to UTF-8 and makes narrow Boost paths UTF-8,
// so a folder named Säkerhet or 更新 survives from the command line to the file system and back.
std::vector<std::string> utf8_arguments(int argc, char** argv);

// Why Windows would not store `path` under the names it shows: a name ending in a dot or a space, a
// device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension) or an alternate
// data stream ("file:stream"). nullopt when the path is fine; always nullopt on POSIX.
std::optional<std::string> unsafe_path_reason(const std::string& path);

// True when the stream is an interactive console (progress bars are drawn only then).
bool is_terminal(std::FILE* stream);

// A file opened for writing whose contents can be forced to stable storage before a rename.
class OutputFile {
 public:
  // kCreateNewUnbuffered: as kCreateNew, without a library buffer, for writers of large blocks (each
  // write goes straight to the system; no stat of the file to size a buffer).
  enum class Mode { kCreateNew, kTruncate, kCreateNewUnbuffered };
  // Opens `path`; kCreateNew fails if it exists (never overwrites).
  static Result<OutputFile> open(const fs::path& path, Mode mode);
  OutputFile(OutputFile&&) noexcept = default;
  OutputFile& operator=(OutputFile&&) noexcept = default;
  ~OutputFile() = default;  // closes a file not closed by close(), ignoring the result

  Result<void> write(const void* data, std::size_t size);
  // Flushes library buffers and the OS cache (fsync / FlushFileBuffers).
  Result<void> sync();
  Result<void> close();
  const fs::path& path() const { return path_; }

 private:
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  OutputFile(std::FILE* file, fs::path path) : file_(file), path_(std::move(path)) {}
  std::unique_ptr<std::FILE, CloseFile> file_;
  fs::path path_;
};

// Durability paid per batch instead of per file: forces the data of `files` (written and closed, all
// inside `folder`) to stable storage, as cheaply as the platform allows: on Linux one syncfs() of the
// folder's file system for the whole batch; elsewhere one flush per file (fsync / FlushFileBuffers).
Result<void> sync_files(const fs::path& folder, const std::vector<fs::path>& files);
// Makes the names created or renamed into `folder` durable (fsync of the folder on POSIX; on Windows
// NTFS journals them and a folder cannot be flushed without administrator rights: nothing to do).
Result<void> sync_folder(const fs::path& folder);

// Opens a file for binary reading; nullptr (with errno-style message in `why`) when it cannot.
std::FILE* open_for_reading(const fs::path& path, std::string* why);

// Makes a private key file readable by its owner only (chmod 600; on Windows an owner-only DACL).
Result<void> restrict_to_owner(const fs::path& path);

// A stable identity of a file on its volume (inode / file index), when the platform has one.
std::optional<std::uint64_t> file_id(const fs::path& path);

// What a directory entry is, from one system call where the platform allows (lstat; on Windows
// GetFileAttributesExW): a re-scan of an unchanged tree is nothing but these calls. Links and other
// reparse points are not regular. mtime_ns and file_id equal what the two functions below give.
struct FileFacts {
  bool regular = false;
  bool folder = false;  // a real folder (not a link to one)
  std::uint64_t size = 0;
  std::optional<std::int64_t> mtime_ns;
  std::optional<std::uint64_t> file_id;  // not filled on Windows (it needs the file opened)
};
Result<FileFacts> file_facts(const fs::path& path);

// One entry of a folder listing: its name (UTF-8) and, when the caller asked for them, its facts.
struct FolderEntry {
  std::string name;
  std::optional<FileFacts> facts;
};

// Lists `folder` (not "." and ".."), in no particular order, with the facts of every entry whose
// name `want_facts` accepts (all when it is null), read relative to the open folder (fstatat) or
// from the listing itself (FindFirstFileExW): one call per entry at most, no path resolved again
// from the root. An entry that vanishes between the listing and its stat is left out.
Result<std::vector<FolderEntry>> list_folder(const fs::path& folder,
                                             const std::function<bool(std::string_view)>& want_facts);

// Modification time in nanoseconds since the epoch, as precise as the file system keeps it.
Result<std::int64_t> modification_time_ns(const fs::path& path);

// An exclusive advisory lock held while the object lives (flock / LockFileEx). Released by the OS
// if the process dies, so a stale lock never blocks the next run.
class ExclusiveLock {
 public:
  // Fails at once (does not wait) when another process holds the lock.
  static Result<ExclusiveLock> try_acquire(const fs::path& lock_file);
  ExclusiveLock(ExclusiveLock&&) noexcept;
  ExclusiveLock& operator=(ExclusiveLock&&) noexcept;
  ~ExclusiveLock();

 private:
  ExclusiveLock() = default;
  std::intptr_t handle_ = -1;
  fs::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  bool timed_out = false;
};

struct ProcessOptions {
  std::chrono::seconds timeout{24 * 3600};
  fs::path stdout_file;  // empty: inherit
  fs::path stderr_file;  // empty: inherit
};

// Runs `program args...` without a shell, standard input closed, waits for it (or kills it after
// the timeout), and returns its exit code. Arguments are passed verbatim (quoted for CreateProcessW).
Result<ProcessResult> run_process(const fs::path& program, const std::vector<std::string>& args,
                                  const ProcessOptions& options);

// The path as UTF-8, for libraries that take UTF-8 file names on every platform (SQLite).
std::string utf8_path(const fs::path& path);

// This machine's name, used to label ledgers and receipts.
std::string host_name();

// Environment variable, if set.
std::optional<std::string> environment(const char* name);

// Default locations for the real WSUS layout (Windows) or for the simulator (elsewhere).
// On Windows both WSUS values come from HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup.
struct WsusDefaults {
  std::optional<fs::path> wsusutil;     // TargetDir + Tools\WsusUtil.exe
  std::optional<fs::path> content_dir;  // ContentDir + WsusContent
  std::optional<fs::path> state_dir;    // %ProgramData%\wsus-airgap
  // Why wsusutil / content_dir is empty, naming the registry value (empty where there is no default).
  std::string wsusutil_missing;
  std::string content_dir_missing;
};
WsusDefaults wsus_defaults();

}  // namespace wsa::platform
