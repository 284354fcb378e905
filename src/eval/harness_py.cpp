// The trusted Python test harness that runs inside the sandbox next to a candidate program. It defines
// run_test(ns, input_text) -> str as the sandbox expects: parse one JSON input (Python's own parser, so
// integers of any size and Infinity/NaN survive), apply the benchmark's input conversion, call the entry
// point and return the returned value in the typed encoding of docs/EVAL.md (expression tests,
// TestKind::Expr: evaluate one Python expression in the program's namespace instead). It never sees an
// expected output: comparing is the judge's job, in the host process. A reference run (the canonical
// solution) also returns the call's duration and the values special oracles need.
#include "eval/harness.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace dc::eval {

namespace {

// Constants are prepended by harness_source(); everything below them is fixed.
constexpr const char* kHarnessBody = R"PY(
import hashlib as _hashlib
import json as _json
import math as _math
import sys as _sys
import time as _time
from itertools import chain as _chain

if hasattr(_sys, "set_int_max_str_digits"):
    _sys.set_int_max_str_digits(0)

_MAX_DEPTH = 100
_BIG_INT_BITS = 4000          # larger ints are written in hex: decimal conversion is quadratic
_PLAIN_DIGEST_MIN_LEN = 4096  # lists/tuples this long of plain values are hashed from repr in chunks
_CHUNK = 4096
# Bound now, before the program runs: a program that replaces builtins.type only breaks its own results.
_type = type


def _tuple_each(args):
    return [tuple(a) for a in args]


def _deep_tuple(x):
    if _type(x) is list:
        return tuple(_deep_tuple(v) for v in x)
    return x


def _convert(rule, args):
    # MBPP+ stores tuples, sets and complex numbers as JSON lists and strings (docs/EVAL.md, conversions).
    if rule == "none":
        return args
    if rule == "each_arg_tuple":
        return _tuple_each(args)
    if rule == "inner_lists_tuple":
        return [[tuple(v) for v in a] for a in args]
    if rule == "first_inner_lists_tuple":
        return [[tuple(v) for v in args[0]]] + args[1:]
    if rule == "second_arg_tuple":
        return [args[0], tuple(args[1])] + args[2:]
    if rule == "first_arg_tuple":
        return [tuple(args[0])] + args[1:]
    if rule == "inner_lists_tuple_then_each_arg_tuple":
        return _tuple_each([[tuple(v) for v in a] for a in args])
    if rule == "first_items_tuple_then_each_arg_tuple":
        return _tuple_each([[tuple(v) if _type(v) is list else v for v in args[0]]] + args[1:])
    if rule == "first_dict_values_tuple":
        return [{k: tuple(v) for k, v in args[0].items()}] + args[1:]
    if rule == "first_inner_lists_set":
        return [[set(v) if _type(v) is list and len(v) else {} for v in args[0]]] + args[1:]
    if rule == "float_complex":
        return [float(args[0]), complex(args[1])]
    if rule == "complex":
        return [complex(args[0])] + args[1:]
    if rule == "deep_tuple":
        return list(_deep_tuple(args))
    raise ValueError("unknown input conversion " + rule)


class _Unencodable(Exception):
    pass


_unordered = [False]


def _enc(x, depth):
    # Dispatch on the real type (type(x), never x.__class__, which an object can fake). Instances of
    # subclasses of builtins (collections.Counter, IntEnum, numpy.float64) are written as their builtin
    # base, read through the base type's own C methods: what is encoded is the stored value, and no method
    # the candidate defined (an __eq__ that always returns True, a lying __repr__) is ever called.
    t = _type(x)
    if x is None or x is True or x is False:
        return x
    if _sub(t, int):
        if int.bit_length(x) <= _BIG_INT_BITS:
            return "i" + int.__repr__(x)
        return "i" + int.__format__(x, "#x")
    if _sub(t, float):
        return "f" + float.__repr__(x)
    if _sub(t, str):
        s = str.__str__(x)
        try:
            str.encode(s, "utf-8")
            return "s" + s
        except UnicodeEncodeError:
            return ["U"] + [ord(c) for c in s]
    if depth > _MAX_DEPTH:
        raise _Unencodable()
    for base, tag, it in _SEQS:
        if _sub(t, base):
            if tag == "S" or tag == "F":
                _unordered[0] = True
            out = [tag]
            for v in it(x):
                out.append(_enc(v, depth + 1))
            return out
    if _sub(t, dict):
        _unordered[0] = True
        out = ["d"]
        for k, v in dict.items(x):
            out.append(_enc(k, depth + 1))
            out.append(_enc(v, depth + 1))
        return out
    if _sub(t, complex):
        return ["c", float.__repr__(complex.real.__get__(x)), float.__repr__(complex.imag.__get__(x))]
    if _sub(t, bytes):
        return "b" + bytes.hex(x)
    raise _Unencodable()


_sub = issubclass
_SEQS = ((list, "l", list.__iter__), (tuple, "t", tuple.__iter__), (set, "S", set.__iter__),
         (frozenset, "F", frozenset.__iter__))


_PLAIN_SCALARS = {int, float, str, bool, type(None)}
_PLAIN = _PLAIN_SCALARS | {list, tuple}


def _plain(seq):
    # True when every value below seq (a list) is a list, tuple, small int, float, str, bool or None: such a value
    # has a canonical repr, computed in C. Walks level by level so the checks run at C speed.
    depth = 0
    while seq:
        depth += 1
        if depth > _MAX_DEPTH:
            return False
        types = set(map(_type, seq))
        if not types <= _PLAIN:
            return False
        if int in types:
            for v in seq:
                if _type(v) is int and int.bit_length(v) > _BIG_INT_BITS:
                    return False
        if types <= _PLAIN_SCALARS:
            return True
        if types & _PLAIN_SCALARS:
            seq = [v for v in seq if _type(v) is list or _type(v) is tuple]
        seq = list(_chain.from_iterable(seq))
    return True


def _plain_digest(x):
    h = _hashlib.sha256()
    for i in range(0, len(x), _CHUNK):
        chunk = x[i:i + _CHUNK]
        if not _plain(chunk):
            return None
        h.update(repr(chunk).encode())
    return h.hexdigest()


def _is_floats(x):
    # EvalPlus's is_floats on the encoded value: a float, or a non-empty list/tuple of floats only.
    t = _type(x)
    if _sub(t, float):
        return True
    if _sub(t, list) or _sub(t, tuple):
        n = 0
        for v in (list.__iter__ if _sub(t, list) else tuple.__iter__)(x):
            if not _sub(_type(v), float):
                return False
            n += 1
        return n > 0
    return False


class _NotPlain(Exception):
    pass


def _decode_plain(e):
    # The exact-builtin value an encoding stands for, when it is plain (see _plain); else _NotPlain.
    if e is None or e is True or e is False:
        return e
    if _type(e) is str:
        if e[0] == "s":
            return e[1:]
        if e[0] == "f":
            return float(e[1:])
        if e[0] == "i" and "x" not in e:
            return int(e[1:])
        raise _NotPlain()
    if e[0] == "l":
        return [_decode_plain(v) for v in e[1:]]
    if e[0] == "t":
        return tuple(_decode_plain(v) for v in e[1:])
    raise _NotPlain()


def _finish(x):
    # The typed encoding of x as JSON text; for a large value that the judge can only compare exactly (no
    # float tolerance can apply, no set or dict whose order could differ), its SHA-256 digest instead, so
    # outputs of millions of elements or digits stay out of pipes and caches. Equal values always get the
    # same form: a long plain list or tuple is hashed from the repr of its exact-builtin form.
    t = _type(x)
    exact_only = _ATOL == 0 and not _is_floats(x)
    try:
        seq = _sub(t, list) or _sub(t, tuple)
        if exact_only and seq and len(x) >= _PLAIN_DIGEST_MIN_LEN:
            tag = "l" if _sub(t, list) else "t"
            d = _plain_digest(x) if (t is list or t is tuple) else None
            if d is not None:
                return _json.dumps(["h", "r" + tag + d])
        _unordered[0] = False
        enc = _enc(x, 0)
        if exact_only and seq and len(x) >= _PLAIN_DIGEST_MIN_LEN and not (t is list or t is tuple):
            try:
                d = _plain_digest(_decode_plain(enc))
            except _NotPlain:
                d = None
            if d is not None:
                return _json.dumps(["h", "r" + tag + d])
        text = _json.dumps(enc, separators=(",", ":"))
    except (_Unencodable, RecursionError):
        return '["o"]'
    if exact_only and not _unordered[0] and len(text) > _DIGEST_ABOVE:
        return _json.dumps(["h", "j" + _hashlib.sha256(text.encode()).hexdigest()])
    return text


def _surface_area(base_edge, height):
    slant_height = _math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant_height) / 2)


