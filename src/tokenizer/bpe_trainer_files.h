// Finding the text files a tokenizer (or a data set, train/data.h) is built from: files named on the command
// line, or every file under a directory whose name ends with one of the given extensions, in sorted path
// order (deterministic). Also the default corpus: the Python standard library sources on this machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dc::tok {

// Files from `inputs` (files are taken as given; directories are walked recursively, skipping hidden
// entries and symbolic links to directories). `extensions` like {".py"}; empty = every regular file.
// Throws dc::Error naming an input that does not exist, or when nothing is found.
std::vector<std::string> list_corpus_files(const std::vector<std::string>& inputs,
                                           const std::vector<std::string>& extensions);

// The newest /usr/lib/python3.N (or /usr/local/lib/python3.N) directory holding os.py; throws dc::Error
// when none exists.
std::string default_python_source_dir();

class WordCounter;  // tokenizer/bpe_trainer.h

struct CorpusStats {
  int64_t files = 0;  // files read
  int64_t bytes = 0;  // bytes counted
};

// Adds the files' texts to `counter` in order, stopping after the file that reaches `max_bytes` (<= 0: no
// limit). Throws dc::Error naming a file that cannot be read.
CorpusStats count_corpus_words(const std::vector<std::string>& files, int64_t max_bytes,
                               WordCounter& counter);

}  // namespace dc::tok
