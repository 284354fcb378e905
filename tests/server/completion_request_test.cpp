// Parsing and validation of completion request bodies (no network): defaults, every field, and each kind of
// bad input as a 400 naming its field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/completion_request.h"

namespace dc::server {
namespace {

CompletionRequest parse(const std::string& body, Endpoint ep = Endpoint::Completions) {
  return parse_completion_request(body, ep, ServerLimits{}, Arch::Dream);
}

// The ApiError a body gives (status 0 when it parses).
ApiError error_of(const std::string& body, Endpoint ep = Endpoint::Completions) {
  try {
    parse(body, ep);
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError(0, "", "", "", "");
}

TEST(CompletionRequest, DefaultsAreThoseOfGenerate) {
  const CompletionRequest r = parse(R"({"prompt": "def f():"})");
  EXPECT_EQ(r.text.prompt, "def f():");
  EXPECT_FALSE(r.text.chat);
  EXPECT_EQ(r.params.max_new_tokens, 128);
  EXPECT_EQ(r.params.steps, 128);
  EXPECT_FLOAT_EQ(r.params.temperature, 0.2f);
  EXPECT_FLOAT_EQ(r.params.top_p, 0.95f);
  EXPECT_EQ(r.params.alg, Alg::Entropy);
  EXPECT_EQ(r.params.block_length, 0);
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.stop.empty());
}

TEST(CompletionRequest, EveryFieldIsRead) {
  const CompletionRequest r = parse(R"({"model": "m", "prompt": "x", "max_tokens": 32, "temperature": 0,
    "top_p": 0.5, "top_k": 7, "seed": 18446744073709551615, "stop": ["a", "bc"], "n": 3, "stream": true,
    "stream_canvas": true, "steps": 16, "alg": "maskgit_plus", "alg_temp": 0, "block_length": 8,
    "eps": 0.01, "threshold": 0.9, "factor": 0, "early_stop": true, "cache": "prefix", "precision": "fast"})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.params.max_new_tokens, 32);
  EXPECT_EQ(r.params.temperature, 0);
  EXPECT_FLOAT_EQ(r.params.top_p, 0.5f);
  EXPECT_EQ(r.params.top_k, 7);
  EXPECT_EQ(r.params.seed, 18446744073709551615ull);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(r.n, 3);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.stream_canvas);
  EXPECT_EQ(r.params.steps, 16);
  EXPECT_EQ(r.params.alg, Alg::MaskgitPlus);
  EXPECT_FLOAT_EQ(r.params.alg_temp, 0);
  EXPECT_FLOAT_EQ(parse(R"({"prompt": "x", "alg_temp": 0.5})").params.alg_temp, 0.5f);
  EXPECT_EQ(r.params.block_length, 8);
  EXPECT_FLOAT_EQ(r.params.eps, 0.01f);
  EXPECT_FLOAT_EQ(r.params.threshold, 0.9f);
  EXPECT_TRUE(r.params.early_stop);
  EXPECT_EQ(r.params.cache, CacheMode::Prefix);
  EXPECT_EQ(r.params.precision, kernels::Precision::Fast);
}

TEST(CompletionRequest, StopMayBeOneString) {
  EXPECT_EQ(parse(R"({"prompt": "x", "stop": "\n\n"})").stop, std::vector<std::string>{"\n\n"});
  EXPECT_TRUE(parse(R"({"prompt": "x", "stop": null})").stop.empty());
}

TEST(CompletionRequest, ChatMessagesBecomeTheInstructTurn) {
  const CompletionRequest r = parse(
      R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]})",
      Endpoint::ChatCompletions);
  EXPECT_TRUE(r.text.chat);
  EXPECT_EQ(r.text.prompt, "Hi");
  EXPECT_EQ(r.text.system, "Be brief.");
  EXPECT_EQ(
      parse(R"({"messages": [{"role": "user", "content": "Hi"}]})", Endpoint::ChatCompletions).text.system,
      "");
}

TEST(CompletionRequest, LladaDefaultsComeFromTheArchitecture) {
  const CompletionRequest r = parse_completion_request(R"({"prompt": "x", "max_tokens": 64})",
                                                       Endpoint::Completions, {}, Arch::Llada);
  EXPECT_EQ(r.params.alg, Alg::LowConfidence);
  EXPECT_EQ(r.params.block_length, 32);
}

TEST(CompletionRequest, MalformedBodiesAre400) {
  for (const char* body :
       {"", "{", "{\"prompt\": }", "[1, 2]", "\"text\"", "null", "{\"prompt\": \"x\"} tail"}) {
    const ApiError e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.type, "invalid_request_error") << body;
    EXPECT_EQ(e.code, "invalid_json") << body;
  }
}

TEST(CompletionRequest, InvalidUtf8Is400) {
  const ApiError e = error_of("{\"prompt\": \"\xC3\x28\"}");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_utf8");
}

TEST(CompletionRequest, DeepNestingIs400) {
  const std::string deep = "{\"prompt\": " + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(error_of(deep).code, "invalid_json");
}

