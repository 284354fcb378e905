// Benchmarks as the evaluator sees them: tasks with a prompt, an entry point, a canonical solution and
// test inputs. Loaders for the EvalPlus files (HumanEval+, HumanEval+ Mini, MBPP+), the original HumanEval
// file, and a generic jsonl format for a user's own benchmark (docs/EVAL.md, "Datasets").
//
// Test inputs stay raw JSON text (a list of arguments): they may hold integers beyond 64 bits and
// Infinity, and are parsed by Python inside the sandbox. Nothing here runs code.
#pragma once

#include <string>
#include <vector>

namespace dc::eval {

// How one test is run and judged.
//  Io:     input = JSON list of arguments; the entry point's return value is compared with the expected
//          output (from the canonical solution, or given by the dataset as JSON).
//  Assert: input = Python source (e.g. "assert f(1) == 2") run in the program's namespace; passes when it
//          does not raise. The comparison happens inside the candidate's process: use Io where possible.
//  Check:  input = Python source defining check(candidate) (original HumanEval); called on the entry point.
//  Expr:   input = one Python expression evaluated in the program's namespace; its value is compared like
//          Io's return value (the host-judged form of an `assert <expr> == <expected>` test, src/rl).
enum class TestKind { Io, Assert, Check, Expr };

// MBPP+ input conversions (SPEC §8): JSON cannot say tuple, set or complex.
enum class InputRule {
  None,
  EachArgTuple,                     // every argument -> tuple
  InnerListsTuple,                  // the lists inside every argument -> tuples
  FirstInnerListsTuple,             // the lists inside the first argument -> tuples
  SecondArgTuple,                   // the second argument -> tuple
  FirstArgTuple,                    // the first argument -> tuple
  InnerListsTupleThenEachArgTuple,  // inner lists -> tuples, then every argument -> tuple
  FirstItemsTupleThenEachArgTuple,  // list items of the first argument -> tuples, then every argument ->
                                    // tuple
  FirstDictValuesTuple,             // the first argument's dict values -> tuples
  FirstInnerListsSet,               // lists inside the first argument -> sets (an empty list -> {})
  FloatComplex,                     // (float(a0), complex(a1))
  Complex,                          // complex(a0)
  DeepTuple,                        // every list at any depth -> tuple
};

// Special oracles (SPEC §8).
enum class Oracle {
  None,
  PolyRoot,       // HumanEval/32 find_zero: |poly(xs, out)| <= atol
  AlwaysPass,     // Mbpp/164 are_equivalent
  AlsoZero,       // Mbpp/295 sum_div: out == 0 also passes
  SurfaceArea,    // Mbpp/581 surface_Area: also |out - round(b*b + 2*b*sqrt((b/2)^2 + h*h))| <= atol
  DigitDistance,  // Mbpp/558 digit_distance_nums: also the zero-padded digit distance
  SetEqual,       // set(out) == set(expected)
  NotNone,        // only `out is not None` is compared
};

const char* input_rule_name(InputRule);  // the name the harness uses ("each_arg_tuple", ...)
const char* test_kind_name(TestKind);    // "io", "assert", "check", "expr"
const char* oracle_aux_name(Oracle);     // what the reference run computes for the oracle ("" if nothing)

struct Task {
  std::string task_id, prompt, entry_point, canonical_solution;
  double atol = 0;
  TestKind kind = TestKind::Io;
  InputRule rule = InputRule::None;
  Oracle oracle = Oracle::None;
  std::vector<std::string> base_inputs, plus_inputs;
  // Generic format only: expected outputs given as JSON (one per input), used instead of running a
  // canonical solution. Empty when the canonical solution provides them.
  std::vector<std::string> base_outputs, plus_outputs;
};

struct Dataset {
  std::string name;       // benchmark name ("humaneval+", ...) or the file name
  std::string path;       // the file it was read from
  std::string sha256;     // of the file's bytes as stored (keys the expected-output cache)
  bool has_plus = false;  // whether plus tests are run and reported
  std::vector<Task> tasks;
  const Task* find(const std::string& task_id) const;
};

// The benchmarks `--benchmark` accepts and the file each reads from the data directory:
//   humaneval      HumanEvalPlus.jsonl.gz, base tests only  (EvalPlus "humaneval")
//   humaneval+     HumanEvalPlus.jsonl.gz, base + plus
//   humaneval+mini HumanEvalPlus-Mini.jsonl.gz, base + plus
//   humaneval-original  HumanEval.jsonl.gz, the original check() functions
//   mbpp           MbppPlus.jsonl.gz, base tests only
//   mbpp+          MbppPlus.jsonl.gz, base + plus
std::vector<std::string> benchmark_names();
Dataset load_benchmark(const std::string& name, const std::string& data_dir);

// Any supported file (gzip or plain jsonl), format detected per line. `base_only` drops plus tests.
Dataset load_dataset(const std::string& path, bool base_only = false);

// The data directory when --data-dir is not given: $DIFFUCODER_DATA_DIR, else the repository's own copy
// data/benchmarks (found from the binary, <repo>/<build>/bin, or from the working directory).
std::string default_data_dir();

// MBPP+ tables (SPEC §8), exposed for tests.
InputRule mbpp_input_rule(int task_number);
Oracle oracle_for(const std::string& task_id, const std::string& entry_point);

}  // namespace dc::eval
