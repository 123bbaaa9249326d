// Replaced as the state library grows; keeps the target non-empty.
namespace wsa { [[maybe_unused]] static const int state_placeholder = 0; }
