// Windows implementation of common/platform.h. Paths are wide (boost::filesystem::path::c_str()
// is wchar_t* here); long paths get the \\?\ prefix so WsusContent trees deeper than MAX_PATH work.
#include "common/platform.h"

#include <aclapi.h>
#include <io.h>
#include <sddl.h>
#include <shellapi.h>
#include <windows.h>

#include <boost/filesystem/detail/utf8_codecvt_facet.hpp>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <cctype>
#include <locale>

#include <utility>
#include <vector>

namespace wsa::platform {

namespace {

std::string last_error_text(DWORD code = GetLastError()) {
  char* buffer = nullptr;
  DWORD size = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
      code, 0, reinterpret_cast<char*>(&buffer), 0, nullptr);
  std::string text = size != 0 ? std::string(buffer, size) : "Windows error " + std::to_string(code);
  LocalFree(buffer);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.')) text.pop_back();
  return text;
}

// \\?\C:\... and \\?\UNC\server\share\... lift the 260-character limit.
std::wstring long_path(const fs::path& path) {
  std::wstring native = fs::absolute(path).make_preferred().wstring();
  if (native.rfind(L"\\\\?\\", 0) == 0) return native;
  if (native.rfind(L"\\\\", 0) == 0) return L"\\\\?\\UNC\\" + native.substr(2);
  return L"\\\\?\\" + native;
}

std::wstring quote_argument(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\"") == std::wstring::npos) return arg;
  std::wstring quoted = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
    } else if (c == L'"') {
      quoted.append(backslashes * 2 + 1, L'\\');
      quoted.push_back(c);
      backslashes = 0;
    } else {
      quoted.append(backslashes, L'\\');
      quoted.push_back(c);
      backslashes = 0;
    }
  }
  quoted.append(backslashes * 2, L'\\');
  quoted.push_back(L'"');
  return quoted;
}

std::wstring widen(const std::string& utf8) {
  if (utf8.empty()) return {};
  int size = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring wide(static_cast<std::size_t>(size), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), wide.data(), size);
  return wide;
}

}  // namespace

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  fs::path::imbue(std::locale(std::locale(), new fs::detail::utf8_codecvt_facet));
  SetConsoleOutputCP(CP_UTF8);
  int count = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &count);
  if (wide == nullptr) return std::vector<std::string>(argv, argv + argc);
  std::vector<std::string> args;
  for (int i = 0; i < count; ++i) args.push_back(utf8_path(fs::path(wide[i])));
  LocalFree(wide);
  return args;
}

