// Implemented by manifest/*.cpp; this file keeps the target buildable while they land.
namespace wsa::manifest {}
