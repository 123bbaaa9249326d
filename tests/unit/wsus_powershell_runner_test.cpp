// What a program said on standard error, as wsus-airgap quotes it in a message.
#include "tests/support/catch.h"
#include "wsus/powershell_runner.h"

using wsa::wsus::stderr_tail;

TEST_CASE("standard error is quoted with CRLF read as LF and the line ends at its end trimmed") {
  CHECK(stderr_tail("first\r\nsecond\r\n\r\n") == "first\nsecond");
  CHECK(stderr_tail("unix\nlines\n") == "unix\nlines");
  // A CR that does not end a line is what the program wrote: kept.
  CHECK(stderr_tail("progress\r50%\r\n") == "progress\r50%");
  CHECK(stderr_tail("") == "");
  CHECK(stderr_tail("\r\n\n") == "");
}

TEST_CASE("a long standard error is quoted by its last 2000 bytes, where the reason usually is") {
  std::string err = std::string(5000, 'x') + "\r\nthe reason\r\n";
  std::string tail = stderr_tail(err);
  CHECK(tail.size() == 2000);
  CHECK(tail.ends_with("x\nthe reason"));
}