std::optional<std::string> unsafe_path_reason(const std::string& path) {
  std::string_view rest = path;
  // The prefixes that legitimately hold '?' or ':' : \\?\ (or \\.\ for devices, refused) and "C:".
  if (rest.starts_with("\\\\.\\") || rest.starts_with("//./")) return "names a Windows device, not a file";
  if (rest.starts_with("\\\\?\\UNC\\")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("\\\\?\\")) {
    rest.remove_prefix(4);
  }
  if (rest.size() >= 2 && rest[1] == ':' && std::isalpha(static_cast<unsigned char>(rest[0])))
    rest.remove_prefix(2);
  static const char* const kReserved[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find_first_of("\\/", start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view name = rest.substr(start, end - start);
    start = end + 1;
    if (name.empty() || name == "." || name == "..") continue;
    if (name.find(':') != std::string_view::npos)
      return "names an alternate data stream ('" + std::string(name) +
             "'): Windows would not write a file of that name";
    if (name.back() == '.' || name.back() == ' ')
      return "has a name ending in a dot or a space ('" + std::string(name) +
             "'), which Windows drops: the file would land under another name";
    std::string stem(name.substr(0, name.find('.')));
    while (!stem.empty() && stem.back() == ' ') stem.pop_back();
    for (char& c : stem) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool reserved = std::find(std::begin(kReserved), std::end(kReserved), stem) != std::end(kReserved);
    if (stem.size() == 4 && (stem.starts_with("COM") || stem.starts_with("LPT")) && stem[3] >= '1' &&
        stem[3] <= '9')
      reserved = true;
    if (reserved) return "uses the device name " + stem + ", which Windows reserves: it is not a file";
  }
  return std::nullopt;
}

bool is_terminal(std::FILE* stream) {
  return _isatty(_fileno(stream)) != 0;
}

Result<OutputFile> OutputFile::open(const fs::path& path, Mode mode) {
  HANDLE handle =
      CreateFileW(long_path(path).c_str(), GENERIC_WRITE, 0, nullptr,
                  mode == Mode::kTruncate ? CREATE_ALWAYS : CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    DWORD err = GetLastError();
    return make_error(
        ExitCode::kOperational, path.string(), "cannot create: " + last_error_text(err),
        err == ERROR_FILE_EXISTS ? "it already exists; move it away or choose another name" : "");
  }
  int fd = _open_osfhandle(reinterpret_cast<intptr_t>(handle), 0);
  std::FILE* file = fd >= 0 ? _fdopen(fd, "wb") : nullptr;
  if (file == nullptr) {
    CloseHandle(handle);
    return make_error(ExitCode::kOperational, path.string(), "cannot open the file for writing");
  }
  if (mode == Mode::kCreateNewUnbuffered) std::setvbuf(file, nullptr, _IONBF, 0);
  return OutputFile(file, path);
}

Result<void> OutputFile::write(const void* data, std::size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_.get()) != size) {
    return make_error(ExitCode::kOperational, path_.string(), "write failed",
                      "check free space on the target volume");
  }
  return {};
}

Result<void> OutputFile::sync() {
  if (std::fflush(file_.get()) != 0 || _commit(_fileno(file_.get())) != 0) {
    return make_error(ExitCode::kOperational, path_.string(), "flush to disk failed",
                      "check the media and free space");
  }
  return {};
}

Result<void> OutputFile::close() {
  if (file_ == nullptr) return {};
  if (std::fclose(file_.release()) != 0) {
    return make_error(ExitCode::kOperational, path_.string(), "close failed");
  }
  return {};
}

Result<void> sync_files(const fs::path&, const std::vector<fs::path>& files) {
  for (const auto& file : files) {
    HANDLE handle = CreateFileW(long_path(file).c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
      return make_error(ExitCode::kOperational, file.string(), "cannot open: " + last_error_text());
    }
    BOOL flushed = FlushFileBuffers(handle);
    DWORD err = GetLastError();
    CloseHandle(handle);
    if (!flushed) {
      return make_error(ExitCode::kOperational, file.string(),
                        "flush to disk failed: " + last_error_text(err),
                        "check the content volume and its free space");
    }
  }
  return {};
}

Result<void> sync_folder(const fs::path&) {
  return {};
}

std::FILE* open_for_reading(const fs::path& path, std::string* why) {
  std::FILE* file = _wfopen(long_path(path).c_str(), L"rbN");
  if (file == nullptr && why != nullptr) *why = last_error_text();
  return file;
}

Result<void> restrict_to_owner(const fs::path& path) {
  // Protected DACL: full control for this process's user and SYSTEM only; inheritance removed. The
  // user's own SID rather than OWNER RIGHTS (OW), which not every Windows (nor Wine) honours.
  std::wstring user_sid;
  HANDLE token = nullptr;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    DWORD size = 0;
    GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<unsigned char> buffer(size);
    wchar_t* text = nullptr;
    if (size != 0 && GetTokenInformation(token, TokenUser, buffer.data(), size, &size) &&
        ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
      user_sid = text;
      LocalFree(text);
    }
    CloseHandle(token);
  }
  if (user_sid.empty()) {
    return make_error(ExitCode::kOperational, path.string(),
                      "cannot read this user's SID: " + last_error_text());
  }
  std::wstring sddl = L"D:P(A;;FA;;;" + user_sid + L")(A;;FA;;;SY)";
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor,
                                                            nullptr)) {
    return make_error(ExitCode::kOperational, path.string(),
                      "cannot build an owner-only ACL: " + last_error_text());
  }
  BOOL ok = SetFileSecurityW(long_path(path).c_str(),
                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, descriptor);
  LocalFree(descriptor);
  if (!ok)
    return make_error(ExitCode::kOperational, path.string(),
                      "cannot restrict permissions: " + last_error_text());
  return {};
}