TEST(CompletionRequest, WrongTypesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"prompt": 5})", "prompt"},
      {R"({"prompt": "x", "max_tokens": "9"})", "max_tokens"},
      {R"({"prompt": "x", "max_tokens": 1.5})", "max_tokens"},
      {R"({"prompt": "x", "temperature": "hot"})", "temperature"},
      {R"({"prompt": "x", "stream": 1})", "stream"},
      {R"({"prompt": "x", "stop": 3})", "stop"},
      {R"({"prompt": "x", "stop": [1]})", "stop"},
      {R"({"prompt": "x", "seed": -1})", "seed"},
      {R"({"prompt": "x", "seed": 1.5})", "seed"},
      {R"({"prompt": "x", "n": true})", "n"},
      {R"({"prompt": "x", "alg": 3})", "alg"},
      {R"({"prompt": ["a", "b"]})", "prompt"},
  };
  for (const auto& [body, param] : cases) {
    const ApiError e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.param, param) << body;
    EXPECT_EQ(e.code, "invalid_type") << body;
  }
}

TEST(CompletionRequest, UnknownFieldsAreRejected) {
  const ApiError e = error_of(R"({"prompt": "x", "presence_penalty": 0.5})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.param, "presence_penalty");
  EXPECT_EQ(e.code, "unknown_field");
  // Each endpoint takes its own prompt field only.
  EXPECT_EQ(error_of(R"({"messages": []})").code, "unknown_field");
  EXPECT_EQ(error_of(R"({"prompt": "x"})", Endpoint::ChatCompletions).code, "unknown_field");
  EXPECT_EQ(
      error_of(R"({"messages": [{"role": "user", "content": "x", "name": "a"}]})", Endpoint::ChatCompletions)
          .code,
      "unknown_field");
}

TEST(CompletionRequest, ValuesOutOfRangeAre400) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"prompt": "x", "max_tokens": -5})", "max_tokens"},
      {R"({"prompt": "x", "max_tokens": 0})", "max_tokens"},
      {R"({"prompt": "x", "max_tokens": 1000000000000})", "max_tokens"},
      {R"({"prompt": "x", "max_tokens": 99999999999999999999999})", "max_tokens"},
      {R"({"prompt": "x", "max_tokens": 1025})", "max_tokens"},
      {R"({"prompt": "x", "n": 0})", "n"},
      {R"({"prompt": "x", "n": 9})", "n"},
      {R"({"prompt": "x", "temperature": -1})", "temperature"},
      {R"({"prompt": "x", "top_p": 0})", "top_p"},
      {R"({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]})", "stop"},
      {R"({"prompt": "x", "stop": [""]})", "stop"},
      {R"({"prompt": ""})", "prompt"},
      {R"({})", "prompt"},
  };
  for (const auto& [body, param] : cases) {
    const ApiError e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.param, param) << body;
  }
  // The sampler's own rules, by the sampler's message.
  const ApiError block = error_of(R"({"prompt": "x", "max_tokens": 10, "block_length": 3})");
  EXPECT_EQ(block.status, 400);
  EXPECT_NE(std::string(block.what()).find("block_length"), std::string::npos) << block.what();
  EXPECT_EQ(error_of(R"({"prompt": "x", "alg": "best"})").status, 400);
  EXPECT_EQ(error_of(R"({"prompt": "x", "stream_canvas": true})").param, "stream_canvas");
}

TEST(CompletionRequest, EmptyOrMisorderedMessagesAre400) {
  for (const char* body :
       {R"({"messages": []})", R"({"messages": {}})", R"({"messages": [{"role": "system", "content": "s"}]})",
        R"({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]})",
        R"({"messages": [{"role": "assistant", "content": "a"}]})", R"({"messages": [{"role": "user"}]})",
        R"({"messages": [{"role": "user", "content": 1}]})", R"({"messages": ["hi"]})"}) {
    const ApiError e = error_of(body, Endpoint::ChatCompletions);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.param, "messages") << body;
  }
}

TEST(CompletionRequest, ErrorBodyHasTheOpenAiShape) {
  const ApiError e = error_of(R"({"prompt": "x", "bogus": 1})");
  const auto j = nlohmann::json::parse(error_body(e));
  ASSERT_TRUE(j.contains("error"));
  EXPECT_EQ(j["error"]["message"], "unknown field 'bogus' in a completion request");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "bogus");
  EXPECT_EQ(j["error"]["code"], "unknown_field");
  const auto none = nlohmann::json::parse(error_body(ApiError(500, "server_error", "", "", "x")));
  EXPECT_TRUE(none["error"]["param"].is_null());
  EXPECT_TRUE(none["error"]["code"].is_null());
}

TEST(CompletionRequest, BatchKeyIgnoresOnlyTheSeedAndPrompt) {
  const std::string a = batch_key(parse(R"({"prompt": "x", "seed": 1, "max_tokens": 8})"));
  EXPECT_EQ(a, batch_key(parse(R"({"prompt": "other", "seed": 2, "max_tokens": 8, "n": 2, "stop": "q"})")));
  EXPECT_NE(a, batch_key(parse(R"({"prompt": "x", "max_tokens": 16})")));
  EXPECT_NE(a, batch_key(parse(R"({"prompt": "x", "max_tokens": 8, "temperature": 0})")));
  EXPECT_NE(a, batch_key(parse(R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 8})",
                               Endpoint::ChatCompletions)));
}

}  // namespace
}  // namespace dc::server
