// What only Windows has, run under Wine by scripts/windows-test.sh: the WSUS registry defaults,
// wsusutil under "C:\Program Files\Update Services\Tools" started through CreateProcessW, paths over
// 260 characters with non-ASCII folder names, LockFileEx between two processes, the owner-only DACL
// on a key file, wsusutil logs in CRLF and UTF-16, and names Windows reserves.
#include <aclapi.h>
#include <sddl.h>
#include <windows.h>

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <optional>
#include <thread>
#include <utility>

#include "common/platform.h"
#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"
#include "wsus/wsusutil.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

const wchar_t* const kSetupKey = L"SOFTWARE\\Microsoft\\Update Services\\Server\\Setup";
const fs::path kTools = L"C:\\Program Files\\Update Services\\Tools";

// Sets (or, with nullptr, deletes) a value of the WSUS setup key in this prefix's registry.
void set_setup_value(const wchar_t* name, const wchar_t* value) {
  HKEY key = nullptr;
  REQUIRE(RegCreateKeyExW(HKEY_LOCAL_MACHINE, kSetupKey, 0, nullptr, 0, KEY_SET_VALUE, nullptr, &key,
                          nullptr) == ERROR_SUCCESS);
  if (value == nullptr) {
    RegDeleteValueW(key, name);
  } else {
    auto bytes = static_cast<DWORD>((wcslen(value) + 1) * sizeof(wchar_t));
    REQUIRE(RegSetValueExW(key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value), bytes) ==
            ERROR_SUCCESS);
  }
  RegCloseKey(key);
}

// Removes both values when a registry test ends, whatever it asserted.
struct SetupValuesReset {
  ~SetupValuesReset() {
    set_setup_value(L"ContentDir", nullptr);
    set_setup_value(L"TargetDir", nullptr);
  }
};

// The simulator copied to where WSUS keeps wsusutil.exe.
fs::path install_wsusutil() {
  fs::create_directories(kTools);
  fs::path installed = kTools / "WsusUtil.exe";
  fs::copy_file(simulator_binary(), installed, fs::copy_options::overwrite_existing);
  return installed;
}

// A folder below `base` whose full path is longer than `length`, named with non-ASCII characters.
fs::path long_folder(const fs::path& base, std::size_t length) {
  fs::path path = base;
  const char* names[] = {"Säkerhet", "更新", "Mises à jour de sécurité", "Обновления"};
  for (std::size_t i = 0; path.wstring().size() <= length; ++i) path /= fs::path(names[i % 4]);
  return path;
}

// \\?\ in front of an absolute drive-letter path: the form that lifts MAX_PATH for this test's own calls.
fs::path extended(const fs::path& path) {
  return fs::path(L"\\\\?\\" + fs::absolute(path).make_preferred().wstring());
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(extended(to));
  for (fs::recursive_directory_iterator it(from), end; it != end; ++it) {
    fs::path target = extended(to) / fs::relative(it->path(), from);
    if (fs::is_directory(it->status())) {
      fs::create_directories(target);
    } else {
      fs::copy_file(it->path(), target);
    }
  }
}

}  // namespace

