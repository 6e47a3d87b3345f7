// Values as policies write them: integers, CIDRs, address families,
// protocols. Each parser returns nullopt for text it does not accept.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace palisade::policy {

// Decimal, 0x hex or 0 octal, optionally negative (kept as two's complement).
std::optional<std::uint64_t> parse_integer(std::string_view text);

struct Cidr {
    std::array<std::uint8_t, 16> addr{};  // IPv4 as ::ffff:a.b.c.d
    int bits = 128;                        // prefix length over the 128-bit form
    bool v4 = false;
};
// "10.0.0.0/8", "::1", "fd00::/8"; a bare address is a host route.
std::optional<Cidr> parse_cidr(std::string_view text);

std::optional<std::uint16_t> parse_family(std::string_view text);    // AF_INET, AF_INET6, AF_UNIX or a number
std::optional<std::uint16_t> parse_protocol(std::string_view text);  // IPPROTO_TCP, TCP, UDP, ... or a number

}  // namespace palisade::policy
