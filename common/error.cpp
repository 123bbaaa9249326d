#include "common/error.h"

namespace wsa {

std::string Error::message() const {
  std::string text = what.empty() ? why : what + ": " + why;
  if (!hint.empty()) text += "\n  hint: " + hint;
  return text;
}

AirgapError::AirgapError(Error error) : std::runtime_error(error.message()), error_(std::move(error)) {}

void fail(ExitCode code, std::string what, std::string why, std::string hint) {
  throw AirgapError(Error{code, std::move(what), std::move(why), std::move(hint)});
}

}  // namespace wsa
