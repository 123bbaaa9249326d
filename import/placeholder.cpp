// Replaced as the import library grows; keeps the target non-empty.
namespace wsa { [[maybe_unused]] static const int import_placeholder = 0; }
