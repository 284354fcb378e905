// The playground's files (src/server/web/), compiled into the binary by cmake/embed_files.cmake: the
// server needs no files beside it. GET / serves /index.html.
#pragma once

#include <span>
#include <string_view>

namespace dc::server {

struct WebAsset {
  std::string_view path;          // "/index.html", "/playground.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;          // the file's bytes
};

// Every embedded file, sorted by path.
std::span<const WebAsset> web_assets();

}  // namespace dc::server
