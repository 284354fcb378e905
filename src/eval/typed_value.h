// The typed encoding of Python values (docs/EVAL.md, "Typed encoding") and strict comparison.
//
// The harness in the sandbox writes a returned value as JSON built only from strings, arrays, null and
// booleans, so no precision is lost on either side:
//   None -> null          bool -> true/false          int -> "i<decimal>" or "i0x<hex>" beyond 4000 bits
//   float -> "f<repr>"    str -> "s<text>"            bytes -> "b<hex>"
//   str with lone surrogates -> ["U", code points...]  complex -> ["c", "<repr re>", "<repr im>"]
//   list / tuple / set / frozenset -> ["l" | "t" | "S" | "F", items...]   dict -> ["d", k0, v0, k1, v1, ...]
//   anything else (a user class, a subclass of a builtin, a cycle) -> ["o"]
//   a large value only compared exactly -> ["h", "<scheme><sha256>"]
// Only exact builtin types are encoded (the harness tests `type(x) is T`), so an object whose __eq__
// always returns True becomes ["o"], which equals nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dc::eval {

struct Value {
  enum class Kind : uint8_t {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Complex,
    List,
    Tuple,
    Set,
    FrozenSet,
    Dict,
    Digest,
    Opaque
  };
  Kind kind = Kind::Opaque;
  bool b = false;
  double f = 0, im = 0;  // Float; Complex (f = real part)
  // Int: the digits as encoded (canonical: equal ints have equal text). Str: UTF-8, or for a string with
  // lone surrogates "\xff" + its code points. Bytes: hex. Digest: scheme + hex digest.
  std::string text;
  std::vector<Value> items;  // containers; Dict: k0, v0, k1, v1, ...

  bool is_container() const;
  bool is_numeric() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
};

const char* kind_name(Value::Kind k);  // Python's type name: "int", "list", ...

// Parses the encoding. Malformed text (a candidate can send anything) gives an Opaque value.
Value parse_typed(std::string_view json_text);

// Strict equality: the same type at every level, then Python's == on builtins (floats by IEEE ==, sets
// and dicts regardless of order). Opaque equals nothing, digests equal when the digests do.
bool strict_equal(const Value& a, const Value& b);

// A canonical text for hashing and sorting: equal values (under strict_equal) give equal keys, except
// -0.0 / 0.0 and NaN, which keys tell apart.
std::string canonical_key(const Value& v);

// A numeric value (int, float, bool) as a double (ints beyond double range give +-inf).
double to_double(const Value& v);

// Python's == between two numbers of any numeric type (1 == 1.0 == True).
bool numeric_equal(const Value& a, const Value& b);

// A short human-readable rendering for reports (Python-like, truncated to max_chars).
std::string describe(const Value& v, size_t max_chars = 120);

}  // namespace dc::eval
