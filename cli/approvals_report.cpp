#include <cstdio>

#include "cli/reports.h"

namespace wsa::cli {

nlohmann::json approvals_json(const importing::ApprovalsReport& a) {
  return {{"package", a.package},
          {"applying", a.applying},
          {"approvals", a.approvals},
          {"declines", a.declines},
          {"groups", a.groups},
          {"unchanged", a.unchanged},
          {"planned", a.planned},
          {"applied", a.applied},
          {"not_applied", a.not_applied},
          {"failure", a.failure},
          {"groups_created", a.groups_created},
          {"missing_updates", a.missing_updates},
          {"eula_gaps", a.eula_gaps},
          {"eula_gap_files", a.eula_gap_files},
          {"drift", a.drift},
          {"remaining", a.remaining},
          {"warnings", a.warnings}};
}

void print_approvals(const importing::ApprovalsReport& a) {
  auto list = [](const char* label, const std::vector<std::string>& items) {
    for (std::size_t i = 0; i < items.size() && i < 50; ++i)
      std::printf("  %s %s\n", label, items[i].c_str());
    if (items.size() > 50) std::printf("  ... and %zu more (use --json for all)\n", items.size() - 50);
  };
  for (const auto& warning : a.warnings) std::fprintf(stderr, "wsus-airgap: warning: %s\n", warning.c_str());
  std::printf(
      "approvals (%s): %llu approval(s) and %llu decline(s) of %llu computer group(s) stated; %llu already "
      "so here\n",
      a.package.c_str(), static_cast<unsigned long long>(a.approvals),
      static_cast<unsigned long long>(a.declines), static_cast<unsigned long long>(a.groups),
      static_cast<unsigned long long>(a.unchanged));
  if (a.planned.empty()) {
    std::printf("approvals: nothing to change\n");
  } else if (!a.applying) {
    std::printf("approvals: would make %zu change(s) (--approvals plan: nothing changed):\n",
                a.planned.size());
    list("would", a.planned);
  } else {
    std::printf("approvals: %zu of %zu change(s) applied:\n", a.applied.size(), a.planned.size());
    list("done", a.applied);
    if (!a.not_applied.empty()) {
      std::printf("approvals: stopped, %zu change(s) NOT applied (run the import again to finish them): %s\n",
                  a.not_applied.size(), a.failure.c_str());
      list("not done", a.not_applied);
    }
  }
  if (!a.missing_updates.empty()) {
    std::printf(
        "approvals: %zu update revision(s) the package approves or declines are not on this server "
        "(reported, not applied):\n",
        a.missing_updates.size());
    list("missing", a.missing_updates);
  }
  if (!a.eula_gaps.empty()) {
    std::printf(
        "approvals: %zu approval(s) held back, their licence (EULA) file is not in WsusContent (exit 5):\n",
        a.eula_gaps.size());
    list("gap", a.eula_gaps);
  }
  if (!a.drift.empty()) {
    std::printf(
        "approvals: %zu made on this server and not stated by the package (drift, kept; "
        "--approvals-mirror removes approvals):\n",
        a.drift.size());
    list("drift", a.drift);
  }
  if (a.applying && !a.remaining.empty()) {
    std::printf("approvals: read back from the server, %zu change(s) are still needed:\n",
                a.remaining.size());
    list("still", a.remaining);
  }
}

}  // namespace wsa::cli
