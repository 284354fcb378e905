// safetensors reading and writing: byte-exact writer output against hand-assembled files, round trips of
// every dtype, misaligned data, and one exact one-line message for every malformed case the reader rejects.
#include "model/safetensors.h"
#include "core/process_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "model/safetensors_writer.h"

namespace dc {
namespace {

using testing::raw_safetensors;
using testing::TempDir;

SafetensorsHeader parse(const std::vector<uint8_t>& bytes) {
  return parse_safetensors_header(bytes.data(), bytes.size(), "x.safetensors");
}

std::vector<uint8_t> zeros(size_t n) {
  return std::vector<uint8_t>(n, 0);
}

TEST(SafetensorsHeader, ParsesEntriesMetadataAndOffsets) {
  auto bytes = raw_safetensors(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[8,20]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"I64","shape":[0,5],"data_offsets":[20,20]}})",
      zeros(20));
  SafetensorsHeader h = parse(bytes);
  EXPECT_EQ(h.data_offset, bytes.size() - 20);
  EXPECT_EQ(h.header_size, bytes.size() - 28);
  EXPECT_EQ(h.data_size, 20u);
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.tensors[0].name, "a");
  EXPECT_EQ(h.tensors[0].dtype, DType::F32);
  EXPECT_EQ(h.tensors[0].shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(h.tensors[1].name, "b");
  EXPECT_EQ(h.tensors[1].dtype, DType::BF16);
  EXPECT_EQ(h.tensors[1].begin, 8u);
  EXPECT_EQ(h.tensors[1].end, 20u);
  EXPECT_EQ(h.tensors[2].name, "e");
  EXPECT_EQ(h.tensors[2].shape, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(h.metadata.at("format"), "pt");
}

TEST(SafetensorsHeader, AcceptsEmptyHeaderAndSpacePadding) {
  EXPECT_TRUE(parse(raw_safetensors("{}      ")).tensors.empty());
  // Zero-sized tensors may share an offset with each other and with the next tensor.
  auto h = parse(raw_safetensors(R"({"z1":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},)"
                                 R"("z2":{"dtype":"U8","shape":[3,0],"data_offsets":[0,0]},)"
                                 R"("t":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})",
                                 zeros(3)));
  EXPECT_EQ(h.tensors.size(), 3u);
}

TEST(SafetensorsHeader, RejectsFileTooShortForLength) {
  EXPECT_DC_ERROR(parse(zeros(5)),
                  "x.safetensors: file is too short for a safetensors header (5 bytes, need at least 8)");
}

TEST(SafetensorsHeader, RejectsHeaderLongerThanFile) {
  auto bytes = raw_safetensors("{}");
  bytes[0] = 100;  // claims 100 header bytes, file has 10
  EXPECT_DC_ERROR(
      parse(bytes),
      "x.safetensors: header length 100 runs past the end of the file (10 bytes): file truncated or not "
      "safetensors");
  auto huge = raw_safetensors("{}");
  for (int i = 0; i < 8; ++i) huge[i] = 0xff;  // 2^64 - 1: no overflow in the check
  EXPECT_DC_ERROR(
      parse(huge),
      "x.safetensors: header length 18446744073709551615 runs past the end of the file (10 bytes): file "
      "truncated or not safetensors");
}

TEST(SafetensorsHeader, RejectsTinyHeaderLength) {
  EXPECT_DC_ERROR(parse(raw_safetensors("")),
                  "x.safetensors: header length 0 is too small for a JSON object");
}

TEST(SafetensorsHeader, RejectsBadJson) {
  try {
    parse(raw_safetensors(R"({"a": {"dtype": "F32",)"));
    ADD_FAILURE() << "expected dc::Error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("x.safetensors (header): bad JSON: parse error at line 1, column 23", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  // Raw control bytes in the header stay escaped: the message is still one line.
  try {
    parse(raw_safetensors("{\"a\n\x01\":1}"));
    ADD_FAILURE() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(SafetensorsHeader, RejectsNonObjectHeader) {
  EXPECT_DC_ERROR(parse(raw_safetensors("[1, 2]")), "x.safetensors: header must be a JSON object, got array");
}

TEST(SafetensorsHeader, RejectsNonObjectEntry) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w": 3})")),
                  "x.safetensors: tensor 'w': entry must be a JSON object, got integer");
}

