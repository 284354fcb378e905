// Benchmark loaders against the files in data/benchmarks (counts measured with Python's json module) and
// the generic format fixtures in tests/testdata/eval; the MBPP+ conversion table against SPEC §8.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "eval/dataset.h"
#include "eval_fixture.h"

namespace dc::eval {
namespace {

using testing::data_dir;

size_t count_inputs(const Dataset& d, bool plus) {
  size_t n = 0;
  for (const auto& t : d.tasks) n += plus ? t.plus_inputs.size() : t.base_inputs.size();
  return n;
}

TEST(Dataset, EvalPlusFiles) {
  Dataset he = load_benchmark("humaneval+", data_dir());
  EXPECT_EQ(he.tasks.size(), 164u);
  EXPECT_EQ(count_inputs(he, false), 1570u);
  EXPECT_EQ(count_inputs(he, true), 122683u);
  EXPECT_TRUE(he.has_plus);
  EXPECT_EQ(he.sha256, "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101");
  const Task* t32 = he.find("HumanEval/32");
  ASSERT_NE(t32, nullptr);
  EXPECT_EQ(t32->oracle, Oracle::PolyRoot);
  EXPECT_EQ(t32->atol, 1e-4);
  EXPECT_EQ(t32->entry_point, "find_zero");

  Dataset base = load_benchmark("humaneval", data_dir());
  EXPECT_FALSE(base.has_plus);
  EXPECT_EQ(count_inputs(base, true), 0u);
  EXPECT_EQ(count_inputs(base, false), 1570u);

  Dataset mini = load_benchmark("humaneval+mini", data_dir());
  EXPECT_EQ(count_inputs(mini, true), 1107u);

  Dataset mb = load_benchmark("mbpp+", data_dir());
  EXPECT_EQ(mb.tasks.size(), 378u);
  EXPECT_EQ(count_inputs(mb, false), 1174u);
  EXPECT_EQ(count_inputs(mb, true), 39841u);
  EXPECT_TRUE(mb.find("Mbpp/793")->plus_inputs.empty());  // stored as {}
  EXPECT_EQ(mb.find("Mbpp/124")->rule, InputRule::FloatComplex);
  EXPECT_EQ(mb.find("Mbpp/124")->base_inputs[0], R"(["0", "1j"])");
  EXPECT_EQ(mb.find("Mbpp/2")->oracle, Oracle::SetEqual);
  EXPECT_EQ(mb.find("Mbpp/581")->oracle, Oracle::SurfaceArea);

  Dataset orig = load_benchmark("humaneval-original", data_dir());
  EXPECT_EQ(orig.tasks.size(), 164u);
  EXPECT_EQ(orig.tasks[0].kind, TestKind::Check);
  EXPECT_FALSE(orig.has_plus);
}

TEST(Dataset, MbppConversionTableMatchesSpec) {
  std::map<int, InputRule> spec;
  auto add = [&](std::initializer_list<int> ids, InputRule r) {
    for (int id : ids) {
      EXPECT_EQ(spec.count(id), 0u) << id;
      spec[id] = r;
    }
  };
  add({2,   116, 132, 143, 222, 261, 273, 394, 399, 421, 424,
       429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809},
      InputRule::EachArgTuple);
  add({63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}, InputRule::InnerListsTuple);
  add({75, 413, 444, 753}, InputRule::FirstInnerListsTuple);
  add({106, 750}, InputRule::SecondArgTuple);
  add({250, 405, 446, 617, 720, 763, 808, 307}, InputRule::FirstArgTuple);
  add({259, 401, 445}, InputRule::InnerListsTupleThenEachArgTuple);
  add({278}, InputRule::FirstItemsTupleThenEachArgTuple);
  add({722}, InputRule::FirstDictValuesTuple);
  add({115}, InputRule::FirstInnerListsSet);
  add({124}, InputRule::FloatComplex);
  add({252}, InputRule::Complex);
  add({580, 615, 791}, InputRule::DeepTuple);
  for (int id = 0; id < 1000; ++id) {
    auto it = spec.find(id);
    EXPECT_EQ(mbpp_input_rule(id), it == spec.end() ? InputRule::None : it->second) << id;
  }
}

TEST(Dataset, GenericFormat) {
  Dataset d = load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl");
  ASSERT_EQ(d.tasks.size(), 3u);
  EXPECT_TRUE(d.has_plus);
  const Task& add = d.tasks[0];
  EXPECT_EQ(add.kind, TestKind::Io);
  EXPECT_EQ(add.base_inputs, (std::vector<std::string>{"[1, 2]", "[[1], [2]]"}));
  EXPECT_EQ(add.base_outputs, (std::vector<std::string>{"3", "[1, 2]"}));
  EXPECT_EQ(add.plus_outputs[0], "Infinity");
  EXPECT_EQ(add.plus_outputs[1], "100000000000000000001");
  EXPECT_TRUE(d.tasks[1].base_outputs.empty());
  EXPECT_EQ(d.tasks[2].kind, TestKind::Assert);
  EXPECT_EQ(d.tasks[2].base_inputs[1], "assert sq(-2) == 4");
  EXPECT_TRUE(
      load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl", true).tasks[0].plus_inputs.empty());
}

TEST(Dataset, BadFilesGiveOneLineNamingTheFile) {
  std::string dir = std::string(DC_TESTDATA_DIR) + "/eval/";
  struct Case {
    std::string file, needle;
  };
  for (const Case& c :
       {Case{"bad_outputs.jsonl", "bad_outputs.jsonl:1"}, Case{"duplicate_ids.jsonl", "appears twice"},
        Case{"truncated.jsonl", "truncated.jsonl:2"}, Case{"missing.jsonl", "missing.jsonl"}}) {
    try {
      load_dataset(dir + c.file);
      ADD_FAILURE() << c.file << " loaded";
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(c.needle), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(load_benchmark("humaneval++", data_dir()), Error);
  EXPECT_THROW(load_benchmark("humaneval+", "/nonexistent"), Error);
}

}  // namespace
}  // namespace dc::eval