TEST_CASE(
    "export and import without --content and --wsusutil use ContentDir and TargetDir from the registry") {
  SetupValuesReset reset;
  Scenario scene("windows-registry", 6);
  fs::path installed = install_wsusutil();
  fs::path offline_root = scene.root() / "offline-wsus";
  fs::create_directories(offline_root / "WsusContent");

  // The connected server: ContentDir names the folder holding WsusContent.
  set_setup_value(L"ContentDir", scene.connected().parent_path().wstring().c_str());
  set_setup_value(L"TargetDir", L"C:\\Program Files\\Update Services\\");
  // With WSUS "installed" export reads the approvals through PowerShell by default; Wine has no
  // UpdateServices module (approvals_tests cover that path), so this test is about the folders alone.
  auto exported = scene.airgap({"export", "--media", scene.media().string(), "--key", scene.key().string(),
                                "--state", scene.export_state().string(), "--approvals", "skip"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(contains(exported.out, "Exported wsus-airgap-000001 (full)"));
  CHECK(fs::exists(scene.package(1) / "metadata.xml.gz"));

  // The offline server: another ContentDir; wsusutil import is the installed copy.
  set_setup_value(L"ContentDir", offline_root.wstring().c_str());
  auto imported = scene.airgap({"import", "--media", scene.media().string(), "--trust", scene.pub().string(),
                                "--state", scene.import_state().string()});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(contains(imported.out, "metadata imported"));
  CHECK(snapshot(offline_root / "WsusContent") == snapshot(scene.connected()));
  CHECK(fs::exists(scene.root() / "offline" / "wsus-database.json"));
  CHECK(fs::exists(installed));
}

TEST_CASE("a missing or empty ContentDir or TargetDir registry value is a usage error naming the value") {
  SetupValuesReset reset;
  Scenario scene("windows-registry-missing", 2);
  const std::vector<std::string> export_args = {"export",
                                                "--media",
                                                scene.media().string(),
                                                "--key",
                                                scene.key().string(),
                                                "--state",
                                                scene.export_state().string()};
  set_setup_value(L"ContentDir", nullptr);
  auto missing = scene.airgap(export_args);
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err,
                 "wsus-airgap: error: --content: is required here: the registry value "
                 "HKLM\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\\ContentDir is missing"));
  CHECK(contains(missing.err, "hint: give --content PATH"));

  set_setup_value(L"ContentDir", L"");
  auto empty = scene.airgap(export_args);
  CHECK(empty.exit_code == 2);
  CHECK(contains(empty.err, "Update Services\\Server\\Setup\\ContentDir is empty"));

  set_setup_value(L"ContentDir", scene.connected().parent_path().wstring().c_str());
  set_setup_value(L"TargetDir", nullptr);
  auto no_wsusutil = scene.airgap(export_args);
  CHECK(no_wsusutil.exit_code == 2);
  CHECK(contains(no_wsusutil.err,
                 "wsus-airgap: error: --wsusutil: is required here: the registry value "
                 "HKLM\\SOFTWARE\\Microsoft\\Update Services\\Server\\Setup\\TargetDir is missing"));
  CHECK_FALSE(fs::exists(scene.package(1)));

  auto import_empty =
      scene.airgap({"import", "--media", scene.media().string(), "--trust", scene.pub().string(), "--state",
                    scene.import_state().string(), "--content", scene.offline().string()});
  CHECK(import_empty.exit_code == 2);
  CHECK(contains(import_empty.err, "Setup\\TargetDir is missing"));
}

TEST_CASE("wsusutil under Program Files gets paths with spaces and non-ASCII, and quotes, verbatim") {
  Scenario scene("windows-wsusutil-args", 3);
  fs::path installed = install_wsusutil();
  fs::path folder = scene.root() / "export folder" / "Säkerhet 更新" / "trailing backslash\\";
  fs::create_directories(folder);
  fs::path package = folder.parent_path() / "pkg with space.xml.gz";
  fs::path log = folder.parent_path() / "wsusutil log ü.txt";
  auto exported = run(installed, {"export", package.string(), log.string()}, scene.root());
  INFO(exported.err);
  CHECK(exported.exit_code == 0);
  CHECK(fs::file_size(package) > 0);
  CHECK(fs::exists(log));

  const std::string quoted = "say \"hi\" \\\"there\\\" Säkerhet 更新 \\";
  auto refused =
      run(installed, {"export", package.string(), log.string(), "--cab-compression", quoted}, scene.root());
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, quoted));
}

