// Reading safetensors files (SPEC §10): an 8-byte little-endian header length N, N bytes of JSON
// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`, then the data, with
// offsets relative to the first byte after the header.
//
// Validation is strict and every failure is one dc::Error line naming the file and the problem: a file too
// short for the length prefix, a header longer than the file (truncated) or than 100 MB, bad JSON, a
// non-object header or entry, a missing or unknown dtype (supported: F32, F16, BF16, I32, I64, U8), a shape
// that is not a list of non-negative integers, offsets that are not [begin, end] with begin <= end, a byte
// range that does not match dtype x shape, a range past the end of the data (truncated file), overlapping
// ranges, and, as the format requires (no holes, so no polyglot files), unused bytes between tensors or
// after the last one. Zero-sized tensors may share an offset. Duplicate tensor names are rejected.
//
// Memory: the file is memory-mapped read-only and never read eagerly, so a 15 GB checkpoint costs address
// space, not RAM, until pages are touched. TensorView::data points into the mapping (zero copy) whenever it
// is aligned to the element size (always true for files written by the safetensors library and by
// write_safetensors, which pad the header to 8 bytes and order tensors by element size). Only a tensor whose
// bytes are misaligned for its dtype is copied, once, into a 64-byte-aligned buffer owned by the file.
// Guarantee to consumers: every view's data is aligned to dtype_size(dtype); no stronger alignment is
// promised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/tensor.h"

namespace dc {

// One header entry. begin/end are byte offsets into the data section (after the header).
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SafetensorsHeader {
  uint64_t header_size = 0;               // N, the JSON length
  uint64_t data_offset = 0;               // 8 + N: file offset of the data section
  uint64_t data_size = 0;                 // bytes of tensor data (= file size - data_offset after validation)
  std::vector<SafetensorsEntry> tensors;  // sorted by (begin, end, name)
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of a whole safetensors file held in [data, data + size). Pure: no I/O, no
// reads outside the buffer; `source` names the file in messages. Throws dc::Error. Fuzzed by
// fuzz/safetensors_header_fuzz.cpp.
SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& source);

// Parses a safetensors dtype name ("BF16", ...). Returns false for names this engine does not support.
bool parse_safetensors_dtype(std::string_view name, DType* out);

class SafetensorsFile {
 public:
  // Maps `path` and validates its header (see above). Throws dc::Error naming `path`.
  explicit SafetensorsFile(const std::string& path);
  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;

  const std::string& path() const { return file_.path(); }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const SafetensorsHeader& header() const { return header_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws dc::Error "PATH: missing tensor 'NAME'".
  const TensorView& get(const std::string& name) const;
  // MappedFile::drop_pages on this file's mapping.
  bool drop_pages(const void* p, size_t bytes) const { return file_.drop_pages(p, bytes); }
  // Number of tensors that had to be copied because their bytes were misaligned (normally 0).
  size_t copied_tensors() const { return copies_.size(); }

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };
  MappedFile file_;
  SafetensorsHeader header_;
  std::map<std::string, TensorView> tensors_;
  std::vector<std::unique_ptr<uint8_t, AlignedFree>> copies_;  // aligned copies of misaligned tensors
};

}  // namespace dc
