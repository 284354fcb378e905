// A model's weights and config, from either
//  * a Hugging Face checkpoint folder: `config.json` plus either one `model.safetensors` or a
//    `model.safetensors.index.json` whose `weight_map` names the shard holding each tensor (SPEC §1, §10); or
//  * a GGUF file (SPEC §10), given as its path or as a folder holding exactly one *.gguf and no safetensors
//    (model_files.h): config and tensors come from the file, tensors renamed to the Hugging Face names
//    (gguf_dream.h) so that the rest of the engine is unchanged. Block-quantized tensors keep their dtype.
//
// Opening maps every shard (no eager reads: a 15 GB BF16 checkpoint costs address space, and pages are
// faulted in as the forward pass touches them) and validates: every header (see safetensors.h), the index
// (a JSON object with an object `weight_map` of tensor -> shard file name; shard names are plain file names
// inside the folder), every tensor the index lists is present in its shard, no shard holds a tensor the
// index does not list or assigns elsewhere. Weights stay in their stored dtype (BF16 for the 7B models);
// consumers convert to fp32 as they accumulate. Views live as long as the Checkpoint.
//
// validate_tensors() checks the tensor set against the config: every tensor of the architecture's
// table (tensor_table.h) present, with the shape the config implies and a float dtype (F32, F16, BF16) or,
// for matrices, a block-quantized one (Q8_0, Q4_0, Q4_K, Q6_K; read from GGUF files).
// Policy for the rest:
//  * the output head (lm_head.weight; LLaDA's model.transformer.ff_out.weight) is required unless the
//    embeddings are tied; when tied and present anyway it must still have shape [V, C] (the model ignores
//    it and uses the embedding).
//  * embed_tokens / lm_head must have exactly config.vocab_size rows (7B: 152064), which may exceed the
//    tokenizer's size (151667 tokens incl. specials); rows past the tokenizer are padding the model never
//    emits in practice; masking them out is the sampler's choice, not the loader's.
//  * tensors the architecture does not use (e.g. legacy `rotary_emb.inv_freq` buffers) are accepted and
//    ignored; unexpected_tensors() lists them so tools can show them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"
#include "model/gguf.h"
#include "model/safetensors.h"

namespace dc {

class Checkpoint {
 public:
  // Opens `dir` (config.json + model.safetensors, or + model.safetensors.index.json and shards; or a GGUF
  // file or a folder holding one) and validates the files. The tensor set is the architecture's business:
  // validate_tensors(), which the model and the training parameters call when they load. Throws dc::Error
  // naming the offending file.
  static Checkpoint open(const std::string& dir);
  // A checkpoint over tensors in memory (views: nothing is copied; the caller keeps the bytes alive and
  // unchanged while the checkpoint or anything built from it is in use). `label` stands for the folder in
  // messages. For a policy being trained, decoded through the packed inference model.
  static Checkpoint from_views(std::string label, ModelConfig config,
                               std::map<std::string, TensorView> tensors);

  const ModelConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws dc::Error "DIR: missing tensor 'NAME'".
  const TensorView& get(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  // The shard file (path) that holds `name`; throws like get().
  const std::string& file_of(const std::string& name) const;
  // The safetensors shards (empty for a GGUF checkpoint).
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // The GGUF file, or nullptr for a safetensors checkpoint.
  const GgufFile* gguf() const { return gguf_.get(); }
  uint64_t total_bytes() const;  // sum of tensor bytes over all shards
  // Drops the resident pages of tensor `name` where its bytes are in a mapped file (MappedFile::drop_pages;
  // a tensor that was copied at open is left alone). For tensors the model keeps a packed copy of.
  void drop_pages(const std::string& name) const;

 private:
  std::string dir_;
  ModelConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorView> tensors_;
  std::unique_ptr<GgufFile> gguf_;
  std::map<std::string, std::string> owner_;  // tensor -> path of the file holding it
};

// Parses the text of a model.safetensors.index.json: tensor name -> shard file name (validated as above).
// Pure (no I/O); `index_path` names the file in messages. Fuzzed by fuzz/safetensors_index_fuzz.cpp.
std::map<std::string, std::string> parse_safetensors_index(std::string_view text,
                                                           const std::string& index_path);

// Every tensor a model with `cfg` needs (tensor_table order), with its expected shape (PyTorch order,
// [out, in]). The head is included only when the embeddings are untied.
std::vector<std::pair<std::string, std::vector<int64_t>>> tensor_shapes(const ModelConfig& cfg);

// Checks the checkpoint's tensors against tensor_shapes(config) (policy above). Throws dc::Error naming
// the folder and the first missing tensor or the first shape / dtype mismatch.
void validate_tensors(const Checkpoint& ckpt);

// Tensors present in the checkpoint that its architecture does not use (sorted).
std::vector<std::string> unexpected_tensors(const Checkpoint& ckpt);

}  // namespace dc
