#include "eval/judge.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "eval/typed_value.h"

namespace dc::eval {

namespace {

using Kind = Value::Kind;

bool is_floats(const Value& v) {
  if (v.kind == Kind::Float) return true;
  if ((v.kind == Kind::List || v.kind == Kind::Tuple) && !v.items.empty()) {
    for (const auto& it : v.items) {
      if (it.kind != Kind::Float) return false;
    }
    return true;
  }
  return false;
}

// numpy.isclose(a, b, rtol, atol) with b the expected value: infinities equal only themselves, NaN nothing.
bool isclose(double a, double b, double rtol, double atol) {
  if (std::isinf(a) || std::isinf(b)) return a == b;
  if (std::isnan(a) || std::isnan(b)) return false;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

// numpy.allclose over two numbers or two equally shaped nests of lists/tuples of numbers.
bool allclose(const Value& out, const Value& exp, double rtol, double atol, int depth = 0) {
  if (depth > 64) return false;
  if (out.is_numeric() && exp.is_numeric()) return isclose(to_double(out), to_double(exp), rtol, atol);
  bool out_seq = out.kind == Kind::List || out.kind == Kind::Tuple;
  bool exp_seq = exp.kind == Kind::List || exp.kind == Kind::Tuple;
  if (!out_seq || !exp_seq || out.items.size() != exp.items.size()) return false;
  for (size_t i = 0; i < out.items.size(); ++i) {
    if (!allclose(out.items[i], exp.items[i], rtol, atol, depth + 1)) return false;
  }
  return true;
}

// set(v) as sorted canonical keys of its elements; false when set(v) would raise in Python.
bool as_set(const Value& v, std::set<std::string>& keys) {
  switch (v.kind) {
    case Kind::List:
    case Kind::Tuple:
    case Kind::Set:
    case Kind::FrozenSet:
      for (const auto& it : v.items) {
        if (it.kind == Kind::List || it.kind == Kind::Set || it.kind == Kind::Dict ||
            it.kind == Kind::Opaque || it.kind == Kind::Digest) {
          return false;  // unhashable (or unknown)
        }
        keys.insert(canonical_key(it));
      }
      return true;
    case Kind::Dict:
      for (size_t i = 0; i < v.items.size(); i += 2) keys.insert(canonical_key(v.items[i]));
      return true;
    case Kind::Str: {
      if (!v.text.empty() && uint8_t(v.text[0]) == 0xff) return false;
      // One element per code point.
      for (size_t i = 0; i < v.text.size();) {
        size_t len = 1;
        uint8_t c = uint8_t(v.text[i]);
        if (c >= 0xf0)
          len = 4;
        else if (c >= 0xe0)
          len = 3;
        else if (c >= 0xc0)
          len = 2;
        Value ch;
        ch.kind = Kind::Str;
        ch.text = v.text.substr(i, len);
        keys.insert(canonical_key(ch));
        i += len;
      }
      return true;
    }
    default:
      return false;
  }
}

// sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs)), as EvalPlus's _poly.
double poly(const Value& xs, double x) {
  double sum = 0;
  for (size_t i = 0; i < xs.items.size(); ++i) sum += to_double(xs.items[i]) * std::pow(x, double(i));
  return sum;
}

void explain(std::string* why, const Value& exp, const Value& out) {
  if (!why) return;
  if (exp.kind != out.kind && out.kind != Kind::Opaque) {
    *why = fmt::format("expected {} {}, got {} {}", kind_name(exp.kind), describe(exp, 60),
                       kind_name(out.kind), describe(out, 60));
  } else {
    *why = fmt::format("expected {}, got {}", describe(exp, 80), describe(out, 80));
  }
}

}  // namespace

bool judge_output(const Task& task, const ExpectedOutput& exp_ref, const std::string& out_text,
                  JudgeState& state, std::string* why) {
  if (!exp_ref.ok) {
    if (why) *why = "no reference output for this test: " + exp_ref.error;
    return false;
  }
  Value out = parse_typed(out_text);
  Value exp = parse_typed(exp_ref.out);

  if (task.oracle == Oracle::PolyRoot) {
    Value xs = parse_typed(exp_ref.aux);
    bool ok = (out.kind == Kind::Float || out.kind == Kind::Int) &&
              (xs.kind == Kind::List || xs.kind == Kind::Tuple) &&
              std::fabs(poly(xs, to_double(out))) <= state.atol;
    if (!ok && why)
      *why = fmt::format("find_zero returned {}, not a root within {}", describe(out, 40), state.atol);
    return ok;
  }

  bool exact = strict_equal(out, exp);
  switch (task.oracle) {
    case Oracle::AlwaysPass:
      exact = true;
      break;
    case Oracle::AlsoZero: {
      Value zero;
      zero.kind = Kind::Int;
      zero.text = "0";
      exact = exact || (out.kind != Kind::Bool && numeric_equal(out, zero));
      break;
    }
    case Oracle::SurfaceArea: {
      Value ref = parse_typed(exp_ref.aux);
      exact = exact || (out.is_numeric() && out.kind != Kind::Bool && ref.is_numeric() &&
                        std::fabs(to_double(out) - to_double(ref)) <= state.atol);
      break;
    }
    case Oracle::DigitDistance: {
      Value ref = parse_typed(exp_ref.aux);
      exact = exact || (out.kind != Kind::Bool && numeric_equal(out, ref));
      break;
    }
    case Oracle::SetEqual: {
      std::set<std::string> a, b;
      exact = as_set(out, a) && as_set(exp, b) && a == b;
      break;
    }
    case Oracle::NotNone: {
      // EvalPlus stores `reference is not None` as the expected value.
      bool expected = exp.kind != Kind::None;
      exact = out.kind == Kind::Bool ? out.b == expected : (out.kind != Kind::None) == expected;
      if (!exact && why)
        *why = fmt::format("expected a {} result, got {}", expected ? "non-None" : "None", describe(out, 60));
      return exact;
    }
    default:
      break;
  }

  if (state.atol == 0 && is_floats(exp)) state.atol = 1e-6;
  bool pass = exact;
  if (!exact && state.atol != 0) {
    pass = out.kind == exp.kind &&
           (!(exp.kind == Kind::List || exp.kind == Kind::Tuple) || out.items.size() == exp.items.size()) &&
           allclose(out, exp, 1e-7, state.atol);
  }
  if (!pass) explain(why, exp, out);
  return pass;
}

}  // namespace dc::eval
