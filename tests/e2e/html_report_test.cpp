// `gaps --report FILE.html` rendered by headless Chromium: the page shows the KB numbers and titles,
// a script smuggled into a title stays text, and a screenshot comes out as a PNG.

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <regex>
#include <set>

#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

namespace {

using namespace wsa;
using namespace wsa::test;
using nlohmann::json;

const fs::path kChromium = "/usr/bin/chromium";

// What the hostile title would do if it ever ran: retitle the page and add an element.
const std::string kInjected =
    "<script>document.title='INJECTED';document.body.appendChild(document.createElement('injected-marker'))"
    "</script> Hostile Update";

struct ReportScene {
  Scenario scene{"gaps-html-report", 12, {"--missing", "2"}};
  fs::path report = scene.root() / "gaps-report.html";
  std::vector<std::pair<std::string, std::string>> kb_titles;  // of the updates with gaps
};

// Plants the hostile title on one update that needs a missing file, exports, and writes the report.
void make_report(ReportScene& setup) {
  const Scenario& scene = setup.scene;
  json catalog = json::parse(read_file(scene.catalog()));
  bool planted = false;
  for (auto& update : catalog["updates"]) {
    bool needs_missing = false;
    for (const auto& file : update["files"]) {
      std::string sha1 = file["sha1"];
      std::string name = file["name"];
      needs_missing = needs_missing || !fs::exists(scene.connected() / sha1.substr(38, 2) /
                                                   (sha1 + name.substr(name.rfind('.'))));
    }
    if (!needs_missing) continue;
    if (!planted) update["title"] = kInjected;
    planted = true;
    setup.kb_titles.emplace_back(update["kb"], update["title"]);
  }
  REQUIRE(planted);
  write_file(scene.catalog(), catalog.dump(2));
  fs::path package = scene.root() / "export.xml.gz";
  REQUIRE(scene.sim({"export", package.string(), (scene.root() / "export.log").string()}).exit_code == 0);

  fs::path ledger_file = scene.root() / "import-ledger.sqlite";
  {
    auto ledger = state::Ledger::open(ledger_file);
    REQUIRE(ledger);
    state::RunRecord run;
    run.kind = state::RunKind::kImport;
    run.source_id = "source";
    run.sequence = 1;
    run.mode = "full";
    auto id = ledger->begin_run(run);
    REQUIRE(id);
    REQUIRE(ledger->finish_run(*id, state::RunStatus::kGapsRemain, std::string(64, 'e'), "2 files missing",
                               40, 4096));
  }
  auto result = scene.airgap({"gaps", "--content", scene.connected().string(), "--metadata", package.string(),
                              "--state", ledger_file.string(), "--report", setup.report.string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 5);
  REQUIRE(fs::exists(setup.report));
}

RunResult chromium(const Scenario& scene, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + (scene.root() / "chromium-profile").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(kChromium, args, scene.root());
}

}  // namespace

TEST_CASE("the gaps HTML report is one self-contained page whose hostile title is escaped text") {
  ReportScene setup;
  make_report(setup);
  std::string html = read_file(setup.report);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;document.title=&#39;INJECTED&#39;") != std::string::npos);
  CHECK_FALSE(
      std::regex_search(html, std::regex(R"(<[^>]*\s(src|href|action|srcset)\s*=)", std::regex::icase)));
  CHECK(html.find("http:") == std::string::npos);
  CHECK(html.find("https:") == std::string::npos);
  CHECK(html.find("2 content files missing or damaged") != std::string::npos);
  CHECK(html.find("<h2>Package history</h2>") != std::string::npos);
  CHECK(html.find("2 files missing") != std::string::npos);
  for (const auto& [kb, title] : setup.kb_titles)
    CHECK(html.find(">KB" + kb + "</span>") != std::string::npos);
}

TEST_CASE(
    "headless Chromium renders the gaps report with every KB and title and never runs the injected script") {
#ifdef _WIN32
  // Under Wine, /usr/bin/chromium is a Linux program: Wine starts it without a process to wait for.
  skip_test("no Windows browser here; the Linux suite renders the same report with headless Chromium");
#endif
  if (!fs::exists(kChromium))
    skip_test("/usr/bin/chromium is absent; ./scripts/deps.sh installs it (Debian package 'chromium')");
  ReportScene setup;
  make_report(setup);
  std::string url = "file://" + setup.report.string();
  auto dom = chromium(setup.scene, {"--dump-dom", url});
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.out.find("<title>WSUS content gaps: 2 content files missing or damaged") != std::string::npos);
  CHECK(dom.out.find("INJECTED</title>") == std::string::npos);
  CHECK(dom.out.find("<injected-marker") == std::string::npos);
  CHECK(dom.out.find("&lt;script&gt;document.title='INJECTED'") != std::string::npos);
  for (const auto& [kb, title] : setup.kb_titles) {
    CHECK(dom.out.find(">KB" + kb + "</span>") != std::string::npos);
    if (title != kInjected) CHECK(dom.out.find(title) != std::string::npos);
  }

  fs::path png = setup.scene.root() / "report.png";
  auto shot = chromium(setup.scene,
                       {"--screenshot=" + png.string(), "--window-size=1280,1400", "--hide-scrollbars", url});
  INFO(shot.err);
  REQUIRE(shot.exit_code == 0);
  REQUIRE(fs::exists(png));
  std::string bytes = read_file(png);
  CHECK(bytes.size() > 10'000);
  CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  // Kept for a human look when E2E_KEEP_SCREENSHOT names a destination.
  if (auto keep = std::getenv("E2E_KEEP_SCREENSHOT"))
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}
