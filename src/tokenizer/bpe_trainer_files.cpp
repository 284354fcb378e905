#include "tokenizer/bpe_trainer_files.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/bpe_trainer.h"

namespace dc::tok {

namespace fs = std::filesystem;

namespace {

bool wanted(const fs::path& p, const std::vector<std::string>& extensions) {
  if (extensions.empty()) return true;
  const std::string name = p.filename().string();
  for (const auto& e : extensions) {
    if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

void walk(const fs::path& dir, const std::vector<std::string>& extensions, std::vector<std::string>& out) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw_error("{}: cannot read the directory: {}", dir.string(), ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw_error("{}: cannot read the directory: {}", dir.string(), ec.message());
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec) && it->is_directory(ec)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && wanted(p, extensions)) out.push_back(p.string());
  }
}

}  // namespace

std::vector<std::string> list_corpus_files(const std::vector<std::string>& inputs,
                                           const std::vector<std::string>& extensions) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    const auto status = fs::status(in, ec);
    if (ec || !fs::exists(status)) throw_error("{}: no such file or directory", in);
    if (fs::is_directory(status)) {
      std::vector<std::string> found;
      walk(in, extensions, found);
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(in);
    }
  }
  if (out.empty()) {
    std::string exts;
    for (const auto& e : extensions) exts += (exts.empty() ? "" : ", ") + e;
    throw_error("{}: no input files{}", inputs.empty() ? std::string("(no inputs)") : inputs.front(),
                exts.empty() ? std::string() : " ending with " + exts);
  }
  return out;
}

std::string default_python_source_dir() {
  std::string best;
  int best_minor = -1;
  for (const char* root : {"/usr/lib", "/usr/local/lib"}) {
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind("python3.", 0) != 0) continue;
      const std::string minor = name.substr(8);
      if (minor.empty() ||
          !std::all_of(minor.begin(), minor.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      if (!fs::exists(it->path() / "os.py", ec)) continue;
      const int m = std::stoi(minor);
      if (m > best_minor) best_minor = m, best = it->path().string();
    }
  }
  if (best.empty()) throw_error("/usr/lib: no Python 3 standard library found (give the input directory)");
  return best;
}

CorpusStats count_corpus_words(const std::vector<std::string>& files, int64_t max_bytes,
                               WordCounter& counter) {
  CorpusStats st;
  for (const auto& f : files) {
    if (max_bytes > 0 && st.bytes >= max_bytes) break;
    const std::string text = read_file(f);
    counter.add_text(text);
    st.bytes += int64_t(text.size());
    ++st.files;
  }
  return st;
}

}  // namespace dc::tok
