// Replaced as the verify library grows; keeps the target non-empty.
namespace wsa { [[maybe_unused]] static const int verify_placeholder = 0; }
