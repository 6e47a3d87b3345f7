#include "policy/values.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <string>

namespace palisade::policy {

std::optional<std::uint64_t> parse_integer(std::string_view text)
{
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        text.remove_prefix(1);
    }
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return negative ? ~value + 1 : value;
}

std::optional<Cidr> parse_cidr(std::string_view text)
{
    Cidr out;
    std::string addr(text.substr(0, text.find('/')));
    std::optional<int> bits;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        std::string_view digits = text.substr(slash + 1);
        int n = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
            return std::nullopt;
        bits = n;
    }
    in_addr v4{};
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
        if (bits && (*bits < 0 || *bits > 32))
            return std::nullopt;
        out.v4 = true;
        out.addr[10] = out.addr[11] = 0xff;
        std::memcpy(&out.addr[12], &v4, 4);
        out.bits = 96 + bits.value_or(32);
        return out;
    }
    if (inet_pton(AF_INET6, addr.c_str(), out.addr.data()) == 1) {
        if (bits && (*bits < 0 || *bits > 128))
            return std::nullopt;
        out.bits = bits.value_or(128);
        return out;
    }
    return std::nullopt;
}

std::optional<std::uint16_t> parse_family(std::string_view text)
{
    if (text == "AF_INET")
        return 2;
    if (text == "AF_INET6")
        return 10;
    if (text == "AF_UNIX" || text == "AF_LOCAL")
        return 1;
    if (auto n = parse_integer(text); n && *n < 65536)
        return static_cast<std::uint16_t>(*n);
    return std::nullopt;
}

std::optional<std::uint16_t> parse_protocol(std::string_view text)
{
    // Names as IPPROTO_* spells them, or in lower case.
    static constexpr std::pair<std::string_view, std::uint16_t> kProtocols[] = {
        {"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMPV6", 58}, {"SCTP", 132}, {"RAW", 255},
    };
    if (text.starts_with("IPPROTO_"))
        text.remove_prefix(8);
    for (const auto& [name, number] : kProtocols) {
        std::string lower(name);
        for (char& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (text == name || text == lower)
            return number;
    }
    if (auto n = parse_integer(text); n && *n < 256)
        return static_cast<std::uint16_t>(*n);
    return std::nullopt;
}

}  // namespace palisade::policy
