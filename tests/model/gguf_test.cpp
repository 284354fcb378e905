// GGUF v3 reading and writing (model/gguf.h, model/gguf_writer.h): write -> read round trips of every value
// and tensor type, a file assembled byte by byte from the SPEC §10 layout, and every malformed header.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"

namespace dc {
namespace {

using testing::TempDir;

// Little-endian byte assembly for hand-built files.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& u32(uint32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& f32(float v) { return raw(&v, 4); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  Bytes& pad_to(size_t a) {
    while (b.size() % a) b.push_back(0);
    return *this;
  }
};

// The header every malformed case starts from: magic, version, counts.
Bytes head(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
  Bytes x;
  x.raw("GGUF", 4).u32(version).u64(n_tensors).u64(n_kv);
  return x;
}

std::string parse_error(const Bytes& x) {
  try {
    parse_gguf(x.b.data(), x.b.size(), "m.gguf");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A file of one F32 tensor "t" with ggml dims {2, 3} (PyTorch [3, 2]) holding 0..5, and one string key.
Bytes one_tensor_file() {
  Bytes x = head(1, 1);
  x.str("general.architecture").u32(8).str("dream");
  x.str("t").u32(2).u64(2).u64(3).u32(0).u64(0);
  x.pad_to(32);
  for (int i = 0; i < 6; ++i) x.f32(float(i));
  return x;
}

TEST(Gguf, HandBuiltFileParsesAsTheSpecSays) {
  const Bytes x = one_tensor_file();
  const GgufHeader h = parse_gguf(x.b.data(), x.b.size(), "m.gguf");
  EXPECT_EQ(h.alignment, 32u);
  // 24 (magic..counts) + 8+20+4+8+5 (kv) + 8+1+4+16+4+8 (tensor info) = 110, aligned up to 128.
  EXPECT_EQ(h.data_offset, 128u);
  ASSERT_EQ(h.metadata.size(), 1u);
  EXPECT_EQ(h.metadata[0].first, "general.architecture");
  EXPECT_EQ(h.metadata[0].second, GgufValue::string("dream"));
  ASSERT_EQ(h.tensors.size(), 1u);
  EXPECT_EQ(h.tensors[0].ggml_dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.tensors[0].nbytes, 24u);
}

TEST(Gguf, WriterProducesTheHandBuiltBytes) {
  TempDir dir;
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  write_gguf(dir.file("w.gguf"), {{"general.architecture", GgufValue::string("dream")}},
             {{"t", TensorView{DType::F32, {3, 2}, values.data()}}});
  const std::string got = testing::read_text(dir.file("w.gguf"));
  const Bytes want = one_tensor_file();
  EXPECT_EQ(got, std::string(want.b.begin(), want.b.end()));
}

TEST(Gguf, RoundTripsEveryValueType) {
  TempDir dir;
  const std::vector<uint8_t> u8s = {0, 7, 255};
  const std::vector<int8_t> i8s = {-128, 0, 127};
  const std::vector<uint16_t> u16s = {1, 65535};
  const std::vector<int16_t> i16s = {-32768, 5};
  const std::vector<uint32_t> u32s = {0, 4000000000u};
  const std::vector<int32_t> i32s = {-7, 1, 3};
  const std::vector<float> f32s = {1.5f, -0.25f};
  const std::vector<uint64_t> u64s = {1ull << 60};
  const std::vector<int64_t> i64s = {-(1ll << 62), 9};
  const std::vector<double> f64s = {1e-300, 3.25};
  const std::vector<bool> bools = {true, false, true};
  GgufValue bool_array;
  bool_array.type = GgufType::Array;
  bool_array.elem = GgufType::Bool;
  bool_array.count = 3;
  bool_array.bytes = std::string("\1\0\1", 3);
  const GgufMetadata md = {
      {"u8", GgufValue::scalar<uint8_t>(200)},
      {"i8", GgufValue::scalar<int8_t>(-100)},
      {"u16", GgufValue::scalar<uint16_t>(60000)},
      {"i16", GgufValue::scalar<int16_t>(-30000)},
      {"u32", GgufValue::scalar<uint32_t>(4000000000u)},
      {"i32", GgufValue::scalar<int32_t>(-2000000000)},
      {"f32", GgufValue::scalar<float>(1e-6f)},
      {"bool", GgufValue::scalar<bool>(true)},
      {"str", GgufValue::string("héllo wörld")},
      {"empty", GgufValue::string("")},
      {"u64", GgufValue::scalar<uint64_t>(1ull << 63)},
      {"i64", GgufValue::scalar<int64_t>(-(1ll << 40))},
      {"f64", GgufValue::scalar<double>(0.1)},
      {"a.u8", GgufValue::array<uint8_t>(u8s)},
      {"a.i8", GgufValue::array<int8_t>(i8s)},
      {"a.u16", GgufValue::array<uint16_t>(u16s)},
      {"a.i16", GgufValue::array<int16_t>(i16s)},
      {"a.u32", GgufValue::array<uint32_t>(u32s)},
      {"a.i32", GgufValue::array<int32_t>(i32s)},
      {"a.f32", GgufValue::array<float>(f32s)},
      {"a.u64", GgufValue::array<uint64_t>(u64s)},
      {"a.i64", GgufValue::array<int64_t>(i64s)},
      {"a.f64", GgufValue::array<double>(f64s)},
      {"a.bool", bool_array},
      {"a.str", GgufValue::array(std::vector<std::string>{"a b", "", "Ġthe"})},
      {"a.empty", GgufValue::array(std::vector<std::string>{})},
  };
  write_gguf(dir.file("m.gguf"), md, {});
  const GgufFile f = GgufFile::open(dir.file("m.gguf"));
  EXPECT_EQ(f.metadata(), md);
  EXPECT_EQ(f.get_uint("u8"), 200u);
  EXPECT_EQ(f.get_int("i8"), -100);
  EXPECT_EQ(f.get_uint("u16"), 60000u);
  EXPECT_EQ(f.get_int("i16"), -30000);
  EXPECT_EQ(f.get_uint("u32"), 4000000000u);
  EXPECT_EQ(f.get_int("i32"), -2000000000);
  EXPECT_EQ(f.get_float("f32"), double(1e-6f));
  EXPECT_TRUE(f.get_bool("bool"));
  EXPECT_EQ(f.get_string("str"), "héllo wörld");
  EXPECT_EQ(f.get_string("empty"), "");
  EXPECT_EQ(f.get_uint("u64"), 1ull << 63);
  EXPECT_EQ(f.get_int("i64"), -(1ll << 40));
  EXPECT_EQ(f.get_float("f64"), 0.1);
  EXPECT_EQ(f.get_int_array("a.i8"), (std::vector<int64_t>{-128, 0, 127}));
  EXPECT_EQ(f.get_int_array("a.u32"), (std::vector<int64_t>{0, 4000000000ll}));
  EXPECT_EQ(f.get_int_array("a.i64"), (std::vector<int64_t>{-(1ll << 62), 9}));
  EXPECT_EQ(f.get_string_array("a.str"), (std::vector<std::string>{"a b", "", "Ġthe"}));
  EXPECT_TRUE(f.get_string_array("a.empty").empty());
  EXPECT_TRUE(f.tensors().empty());
}

TEST(Gguf, GettersNameTheKeyAndTheTypes) {
  TempDir dir;
  write_gguf(dir.file("m.gguf"),
             {{"s", GgufValue::string("x")},
              {"neg", GgufValue::scalar<int32_t>(-1)},
              {"big", GgufValue::scalar<uint64_t>(1ull << 63)},
              {"f", GgufValue::scalar<float>(1)}},
             {});
  const GgufFile f = GgufFile::open(dir.file("m.gguf"));
  const std::string p = dir.file("m.gguf");
  EXPECT_DC_ERROR(f.get_uint("nope"), p + ": metadata key 'nope' is missing");
  EXPECT_DC_ERROR(f.get_uint("s"), p + ": metadata key 's' has type string, expected an unsigned integer");
  EXPECT_DC_ERROR(f.get_uint("neg"), p + ": metadata key 'neg' is -1, expected a value >= 0");
  EXPECT_DC_ERROR(f.get_int("big"), p + ": metadata key 'big' is 9223372036854775808, too large");
  EXPECT_DC_ERROR(f.get_float("s"), p + ": metadata key 's' has type string, expected float32 or float64");
  EXPECT_DC_ERROR(f.get_bool("f"), p + ": metadata key 'f' has type float32, expected bool");
  EXPECT_DC_ERROR(f.get_string("f"), p + ": metadata key 'f' has type float32, expected string");
  EXPECT_DC_ERROR(f.get_string_array("s"),
                  p + ": metadata key 's' has type string, expected array of string");
  EXPECT_DC_ERROR(f.get_int_array("f"),
                  p + ": metadata key 'f' has type float32, expected array of integers");
  EXPECT_DC_ERROR(f.tensor("w"), p + ": missing tensor 'w'");
}

TEST(Gguf, RoundTripsEveryTensorTypeZeroCopy) {
  TempDir dir;
  struct Case {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {{"f32", DType::F32, {3, 5}},          {"f16", DType::F16, {7}},
                                   {"bf16", DType::BF16, {2, 3, 4}},     {"q8_0", DType::Q8_0, {2, 64}},
                                   {"q4_0", DType::Q4_0, {3, 32}},       {"q4_k", DType::Q4_K, {1, 2, 256}},
                                   {"q6_k", DType::Q6_K, {2, 1, 1, 256}}};
  std::vector<std::vector<uint8_t>> data;
  std::vector<GgufTensorRef> refs;
  for (size_t c = 0; c < cases.size(); ++c) {
    TensorView v{cases[c].dtype, cases[c].shape, nullptr};
    data.emplace_back(v.nbytes());
    for (size_t i = 0; i < data.back().size(); ++i) data.back()[i] = uint8_t(i * 31 + c);
    v.data = data.back().data();
    refs.push_back({cases[c].name, v});
  }
  write_gguf(dir.file("t.gguf"), {}, refs, 64);
  const GgufFile f = GgufFile::open(dir.file("t.gguf"));
  EXPECT_EQ(f.header().alignment, 64u);
  EXPECT_EQ(f.get_uint("general.alignment"), 64u);
  ASSERT_EQ(f.tensors().size(), cases.size());
  for (size_t c = 0; c < cases.size(); ++c) {
    const TensorView& t = f.tensor(cases[c].name);
    EXPECT_EQ(t.dtype, cases[c].dtype) << cases[c].name;
    EXPECT_EQ(t.shape, cases[c].shape) << cases[c].name;
    ASSERT_EQ(t.nbytes(), data[c].size());
    EXPECT_EQ(std::memcmp(t.data, data[c].data(), data[c].size()), 0) << cases[c].name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u) << cases[c].name;
  }
  // Stored dims are innermost first.
  EXPECT_EQ(f.header().tensors[2].ggml_dims, (std::vector<int64_t>{4, 3, 2}));
}

TEST(Gguf, WriterRejectsWhatGgufCannotHold) {
  TempDir dir;
  const std::string p = dir.file("x.gguf");
  const float v[64] = {};
  EXPECT_DC_ERROR(write_gguf(p, {}, {{"a", {DType::F32, {2}, v}}, {"a", {DType::F32, {2}, v}}}),
                  p + ": duplicate tensor name 'a'");
  EXPECT_DC_ERROR(write_gguf(p, {{"k", GgufValue::string("")}, {"k", GgufValue::string("")}}, {}),
                  p + ": duplicate metadata key 'k'");
  EXPECT_DC_ERROR(write_gguf(p, {}, {{"a", {DType::I32, {2}, v}}}),
                  p + ": tensor 'a': GGUF cannot store dtype I32");
  EXPECT_DC_ERROR(write_gguf(p, {}, {{"a", {DType::F32, {1, 1, 1, 1, 1}, v}}}),
                  p + ": tensor 'a': shape [1, 1, 1, 1, 1] has 5 dimensions (GGUF takes 1 to 4)");
  EXPECT_DC_ERROR(write_gguf(p, {}, {{"a", {DType::Q8_0, {2, 16}, v}}}),
                  p + ": tensor 'a': innermost dimension 16 is not a multiple of the Q8_0 block size 32");
  EXPECT_DC_ERROR(write_gguf(p, {}, {}, 48), p + ": alignment 48 is not a power of two");
  EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(Gguf, RejectsBadMagicAndVersion) {
  Bytes x = one_tensor_file();
  x.b[0] = 'X';
  EXPECT_EQ(parse_error(x), "m.gguf: not a GGUF file (the first 4 bytes are not \"GGUF\")");
  EXPECT_EQ(parse_error(head(0, 0, 2)),
            "m.gguf: GGUF version 2 is not supported (only version 3) (at byte 4)");
}

TEST(Gguf, TruncationAtEveryHeaderPositionIsOneLineError) {
  const Bytes whole = one_tensor_file();
  const GgufHeader h = parse_gguf(whole.b.data(), whole.b.size(), "m.gguf");
  for (size_t n = 0; n < whole.b.size(); ++n) {
    Bytes cut;
    cut.b.assign(whole.b.begin(), whole.b.begin() + long(n));
    const std::string e = parse_error(cut);
    EXPECT_EQ(e.rfind("m.gguf: ", 0), 0u) << n << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << n;
    if (n >= 4 && n < 110) {
      const bool names_the_cut = e.find("file ends inside") != std::string::npos ||
                                 e.find("runs past the end of the file") != std::string::npos ||
                                 e.find("is impossible") != std::string::npos;
      EXPECT_TRUE(names_the_cut) << n << ": " << e;
    } else if (n >= h.data_offset) {
      EXPECT_NE(e.find("run past the end of the data section"), std::string::npos) << n << ": " << e;
    }
  }
  EXPECT_EQ(parse_error(Bytes{{'G', 'G', 'U', 'F', 3, 0, 0, 0, 1}}),
            "m.gguf: file ends inside the tensor count (needs 8 bytes at byte 8, file has 9)");
  Bytes name_cut = head(1, 0);
  name_cut.u64(100).raw(std::string(30, 'x').data(), 30);
  EXPECT_EQ(parse_error(name_cut),
            "m.gguf: the name of tensor info 0 length 100 runs past the end of the file (at byte 24, 30 "
            "bytes left)");
}

TEST(Gguf, RejectsUnknownTypes) {
  Bytes t = head(1, 0);
  t.str("w").u32(1).u64(32).u32(7).u64(0).pad_to(32);
  t.b.resize(t.b.size() + 64);
  EXPECT_EQ(parse_error(t), "m.gguf: unsupported tensor type 7 (tensor 'w', at byte 45)");
  Bytes v = head(0, 1);
  v.str("k").u32(13).u32(0);
  EXPECT_EQ(parse_error(v), "m.gguf: metadata key 'k' has unknown value type 13 (at byte 33)");
  Bytes a = head(0, 1);
  a.str("k").u32(9).u32(9).u64(1);
  EXPECT_EQ(parse_error(a),
            "m.gguf: metadata key 'k' is an array of arrays, which is not supported (at byte 37)");
  Bytes b = head(0, 1);
  b.str("k").u32(7).raw("\2", 1);
  EXPECT_EQ(parse_error(b),
            "m.gguf: metadata key 'k' is a bool with byte value 2 (must be 0 or 1) (at byte 37)");
}

TEST(Gguf, RejectsBadOffsets) {
  auto file = [](uint64_t off_a, uint64_t off_b, size_t data_bytes) {
    Bytes x = head(2, 0);
    x.str("a").u32(1).u64(16).u32(0).u64(off_a);
    x.str("b").u32(1).u64(16).u32(0).u64(off_b);
    x.pad_to(32);
    x.b.resize(x.b.size() + data_bytes);
    return x;
  };
  EXPECT_EQ(parse_error(file(0, 64, 128)), "(no error)");
  EXPECT_EQ(parse_error(file(0, 48, 128)),
            "m.gguf: tensor 'b' offset 48 is not a multiple of the alignment 32");
  EXPECT_EQ(
      parse_error(file(0, 96, 128)),
      "m.gguf: tensor 'b' bytes [96, 160) run past the end of the data section (128 bytes): file truncated");
  EXPECT_EQ(
      parse_error(file(0, 1ull << 63, 128)),
      "m.gguf: tensor 'b' bytes [9223372036854775808, 9223372036854775872) run past the end of the data "
      "section (128 bytes): file truncated");
  EXPECT_EQ(parse_error(file(0, 32, 128)), "m.gguf: tensors 'a' [0, 64) and 'b' [32, 96) overlap");
  EXPECT_EQ(parse_error(file(64, 32, 128)), "m.gguf: tensors 'b' [32, 96) and 'a' [64, 128) overlap");
  Bytes nodata = head(1, 0);
  nodata.str("a").u32(1).u64(16).u32(0).u64(0);
  EXPECT_EQ(parse_error(nodata),
            "m.gguf: file ends before the data section (which starts at byte 64, file has 57)");
}

TEST(Gguf, RejectsAbsurdCountsBeforeAllocating) {
  EXPECT_EQ(parse_error(head(0, ~0ull)),
            "m.gguf: metadata count 18446744073709551615 is impossible: the 0 bytes left hold at most 0 "
            "entries (at "
            "byte 16)");
  EXPECT_EQ(parse_error(head(1ull << 40, 0)),
            "m.gguf: tensor count 1099511627776 is impossible: the 0 bytes left hold at most 0 tensor infos "
            "(at byte "
            "8)");
  Bytes s = head(0, 1);
  s.str("k").u32(8).u64(~0ull);
  EXPECT_EQ(parse_error(s),
            "m.gguf: the string value of metadata key 'k' length 18446744073709551615 runs past the end of "
            "the file "
            "(at byte 37, 0 bytes left)");
  Bytes a = head(0, 1);
  a.str("k").u32(9).u32(8).u64(1ull << 61).u64(0);
  EXPECT_EQ(parse_error(a),
            "m.gguf: metadata key 'k' claims 2305843009213693952 elements of string, more than the 8 bytes "
            "left can "
            "hold (at byte 41)");
  Bytes d = head(1, 0);
  d.str("w").u32(2).u64(1ull << 40).u64(1ull << 40).u32(0).u64(0);
  EXPECT_EQ(parse_error(d), "m.gguf: tensor 'w' has dims {1099511627776, 1099511627776}, too large");
  Bytes n = head(1, 0);
  n.str("w").u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(0).u64(0);
  EXPECT_EQ(parse_error(n), "m.gguf: tensor 'w' has 5 dimensions (1 to 4 allowed) (at byte 33)");
  Bytes q = head(1, 0);
  q.str("w").u32(1).u64(48).u32(8).u64(0);
  EXPECT_EQ(parse_error(q),
            "m.gguf: tensor 'w' has innermost dimension 48, not a multiple of the Q8_0 block size 32");
}

TEST(Gguf, RejectsBadAlignmentAndDuplicates) {
  auto with_alignment = [](uint32_t type, uint32_t a) {
    Bytes x = head(0, 1);
    x.str("general.alignment").u32(type).u32(a);
    return x;
  };
  EXPECT_EQ(parse_error(with_alignment(4, 24)), "m.gguf: general.alignment 24 is not a power of two");
  EXPECT_EQ(parse_error(with_alignment(4, 0)), "m.gguf: general.alignment 0 is not a power of two");
  EXPECT_EQ(parse_error(with_alignment(5, 32)), "m.gguf: general.alignment has type int32, expected uint32");
  Bytes k = head(0, 2);
  k.str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  EXPECT_EQ(parse_error(k), "m.gguf: duplicate metadata key 'k' (at byte 41)");
  Bytes t = head(2, 0);
  t.str("w").u32(1).u64(8).u32(0).u64(0).str("w").u32(1).u64(8).u32(0).u64(32).pad_to(32);
  t.b.resize(t.b.size() + 64);
  EXPECT_EQ(parse_error(t), "m.gguf: duplicate tensor name 'w' (tensor info 1, at byte 57)");
}

}  // namespace
}  // namespace dc