def _digit_distance(num1, num2):
    a, b = str(num1), str(num2)
    n = max(len(a), len(b))
    a, b = a.zfill(n), b.zfill(n)
    return sum(abs(int(x) - int(y)) for x, y in zip(a, b))


def _aux(args):
    # What a special oracle needs besides the reference output, computed here in the trusted reference run
    # so that the candidate's process never computes anything the judge relies on.
    try:
        if _ORACLE == "surface_area":
            return _surface_area(*args)
        if _ORACLE == "digit_distance":
            return _digit_distance(*args)
        if _ORACLE == "poly_root":
            return args[0]
    except Exception:
        return None
    return None


def run_test(ns, input_text):
    if _LITERAL:
        return '{"seconds":0.0,"aux":null,"out":%s}' % _finish(_json.loads(input_text))
    if _KIND == "assert":
        exec(input_text, ns)
        return "true"
    if _KIND == "check":
        scope = dict(ns)
        exec(input_text, scope)
        scope["check"](ns[_ENTRY])
        return "true"
    if _KIND == "expr":
        # The candidate side of a converted assert, evaluated where the assert would have run.
        code = compile(input_text, "<test>", "eval")
        fn, args = (lambda: eval(code, ns)), []
    else:
        fn = ns[_ENTRY]
        args = _convert(_RULE, _json.loads(input_text))
    if _REFERENCE:
        aux = _finish(_aux(args))
        # The duration covers the call and the encoding: the candidate's limit must allow for both.
        start = _time.perf_counter()
        out = _finish(fn(*args))
        seconds = _time.perf_counter() - start
        return '{"seconds":%r,"aux":%s,"out":%s}' % (seconds, aux, out)
    return _finish(fn(*args))
)PY";

