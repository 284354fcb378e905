#include "train/synthetic_templates.h"

#include <algorithm>

#include <fmt/format.h>

namespace dc::train::synth {

using nlohmann::json;
using P = std::vector<int>;

namespace {

// Python semantics for integers.
long long py_mod(long long a, long long m) {
  long long r = a % m;
  return (r != 0 && ((r < 0) != (m < 0))) ? r + m : r;
}

int rand_int(Rng& rng, int lo, int hi) {
  return lo + int(rng.below(uint64_t(hi - lo + 1)));
}

std::vector<int> rand_list(Rng& rng, int max_len, int lo, int hi) {
  std::vector<int> v(size_t(rand_int(rng, 0, max_len)));
  for (auto& x : v) x = rand_int(rng, lo, hi);
  return v;
}

std::string rand_word(Rng& rng, int min_len, int max_len,
                      const char* alphabet = "abcdefghijklmnopqrstuvwxyz") {
  const std::string a = alphabet;
  std::string s(size_t(rand_int(rng, min_len, max_len)), 'a');
  for (auto& c : s) c = a[rng.below(a.size())];
  return s;
}

// Python str.split(): runs of spaces separate; no empty words.
std::vector<std::string> py_split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ') {
      if (!cur.empty()) out.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

const char* const kWords[] = {"apple", "river", "stone", "cloud", "tiger", "lemon", "piano", "ocean"};
const char* const kSeps[] = {"", "-", " ", ", "};
const char* const kPairs[][2] = {{"Fizz", "Buzz"}, {"Foo", "Bar"}, {"Ping", "Pong"}, {"Tick", "Tock"}};
const char* const kLabels[][3] = {{"low", "mid", "high"}, {"below", "at", "above"}, {"neg", "zero", "pos"}};
const char* const kJoiners[] = {" ", "-", ",", "+"};

std::string quoted(const std::string& s) {
  return py_repr(json(s));
}

// Tests from a generator of argument lists and a C++ model of the function.
template <class Gen, class Fn>
std::vector<std::pair<json, json>> make_tests(Rng& rng, int n, Gen gen, Fn fn) {
  std::vector<std::pair<json, json>> t;
  for (int i = 0; i < n; ++i) {
    json args = gen(rng);
    json out = fn(args);
    t.emplace_back(std::move(args), std::move(out));
  }
  return t;
}

std::vector<Template> build() {
  std::vector<Template> T;
  // ---- arithmetic ----
  T.push_back({"arithmetic",
               "affine",
               {{-9, 9}, {-20, 20}},
               [](const P& p) { return p[0] != 0; },
               [](const P& p, Rng& rng, int n) {
                 Instance in{"affine",
                             "def affine(x: int) -> int:",
                             fmt::format("Return {} * x + {}.", p[0], p[1]),
                             fmt::format("    return {} * x + {}\n", p[0], p[1]),
                             {}};
                 in.tests = make_tests(
                     rng, n, [](Rng& r) { return json::array({rand_int(r, -100, 100)}); },
                     [&](const json& a) { return json(p[0] * a[0].get<long long>() + p[1]); });
                 return in;
               }});
  T.push_back(
      {"arithmetic", "quadratic", {{1, 5}, {-5, 5}, {-9, 9}}, nullptr, [](const P& p, Rng& rng, int n) {
         Instance in{"quadratic",
                     "def quadratic(x: int) -> int:",
                     fmt::format("Return {} * x * x + {} * x + {}.", p[0], p[1], p[2]),
                     fmt::format("    return {} * x * x + {} * x + {}\n", p[0], p[1], p[2]),
                     {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_int(r, -30, 30)}); },
             [&](const json& a) {
               const long long x = a[0].get<long long>();
               return json(p[0] * x * x + p[1] * x + p[2]);
             });
         return in;
       }});
  T.push_back({"arithmetic", "mod_sum", {{2, 40}}, nullptr, [](const P& p, Rng& rng, int n) {
                 Instance in{"mod_sum",
                             "def mod_sum(x: int, y: int) -> int:",
                             fmt::format("Return (x + y) modulo {}, a number from 0 to {}.", p[0], p[0] - 1),
                             fmt::format("    return (x + y) % {}\n", p[0]),
                             {}};
                 in.tests = make_tests(
                     rng, n,
                     [](Rng& r) {
                       return json::array({rand_int(r, -99, 99), rand_int(r, -99, 99)});
                     },
                     [&](const json& a) {
                       return json(py_mod(a[0].get<long long>() + a[1].get<long long>(), p[0]));
                     });
                 return in;
               }});
  // ---- strings ----
  T.push_back(
      {"strings", "repeat_join", {{2, 6}, {0, 3}}, nullptr, [](const P& p, Rng& rng, int n) {
         const std::string sep = kSeps[p[1]];
         Instance in{"repeat_join",
                     "def repeat_join(s: str) -> str:",
                     fmt::format("Return {} copies of s joined by {}.", p[0], quoted(sep)),
                     fmt::format("    return {}.join([s] * {})\n", quoted(sep), p[0]),
                     {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_word(r, 0, 5)}); },
             [&](const json& a) { return json(join(std::vector<std::string>(size_t(p[0]), a[0]), sep)); });
         return in;
       }});
  T.push_back({"strings", "count_char", {{0, 25}}, nullptr, [](const P& p, Rng& rng, int n) {
                 const char c = char('a' + p[0]);
                 const std::string ch(1, c);
                 Instance in{"count_char",
                             "def count_char(s: str) -> int:",
                             fmt::format("Return how many times the letter {} occurs in s.", quoted(ch)),
                             fmt::format("    return s.count({})\n", quoted(ch)),
                             {}};
                 const std::string alphabet = ch + ch + ch + "abcdefghijklmnopqrstuvwxyz";
                 in.tests = make_tests(
                     rng, n, [&](Rng& r) { return json::array({rand_word(r, 0, 12, alphabet.c_str())}); },
                     [&](const json& a) {
                       const std::string s = a[0];
                       return json(std::count(s.begin(), s.end(), c));
                     });
                 return in;
               }});
  T.push_back(
      {"strings",
       "surround",
       {{0, 7}, {0, 7}},
       [](const P& p) { return p[0] != p[1]; },
       [](const P& p, Rng& rng, int n) {
         const std::string a = kWords[p[0]], b = kWords[p[1]];
         Instance in{
             "surround",
             "def surround(s: str) -> str:",
             fmt::format("Return s with {} and an underscore before it and an underscore and {} after it.",
                         quoted(a), quoted(b)),
             fmt::format("    return {} + \"_\" + s + \"_\" + {}\n", quoted(a), quoted(b)),
             {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_word(r, 0, 6)}); },
             [&](const json& x) { return json(a + "_" + x[0].get<std::string>() + "_" + b); });
         return in;
       }});
  // ---- lists ----
  T.push_back({"lists", "sum_multiples", {{2, 12}}, nullptr, [](const P& p, Rng& rng, int n) {
                 Instance in{
                     "sum_multiples",
                     "def sum_multiples(xs: list) -> int:",
                     fmt::format("Return the sum of the elements of xs that are divisible by {}.", p[0]),
                     fmt::format("    return sum(x for x in xs if x % {} == 0)\n", p[0]),
                     {}};
                 in.tests = make_tests(
                     rng, n, [](Rng& r) { return json::array({rand_list(r, 8, -50, 50)}); },
                     [&](const json& a) {
                       long long s = 0;
                       for (long long x : a[0]) s += py_mod(x, p[0]) == 0 ? x : 0;
                       return json(s);
                     });
                 return in;
               }});
  T.push_back({"lists",
               "scale_list",
               {{-5, 5}, {-5, 5}},
               [](const P& p) { return p[0] != 0; },
               [](const P& p, Rng& rng, int n) {
                 Instance in{
                     "scale_list",
                     "def scale_list(xs: list) -> list:",
                     fmt::format("Return a list with x * {} + {} for each x of xs, in order.", p[0], p[1]),
                     fmt::format("    return [x * {} + {} for x in xs]\n", p[0], p[1]),
                     {}};
                 in.tests = make_tests(
                     rng, n, [](Rng& r) { return json::array({rand_list(r, 6, -20, 20)}); },
                     [&](const json& a) {
                       json out = json::array();
                       for (long long x : a[0]) out.push_back(x * p[0] + p[1]);
                       return out;
                     });
                 return in;
               }});
  T.push_back({"lists", "count_greater", {{-10, 10}}, nullptr, [](const P& p, Rng& rng, int n) {
                 Instance in{"count_greater",
                             "def count_greater(xs: list) -> int:",
                             fmt::format("Return how many elements of xs are greater than {}.", p[0]),
                             fmt::format("    return sum(1 for x in xs if x > {})\n", p[0]),
                             {}};
                 in.tests = make_tests(
                     rng, n, [](Rng& r) { return json::array({rand_list(r, 8, -15, 15)}); },
                     [&](const json& a) {
                       long long c = 0;
                       for (long long x : a[0]) c += x > p[0];
                       return json(c);
                     });
                 return in;
               }});
  // ---- conditionals ----
  T.push_back(
      {"conditionals", "clamp", {{-10, 0}, {1, 20}}, nullptr, [](const P& p, Rng& rng, int n) {
         Instance in{
             "clamp",
             "def clamp(x: int) -> int:",
             fmt::format("Return {} if x is below {}, {} if x is above {}, else x.", p[0], p[0], p[1], p[1]),
             fmt::format(
                 "    if x < {}:\n        return {}\n    if x > {}:\n        return {}\n    return x\n", p[0],
                 p[0], p[1], p[1]),
             {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_int(r, -30, 30)}); },
             [&](const json& a) { return json(std::clamp<long long>(a[0].get<long long>(), p[0], p[1])); });
         return in;
       }});
  T.push_back(
      {"conditionals",
       "fizz",
       {{2, 7}, {2, 9}, {0, 3}},
       [](const P& p) { return p[0] < p[1]; },
       [](const P& p, Rng& rng, int n) {
         const std::string w1 = kPairs[p[2]][0], w2 = kPairs[p[2]][1];
         Instance in{
             "fizz",
             "def fizz(x: int) -> str:",
             fmt::format("Return {} if x is divisible by both {} and {}, {} if only by {}, {} if only by "
                         "{}, else str(x).",
                         quoted(w1 + w2), p[0], p[1], quoted(w1), p[0], quoted(w2), p[1]),
             fmt::format("    if x % {} == 0 and x % {} == 0:\n        return {}\n"
                         "    if x % {} == 0:\n        return {}\n"
                         "    if x % {} == 0:\n        return {}\n    return str(x)\n",
                         p[0], p[1], quoted(w1 + w2), p[0], quoted(w1), p[1], quoted(w2)),
             {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_int(r, 1, 100)}); },
             [&](const json& a) {
               const long long x = a[0];
               const bool d1 = x % p[0] == 0, d2 = x % p[1] == 0;
               return json(d1 && d2 ? w1 + w2 : d1 ? w1 : d2 ? w2 : std::to_string(x));
             });
         return in;
       }});
  T.push_back(
      {"conditionals", "compare_label", {{-20, 20}, {0, 2}}, nullptr, [](const P& p, Rng& rng, int n) {
         const auto& L = kLabels[p[1]];
         Instance in{"compare_label",
                     "def compare_label(x: int) -> str:",
                     fmt::format("Return {} when x < {}, {} when x == {}, and {} when x > {}.", quoted(L[0]),
                                 p[0], quoted(L[1]), p[0], quoted(L[2]), p[0]),
                     fmt::format("    if x < {}:\n        return {}\n    if x == {}:\n        return {}\n"
                                 "    return {}\n",
                                 p[0], quoted(L[0]), p[0], quoted(L[1]), quoted(L[2])),
                     {}};
         in.tests = make_tests(
             rng, n, [&](Rng& r) { return json::array({p[0] + rand_int(r, -3, 3)}); },
             [&](const json& a) {
               const long long x = a[0];
               return json(std::string(x < p[0] ? L[0] : x == p[0] ? L[1] : L[2]));
             });
         return in;
       }});
  // ---- loops ----
  T.push_back(
      {"loops", "power_sum", {{1, 4}, {0, 3}}, nullptr, [](const P& p, Rng& rng, int n) {
         Instance in{
             "power_sum",
             "def power_sum(n: int) -> int:",
             fmt::format(
                 "Return the sum of i ** {} for every integer i from {} to n inclusive (0 when n < {}).",
                 p[0], p[1], p[1]),
             fmt::format("    total = 0\n    for i in range({}, n + 1):\n        total += i ** {}\n"
                         "    return total\n",
                         p[1], p[0]),
             {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_int(r, -2, 25)}); },
             [&](const json& a) {
               long long t = 0;
               for (long long i = p[1]; i <= a[0].get<long long>(); ++i) {
                 long long v = 1;
                 for (int k = 0; k < p[0]; ++k) v *= i;
                 t += v;
               }
               return json(t);
             });
         return in;
       }});
  T.push_back(
      {"loops", "count_divisions", {{2, 9}}, nullptr, [](const P& p, Rng& rng, int n) {
         Instance in{
             "count_divisions",
             "def count_divisions(n: int) -> int:",
             fmt::format("Return how many times the positive integer n can be divided by {} evenly in a row.",
                         p[0]),
             fmt::format("    count = 0\n    while n % {} == 0:\n        n //= {}\n        count += 1\n"
                         "    return count\n",
                         p[0], p[0]),
             {}};
         in.tests = make_tests(
             rng, n,
             [&](Rng& r) {
               long long v = rand_int(r, 1, 50);
               for (int k = rand_int(r, 0, 4); k > 0; --k) v *= p[0];
               return json::array({v});
             },
             [&](const json& a) {
               long long v = a[0], c = 0;
               while (v % p[0] == 0) v /= p[0], ++c;
               return json(c);
             });
         return in;
       }});
  T.push_back(
      {"loops", "digit_sum", {{2, 16}}, nullptr, [](const P& p, Rng& rng, int n) {
         Instance in{
             "digit_sum",
             "def digit_sum(n: int) -> int:",
             fmt::format("Return the sum of the digits of the non-negative integer n written in base {}.",
                         p[0]),
             fmt::format("    total = 0\n    while n > 0:\n        total += n % {}\n        n //= {}\n"
                         "    return total\n",
                         p[0], p[0]),
             {}};
         in.tests = make_tests(
             rng, n, [](Rng& r) { return json::array({rand_int(r, 0, 100000)}); },
             [&](const json& a) {
               long long v = a[0], t = 0;
               for (; v > 0; v /= p[0]) t += v % p[0];
               return json(t);
             });
         return in;
       }});
  // ---- combinations ----
  T.push_back({"combinations",
               "filter_map_sum",
               {{1, 5}, {2, 5}, {0, 4}},
               [](const P& p) { return p[2] < p[1]; },
               [](const P& p, Rng& rng, int n) {
                 Instance in{
                     "filter_map_sum",
                     "def filter_map_sum(xs: list) -> int:",
                     fmt::format("Return the sum of x * {} over the elements x of xs with x % {} == {}.",
                                 p[0], p[1], p[2]),
                     fmt::format("    total = 0\n    for x in xs:\n        if x % {} == {}:\n"
                                 "            total += x * {}\n    return total\n",
                                 p[1], p[2], p[0]),
                     {}};
                 in.tests = make_tests(
                     rng, n, [](Rng& r) { return json::array({rand_list(r, 8, -30, 30)}); },
                     [&](const json& a) {
                       long long t = 0;
                       for (long long x : a[0]) t += py_mod(x, p[1]) == p[2] ? x * p[0] : 0;
                       return json(t);
                     });
                 return in;
               }});
  T.push_back(
      {"combinations", "long_words", {{1, 6}, {0, 3}, {0, 1}}, nullptr, [](const P& p, Rng& rng, int n) {
         const std::string sep = kJoiners[p[1]];
         const bool upper = p[2] == 1;
         Instance in{
             "long_words",
             "def long_words(s: str) -> str:",
             fmt::format("Split s at whitespace, keep the words of at least {} letters{}, and join them with "
                         "{}.",
                         p[0], upper ? " in upper case" : "", quoted(sep)),
             fmt::format("    return {}.join(w{} for w in s.split() if len(w) >= {})\n", quoted(sep),
                         upper ? ".upper()" : "", p[0]),
             {}};
         in.tests = make_tests(
             rng, n,
             [](Rng& r) {
               std::string s;
               for (int k = rand_int(r, 0, 6); k > 0; --k)
                 s += std::string(size_t(rand_int(r, 1, 2)), ' ') + rand_word(r, 1, 8);
               return json::array({s});
             },
             [&](const json& a) {
               std::vector<std::string> keep;
               for (auto w : py_split(a[0])) {
                 if (int(w.size()) < p[0]) continue;
                 if (upper)
                   std::transform(w.begin(), w.end(), w.begin(), [](char c) { return char(c - 32); });
                 keep.push_back(w);
               }
               return json(join(keep, sep));
             });
         return in;
       }});
  return T;
}

}  // namespace

const std::vector<Template>& templates() {
  static const std::vector<Template> t = build();
  return t;
}

std::string py_repr(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_string()) {
    std::string out = "'";
    for (char c : v.get<std::string>()) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + py_repr(v[i]);
    return out + "]";
  }
  return v.dump();
}

}  // namespace dc::train::synth
