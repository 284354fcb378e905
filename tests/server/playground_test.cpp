// The playground's files: embedded from src/server/web/ byte for byte, served at / with their content types
// and a policy that lets the page fetch nothing from elsewhere, readable without the API key.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "server/web_assets.h"
#include "server_fixture.h"

namespace dc::server::testing {
namespace {

std::string read_source(std::string_view asset_path) {
  std::ifstream in(std::string(DC_SOURCE_DIR) + "/src/server/web" + std::string(asset_path),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const WebAsset* find_asset(std::string_view path) {
  for (const WebAsset& a : web_assets())
    if (a.path == path) return &a;
  return nullptr;
}

TEST(Playground, EmbeddedFilesEqualTheSources) {
  ASSERT_GE(web_assets().size(), 3u);
  for (const WebAsset& a : web_assets()) {
    const std::string source = read_source(a.path);
    ASSERT_FALSE(source.empty()) << a.path;
    EXPECT_EQ(a.body, source) << a.path;
  }
  ASSERT_TRUE(find_asset("/index.html"));
  EXPECT_EQ(find_asset("/index.html")->content_type, "text/html; charset=utf-8");
  ASSERT_TRUE(find_asset("/playground.js"));
  EXPECT_EQ(find_asset("/playground.js")->content_type, "text/javascript; charset=utf-8");
  ASSERT_TRUE(find_asset("/playground.css"));
  EXPECT_EQ(find_asset("/playground.css")->content_type, "text/css; charset=utf-8");
}

TEST(Playground, PageLoadsOnlyItsOwnFiles) {
  // Every src= / href= of the page names an embedded file, and no file names another origin.
  const std::string page(find_asset("/index.html")->body);
  const std::regex ref(R"re((?:src|href)="([^"]*)")re");
  int refs = 0;
  for (std::sregex_iterator it(page.begin(), page.end(), ref), end; it != end; ++it, ++refs)
    EXPECT_TRUE(find_asset("/" + (*it)[1].str())) << (*it)[1].str();
  EXPECT_EQ(refs, 3);
  for (const WebAsset& a : web_assets()) {
    // An SVG names its XML namespace with a URL that is never fetched.
    const std::string body =
        std::regex_replace(std::string(a.body), std::regex("\"http://www.w3.org/2000/svg\""), "");
    EXPECT_EQ(body.find("http://"), std::string::npos) << a.path;
    EXPECT_EQ(body.find("https://"), std::string::npos) << a.path;
    EXPECT_EQ(body.find("@import"), std::string::npos) << a.path;
  }
}

TEST(Playground, ServedAtTheRootWithItsTypesAndPolicy) {
  RunningServer s;
  auto c = s.client();
  c.set_keep_alive(true);  // one connection: the first request is counted before the second is read
  auto root = c.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, find_asset("/index.html")->body);
  EXPECT_EQ(root->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string policy = root->get_header_value("Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(root->get_header_value("X-Content-Type-Options"), "nosniff");
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(path="/",status="200")"), std::string::npos) << metrics->body;
  for (const WebAsset& a : web_assets()) {
    auto res = c.Get(std::string(a.path));
    ASSERT_TRUE(res) << a.path;
    EXPECT_EQ(res->status, 200) << a.path;
    EXPECT_EQ(res->body, a.body) << a.path;
    EXPECT_EQ(res->get_header_value("Content-Type"), a.content_type) << a.path;
  }
  auto missing = c.Get("/missing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"]["code"], "not_found");
}

TEST(Playground, PageNeedsNoKeyButTheApiDoes) {
  ServerOptions o;
  o.api_key = "sekrit";
  RunningServer s(o);
  auto c = s.client();
  EXPECT_EQ(c.Get("/")->status, 200);
  EXPECT_EQ(c.Get("/playground.js")->status, 200);
  EXPECT_EQ(c.Get("/missing.js")->status, 401);
  EXPECT_EQ(c.Get("/v1/models")->status, 401);
}

}  // namespace
}  // namespace dc::server::testing
