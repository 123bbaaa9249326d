// Keeps the target buildable while its sources land.
namespace wsa {}
