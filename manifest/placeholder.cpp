// Replaced as the manifest library grows; keeps the target non-empty.
namespace wsa { [[maybe_unused]] static const int manifest_placeholder = 0; }
