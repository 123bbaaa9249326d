// POSIX implementation of common/platform.h. The only file outside platform_windows.cpp that may
// call the operating system directly.
#include "common/platform.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace wsa::platform {

namespace {
std::string errno_text(int err) {
  return std::strerror(err);
}
}  // namespace

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

std::optional<std::string> unsafe_path_reason(const std::string&) {
  return std::nullopt;
}

bool is_terminal(std::FILE* stream) {
  return ::isatty(::fileno(stream)) == 1;
}

Result<OutputFile> OutputFile::open(const fs::path& path, Mode mode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::kTruncate ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    int err = errno;
    return make_error(ExitCode::kOperational, path.string(), "cannot create: " + errno_text(err),
                      err == EEXIST ? "it already exists; move it away or choose another name" : "");
  }
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    ::close(fd);
    return make_error(ExitCode::kOperational, path.string(), "cannot open: " + errno_text(errno));
  }
  if (mode == Mode::kCreateNewUnbuffered) std::setvbuf(file, nullptr, _IONBF, 0);
  return OutputFile(file, path);
}

Result<void> OutputFile::write(const void* data, std::size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_.get()) != size) {
    return make_error(ExitCode::kOperational, path_.string(), "write failed: " + errno_text(errno),
                      "check free space on the target volume");
  }
  return {};
}

Result<void> OutputFile::sync() {
  if (std::fflush(file_.get()) != 0 || ::fsync(::fileno(file_.get())) != 0) {
    return make_error(ExitCode::kOperational, path_.string(), "flush to disk failed: " + errno_text(errno),
                      "check the media and free space");
  }
  return {};
}

Result<void> OutputFile::close() {
  if (file_ == nullptr) return {};
  int rc = std::fclose(file_.release());
  if (rc != 0)
    return make_error(ExitCode::kOperational, path_.string(), "close failed: " + errno_text(errno));
  return {};
}

namespace {

// Opens `path` with `flags` and flushes it with `flush` (fsync, syncfs): the error names the path.
Result<void> flush_opened(const fs::path& path, int flags, int (*flush)(int)) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return make_error(ExitCode::kOperational, path.string(), "cannot open: " + errno_text(errno));
  int rc = flush(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error(ExitCode::kOperational, path.string(), "flush to disk failed: " + errno_text(err),
                      "check the content volume and its free space");
  }
  return {};
}

}  // namespace

Result<void> sync_files(const fs::path& folder, const std::vector<fs::path>& files) {
#ifdef __linux__
  (void)files;
  return flush_opened(folder, O_RDONLY | O_DIRECTORY, ::syncfs);
#else
  (void)folder;
  for (const auto& file : files) {
    if (auto flushed = flush_opened(file, O_RDONLY, ::fsync); !flushed) return flushed;
  }
  return {};
#endif
}

Result<void> sync_folder(const fs::path& folder) {
  return flush_opened(folder, O_RDONLY | O_DIRECTORY, ::fsync);
}

std::FILE* open_for_reading(const fs::path& path, std::string* why) {
  std::FILE* file = std::fopen(path.c_str(), "rbe");
  if (file == nullptr && why != nullptr) *why = errno_text(errno);
  return file;
}

Result<void> restrict_to_owner(const fs::path& path) {
  if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0) {
    return make_error(ExitCode::kOperational, path.string(),
                      "cannot restrict permissions: " + errno_text(errno));
  }
  return {};
}

std::optional<std::uint64_t> file_id(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

namespace {
FileFacts facts_of(const struct stat& st) {
  FileFacts facts;
  facts.folder = S_ISDIR(st.st_mode);
  if (!S_ISREG(st.st_mode)) return facts;
  facts.regular = true;
  facts.size = static_cast<std::uint64_t>(st.st_size);
  facts.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  facts.file_id = static_cast<std::uint64_t>(st.st_ino);
  return facts;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
}  // namespace

Result<FileFacts> file_facts(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return make_error(ExitCode::kOperational, path.string(), "cannot stat: " + errno_text(errno));
  }
  return facts_of(st);
}

Result<std::vector<FolderEntry>> list_folder(const fs::path& folder,
                                             const std::function<bool(std::string_view)>& want_facts) {
  std::unique_ptr<DIR, DirCloser> dir(::opendir(folder.c_str()));
  if (!dir) return make_error(ExitCode::kOperational, folder.string(), "cannot list: " + errno_text(errno));
  const int fd = ::dirfd(dir.get());
  std::vector<FolderEntry> entries;
  for (;;) {
    errno = 0;
    const struct dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) break;
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    FolderEntry found{std::string(name), std::nullopt};
    if (!want_facts || want_facts(name)) {
      struct stat st {};
      if (::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed since it was listed
        return make_error(ExitCode::kOperational, (folder / found.name).string(),
                          "cannot stat: " + errno_text(errno));
      }
      found.facts = facts_of(st);
    }
    entries.push_back(std::move(found));
  }
  if (errno != 0)
    return make_error(ExitCode::kOperational, folder.string(), "cannot list: " + errno_text(errno));
  return entries;
}

Result<std::int64_t> modification_time_ns(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ExitCode::kOperational, path.string(), "cannot stat: " + errno_text(errno));
  }
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

Result<ExclusiveLock> ExclusiveLock::try_acquire(const fs::path& lock_file) {
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ExitCode::kOperational, lock_file.string(),
                      "cannot open lock file: " + errno_text(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return make_error(ExitCode::kOperational, lock_file.string(), "another wsus-airgap run holds this lock",
                        "wait for the other run to finish; the lock is released when it exits");
    }
    return make_error(ExitCode::kOperational, lock_file.string(), "cannot lock: " + errno_text(err));
  }
  ExclusiveLock lock;
  lock.handle_ = fd;
  lock.path_ = lock_file;
  return lock;
}

ExclusiveLock::ExclusiveLock(ExclusiveLock&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), path_(std::move(other.path_)) {}

ExclusiveLock& ExclusiveLock::operator=(ExclusiveLock&& other) noexcept {
  if (this != &other) {
    if (handle_ >= 0) ::close(static_cast<int>(handle_));
    handle_ = std::exchange(other.handle_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ExclusiveLock::~ExclusiveLock() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

Result<ProcessResult> run_process(const fs::path& program, const std::vector<std::string>& args,
                                  const ProcessOptions& options) {
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(program.string());
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.stdout_file.empty()) {
    ::posix_spawn_file_actions_addopen(&actions, 1, options.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
  }
  if (!options.stderr_file.empty()) {
    ::posix_spawn_file_actions_addopen(&actions, 2, options.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
  }
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return make_error(ExitCode::kWsusutil, program.string(), "cannot start: " + errno_text(rc),
                      "check the path given with --wsusutil");
  }
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      ProcessResult result;
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return result;
    }
    if (done < 0 && errno != EINTR) {
      return make_error(ExitCode::kWsusutil, program.string(),
                        "lost track of the process: " + errno_text(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ProcessResult result;
      result.timed_out = true;
      return result;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

std::string utf8_path(const fs::path& path) {
  return path.string();
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown-host";
  return buffer;
}

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads start
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

WsusDefaults wsus_defaults() {
  return {};
}

}  // namespace wsa::platform
