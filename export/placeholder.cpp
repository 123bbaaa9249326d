// Replaced as the export library grows; keeps the target non-empty.
namespace wsa { [[maybe_unused]] static const int export_placeholder = 0; }