TEST(SafetensorsHeader, RejectsMissingDtype) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", zeros(4))),
                  "x.safetensors: tensor 'w': missing 'dtype'");
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", zeros(4))),
                  "x.safetensors: tensor 'w': 'dtype' must be a string, got integer");
}

TEST(SafetensorsHeader, RejectsUnknownDtype) {
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", zeros(8))),
      "x.safetensors: tensor 'w': unknown dtype 'F64' (supported: F32, F16, BF16, I32, I64, U8)");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"bf16","shape":[1],"data_offsets":[0,2]}})", zeros(2))),
      "x.safetensors: tensor 'w': unknown dtype 'bf16' (supported: F32, F16, BF16, I32, I64, U8)");
}

TEST(SafetensorsHeader, RejectsBadShape) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", zeros(4))),
                  "x.safetensors: tensor 'w': missing 'shape'");
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":4,"data_offsets":[0,4]}})", zeros(4))),
                  "x.safetensors: tensor 'w': 'shape' must be an array, got integer");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", zeros(4))),
      "x.safetensors: tensor 'w': 'shape' must hold non-negative integers");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", zeros(4))),
      "x.safetensors: tensor 'w': 'shape' must hold non-negative integers");
}

TEST(SafetensorsHeader, RejectsShapeWhoseSizeOverflows) {
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}})",
                            zeros(4))),
      "x.safetensors: tensor 'w': shape [4611686018427387904, 4] is too large");
}

TEST(SafetensorsHeader, RejectsBadOffsets) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[1]}})", zeros(4))),
                  "x.safetensors: tensor 'w': missing 'data_offsets'");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", zeros(4))),
      "x.safetensors: tensor 'w': 'data_offsets' must be [begin, end] with non-negative integers");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", zeros(4))),
      "x.safetensors: tensor 'w': 'data_offsets' must be [begin, end] with non-negative integers");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", zeros(4))),
      "x.safetensors: tensor 'w': data_offsets [4, 0] end before they begin");
}

TEST(SafetensorsHeader, RejectsSizeMismatchBetweenShapeAndOffsets) {
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}})", zeros(8))),
      "x.safetensors: tensor 'w': data_offsets [0, 8] span 8 bytes but BF16 [2, 3] needs 12 bytes");
}

TEST(SafetensorsHeader, RejectsOffsetsPastTheData) {
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", zeros(12))),
      "x.safetensors: tensor 'w': data_offsets [0, 16] run past the end of the data (12 bytes): file "
      "truncated");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,0]}})",
                            zeros(1))),
      "x.safetensors: tensor 'w': data_offsets [18446744073709551615, 0] end before they begin");
}

TEST(SafetensorsHeader, RejectsOverlap) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                        zeros(12))),
                  "x.safetensors: tensors 'a' [0, 8] and 'b' [4, 12] overlap");
  // Identical ranges overlap too.
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                        R"("b":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                                        zeros(8))),
                  "x.safetensors: tensors 'a' [0, 8] and 'b' [0, 8] overlap");
}

TEST(SafetensorsHeader, RejectsHolesAndTrailingBytes) {
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                            zeros(12))),
      "x.safetensors: 4 unused bytes before tensor 'b' at data offset 4 (safetensors forbids holes)");
  EXPECT_DC_ERROR(
      parse(raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(7))),
      "x.safetensors: 3 bytes after the last tensor are not described by the header");
}

TEST(SafetensorsHeader, RejectsDuplicateNames) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                        zeros(8))),
                  "x.safetensors (header): duplicate key 'a' in the top-level object");
  EXPECT_DC_ERROR(parse(raw_safetensors(
                      R"({"a":{"dtype":"F32","dtype":"U8","shape":[1],"data_offsets":[0,4]}})", zeros(4))),
                  "x.safetensors (header): duplicate key 'dtype' in a nested object");
}

TEST(SafetensorsHeader, RejectsBadMetadata) {
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"__metadata__":[]})")),
                  "x.safetensors: '__metadata__' must be an object of strings");
  EXPECT_DC_ERROR(parse(raw_safetensors(R"({"__metadata__":{"step":3}})")),
                  "x.safetensors: '__metadata__' value 'step' must be a string, got integer");
}

