// Run-time choice of the instruction set: CPU feature detection, DC_ISA, force_isa().
#include <cpuid.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"
#include "kernels/isa_env.h"
#include "kernels/ops.h"

namespace dc::kernels {

namespace {

// F16C (CPUID leaf 1, ECX bit 29): clang's __builtin_cpu_supports does not know the name.
bool cpu_has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}

// AVX512_BF16 (CPUID leaf 7 sub-leaf 1, EAX bit 5), read directly for the same reason.
bool cpu_has_avx512_bf16() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5)) != 0;
}

// AVX512_VNNI (CPUID leaf 7 sub-leaf 0, ECX bit 11).
bool cpu_has_avx512_vnni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 11)) != 0;
}

Isa detect() {
  __builtin_cpu_init();
  // libgcc also checks (via xgetbv) that the OS saves the wide registers.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("fma") && cpu_has_f16c())
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c()) return Isa::Avx2;
  return Isa::Scalar;
}

// The active ISA at start-up: DC_ISA may lower the detected one (see isa_env.h).
Isa initial_isa() {
  std::string warning;
  const Isa isa = isa_from_env(std::getenv("DC_ISA"), detected_isa(), &warning);
  if (!warning.empty()) std::fprintf(stderr, "diffucoder: %s\n", warning.c_str());
  return isa;
}

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{int(initial_isa())};
  return slot;
}

}  // namespace

Isa isa_from_env(const char* value, Isa best, std::string* warning) {
  if (!value || !*value) return best;
  for (Isa i : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (std::strcmp(value, isa_name(i)) != 0) continue;
    if (i <= best) return i;
    *warning = fmt::format("DC_ISA={} is not supported by this CPU; using {}", value, isa_name(best));
    return best;
  }
  *warning = fmt::format("DC_ISA={} is not one of scalar, avx2, avx512; using {}", value, isa_name(best));
  return best;
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

bool has_avx512_bf16() {
  static const bool has = detected_isa() == Isa::Avx512 && cpu_has_avx512_bf16();
  return has;
}

bool has_avx512_vnni() {
  static const bool has = detected_isa() == Isa::Avx512 && cpu_has_avx512_vnni();
  return has;
}

Isa active_isa() {
  return Isa(active_slot().load(std::memory_order_relaxed));
}

void force_isa(Isa isa) {
  DC_ASSERT(isa <= detected_isa(), "force_isa: the CPU does not support that instruction set");
  active_slot().store(int(isa), std::memory_order_relaxed);
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
  }
  return "?";
}

}  // namespace dc::kernels
