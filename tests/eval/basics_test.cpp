// Pure functions of the eval module against independent oracles: SHA-256 (FIPS 180-4 test vectors),
// raw JSON splitting, pass@k (hand-computed binomials), the typed encoding and the judge's rules
// (hand-written encodings and EvalPlus's documented behaviour).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "eval/json_raw.h"
#include "eval/judge.h"
#include "eval/pass_at_k.h"
#include "eval/sha256.h"
#include "eval/typed_value.h"

namespace dc::eval {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces to exercise the block buffer.
  Sha256 h;
  std::string piece(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, piece.size());
    h.update(std::string_view(piece.data(), n));
    left -= n;
  }
  EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(JsonRaw, KeepsNumbersAsText) {
  std::string line =
      R"({"a": [[1, 2.5], Infinity, -Infinity, NaN, 123456789012345678901234567890], "b": "x]\"}", "c": {}})";
  auto m = json_raw::object_members(line, "t");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].first, "a");
  auto items = json_raw::array_items(m[0].second, "t");
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0], "[1, 2.5]");
  EXPECT_EQ(items[1], "Infinity");
  EXPECT_EQ(items[2], "-Infinity");
  EXPECT_EQ(items[4], "123456789012345678901234567890");
  EXPECT_EQ(json_raw::decode_string(m[1].second, "t"), "x]\"}");
  EXPECT_EQ(m[2].second, "{}");
  EXPECT_TRUE(std::isinf(json_raw::decode_number("-Infinity", "t")));
  EXPECT_EQ(json_raw::decode_number("1e-06", "t"), 1e-6);
  auto nested = json_raw::object_members(R"({"k": {"x": [1, {"y": []}], "z": "w"}})", "t");
  EXPECT_EQ(nested[0].second, R"({"x": [1, {"y": []}], "z": "w"})");
}

TEST(JsonRaw, MalformedTextIsAnErrorNamingTheSource) {
  for (std::string bad :
       {R"({"a": [1, 2})", R"({"a": "x)", R"({"a" 1})", R"({"a": 1,})", R"({"a": tru})", R"([1 2])"}) {
    try {
      if (bad[0] == '{') {
        json_raw::object_members(bad, "file.jsonl:3");
      } else {
        json_raw::array_items(bad, "file.jsonl:3");
      }
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("file.jsonl:3"), std::string::npos) << e.what();
    }
  }
}

TEST(PassAtK, HandComputedValues) {
  EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 1), 0.4);
  EXPECT_NEAR(pass_at_k(5, 2, 2), 1.0 - 3.0 / 10.0, 1e-15);     // 1 - C(3,2)/C(5,2)
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-15);  // 1 - C(7,5)/C(10,5)
  EXPECT_NEAR(pass_at_k(200, 1, 100), 0.5, 1e-12);              // 1 - C(199,100)/C(200,100) = 100/200
  EXPECT_EQ(pass_at_k(10, 0, 5), 0.0);
  EXPECT_EQ(pass_at_k(10, 8, 5), 1.0);  // n - c < k
  EXPECT_EQ(pass_at_k(1, 1, 1), 1.0);
  EXPECT_NEAR(mean_pass_at_k({5, 5, 1}, {2, 5, 0}, 1), (0.4 + 1.0 + 0.0) / 3.0, 1e-15);
}

Value V(const std::string& json) {
  return parse_typed(json);
}

