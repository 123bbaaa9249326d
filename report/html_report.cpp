#include "report/html_report.h"

#include <cstdio>

#include "common/encoding.h"
#include "manifest/transfer_manifest.h"

namespace wsa::report {

namespace {

// Kept inline so the page is one file that opens the same from a USB stick, a share or a mail
// attachment, with nothing to fetch.
constexpr const char* kStyle = R"css(
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6676; --line: #d8dee8; --bad: #b42318; --bad-bg: #fef3f2;
  --good: #067647; --good-bg: #ecfdf3; --head: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 "Segoe UI", system-ui, -apple-system, sans-serif;
  color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 2px; }
.status { display: inline-block; margin: 6px 0 0; padding: 6px 12px; border-radius: 6px; font-weight: 600; }
.status.bad { color: var(--bad); background: var(--bad-bg); border: 1px solid #fecdca; }
.status.good { color: var(--good); background: var(--good-bg); border: 1px solid #abefc6; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; word-break: break-all; }
.update { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 6px; padding: 10px 14px;
  margin: 0 0 14px; page-break-inside: avoid; }
.kb { display: inline-block; min-width: 90px; font-weight: 700; color: var(--bad); }
.meta { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font: 12px/1.4 Consolas, "DejaVu Sans Mono", monospace; word-break: break-all; }
.problem { color: var(--bad); font-weight: 600; white-space: nowrap; }
.none { color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
)css";

std::string sequence_name(std::uint64_t sequence) {
  return manifest::package_folder_name(sequence);
}

class Page {
 public:
  void raw(std::string_view text) { html_ += text; }
  void text(std::string_view text) { html_ += escape_html(text); }
  // <tag class="...">escaped text</tag>
  void element(const char* tag, std::string_view content, const char* css_class = nullptr) {
    html_ += "<";
    html_ += tag;
    if (css_class != nullptr) {
      html_ += " class=\"";
      html_ += css_class;
      html_ += "\"";
    }
    html_ += ">";
    text(content);
    html_ += "</";
    html_ += tag;
    html_ += ">";
  }
  void definition(std::string_view term, std::string_view value) {
    if (value.empty()) return;
    element("dt", term);
    element("dd", value);
    raw("\n");
  }
  std::string take() { return std::move(html_); }

 private:
  std::string html_;
};

std::string headline(const verify::GapReport& gaps) {
  if (gaps.complete()) {
    return "No gaps: all " + std::to_string(gaps.files_checked) + " content files that " +
           std::to_string(gaps.updates_checked) + " updates need are present";
  }
  std::size_t updates = 0;
  for (const auto& update : gaps.updates) updates += update.update_id.empty() ? 0 : 1;
  return std::to_string(gaps.files_with_gaps) + " content file" + (gaps.files_with_gaps == 1 ? "" : "s") +
         " missing or damaged, needed by " + std::to_string(updates) + " update" + (updates == 1 ? "" : "s");
}

void render_summary(Page& page, const verify::GapReport* gaps, const ReportContext& context) {
  page.raw("<section>\n<h2>Summary</h2>\n<dl class=\"summary\">\n");
  if (gaps != nullptr) {
    page.definition("Metadata package", gaps->metadata_package);
    page.definition("Content folder", context.content_dir);
    page.definition("Checked", gaps->hashes_verified
                                   ? "presence, size, SHA-1 and SHA-256 of every file"
                                   : "presence and size of every file (add --verify to hash)");
    page.definition("Updates needing content", std::to_string(gaps->updates_checked));
    page.definition("Distinct files referenced", std::to_string(gaps->files_checked));
    page.definition("Files missing or damaged", std::to_string(gaps->files_with_gaps));
  }
  page.definition("Ledger", context.ledger);
  page.definition("Generated", context.generated_utc);
  page.definition("Host", context.host);
  page.definition("Tool", context.tool_version);
  page.raw("</dl>\n</section>\n");
}

void render_update(Page& page, const verify::UpdateGap& update, bool ledger_known) {
  page.raw("<article class=\"update\">\n<h3>");
  page.element("span", update.kb.empty() ? "(no KB)" : "KB" + update.kb, "kb");
  page.raw(" ");
  page.text(update.title.empty() ? "(untitled update)" : update.title);
  page.raw("</h3>\n<p class=\"meta\">");
  if (!update.update_id.empty()) {
    page.raw("Update id <code>");
    page.text(update.update_id);
    page.raw("</code>");
    if (update.revision != 0) page.text(" \u00b7 revision " + std::to_string(update.revision));
  }
  if (!update.classification.empty()) page.text(" \u00b7 " + update.classification);
  page.raw(
      "</p>\n<table>\n<thead><tr><th>Content file</th><th>Original name</th><th>Problem</th>"
      "<th class=\"num\">Expected size</th><th>Carried by</th></tr></thead>\n<tbody>\n");
  for (const auto& file : update.files) {
    page.raw("<tr><td><code>");
    page.text(file.path);
    page.raw("</code></td>");
    page.element("td", file.name.empty() ? "(unknown)" : file.name);
    page.raw("<td class=\"problem\">");
    page.text(file.problem);
    page.raw("</td>");
    page.element("td", file.expected_size ? format_bytes(*file.expected_size) : "unknown", "num");
    if (file.carried_by_sequence) {
      page.element("td", sequence_name(*file.carried_by_sequence));
    } else {
      page.element("td", ledger_known ? "no package carried it" : "\u2014", "none");
    }
    page.raw("</tr>\n");
  }
  page.raw("</tbody>\n</table>\n</article>\n");
}

void render_history(Page& page, const std::vector<state::RunRecord>& history) {
  page.raw(
      "<section>\n<h2>Package history</h2>\n<table>\n<thead><tr><th>Run</th><th>Package</th><th>Mode</th>"
      "<th>Status</th><th>Started</th><th>Finished</th><th class=\"num\">Files</th>"
      "<th class=\"num\">Bytes</th><th>Message</th></tr></thead>\n<tbody>\n");
  for (const auto& run : history) {
    page.raw("<tr>");
    page.element("td", state::to_string(run.kind));
    page.element("td", sequence_name(run.sequence));
    page.element("td", run.mode);
    page.element("td", state::to_string(run.status));
    page.element("td", run.started_utc);
    page.element("td", run.finished_utc.empty() ? "not finished" : run.finished_utc);
    page.element("td", std::to_string(run.files), "num");
    page.element("td", format_bytes(run.bytes), "num");
    page.element("td", run.message);
    page.raw("</tr>\n");
  }
  page.raw("</tbody>\n</table>\n</section>\n");
}

void render_list(Page& page, const char* heading, const std::vector<std::string>& items,
                 const char* css = nullptr) {
  if (items.empty()) return;
  page.element("h3", std::string(heading) + " (" + std::to_string(items.size()) + ")");
  page.raw("<ul>\n");
  for (const auto& item : items) {
    page.element("li", item, css);
    page.raw("\n");
  }
  page.raw("</ul>\n");
}

void render_approvals(Page& page, const ApprovalsSection& a) {
  page.raw("<section id=\"approvals\">\n<h2>Approvals, declines and computer groups</h2>\n");
  page.element("p", "From " + a.package + ": " + std::to_string(a.approvals) + " approval(s) and " +
                        std::to_string(a.declines) + " decline(s) of " + std::to_string(a.groups) +
                        " computer group(s) stated; " + std::to_string(a.unchanged) + " already so here.");
  if (!a.failure.empty()) page.element("p", "Applying stopped: " + a.failure, "status bad");
  render_list(page, "Computer groups created", a.groups_created);
  render_list(page, a.applying ? "Changes applied" : "Changes planned (nothing changed)",
              a.applying ? a.applied : a.planned);
  render_list(page, "Changes not applied (run the import again)", a.not_applied, "problem");
  render_list(page, "Held back: licence (EULA) file not in WsusContent", a.eula_gaps, "problem");
  render_list(page, "Update revisions this server lacks", a.missing_updates);
  render_list(page, "Drift: made on this server, not stated by the package (kept)", a.drift);
  if (!a.history.empty()) {
    page.raw(
        "<h3>Approval sets applied</h3>\n<table>\n<thead><tr><th>Recorded</th><th>Package</th><th>Result</th>"
        "<th class=\"num\">Applied</th><th class=\"num\">Not applied</th><th class=\"num\">Drift</th>"
        "<th>Summary</th></tr></thead>\n<tbody>\n");
    for (const auto& set : a.history) {
      page.raw("<tr>");
      page.element("td", set.recorded_utc);
      page.element("td", sequence_name(set.sequence));
      page.element("td", set.result);
      page.element("td", std::to_string(set.applied), "num");
      page.element("td", std::to_string(set.not_applied), "num");
      page.element("td", std::to_string(set.drift), "num");
      page.element("td", set.summary);
      page.raw("</tr>\n");
    }
    page.raw("</tbody>\n</table>\n");
  }
  page.raw("</section>\n");
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_gap_report_html(const verify::GapReport* gaps,
                                   const std::vector<state::RunRecord>& history, const ReportContext& context,
                                   const ApprovalsSection* approvals) {
  Page page;
  // The CSP forbids every script and every fetch even if escaping were ever wrong: the page renders
  // titles from metadata that crossed the air gap.
  page.raw(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  page.text(gaps != nullptr ? context.title + ": " + headline(*gaps) : context.title);
  page.raw("</title>\n<style>");
  page.raw(kStyle);
  page.raw("</style>\n</head>\n<body>\n<header>\n");
  page.element("h1", context.title);
  if (gaps != nullptr) page.element("p", headline(*gaps), gaps->complete() ? "status good" : "status bad");
  page.raw("\n</header>\n");
  render_summary(page, gaps, context);

  if (gaps != nullptr && !gaps->complete()) {
    page.raw("<section id=\"gaps\">\n<h2>Updates with missing or damaged files</h2>\n");
    for (const auto& update : gaps->updates) render_update(page, update, !context.ledger.empty());
    page.raw(
        "<p>Next: carry these files from the connected server (its <code>export --request</code> turns "
        "the request file of <code>gaps --request-out</code> into a package), import it, then run "
        "<code>gaps</code> again.</p>\n</section>\n");
  }
  if (approvals != nullptr) render_approvals(page, *approvals);
  if (!history.empty()) render_history(page, history);
  page.raw("<footer>");
  page.text("Made by " + (context.tool_version.empty() ? std::string("wsus-airgap") : context.tool_version) +
            (context.host.empty() ? "" : " on " + context.host) +
            (context.generated_utc.empty() ? "" : " at " + context.generated_utc) + ".");
  page.raw("</footer>\n</body>\n</html>\n");
  return page.take();
}

}  // namespace wsa::report
