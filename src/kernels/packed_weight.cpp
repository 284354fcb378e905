// PackedWeight::pack: validates a weight tensor and lays it out for the GEMM kernel of one ISA.
#include "core/error.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ops.h"

namespace dc::kernels {

PackedWeight PackedWeight::pack(const TensorView& w) {
  return pack(w, active_isa());
}

PackedWeight PackedWeight::pack(const TensorView& w, Isa isa) {
  if (w.shape.size() != 2)
    throw_error("linear weight: expected a 2-D [out, in] tensor, got shape {}", shape_string(w.shape));
  if (w.dtype != DType::F32 && w.dtype != DType::F16 && w.dtype != DType::BF16 && !dtype_is_block(w.dtype))
    throw_error("linear weight: element type {} is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)",
                dtype_name(w.dtype));
  if (w.dim(0) <= 0 || w.dim(1) <= 0) throw_error("linear weight: empty shape {}", shape_string(w.shape));
  DC_ASSERT(w.data != nullptr);
  DC_ASSERT(isa <= detected_isa());

  PackedWeight p;
  p.dtype_ = w.dtype;
  p.n_ = w.dim(0);
  p.k_ = w.dim(1);
  if (dtype_is_block(w.dtype)) {
    if (p.k_ % dtype_block_elems(w.dtype) != 0)
      throw_error("linear weight: {} rows of {} values are not whole blocks of {}", dtype_name(w.dtype), p.k_,
                  dtype_block_elems(w.dtype));
    if (isa != Isa::Avx512 || !has_avx512_vnni()) {
      // The ggml rows are the reference kernel's input as they are: a view, nothing copied.
      p.layout_ = Layout::Blocks;
      p.data_ = w.data;
      p.bytes_ = w.nbytes();
      return p;
    }
  }
  cpu::PackResult r;
  if (dtype_is_block(w.dtype)) {
    r = cpu::pack_blocks_vnni_panels(w);
    p.layout_ = Layout::VnniPanels;
  } else if (isa == Isa::Avx512 && w.dtype == DType::BF16 && has_avx512_bf16()) {
    r = cpu::pack_avx512_bf16(w);
    p.layout_ = Layout::Avx512Bf16;
  } else if (isa == Isa::Avx512 && w.dtype != DType::BF16) {
    r = cpu::pack_avx512_f32(w);
    p.layout_ = Layout::Avx512F32;
  } else if (isa >= Isa::Avx2) {  // AVX2, or BF16 weights on AVX-512 without BF16 support
    r = cpu::pack_avx2(w);
    p.layout_ = Layout::Avx2Panel;
  } else {
    p.layout_ = Layout::View;
    p.data_ = w.data;
    p.bytes_ = w.nbytes();
    return p;
  }
  p.storage_ = std::move(r.storage);
  p.data_ = p.storage_.get();
  p.bytes_ = r.bytes;
  return p;
}

}  // namespace dc::kernels