TEST(SafetensorsHeader, EscapesUntrustedNamesInMessages) {
  EXPECT_DC_ERROR(
      parse(
          raw_safetensors("{\"a\\nb'\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", zeros(8))),
      "x.safetensors: tensor 'a\\x0ab\\'': unknown dtype 'F64' (supported: F32, F16, BF16, I32, I64, U8)");
}

// The writer's output, byte for byte: header keys sorted, padded with spaces to 8 bytes, data ordered by
// element size then name (F32 'z' before BF16 'a'), little-endian values.
TEST(SafetensorsWriter, WritesTheExactLayout) {
  TempDir tmp;
  const std::string path = tmp.file("w.safetensors");
  std::vector<NamedTensor> ts = {make_float_tensor("a", DType::BF16, {2}, {1.0f, -2.0f}),
                                 make_float_tensor("z", DType::F32, {1}, {0.5f})};
  write_safetensors(path, ts, {{"format", "pt"}});
  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"data_offsets":[4,8],"dtype":"BF16","shape":[2]},)"
      R"("z":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  // 0.5f = 0x3f000000; bf16(1) = 0x3f80; bf16(-2) = 0xc000.
  auto expected = raw_safetensors(header, {0x00, 0x00, 0x00, 0x3f, 0x80, 0x3f, 0x00, 0xc0});
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
}

TEST(SafetensorsWriter, RejectsInconsistentInput) {
  TempDir tmp;
  const std::string path = tmp.file("w.safetensors");
  NamedTensor bad = make_float_tensor("a", DType::F32, {2}, {1.0f, 2.0f});
  bad.bytes.pop_back();
  EXPECT_DC_ERROR(write_safetensors(path, {bad}), path + ": tensor 'a': 7 bytes given but F32 [2] needs 8");
  NamedTensor a = make_float_tensor("a", DType::F32, {1}, {1.0f});
  EXPECT_DC_ERROR(write_safetensors(path, {a, a}), path + ": duplicate tensor name 'a'");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_DC_ERROR(write_safetensors(tmp.file("no/such/dir.safetensors"), {a}),
                  tmp.file("no/such/dir.safetensors") + ": cannot create: No such file or directory");
}

TEST(SafetensorsFile, RoundTripsEveryDtype) {
  TempDir tmp;
  const std::string path = tmp.file("r.safetensors");
  std::vector<NamedTensor> ts;
  ts.push_back(make_float_tensor("f32", DType::F32, {2, 2}, {1.5f, -0.25f, 3.0e-8f, 65504.0f}));
  ts.push_back(make_float_tensor("f16", DType::F16, {3}, {1.5f, -0.25f, 65504.0f}));
  ts.push_back(make_float_tensor("bf16", DType::BF16, {1, 3}, {1.5f, -0.25f, 3.0e38f}));
  NamedTensor ids{"ids", DType::I32, {2}, {}};
  const int32_t idv[2] = {151666, -7};
  ids.bytes.resize(8);
  std::memcpy(ids.bytes.data(), idv, 8);
  ts.push_back(ids);
  NamedTensor big{"i64", DType::I64, {1}, std::vector<uint8_t>(8, 0xff)};
  ts.push_back(big);
  NamedTensor u8{"u8", DType::U8, {3}, {1, 2, 255}};
  ts.push_back(u8);
  NamedTensor empty{"empty", DType::F32, {0, 4}, {}};
  ts.push_back(empty);
  write_safetensors(path, ts, {{"note", "round trip"}});

  SafetensorsFile f(path);
  EXPECT_EQ(f.metadata().at("note"), "round trip");
  EXPECT_EQ(f.tensors().size(), ts.size());
  EXPECT_EQ(f.copied_tensors(), 0u);
  for (const auto& t : ts) {
    const TensorView& v = f.get(t.name);
    EXPECT_EQ(v.dtype, t.dtype) << t.name;
    EXPECT_EQ(v.shape, t.shape) << t.name;
    ASSERT_EQ(v.nbytes(), t.bytes.size()) << t.name;
    if (!t.bytes.empty()) {
      EXPECT_EQ(std::memcmp(v.data, t.bytes.data(), t.bytes.size()), 0) << t.name;
    }
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data) % dtype_size(v.dtype), 0u) << t.name;
  }
  EXPECT_EQ(f.get("f32").f32()[3], 65504.0f);
  EXPECT_EQ(f16_to_f32(f.get("f16").u16()[1]), -0.25f);
  EXPECT_EQ(f.get("bf16").u16()[0], 0x3fc0);  // 1.5 = 0x3fc00000
  EXPECT_EQ(static_cast<const int32_t*>(f.get("ids").data)[0], 151666);
  EXPECT_DC_ERROR(f.get("nope"), path + ": missing tensor 'nope'");
}