std::string py_str(const std::string& s) {
  return nlohmann::json(s).dump();
}  // a JSON string is a Python literal

}  // namespace

HarnessParams harness_params(const Task& task, bool reference) {
  HarnessParams p;
  p.kind = task.kind;
  p.entry_point = task.entry_point;
  p.rule = task.rule;
  p.oracle = task.oracle;
  p.atol = task.atol;
  p.reference = reference;
  return p;
}

std::string harness_source(const HarnessParams& p) {
  std::string s = "# diffucoder test harness (trusted)\n";
  s += "_KIND = " + py_str(test_kind_name(p.kind)) + "\n";
  s += "_ENTRY = " + py_str(p.entry_point) + "\n";
  s += "_RULE = " + py_str(input_rule_name(p.rule)) + "\n";
  s += "_ORACLE = " + py_str(oracle_aux_name(p.oracle)) + "\n";
  s += "_ATOL = " + fmt::format("{:.17g}", p.atol) + "\n";
  s += "_DIGEST_ABOVE = " + std::to_string(p.digest_above) + "\n";
  s += std::string("_REFERENCE = ") + (p.reference ? "True" : "False") + "\n";
  s += std::string("_LITERAL = ") + (p.literal ? "True" : "False") + "\n";
  s += kHarnessBody;
  return s;
}

}  // namespace dc::eval
