// LLaDA-8B-Instruct's chat template (docs/LLADA.md §6), written out by hand from the template's rule:
// bos, then each message as <|start_header_id|>{role}<|end_header_id|>\n\n{content | trim}<|eot_id|>,
// then the generation prompt; no default system prompt.
#include <gtest/gtest.h>

#include "tokenizer/chat_template.h"

namespace dc {
namespace {

TEST(LladaChatTemplate, OneUserTurn) {
  EXPECT_EQ(llada_chat_prompt("Write add(a, b)."),
            "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nWrite add(a, b).<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(LladaChatTemplate, ContentIsTrimmedAndASystemTurnIsOptional) {
  EXPECT_EQ(llada_chat_prompt("  \n hi \t\n", "Be brief. "),
            "<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(llada_chat_prompt("hi", " \n"), llada_chat_prompt("hi")) << "a blank system prompt adds no turn";
}

}  // namespace
}  // namespace dc
