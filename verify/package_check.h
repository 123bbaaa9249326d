#pragma once
// Finding transfer packages on the media and proving one intact and authentic before anything is
// touched: signatures first (threshold of trusted keys), then every pinned file's size and SHA-256.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"

namespace wsa {
class Progress;
}

namespace wsa::verify {

namespace fs = boost::filesystem;

struct FoundPackage {
  std::uint64_t sequence = 0;
  std::string folder_name;  // "wsus-airgap-000042"
  fs::path dir;             // the folder holding manifest.json
};

struct MediaListing {
  std::vector<FoundPackage> packages;  // complete (manifest.json present), by sequence
  std::vector<fs::path> incomplete;    // package folders without a manifest: never imported
};

// Looks for `wsus-airgap-NNNNNN` folders directly under each media folder. The same sequence in two
// media folders is one package if one of them holds its manifest; two manifests is an error.
Result<MediaListing> find_packages(const std::vector<fs::path>& media);

// A package whose manifest is authentic and whose every pinned file was found with the right size
// and SHA-256. Files may sit in any media folder's package folder of the same name.
struct VerifiedPackage {
  FoundPackage found;
  manifest::TransferManifest manifest;
  std::string manifest_sha256;
  manifest::SignatureCheck signatures;
  fs::path inventory;
  std::optional<fs::path> metadata;
  std::optional<fs::path> approvals;  // approvals.json (its verified copy when copies are kept)
  std::vector<fs::path> volumes;      // in order
};

struct VerifyOptions {
  std::size_t threshold = 1;
  bool check_hashes = true;  // false: signatures and sizes only (used to order packages cheaply)
  Progress* progress = nullptr;
  // Pinned files for which this returns true are checked by size only: an import resumed after a
  // kill does not hash again the volumes it had hashed, unchanged since. Called from several threads.
  std::function<bool(const manifest::PinnedFile& pinned, const fs::path& found)> already_hashed;
  // What is verified is what is used: with hashes on, the inventory and the metadata package are
  // copied into this folder in the same pass that hashes them, and the VerifiedPackage names those
  // copies, so media that changes after the check (a second reader, a share, lying firmware) cannot
  // feed wsusutil or the placement anything unverified. A copy already there is used as it is: it was
  // renamed into place only after its hash matched. Volumes are not copied: placement checks every
  // file it extracts against the (copied) inventory.
  std::optional<fs::path> keep_copies_in;
};

// Signatures (exit 3 when the threshold is not met), then sizes and hashes of the inventory, the
// metadata package, the approvals file and every volume (exit 3 naming the missing or bad one), then
// the inventory's lines against its summary. An approvals.json the manifest does not pin is refused
// (exit 3): nothing unsigned is ever read. Writes nothing.
Result<VerifiedPackage> verify_package(const FoundPackage& package, const std::vector<fs::path>& media,
                                       const manifest::TrustStore& trust, const VerifyOptions& options);

}  // namespace wsa::verify

namespace wsa::verify {

struct MediaCheck {
  struct Entry {
    FoundPackage found;
    std::optional<VerifiedPackage> verified;  // set when the package passed
    std::optional<Error> error;               // set when it failed
  };
  std::vector<Entry> packages;
  std::vector<fs::path> incomplete;
  bool all_good() const;
};

// Verifies every complete package on the media (fully: signatures, sizes, hashes), continuing past a
// bad one so the report names all of them. Writes nothing.
Result<MediaCheck> verify_media(const std::vector<fs::path>& media, const manifest::TrustStore& trust,
                                const VerifyOptions& options);

}  // namespace wsa::verify
