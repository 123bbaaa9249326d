#pragma once
// The project's one error type, its exit codes, and the Result type for expected failures.

#include <expected>
#include <stdexcept>
#include <string>

namespace wsa {

// Process exit codes; documented in README.md. Only cli/ turns them into an exit.
enum class ExitCode : int {
  kSuccess = 0,
  kOperational = 1,        // I/O, missing files, anything the user can fix and re-run
  kUsage = 2,              // bad command line
  kIntegrity = 3,          // signature, hash, size or name failure: the media is not trusted
  kOrder = 4,              // replay, gap, broken chain, expiry
  kGaps = 5,               // content files still missing after import
  kWsusutil = 6,           // wsusutil failed or produced an unusable package
  kDeleteCap = 7,          // a mirror would delete more than allowed
  kUnreadablePackage = 8,  // the metadata package yielded no update or no file: never read as "no gaps"
  kStale = 9,              // status --max-age: a source's newest applied package is too old, or none was
  kServerSettings =
      10,  // the offline WSUS server's settings differ from the connected one's (or it is a replica)
};

// What went wrong (`what`: the object, e.g. a file or package), why, and what to do next.
struct Error {
  ExitCode code = ExitCode::kOperational;
  std::string what;
  std::string why;
  std::string hint;

  // "<what>: <why>" followed by "\n  hint: <hint>" when there is one.
  std::string message() const;
};

// The exception form of Error, thrown on paths that cannot continue; caught once in cli/.
class AirgapError : public std::runtime_error {
 public:
  explicit AirgapError(Error error);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

template <class T>
using Result = std::expected<T, Error>;

// Builds the unexpected side of a Result.
inline std::unexpected<Error> make_error(ExitCode code, std::string what, std::string why,
                                         std::string hint = {}) {
  return std::unexpected<Error>(Error{code, std::move(what), std::move(why), std::move(hint)});
}

// Throws AirgapError.
[[noreturn]] void fail(ExitCode code, std::string what, std::string why, std::string hint = {});

// Returns the value of a Result or throws its error.
template <class T>
T value_or_throw(Result<T>&& result) {
  if (!result) throw AirgapError(std::move(result.error()));
  return std::move(*result);
}
inline void value_or_throw(Result<void>&& result) {
  if (!result) throw AirgapError(std::move(result.error()));
}

}  // namespace wsa