// F32 data at an odd file offset: legal safetensors; views must still be element-aligned.
TEST(SafetensorsFile, CopiesMisalignedTensorsOnly) {
  TempDir tmp;
  const std::string path = tmp.file("odd.safetensors");
  std::string header = R"({"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                       R"("w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
  header.append((4 - header.size() % 4) % 4, ' ');  // 'w' then starts at file offset 8 + N + 1: odd
  std::vector<uint8_t> data = {7};
  const float vals[2] = {1.25f, -3.5f};
  data.resize(9);
  std::memcpy(data.data() + 1, vals, 8);
  testing::write_bytes(path, raw_safetensors(header, data));
  SafetensorsFile f(path);
  EXPECT_EQ(f.copied_tensors(), 1u);  // 'w' copied; 'u' (1-byte elements) never needs it
  EXPECT_EQ(*static_cast<const uint8_t*>(f.get("u").data), 7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.get("w").data) % 64, 0u);
  EXPECT_EQ(f.get("w").f32()[0], 1.25f);
  EXPECT_EQ(f.get("w").f32()[1], -3.5f);
}

TEST(SafetensorsFile, RejectsTruncatedFile) {
  TempDir tmp;
  const std::string path = tmp.file("t.safetensors");
  write_safetensors(path, {make_float_tensor("w", DType::F32, {4}, {1, 2, 3, 4})});
  const auto full = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, full - 1);
  EXPECT_DC_ERROR(
      SafetensorsFile{path},
      path + ": tensor 'w': data_offsets [0, 16] run past the end of the data (15 bytes): file truncated");
  std::filesystem::resize_file(path, 3);
  EXPECT_DC_ERROR(SafetensorsFile{path},
                  path + ": file is too short for a safetensors header (3 bytes, need at least 8)");
}

TEST(SafetensorsFile, RejectsMissingFileAndHugeHeader) {
  TempDir tmp;
  EXPECT_DC_ERROR(SafetensorsFile{tmp.file("none.safetensors")},
                  tmp.file("none.safetensors") + ": cannot open: No such file or directory");
  // A sparse file whose length prefix claims 200 MB of header: refused before any JSON is parsed.
  const std::string path = tmp.file("huge.safetensors");
  const uint64_t n = 200ull * 1000 * 1000;
  std::vector<uint8_t> prefix(8);
  for (int i = 0; i < 8; ++i) prefix[i] = uint8_t(n >> (8 * i));
  testing::write_bytes(path, prefix);
  std::filesystem::resize_file(path, 8 + n);
  EXPECT_DC_ERROR(SafetensorsFile{path}, path + ": header length 200000000 exceeds the 100 MB limit");
}

// Opening maps the file without reading the data: a 2 GiB tensor (sparse file) adds almost nothing to RSS.
TEST(SafetensorsFile, DoesNotReadDataEagerly) {
  TempDir tmp;
  const std::string path = tmp.file("big.safetensors");
  const uint64_t bytes = 2ull << 30;
  std::string header =
      R"({"w":{"dtype":"BF16","shape":[1048576,1024],"data_offsets":[0,)" + std::to_string(bytes) + "]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  testing::write_bytes(path, raw_safetensors(header));
  std::filesystem::resize_file(path, 8 + header.size() + bytes);
  const int64_t before = int64_t(resident_kib());
  SafetensorsFile f(path);
  const int64_t after = int64_t(resident_kib());
  EXPECT_EQ(f.get("w").nbytes(), bytes);
  EXPECT_EQ(f.copied_tensors(), 0u);
  EXPECT_LT(after - before, 32 * 1024) << "RSS grew by " << (after - before) << " KiB";
}

}  // namespace
}  // namespace dc
