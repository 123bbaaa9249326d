// The .xml.gz metadata package: the input is the XML document, gzipped here so the fuzzer explores the
// XML reader (every form of update XML inside metadata) rather than deflate.
#include <zlib.h>

#include "fuzz/fuzz_support.h"
#include "wsus/export_package.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string gz(compressBound(static_cast<uLong>(size)) + 64, '\0');
  z_stream stream{};
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  stream.next_in = const_cast<Bytef*>(data);
  stream.avail_in = static_cast<uInt>(size);
  stream.next_out = reinterpret_cast<Bytef*>(gz.data());
  stream.avail_out = static_cast<uInt>(gz.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) std::abort();
  gz.resize(stream.total_out);
  deflateEnd(&stream);
  auto file = wsa::fuzz::scratch_file("metadata.xml.gz", gz);
  wsa::wsus::ReaderLimits limits;
  limits.max_uncompressed_bytes = 64 << 20;
  wsa::wsus::PackageVisitor visitor{[](const wsa::wsus::PackageFile&) {},
                                    [](const wsa::wsus::PackageUpdate&) {}};
  wsa::fuzz::check(wsa::wsus::read_export_package(file, visitor, limits));
  return 0;
}
