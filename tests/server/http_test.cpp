// The server over loopback on the tiny test model: every endpoint, streaming and not, the chunk format and
// [DONE], usage, stop strings, n > 1, seeds, the batch queue, and the limits (401, 413, 429, 504).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "server_fixture.h"

namespace dc::server::testing {
namespace {

using nlohmann::json;

json post(const RunningServer& s, const std::string& path, const json& body, int expect_status = 200) {
  auto res = s.client().Post(path, body.dump(), "application/json");
  EXPECT_TRUE(res) << path;
  if (!res) return {};
  EXPECT_EQ(res->status, expect_status) << res->body;
  return json::parse(res->body);
}

json complete(const RunningServer& s, json body) {
  return post(s, "/v1/completions", body);
}

// The whole SSE stream of a request: its payloads, parsed ("[DONE]" kept as a string).
std::vector<json> stream(const RunningServer& s, const std::string& path, json body) {
  body["stream"] = true;
  auto res = s.client().Post(path, body.dump(), "application/json");
  EXPECT_TRUE(res);
  if (!res) return {};
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  std::vector<json> out;
  for (const std::string& p : sse_payloads(res->body))
    out.push_back(p == "[DONE]" ? json(p) : json::parse(p));
  return out;
}

json small(const std::string& prompt, int seed = 1) {
  return {{"prompt", prompt}, {"max_tokens", 16}, {"seed", seed}, {"temperature", 1.0}};
}

TEST(ServerHttp, HealthModelsAndMetrics) {
  RunningServer s;
  auto health = s.client().Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  auto models = s.client().Get("/v1/models");
  ASSERT_TRUE(models);
  const json m = json::parse(models->body);
  EXPECT_EQ(m["object"], "list");
  EXPECT_EQ(m["data"][0]["id"], "tiny-dream");
  EXPECT_EQ(m["data"][0]["object"], "model");
  complete(s, small("def f():"));
  // A request is counted just after its response went out, so the count may lag the response a little.
  const std::string counted = "diffucoder_requests_total{path=\"/v1/completions\",status=\"200\"} 1";
  std::string t;
  for (int tries = 0; tries < 100 && t.find(counted) == std::string::npos; ++tries) {
    if (tries > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto metrics = s.client().Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain"), std::string::npos);
    t = metrics->body;
  }
  EXPECT_NE(t.find(counted), std::string::npos) << t;
  EXPECT_NE(t.find("diffucoder_requests_total{path=\"/health\",status=\"200\"} 1"), std::string::npos) << t;
  EXPECT_NE(t.find("diffucoder_step_seconds_count 16"), std::string::npos) << t;
  EXPECT_NE(t.find("diffucoder_queue_waiting 0"), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE diffucoder_prompt_tokens_total counter"), std::string::npos) << t;
  auto missing = s.client().Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "not_found");
}

TEST(ServerHttp, CompletionMatchesTheGeneratorAndCarriesUsage) {
  RunningServer s;
  const json r =
      complete(s, {{"prompt", "def add(a, b):"}, {"max_tokens", 16}, {"seed", 7}, {"model", "mine"}});
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "mine");
  EXPECT_EQ(r["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  ASSERT_EQ(r["choices"].size(), 1u);
  const json& c = r["choices"][0];
  EXPECT_EQ(c["index"], 0);
  // The same generation through the library: same text.
  GenerationParams p;
  p.max_new_tokens = p.steps = 16;
  p.temperature = 0.2f;
  p.top_p = 0.95f;
  p.seed = 7;
  TextRequest tr;
  tr.prompt = "def add(a, b):";
  const TextResult direct = tiny_generator().generate({tr}, p).front();
  EXPECT_EQ(c["text"], direct.text);
  const bool ended = direct.answer_tokens.size() < direct.tokens.size();
  EXPECT_EQ(c["finish_reason"], ended ? "stop" : "length");
  EXPECT_EQ(r["usage"]["prompt_tokens"], direct.prompt_tokens.size());
  EXPECT_EQ(r["usage"]["completion_tokens"], direct.answer_tokens.size());
  EXPECT_EQ(r["usage"]["total_tokens"], direct.prompt_tokens.size() + direct.answer_tokens.size());
}

TEST(ServerHttp, SameSeedSameTextOtherSeedOtherText) {
  RunningServer s;
  const std::string a = complete(s, small("x = ", 3))["choices"][0]["text"];
  const std::string b = complete(s, small("x = ", 3))["choices"][0]["text"];
  const std::string c = complete(s, small("x = ", 4))["choices"][0]["text"];
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(ServerHttp, NChoicesEachOnItsOwnStream) {
  RunningServer s;
  json body = small("for i in", 5);
  const std::string alone = complete(s, body)["choices"][0]["text"];
  body["n"] = 3;
  const json r = complete(s, body);
  ASSERT_EQ(r["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r["choices"][i]["index"], i);
  EXPECT_EQ(r["choices"][0]["text"], alone);  // choice 0 draws as a lone request with the seed does
  EXPECT_NE(r["choices"][1]["text"], r["choices"][2]["text"]);
  const int64_t tokens = r["usage"]["completion_tokens"];
  EXPECT_GT(tokens, 0);
  EXPECT_LE(tokens, 3 * 16);
}

// The longest run of printable ASCII in the middle of `text`, as a stop string of two bytes.
std::string ascii_pair(const std::string& text) {
  for (size_t i = text.size() / 3; i + 1 < text.size(); ++i) {
    const auto a = static_cast<unsigned char>(text[i]), b = static_cast<unsigned char>(text[i + 1]);
    if (a >= 0x21 && a < 0x7f && b >= 0x21 && b < 0x7f) return text.substr(i, 2);
  }
  return {};
}

TEST(ServerHttp, StopStringsCutTheAnswer) {
  RunningServer s;
  json body = small("import os\n", 11);
  body["max_tokens"] = 32;
  const std::string full = complete(s, body)["choices"][0]["text"];
  const std::string stop = ascii_pair(full);
  ASSERT_FALSE(stop.empty()) << full;
  body["stop"] = json::array({stop, "\x01never"});
  const json r = complete(s, body);
  EXPECT_EQ(r["choices"][0]["text"], full.substr(0, full.find(stop)));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
  // Streamed, the same cut.
  std::string streamed;
  for (const json& e : stream(s, "/v1/completions", body))
    if (e.is_object() && !e["choices"].empty()) streamed += e["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(streamed, full.substr(0, full.find(stop)));
}

TEST(ServerHttp, StreamedCompletionChunksAddUpToTheAnswer) {
  RunningServer s;
  json body = small("def g(x):", 9);
  body["max_tokens"] = 24;
  body["n"] = 2;
  const json whole = complete(s, body);
  const std::vector<json> events = stream(s, "/v1/completions", body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json& usage_chunk = events[events.size() - 2];
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"], whole["usage"]);
  std::string text[2];
  std::string reason[2];
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    const json& e = events[i];
    EXPECT_EQ(e["object"], "text_completion");
    EXPECT_EQ(e["id"], events[0]["id"]);
    ASSERT_EQ(e["choices"].size(), 1u);
    const int k = e["choices"][0]["index"];
    EXPECT_TRUE(reason[k].empty()) << "a chunk after the choice's finish";
    text[k] += e["choices"][0]["text"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) reason[k] = e["choices"][0]["finish_reason"];
  }
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(text[k], whole["choices"][k]["text"]);
    EXPECT_EQ(reason[k], whole["choices"][k]["finish_reason"]);
  }
}

TEST(ServerHttp, ChatCompletionAndItsStream) {
  RunningServer s;
  const json body = {
      {"messages",
       {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Add two numbers."}}}},
      {"max_tokens", 16},
      {"seed", 2}};
  const json r = post(s, "/v1/chat/completions", body);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  TextRequest tr;
  tr.prompt = "Add two numbers.";
  tr.chat = true;
  tr.system = "Be brief.";
  GenerationParams p;
  p.max_new_tokens = p.steps = 16;
  p.temperature = 0.2f;
  p.top_p = 0.95f;
  p.seed = 2;
  const TextResult direct = tiny_generator().generate({tr}, p).front();
  EXPECT_EQ(r["choices"][0]["message"]["content"], direct.text);
  EXPECT_EQ(r["usage"]["prompt_tokens"], direct.prompt_tokens.size());

  const std::vector<json> events = stream(s, "/v1/chat/completions", body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  std::string content;
  for (const json& e : events) {
    if (!e.is_object() || e["choices"].empty()) continue;
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    const json& d = e["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
  }
  EXPECT_EQ(content, direct.text);
}

TEST(ServerHttp, StreamCanvasSendsEverySlotEachStep) {
  RunningServer s;
  json body = small("print(", 1);
  body["max_tokens"] = 8;
  body["stream_canvas"] = true;
  int canvases = 0, last_step = 0, filled = 0;
  for (const json& e : stream(s, "/v1/completions", body)) {
    if (!e.is_object() || e["object"] != "diffusion.canvas") continue;
    ++canvases;
    EXPECT_EQ(e["step"], last_step + 1);
    last_step = e["step"];
    EXPECT_EQ(e["total_steps"], 8);
    const json& slots = e["choices"][0]["slots"];
    ASSERT_EQ(slots.size(), 8u);
    int now = 0;
    for (const json& t : slots) now += t.is_null() ? 0 : 1;
    EXPECT_EQ(now, filled + int(e["choices"][0]["fresh"].size()));
    filled = now;
  }
  EXPECT_GE(canvases, 1);
}

TEST(ServerHttp, ConcurrentRequestsShareABatch) {
  ServerOptions o;
  RunningServer s(o);
  // A long first request holds the worker while the others queue; they are then decoded together.
  json slow = small("a", 1);
  slow["max_tokens"] = 512;
  auto first = std::async(std::launch::async, [&] { return complete(s, slow); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<std::future<json>> rest;
  for (int i = 0; i < 3; ++i)
    rest.push_back(std::async(std::launch::async,
                              [&, i] { return complete(s, small("b = " + std::to_string(i), 20 + i)); }));
  std::vector<std::string> texts;
  for (auto& f : rest) texts.push_back(f.get()["choices"][0]["text"]);
  first.get();
  const std::string m = s.client().Get("/metrics")->body;
  EXPECT_NE(m.find("diffucoder_batches_total 2"), std::string::npos) << m;
  EXPECT_NE(m.find("diffucoder_batch_rows_total 4"), std::string::npos) << m;
  // Alone, each gives the text it gave in the batch (its own random stream; same prompt length: no padding).
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(complete(s, small("b = " + std::to_string(i), 20 + i))["choices"][0]["text"], texts[size_t(i)]);
}

TEST(ServerHttp, ApiKeyIsRequiredWhenSet) {
  ServerOptions o;
  o.api_key = "sekrit";
  RunningServer s(o);
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  auto no = c.Get("/v1/models");
  EXPECT_EQ(no->status, 401);
  EXPECT_EQ(json::parse(no->body)["error"]["type"], "authentication_error");
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c.Post("/v1/completions", small("x").dump(), "application/json")->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer sekrit"}})->status, 200);
  EXPECT_EQ(
      c.Post("/v1/completions", {{"Authorization", "Bearer sekrit"}}, small("x").dump(), "application/json")
          ->status,
      200);
}

TEST(ServerHttp, BodiesOverTheLimitAre413) {
  RunningServer s;
  const std::string huge(size_t(100) << 20, 'a');
  auto res = s.client().Post("/v1/completions", huge, "application/json");
  if (res) {  // the server may also close the connection before the client has sent everything
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(json::parse(res->body)["error"]["code"], "payload_too_large");
  }
  const std::string big = R"({"prompt": ")" + std::string(2 << 20, 'a') + R"("})";
  auto res2 = s.client().Post("/v1/completions", big, "application/json");
  ASSERT_TRUE(res2);
  EXPECT_EQ(res2->status, 413);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
}

TEST(ServerHttp, BadInputIs4xxAndTheServerKeepsServing) {
  RunningServer s;
  auto c = s.client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/completions", "{not json"},
      {"/v1/completions", R"({"prompt": 3})"},
      {"/v1/completions", R"({"prompt": "x", "unknown": 1})"},
      {"/v1/completions", R"({"prompt": "x", "max_tokens": -1})"},
      {"/v1/completions", R"({"prompt": "x", "max_tokens": 1000000000})"},
      {"/v1/chat/completions", R"({"messages": []})"},
      {"/v1/completions", "{\"prompt\": \"\xFF\xFE\"}"},
      {"/v1/completions", ""},
  };
  for (const auto& [path, body] : cases) {
    auto res = c.Post(path, body, "application/json");
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->status, 400) << body;
    const json e = json::parse(res->body);
    for (const char* k : {"message", "type", "param", "code"}) EXPECT_TRUE(e["error"].contains(k)) << body;
  }
  EXPECT_EQ(complete(s, small("still here"))["object"], "text_completion");
}

TEST(ServerHttp, FullQueueIs429) {
  ServerOptions o;
  o.limits.max_queue = 1;
  RunningServer s(o);
  json slow = small("a", 1);
  slow["max_tokens"] = 512;
  auto first = std::async(std::launch::async, [&] {
    return s.client().Post("/v1/completions", slow.dump(), "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto res = s.client().Post("/v1/completions", small("b").dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "queue_full");
  EXPECT_EQ(first.get()->status, 200);
  EXPECT_EQ(complete(s, small("c"))["object"], "text_completion");
}

TEST(ServerHttp, RequestsOverTheTimeLimitAre504) {
  ServerOptions o;
  o.limits.max_seconds = 0.05;
  RunningServer s(o);
  json slow = small("a", 1);
  slow["max_tokens"] = 1024;
  const json e = post(s, "/v1/completions", slow, 504);
  EXPECT_EQ(e["error"]["code"], "timeout");
}

TEST(ServerHttp, AClientThatLeavesCancelsItsStream) {
  RunningServer s;
  json body = small("a", 1);
  body["max_tokens"] = 1024;
  body["stream"] = true;
  int chunks = 0;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  // Read two pieces of the stream, then hang up.
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 2; };
  auto c = s.client();
  (void)c.send(req);
  EXPECT_EQ(chunks, 2);
  // The worker stops the batch: a following request is answered, and far fewer than 1024 steps ran.
  EXPECT_EQ(complete(s, small("next"))["object"], "text_completion");
  const std::string m = s.client().Get("/metrics")->body;
  const size_t at = m.find("diffucoder_step_seconds_count ");
  ASSERT_NE(at, std::string::npos);
  const long steps = std::stol(m.substr(at + 30));
  EXPECT_LT(steps, 512) << m;
}

TEST(ServerHttp, SlowClientsAreDroppedAndOthersServed) {
  ServerOptions o;
  o.limits.read_timeout_seconds = 1;
  RunningServer s(o);
  // A client that sends half a request and stalls.
  auto stalled = std::async(std::launch::async, [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(s.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
    const timeval limit{15, 0};  // a server that never drops it fails the test instead of hanging it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    const char part[] = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Len";
    (void)::send(fd, part, sizeof part - 1, 0);
    // The server answers with an error or just closes: either way the connection ends soon.
    char buf[256];
    const auto t0 = std::chrono::steady_clock::now();
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return waited < 10 ? 1 : 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(complete(s, small("meanwhile"))["object"], "text_completion");
  EXPECT_EQ(stalled.get(), 1);
}

TEST(ServerHttp, ShutdownFinishesTheRunningRequest) {
  auto s = std::make_unique<RunningServer>();
  json body = small("a", 1);
  body["max_tokens"] = 256;
  auto running = std::async(std::launch::async, [&] {
    return s->client().Post("/v1/completions", body.dump(), "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s->stop(60000);
  auto res = running.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["choices"].size(), 1u);
}

}  // namespace
}  // namespace dc::server::testing