TEST_CASE("a round trip on paths over 260 characters with non-ASCII folder names ends byte-identical") {
  Scenario scene("windows-long-paths", 8);
  fs::path deep = long_folder(scene.root() / "deep", 300);
  REQUIRE(deep.wstring().size() > 260);
  fs::path content = deep / "connected" / "WsusContent";
  copy_tree(scene.connected(), content);
  fs::path media = deep / "usb Säkerhet";
  fs::path offline = deep / "offline" / "WsusContent";
  fs::path keys = deep / "nycklar";
  fs::create_directories(extended(media));
  fs::create_directories(extended(offline));
  fs::create_directories(extended(keys));

  auto key = scene.airgap({"keygen", "--out", (keys / "signer").string()});
  INFO(key.err);
  REQUIRE(key.exit_code == 0);
  CHECK(fs::exists(extended(keys / "signer.key")));
  // The export names its paths in the \\?\ form, the import in the drive-letter form.
  auto exported = scene.airgap({"export", "--content", extended(content).string(), "--media",
                                extended(media).string(), "--key", extended(keys / "signer.key").string(),
                                "--state", extended(deep / "export.sqlite").string(), "--wsusutil",
                                simulator_binary().string(), "--volume-size", "1M"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto verified =
      scene.airgap({"verify", "--media", media.string(), "--trust", (keys / "signer.pub").string()});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(contains(verified.out, "OK      wsus-airgap-000001"));
  auto imported = scene.airgap({"import", "--media", media.string(), "--content", offline.string(), "--trust",
                                (keys / "signer.pub").string(), "--state", (deep / "import.sqlite").string(),
                                "--wsusutil", simulator_binary().string()});
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  auto gaps = scene.airgap({"gaps", "--content", offline.string(), "--metadata",
                            (media / "wsus-airgap-000001" / "metadata.xml.gz").string()});
  INFO(gaps.err);
  CHECK(gaps.exit_code == 0);
  CHECK(contains(gaps.out, "No gaps"));
  auto source = snapshot(scene.connected());
  CHECK(source.size() > 5);
  // Wine has no MAX_PATH limit, so the test's own tree walk takes the plain drive-letter form.
  CHECK(snapshot(offline) == source);
  CHECK(snapshot(content) == source);
}

TEST_CASE("a second wsus-airgap.exe on the same ledger or content folder is refused while the first runs") {
  Scenario scene("windows-two-processes", 4);
  // The second process gets its own folder for its captured output: the first still writes to its own.
  fs::path second_dir = scene.root() / "second";
  fs::create_directories(second_dir);
  set_env("WSUSUTIL_SIM_DELAY_MS", "4000");
  auto first = std::async(std::launch::async, [&] { return scene.export_package(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto second = run(airgap_binary(),
                    {"export", "--content", scene.connected().string(), "--media",
                     (scene.root() / "usb2").string(), "--key", scene.key().string(), "--state",
                     scene.export_state().string(), "--wsusutil", simulator_binary().string()},
                    second_dir);
  auto first_result = first.get();
  set_env("WSUSUTIL_SIM_DELAY_MS", "0");
  INFO(first_result.err);
  CHECK(first_result.exit_code == 0);
  INFO(second.err);
  CHECK(second.exit_code == 1);
  CHECK(contains(second.err, "another wsus-airgap run holds this lock"));
  CHECK_FALSE(fs::exists(scene.root() / "usb2" / "wsus-airgap-000001"));

  // Two imports into one content folder with different ledgers: the content folder's lock refuses.
  set_env("WSUSUTIL_SIM_DELAY_MS", "4000");
  auto importing = std::async(std::launch::async, [&] { return scene.import_packages(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto blocked =
      run(airgap_binary(),
          {"import", "--media", scene.media().string(), "--content", scene.offline().string(), "--trust",
           scene.pub().string(), "--state", (scene.root() / "second-ledger.sqlite").string(), "--wsusutil",
           simulator_binary().string()},
          second_dir);
  auto imported = importing.get();
  set_env("WSUSUTIL_SIM_DELAY_MS", "0");
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  INFO(blocked.err);
  CHECK(blocked.exit_code == 1);
  CHECK(contains(blocked.err, "another wsus-airgap run holds this lock"));
  CHECK(contains(blocked.err, ".wsus-airgap.lock"));
}

namespace {

// The DACL of `file` in SDDL ("D:P(A;;FA;;;SY)..."), with its number of entries; nullopt when none is
// reported.
std::optional<std::pair<std::string, int>> file_dacl(const fs::path& file) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  DWORD status = GetNamedSecurityInfoW(file.wstring().c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                       nullptr, nullptr, &dacl, nullptr, &descriptor);
  if (status != ERROR_SUCCESS || dacl == nullptr) {
    if (descriptor != nullptr) LocalFree(descriptor);
    return std::nullopt;
  }
  wchar_t* sddl = nullptr;
  std::optional<std::pair<std::string, int>> result;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorW(descriptor, SDDL_REVISION_1,
                                                           DACL_SECURITY_INFORMATION, &sddl, nullptr)) {
    result = std::make_pair(wsa::platform::utf8_path(fs::path(sddl)), static_cast<int>(dacl->AceCount));
    LocalFree(sddl);
  }
  LocalFree(descriptor);
  return result;
}

}  // namespace

TEST_CASE("keygen writes the private key with a protected DACL for its owner and SYSTEM only") {
  Scenario scene("windows-key-acl", 1);
  // Whether this Windows keeps a DACL set on a file (Wine keeps it in an extended attribute, where the
  // file system has them; otherwise it reports one made from the Unix mode bits).
  fs::path probe = scene.root() / "probe.txt";
  write_file(probe, "probe");
  PSECURITY_DESCRIPTOR known = nullptr;
  REQUIRE(ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;FA;;;SY)", SDDL_REVISION_1, &known,
                                                               nullptr));
  BOOL set = SetFileSecurityW(probe.wstring().c_str(),
                              DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, known);
  LocalFree(known);
  auto probed = file_dacl(probe);
  // Wine keeps the entries but drops the protected flag (it reports "D:(A;;FA;;;SY)"): the entries are
  // still checked, the flag only where this Windows keeps it.
  const bool keeps_protected = probed && probed->first == "D:P(A;;FA;;;SY)";
  if (!set || !probed || (!keeps_protected && probed->first != "D:(A;;FA;;;SY)")) {
    skip_test("this Windows (Wine) does not keep the DACL set on a file (it reports " +
              (probed ? probed->first : std::string("none")) + "): the key file's DACL cannot be checked");
  }

  auto dacl = file_dacl(scene.key());
  REQUIRE(dacl.has_value());
  const std::string& text = dacl->first;
  INFO(text);
  CHECK(dacl->second == 2);
  if (keeps_protected) CHECK(text.starts_with("D:P"));  // protected: nothing inherited from the folder
  CHECK(contains(text, "(A;;FA;;;SY)"));
  CHECK(contains(text, "(A;;FA;;;S-1-5-"));  // the user's own SID
  CHECK_FALSE(contains(text, ";;;WD)"));     // Everyone
  CHECK_FALSE(contains(text, ";;;BU)"));     // Users
  CHECK_FALSE(contains(text, ";;;AU)"));     // Authenticated Users
}

TEST_CASE("wsusutil's error lines are shown whether its log is UTF-8 with CRLF or UTF-16 with a BOM") {
  Scenario scene("windows-wsusutil-logs", 2);
  fs::path log = scene.root() / "wsusutil.log";
  const std::string line =
      "2026-11-20 08:00:00.123 UTC\tError\tWsusUtil.1\tExportPackage\tdisk full Säkerhet";
  write_file(log, "2026-11-20 08:00:00.000 UTC\tInfo\tWsusUtil.1\tStart\tbegin\r\n" + line + "\r\n");
  auto crlf = wsa::wsus::log_error_lines(log, 10);
  REQUIRE(crlf.size() == 1);
  CHECK(crlf[0] == line);

  // UTF-16LE with a byte-order mark, CRLF line ends, as Windows tools write their logs.
  std::wstring wide = L"\uFEFF2026-11-20 08:00:00.000 UTC\tInfo\tWsusUtil.1\tStart\tbegin\r\n" +
                      fs::path(line).wstring() + L"\r\n";
  write_file(log, std::string(reinterpret_cast<const char*>(wide.data()), wide.size() * sizeof(wchar_t)));
  auto utf16 = wsa::wsus::log_error_lines(log, 10);
  REQUIRE(utf16.size() == 1);
  CHECK(utf16[0] == line);
}

TEST_CASE("a failing wsusutil whose log is UTF-16 with CRLF ends the import with exit 6 and its error line") {
  Scenario scene("windows-wsusutil-utf16-log", 3);
  REQUIRE(scene.export_package().exit_code == 0);
  set_env("WSUSUTIL_SIM_FAIL", "exit");
  set_env("WSUSUTIL_SIM_LOG_ENCODING", "utf-16");
  auto imported = scene.import_packages();
  set_env("WSUSUTIL_SIM_FAIL", "");
  set_env("WSUSUTIL_SIM_LOG_ENCODING", "");
  INFO(imported.err);
  CHECK(imported.exit_code == 6);
  CHECK(contains(imported.err, "wsus-airgap: error: wsusutil import: failed (exit code 1)"));
  // The log's Error line, decoded: no byte-order mark, no NUL bytes, no carriage return.
  CHECK(contains(imported.err, "Import failed: the simulator was asked to fail (WSUSUTIL_SIM_FAIL=exit)"));
  CHECK_FALSE(contains(imported.err, std::string(1, '\0')));
  CHECK_FALSE(contains(imported.err, "\r"));
  CHECK_FALSE(contains(imported.err, "\xFF\xFE"));
}

TEST_CASE(
    "a path with a trailing dot or space, a reserved device name or a stream is refused on the command "
    "line") {
  Scenario scene("windows-bad-names", 1);
  for (const std::string& bad :
       {(scene.root() / "media.").string(), (scene.root() / "media ").string(),
        (scene.root() / "CON").string(), (scene.root() / "nul.txt").string(),
        (scene.root() / "COM1" / "x").string(), (scene.root() / "file:stream").string()}) {
    auto refused = scene.airgap({"verify", "--media", bad, "--trust", scene.pub().string()});
    INFO(bad);
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "wsus-airgap: error: --media: "));
    CHECK(contains(refused.err, "Windows"));
  }
  CHECK_FALSE(fs::exists(scene.root() / "media"));
}

TEST_CASE("a wsusutil that Windows cannot start is an exit-6 error in Windows's words, with its error code") {
  Scenario scene("windows-wsusutil-not-a-program", 1);
  fs::path not_a_program = scene.root() / "WsusUtil.exe";
  write_file(not_a_program, "this is text, not a program\r\n");
  wsa::platform::ProcessOptions options;
  options.timeout = std::chrono::seconds(60);
  auto ran = wsa::platform::run_process(not_a_program, {"import"}, options);
  REQUIRE_FALSE(ran.has_value());
  INFO(ran.error().message());
  CHECK(ran.error().code == wsa::ExitCode::kWsusutil);
  CHECK(contains(ran.error().message(), not_a_program.string() + ": cannot start: "));
  // The code CreateProcessW set, kept before the handles are closed: ERROR_BAD_EXE_FORMAT.
  CHECK(contains(ran.error().message(), "(Windows error 193)"));
  CHECK(contains(ran.error().message(), "check the path given with --wsusutil"));
}