TEST(TypedValue, StrictTypesAndPythonEquality) {
  EXPECT_TRUE(strict_equal(V(R"("i3")"), V(R"("i3")")));
  EXPECT_FALSE(strict_equal(V(R"("i1")"), V("true")));       // 1 is not True here
  EXPECT_FALSE(strict_equal(V(R"("i2")"), V(R"("f2.0")")));  // int vs float
  EXPECT_TRUE(strict_equal(V(R"("f-0.0")"), V(R"("f0.0")")));
  EXPECT_FALSE(strict_equal(V(R"("fnan")"), V(R"("fnan")")));
  EXPECT_TRUE(strict_equal(V(R"("finf")"), V(R"("finf")")));
  EXPECT_FALSE(strict_equal(V(R"(["l","i1","i2"])"), V(R"(["t","i1","i2"])")));  // list vs tuple
  EXPECT_TRUE(strict_equal(V(R"(["S","i1","sx"])"), V(R"(["S","sx","i1"])")));   // sets: any order
  EXPECT_FALSE(strict_equal(V(R"(["S","i1"])"), V(R"(["F","i1"])")));            // set vs frozenset
  EXPECT_TRUE(strict_equal(V(R"(["d","sa","i1","sb",["l"]])"), V(R"(["d","sb",["l"],"sa","i1"])")));
  EXPECT_FALSE(strict_equal(V(R"(["d","sa","i1"])"), V(R"(["d","sa","i2"])")));
  EXPECT_TRUE(strict_equal(V(R"(["c","1.0","-2.0"])"), V(R"(["c","1.0","-2.0"])")));
  EXPECT_TRUE(strict_equal(V(R"(["h","rlabc"])"), V(R"(["h","rlabc"])")));
  EXPECT_FALSE(strict_equal(V(R"(["h","rlabc"])"), V(R"(["h","rtabc"])")));
  EXPECT_TRUE(strict_equal(V("null"), V("null")));
  // An unencodable object equals nothing, not even itself; neither does malformed text.
  EXPECT_FALSE(strict_equal(V(R"(["o"])"), V(R"(["o"])")));
  for (const char* bad : {"", "[", "42", R"("q1")", R"("inot")", R"(["d","sa"])", R"(["zz"])", R"("fx1")"}) {
    EXPECT_EQ(V(bad).kind, Value::Kind::Opaque) << bad;
  }
  EXPECT_EQ(V(R"("i-0x1f")").kind, Value::Kind::Int);
  EXPECT_EQ(to_double(V(R"("i-0x1f")")), -31.0);
  EXPECT_EQ(describe(V(R"(["t","i1",["l","sa"],null])")), "(1, [\"a\"], None)");
}

ExpectedOutput expect(const std::string& out, const std::string& aux = "null") {
  ExpectedOutput e;
  e.ok = true;
  e.out = out;
  e.aux = aux;
  return e;
}

Task task(double atol = 0, Oracle oracle = Oracle::None) {
  Task t;
  t.task_id = "T/0";
  t.entry_point = "f";
  t.atol = atol;
  t.oracle = oracle;
  return t;
}

bool judge(const Task& t, const std::string& exp, const std::string& out, const std::string& aux = "null") {
  JudgeState st(t);
  return judge_output(t, expect(exp, aux), out, st);
}

TEST(Judge, FloatToleranceRule) {
  Task t = task();
  // Floats and flat lists of floats get atol 1e-6 (rtol 1e-7) when the task's atol is 0.
  EXPECT_TRUE(judge(t, R"("f1.0")", R"("f1.0000005")"));
  EXPECT_FALSE(judge(t, R"("f1.0")", R"("f1.000002")"));
  EXPECT_TRUE(judge(t, R"(["l","f1.0","f2.0"])", R"(["l","f1.0000001","f2.0"])"));
  EXPECT_FALSE(judge(t, R"(["l","f1.0","f2.0"])", R"(["t","f1.0000001","f2.0"])"));  // type must match
  EXPECT_FALSE(judge(t, R"(["l","f1.0","f2.0"])", R"(["l","f1.0"])"));               // and length
  EXPECT_FALSE(judge(t, R"("f1.0")", R"("i1")"));                                    // int vs float, strict
  EXPECT_FALSE(judge(t, R"("finf")", R"("f1e308")"));
  EXPECT_TRUE(judge(t, R"("finf")", R"("finf")"));
  // Mixed lists are not "floats": exact equality only.
  EXPECT_FALSE(judge(t, R"(["l","i1","f2.0"])", R"(["l","i1","f2.0000001"])"));
  // A task atol applies to nested lists of numbers too (numpy.allclose).
  Task t4 = task(1e-4);
  EXPECT_TRUE(judge(t4, R"(["l",["l","f1.0","i2"]])", R"(["l",["l","f1.00005","i2"]])"));
  EXPECT_FALSE(judge(t4, R"(["l",["l","f1.0","i2"]])", R"(["l",["l","f1.0002","i2"]])"));
  // The raised atol stays for later tests of the same run (EvalPlus keeps it).
  JudgeState st(t);
  EXPECT_TRUE(judge_output(t, expect(R"("f1.0")"), R"("f1.0")", st));
  EXPECT_DOUBLE_EQ(st.atol, 1e-6);
  EXPECT_TRUE(judge_output(t, expect(R"(["l","i1","f2.0"])"), R"(["l","i1","f2.0000001"])", st));
}

