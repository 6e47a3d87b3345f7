// Linux capability and securebits names (linux/capability.h, linux/securebits.h),
// as Tetragon prints them in events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace palisade {

// "CAP_SYS_ADMIN" for 21; "CAP_42" for numbers this table does not know.
std::string capability_name(int cap);
// "CAP_SYS_ADMIN" for 21; empty for numbers this table does not know.
std::string_view known_capability_name(int cap);

// The names of the bits set in a capability set, lowest first.
std::vector<std::string> capability_names(std::uint64_t set);

// Tetragon's names for the securebits set ("SecBitNoRoot", ...).
std::vector<std::string> securebits_names(std::uint32_t bits);

}  // namespace palisade
