#pragma once
// Shared by the libFuzzer targets: a scratch file per process for readers that take a path, and a
// check that a refusal is worded the project's way (an error is fine; a crash, hang or leak is not).

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"

namespace wsa::fuzz {

// `<tmp>/wsus-airgap-fuzz-<pid>/<name>`, rewritten with `bytes` on every call.
boost::filesystem::path scratch_file(const std::string& name, std::string_view bytes);

// Every refusal names what it is about and says why: abort (a finding) when one does not.
inline void check_refusal(const Error& error) {
  if (error.why.empty()) std::abort();
}

template <class T>
void check(const Result<T>& result) {
  if (!result) check_refusal(result.error());
}

}  // namespace wsa::fuzz
