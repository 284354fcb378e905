#include "eval/gzip_file.h"

#include <zlib.h>

#include "core/error.h"
#include "core/mapped_file.h"

namespace dc::eval {

std::string gunzip(const std::string& data, const std::string& what, uint64_t max_bytes) {
  auto too_large = [&] {
    throw_error("{}: decompresses to more than {} MiB, the cap for a gzip file here (a gzip bomb?)", what,
                max_bytes >> 20);
  };
  // Deflate never shrinks data below about 1/1032 of it, but it never grows it by more than a few bytes per
  // block: compressed input longer than the cap cannot fit it (and its size must fit zlib's uInt).
  if (data.size() > max_bytes) too_large();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw_error("{}: cannot start gzip decompression", what);
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  char chunk[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t got = sizeof(chunk) - zs.avail_out;
    if (out.size() + got > max_bytes) {
      inflateEnd(&zs);
      too_large();
    }
    out.append(chunk, got);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal; continue with the next one.
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    if (rc != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0)) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) throw_error("{}: corrupt or truncated gzip data", what);
  return out;
}

std::string read_maybe_gzip(const std::string& path) {
  std::string data = read_file(path);
  if (data.size() >= 2 && uint8_t(data[0]) == 0x1f && uint8_t(data[1]) == 0x8b) return gunzip(data, path);
  return data;
}

}  // namespace dc::eval
