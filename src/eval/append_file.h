// An append-only jsonl file written one whole line per write(2) (O_APPEND keeps lines of concurrent
// writers whole) and synced after each line, so finished work survives an interruption. A line cut short
// by an earlier interruption is closed with a newline first, so it never swallows the next record.
#pragma once

#include <string>

namespace dc::eval {

class AppendFile {
 public:
  explicit AppendFile(const std::string& path);  // throws dc::Error naming the path
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void line(const std::string& text);   // text + "\n", then fdatasync
  void lines(const std::string& text);  // several lines ending in "\n", one write, then fdatasync

 private:
  void write_all(const std::string& data);
  std::string path_;
  int fd_ = -1;
};

}  // namespace dc::eval