std::optional<std::uint64_t> file_id(const fs::path& path) {
  HANDLE handle =
      CreateFileW(long_path(path).c_str(), FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (handle == INVALID_HANDLE_VALUE) return std::nullopt;
  BY_HANDLE_FILE_INFORMATION info{};
  BOOL ok = GetFileInformationByHandle(handle, &info);
  CloseHandle(handle);
  if (!ok) return std::nullopt;
  return (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
}

Result<FileFacts> file_facts(const fs::path& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!GetFileAttributesExW(long_path(path).c_str(), GetFileExInfoStandard, &data)) {
    return make_error(ExitCode::kOperational, path.string(), "cannot stat: " + last_error_text());
  }
  FileFacts facts;
  facts.folder = (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
                 (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
  if ((data.dwFileAttributes &
       (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DEVICE)) != 0) {
    return facts;
  }
  facts.regular = true;
  facts.size = (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  std::uint64_t ticks = (static_cast<std::uint64_t>(data.ftLastWriteTime.dwHighDateTime) << 32) |
                        data.ftLastWriteTime.dwLowDateTime;
  facts.mtime_ns = (static_cast<std::int64_t>(ticks) - 116444736000000000LL) * 100;
  return facts;
}

Result<std::vector<FolderEntry>> list_folder(const fs::path& folder,
                                             const std::function<bool(std::string_view)>& want_facts) {
  // The listing itself carries attributes, size and time: no call per file at all.
  WIN32_FIND_DATAW data{};
  HANDLE find = FindFirstFileExW((long_path(folder) + L"\\*").c_str(), FindExInfoBasic, &data,
                                 FindExSearchNameMatch, nullptr, FIND_FIRST_EX_LARGE_FETCH);
  if (find == INVALID_HANDLE_VALUE) {
    return make_error(ExitCode::kOperational, folder.string(), "cannot list: " + last_error_text());
  }
  std::vector<FolderEntry> entries;
  DWORD error = ERROR_SUCCESS;
  do {
    std::wstring wide(data.cFileName);
    if (wide == L"." || wide == L"..") continue;
    FolderEntry entry{fs::path(wide).string(), std::nullopt};
    if (!want_facts || want_facts(entry.name)) {
      FileFacts facts;
      const DWORD attributes = data.dwFileAttributes;
      facts.folder =
          (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && (attributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
      if ((attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DEVICE)) ==
          0) {
        facts.regular = true;
        facts.size = (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
        std::uint64_t ticks = (static_cast<std::uint64_t>(data.ftLastWriteTime.dwHighDateTime) << 32) |
                              data.ftLastWriteTime.dwLowDateTime;
        facts.mtime_ns = (static_cast<std::int64_t>(ticks) - 116444736000000000LL) * 100;
      }
      entry.facts = facts;
    }
    entries.push_back(std::move(entry));
  } while (FindNextFileW(find, &data));
  error = GetLastError();
  FindClose(find);
  if (error != ERROR_NO_MORE_FILES) {
    return make_error(ExitCode::kOperational, folder.string(), "cannot list: " + last_error_text(error));
  }
  return entries;
}

Result<std::int64_t> modification_time_ns(const fs::path& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!GetFileAttributesExW(long_path(path).c_str(), GetFileExInfoStandard, &data)) {
    return make_error(ExitCode::kOperational, path.string(), "cannot stat: " + last_error_text());
  }
  // FILETIME counts 100 ns since 1601-01-01.
  std::uint64_t ticks = (static_cast<std::uint64_t>(data.ftLastWriteTime.dwHighDateTime) << 32) |
                        data.ftLastWriteTime.dwLowDateTime;
  return (static_cast<std::int64_t>(ticks) - 116444736000000000LL) * 100;
}

Result<ExclusiveLock> ExclusiveLock::try_acquire(const fs::path& lock_file) {
  HANDLE handle =
      CreateFileW(long_path(lock_file).c_str(), GENERIC_READ | GENERIC_WRITE,
                  FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return make_error(ExitCode::kOperational, lock_file.string(),
                      "cannot open lock file: " + last_error_text());
  }
  OVERLAPPED overlapped{};
  if (!LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD, MAXDWORD,
                  &overlapped)) {
    CloseHandle(handle);
    return make_error(ExitCode::kOperational, lock_file.string(), "another wsus-airgap run holds this lock",
                      "wait for the other run to finish; the lock is released when it exits");
  }
  ExclusiveLock lock;
  lock.handle_ = reinterpret_cast<std::intptr_t>(handle);
  lock.path_ = lock_file;
  return lock;
}

ExclusiveLock::ExclusiveLock(ExclusiveLock&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), path_(std::move(other.path_)) {}

ExclusiveLock& ExclusiveLock::operator=(ExclusiveLock&& other) noexcept {
  if (this != &other) {
    if (handle_ != -1) CloseHandle(reinterpret_cast<HANDLE>(handle_));
    handle_ = std::exchange(other.handle_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ExclusiveLock::~ExclusiveLock() {
  if (handle_ != -1) CloseHandle(reinterpret_cast<HANDLE>(handle_));
}

Result<ProcessResult> run_process(const fs::path& program, const std::vector<std::string>& args,
                                  const ProcessOptions& options) {
  std::wstring command_line = quote_argument(program.wstring());
  for (const auto& arg : args) command_line += L" " + quote_argument(widen(arg));
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  // Shared for writing too: a handle the last program (or one it started) still holds must not make
  // this open fail, and an output file that cannot be opened is an error, never the parent's console.
  auto open_output = [&](const fs::path& file) {
    return file.empty() ? INVALID_HANDLE_VALUE
                        : CreateFileW(long_path(file).c_str(), GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &inherit,
                                      CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  };
  HANDLE out = open_output(options.stdout_file);
  HANDLE err = open_output(options.stderr_file);
  for (const auto& [handle, file] :
       {std::pair{out, options.stdout_file}, std::pair{err, options.stderr_file}}) {
    if (handle == INVALID_HANDLE_VALUE && !file.empty()) {
      std::string why = last_error_text();
      if (out != INVALID_HANDLE_VALUE) CloseHandle(out);
      if (err != INVALID_HANDLE_VALUE) CloseHandle(err);
      return make_error(ExitCode::kOperational, file.string(), "cannot create the output file: " + why);
    }
  }
  HANDLE in = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING,
                          0, nullptr);
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = in;
  startup.hStdOutput = out != INVALID_HANDLE_VALUE ? out : GetStdHandle(STD_OUTPUT_HANDLE);
  startup.hStdError = err != INVALID_HANDLE_VALUE ? err : GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION process{};
  // The program by its full path with backslashes (forward slashes and relative names are not
  // resolved the same way by every Windows version); the command line keeps the name as given.
  std::wstring application = fs::absolute(program).make_preferred().wstring();
  BOOL started = CreateProcessW(application.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                                CREATE_NO_WINDOW, nullptr, nullptr, &startup, &process);
  DWORD start_error = started ? ERROR_SUCCESS : GetLastError();  // before CloseHandle can change it
  for (HANDLE handle : {out, err, in}) {
    if (handle != INVALID_HANDLE_VALUE) CloseHandle(handle);
  }
  if (!started) {
    return make_error(ExitCode::kWsusutil, program.string(),
                      "cannot start: " + last_error_text(start_error) + " (Windows error " +
                          std::to_string(start_error) + ")",
                      "check the path given with --wsusutil");
  }
  CloseHandle(process.hThread);
  ProcessResult result;
  DWORD wait = WaitForSingleObject(process.hProcess, static_cast<DWORD>(options.timeout.count() * 1000));
  if (wait == WAIT_TIMEOUT) {
    TerminateProcess(process.hProcess, 1);
    WaitForSingleObject(process.hProcess, INFINITE);
    result.timed_out = true;
  } else {
    DWORD code = 0;
    GetExitCodeProcess(process.hProcess, &code);
    result.exit_code = static_cast<int>(code);
  }
  CloseHandle(process.hProcess);
  return result;
}

std::string utf8_path(const fs::path& path) {
  std::wstring wide = path.wstring();
  if (wide.empty()) return {};
  int size = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr,
                                 nullptr);
  std::string utf8(static_cast<std::size_t>(size), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), utf8.data(), size, nullptr,
                      nullptr);
  return utf8;
}

std::string host_name() {
  char buffer[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = sizeof buffer;
  if (!GetComputerNameA(buffer, &size)) return "unknown-host";
  return std::string(buffer, size);
}

std::optional<std::string> environment(const char* name) {
  // Wide, so a value holding non-ASCII characters (a user profile path) arrives intact as UTF-8.
  std::wstring wide_name = widen(name);
  DWORD size = GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
  if (size == 0) return std::nullopt;
  std::wstring value(size, L'\0');
  DWORD length = GetEnvironmentVariableW(wide_name.c_str(), value.data(), size);
  if (length == 0 || length >= size) return std::nullopt;
  value.resize(length);
  return utf8_path(fs::path(value));
}

namespace {

constexpr const wchar_t* kSetupKey = L"SOFTWARE\\Microsoft\\Update Services\\Server\\Setup";

// A REG_SZ / REG_EXPAND_SZ value of the WSUS setup key; nullopt when missing or empty (`why` says which).
std::optional<fs::path> setup_value(const wchar_t* name, std::string* why) {
  std::string where = "the registry value HKLM\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\\" +
                      utf8_path(fs::path(name));
  DWORD size = 0;
  LSTATUS status = RegGetValueW(HKEY_LOCAL_MACHINE, kSetupKey, name, RRF_RT_REG_SZ, nullptr, nullptr, &size);
  if (status != ERROR_SUCCESS || size > 64 * 1024) {
    *why = where + " is missing (is WSUS installed on this server?)";
    return std::nullopt;
  }
  std::wstring value(size / sizeof(wchar_t) + 1, L'\0');
  status = RegGetValueW(HKEY_LOCAL_MACHINE, kSetupKey, name, RRF_RT_REG_SZ, nullptr, value.data(), &size);
  if (status != ERROR_SUCCESS) {
    *why = where + " cannot be read: " + last_error_text(static_cast<DWORD>(status));
    return std::nullopt;
  }
  value.resize(wcsnlen(value.c_str(), value.size()));
  while (!value.empty() && (value.back() == L' ' || value.back() == L'\t')) value.pop_back();
  if (value.empty()) {
    *why = where + " is empty";
    return std::nullopt;
  }
  return fs::path(value);
}

}  // namespace

WsusDefaults wsus_defaults() {
  WsusDefaults defaults;
  if (auto program_data = environment("ProgramData"))
    defaults.state_dir = fs::path(*program_data) / "wsus-airgap";
  // TargetDir is the WSUS install folder (normally C:\Program Files\Update Services\).
  if (auto target = setup_value(L"TargetDir", &defaults.wsusutil_missing))
    defaults.wsusutil = *target / "Tools" / "WsusUtil.exe";
  if (auto content = setup_value(L"ContentDir", &defaults.content_dir_missing))
    defaults.content_dir = *content / "WsusContent";
  return defaults;
}

}  // namespace wsa::platform
