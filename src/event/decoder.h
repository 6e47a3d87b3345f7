// Turns one ABI record (from the ring buffer, a recording or a test) into an
// Event. Never throws: a short, truncated or inconsistent record is refused
// with the reason, so the caller can count it and go on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "event/model.h"

namespace palisade {

struct DecodeError {
    std::string message;
};

std::optional<Event> decode_record(std::span<const std::uint8_t> record, DecodeError* err = nullptr);

// Lexically joins a relative path to its directory and folds "." and "..",
// as Falco does for fd.name. An absolute path is only normalised.
std::string join_path(std::string_view dir, std::string_view path);

}  // namespace palisade