TEST(Judge, SpecialOracles) {
  // HumanEval/32: |sum(xs[i] * x**i)| <= atol. xs = [-6, 11, -6, 1] = (x-1)(x-2)(x-3).
  Task fz = task(1e-4, Oracle::PolyRoot);
  std::string xs = R"(["l","i-6","i11","i-6","i1"])";
  EXPECT_TRUE(judge(fz, R"("f0.0")", R"("f2.0")", xs));
  EXPECT_TRUE(judge(fz, R"("f0.0")", R"("f3.00001")", xs));  // |p(3.00001)| = 2.00004e-5
  EXPECT_FALSE(judge(fz, R"("f0.0")", R"("f3.001")", xs));   // |p(3.001)| ~ 2e-3
  EXPECT_FALSE(judge(fz, R"("f0.0")", R"("s3")", xs));
  EXPECT_TRUE(judge(task(0, Oracle::AlwaysPass), R"("i1")", R"(["o"])"));
  Task z = task(0, Oracle::AlsoZero);
  EXPECT_TRUE(judge(z, R"("i7")", R"("i0")"));
  EXPECT_TRUE(judge(z, R"("i7")", R"("i7")"));
  EXPECT_FALSE(judge(z, R"("i7")", R"("i1")"));
  Task sa = task(0, Oracle::SurfaceArea);
  EXPECT_TRUE(judge(sa, R"("i33")", R"("i40")", R"("i40")"));
  EXPECT_FALSE(judge(sa, R"("i33")", R"("i41")", R"("i40")"));
  Task dd = task(0, Oracle::DigitDistance);
  EXPECT_TRUE(judge(dd, R"("i6")", R"("i8")", R"("i8")"));
  EXPECT_FALSE(judge(dd, R"("i6")", R"("i9")", R"("i8")"));
  Task se = task(0, Oracle::SetEqual);
  EXPECT_TRUE(judge(se, R"(["t","i4","i5"])", R"(["l","i5","i4","i4"])"));
  EXPECT_FALSE(judge(se, R"(["t","i4","i5"])", R"(["l","i5"])"));
  EXPECT_TRUE(judge(se, R"(["l","sa","sb"])", R"("sba")"));  // set("ba")
  Task nn = task(0, Oracle::NotNone);
  EXPECT_TRUE(judge(nn, R"("sValid")", R"("sanything")"));
  EXPECT_TRUE(judge(nn, R"("sValid")", "true"));
  EXPECT_FALSE(judge(nn, R"("sValid")", "false"));
  EXPECT_FALSE(judge(nn, R"("sValid")", "null"));
  EXPECT_TRUE(judge(nn, "null", "null"));
}

TEST(Judge, MissingReferenceFails) {
  Task t = task();
  ExpectedOutput e;
  e.error = "timeout";
  JudgeState st(t);
  std::string why;
  EXPECT_FALSE(judge_output(t, e, R"("i1")", st, &why));
  EXPECT_NE(why.find("timeout"), std::string::npos);
}

}  // namespace
}  // namespace dc::eval
