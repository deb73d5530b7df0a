#include "switchboard/http/static_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace switchboard::http {
namespace {

namespace fs = std::filesystem;

std::string header_of(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

Request get(std::string target) {
  Request request;
  request.method = "GET";
  request.target = std::move(target);
  return request;
}

void write(const fs::path& p, std::string_view bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// A root with a page, a script, a directory without index, a secret beside the root and a
// symlink from inside the root to it.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/sb-static-XXXXXX";
    base_ = ::mkdtemp(templ);
    root_ = base_ / "root";
    write(root_ / "index.html", "<h1>home</h1>");
    write(root_ / "demo" / "index.html", "<h1>demo</h1>");
    write(root_ / "demo" / "app.js", "console.log(1)");
    write(root_ / "demo" / "a b.css", "b{}");
    write(root_ / "empty" / "note.txt", "x");
    write(root_ / "blob.unknownext", "?");
    write(base_ / "secret.txt", "top secret");
    fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
    fs::create_symlink(root_ / "demo" / "app.js", root_ / "alias.js");
  }
  void TearDown() override { fs::remove_all(base_); }

  StaticFiles files(std::string mount = "/") {
    StaticFilesOptions o;
    o.root = root_.string();
    o.mount = std::move(mount);
    o.max_age = std::chrono::seconds(600);
    return StaticFiles(o);
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFilesTest, ServesAFileWithItsTypeAndValidators) {
  const Response r = files().serve(get("/demo/app.js"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header_of(r, "Cache-Control"), "public, max-age=600");
  EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(header_of(r, "ETag").empty());
  EXPECT_TRUE(header_of(r, "Last-Modified").ends_with(" GMT"));
}

TEST_F(StaticFilesTest, HtmlIsRevalidatedEveryTime) {
  const Response r = files().serve(get("/demo/index.html"));
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header_of(r, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, MatchingIfNoneMatchIsNotModified) {
  const StaticFiles f = files();
  const std::string etag = header_of(f.serve(get("/demo/app.js")), "ETag");
  Request again = get("/demo/app.js");
  again.headers.emplace_back("If-None-Match", "\"other\", W/" + etag);
  const Response r = f.serve(again);
  EXPECT_EQ(r.status, 304u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header_of(r, "ETag"), etag);
  Request stale = get("/demo/app.js");
  stale.headers.emplace_back("If-None-Match", "\"other\"");
  EXPECT_EQ(f.serve(stale).status, 200u);
}

TEST_F(StaticFilesTest, TheEtagChangesWithTheFile) {
  const StaticFiles f = files();
  const std::string before = header_of(f.serve(get("/demo/app.js")), "ETag");
  write(root_ / "demo" / "app.js", "console.log(22)");
  EXPECT_NE(header_of(f.serve(get("/demo/app.js")), "ETag"), before);
}

TEST_F(StaticFilesTest, DirectoriesServeTheirIndexOrRedirectToTheSlash) {
  const StaticFiles f = files();
  EXPECT_EQ(f.serve(get("/")).body, "<h1>home</h1>");
  EXPECT_EQ(f.serve(get("/demo/")).body, "<h1>demo</h1>");
  const Response moved = f.serve(get("/demo?room=1"));
  EXPECT_EQ(moved.status, 301u);
  EXPECT_EQ(header_of(moved, "Location"), "/demo/?room=1");
  EXPECT_EQ(f.serve(get("/empty/")).status, 404u);
}

TEST_F(StaticFilesTest, PercentEscapesAreDecoded) {
  EXPECT_EQ(files().serve(get("/demo/a%20b.css")).body, "b{}");
  EXPECT_EQ(files().serve(get("/demo/%61pp.js")).body, "console.log(1)");
}

TEST_F(StaticFilesTest, TraversalIsRefused) {
  const StaticFiles f = files();
  for (const char* target :
       {"/../secret.txt", "/demo/../../secret.txt", "/%2e%2e/secret.txt", "/demo/%2E%2E/index.html",
        "/./index.html", "/demo//app.js", "/demo/..%2f..%2fsecret.txt", "/demo%5c..%5csecret.txt",
        "/index.html%00.js", "/demo/%zzapp.js", "/demo/%2"}) {
    const Response r = f.serve(get(target));
    EXPECT_EQ(r.status, 400u) << target;
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << target;
  }
}

TEST_F(StaticFilesTest, ASymlinkIsServedOnlyWhenItStaysUnderTheRoot) {
  const StaticFiles f = files();
  EXPECT_EQ(f.serve(get("/leak.txt")).status, 404u);
  EXPECT_EQ(f.serve(get("/alias.js")).body, "console.log(1)");
}

TEST_F(StaticFilesTest, MissingAndUnknownFiles) {
  const StaticFiles f = files();
  EXPECT_EQ(f.serve(get("/nope.html")).status, 404u);
  EXPECT_EQ(f.serve(get("/demo/app.js/more")).status, 404u);
  EXPECT_EQ(f.serve(get("/blob.unknownext")).content_type, "application/octet-stream");
}

TEST_F(StaticFilesTest, AFileOverTheSizeLimitIsNotServed) {
  StaticFilesOptions o;
  o.root = root_.string();
  o.max_file_size = 4;
  EXPECT_EQ(StaticFiles(o).serve(get("/demo/app.js")).status, 404u);
}

TEST_F(StaticFilesTest, UnderAMountOnlyItsPathsAreFiles) {
  const StaticFiles f = files("/web/");
  EXPECT_EQ(f.serve(get("/web/demo/app.js")).status, 200u);
  EXPECT_EQ(header_of(f.serve(get("/web")), "Location"), "/web/");
  EXPECT_EQ(f.serve(get("/demo/app.js")).status, 400u);
}

TEST_F(StaticFilesTest, ARootThatIsNoDirectoryIsRefusedAtConstruction) {
  StaticFilesOptions o;
  o.root = (root_ / "index.html").string();
  EXPECT_THROW(StaticFiles{o}, std::invalid_argument);
  o.root = (base_ / "missing").string();
  EXPECT_THROW(StaticFiles{o}, std::invalid_argument);
}

TEST(ContentType, ByExtensionCaseInsensitive) {
  EXPECT_EQ(content_type_for("a/b/c.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("dir.d/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
}

}  // namespace
}  // namespace switchboard::http
