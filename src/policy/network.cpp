// The spec of Palisade's NetworkPolicy (format: parser.h). It is Palisade's
// own format, so it is read strictly: an unknown key is an error, since a
// misspelt `deny` or `ports` would silently let traffic through.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "policy/policy_readers.h"

namespace palisade::policy::detail {
namespace {

constexpr std::string_view kNetworkSpecKeys[] = {"options",           "cgroups", "podSelector",
                                                 "containerSelector", "egress",  "bind"};
constexpr std::string_view kDirectionKeys[] = {"default", "allow", "deny"};
constexpr std::string_view kRuleKeys[] = {"cidrs", "ports", "protocol"};
constexpr std::string_view kDefaults[] = {"allow", "deny"};
constexpr std::string_view kProtocols[] = {"TCP", "UDP"};

std::string uppercase(std::string text)
{
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

// The address with every bit after `prefix` cleared, as inet_ntop writes it.
std::string network_address(int family, unsigned char* bytes, int prefix, int max_prefix)
{
    for (int bit = prefix; bit < max_prefix; ++bit)
        bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes, text, sizeof text);
    return text;
}

// "10.0.0.0/8" or "fd00::/8" as written; a bare address gains its full-length
// prefix. A prefix with host bits set is allowed (it means the network) but
// warned about, as it usually is a typo.
std::string read_cidr(Reader& reader, const YAML::Node& node, const Location& fallback)
{
    std::string text = scalar_text(reader, node, "a CIDR", fallback);
    Location where = reader.at(node, fallback);
    std::size_t slash = text.find('/');
    std::string address = text.substr(0, slash);
    int family = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    int max_prefix = family == AF_INET6 ? 128 : 32;
    unsigned char bytes[16] = {};
    if (inet_pton(family, address.c_str(), bytes) != 1)
        fail(where, fmt::format("'{}' is not a valid CIDR: '{}' is not an IPv4 or IPv6 address", text, address));
    if (slash == std::string::npos)
        return fmt::format("{}/{}", text, max_prefix);

    std::string_view prefix_text = std::string_view(text).substr(slash + 1);
    int prefix = -1;
    auto [end, status] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (prefix_text.empty() || status != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 0 ||
        prefix > max_prefix)
        fail(where, fmt::format("'{}' is not a valid CIDR: the prefix length must be 0 to {} for an {} address", text,
                                max_prefix, family == AF_INET6 ? "IPv6" : "IPv4"));
    std::string network = network_address(family, bytes, prefix, max_prefix);
    unsigned char written[16] = {};
    inet_pton(family, address.c_str(), written);
    if (!std::equal(std::begin(bytes), std::end(bytes), std::begin(written)))
        reader.warning(where, fmt::format("'{}' has bits set after its /{} prefix; it means {}/{}", text, prefix,
                                          network, prefix));
    return text;
}

NetRule read_rule(const Mapping& mapping)
{
    mapping.reject_unknown_keys(kRuleKeys);
    NetRule rule;
    rule.loc = mapping.where();
    for (const YAML::Node& node : mapping.items("cidrs"))
        rule.cidrs.push_back(read_cidr(mapping.reader(), node, mapping.value_where("cidrs")));
    for (std::int64_t port : mapping.integers("ports", 1, 65535))
        rule.ports.push_back(static_cast<std::uint16_t>(port));
    std::string protocol = mapping.string_or("protocol");
    if (!protocol.empty()) {
        rule.protocol = uppercase(protocol);
        if (!contains(kProtocols, rule.protocol))
            fail(mapping.value_where("protocol"),
                 fmt::format("unknown protocol '{}'; valid protocols: {}", protocol, join(kProtocols)));
    }
    return rule;
}

std::vector<NetRule> read_rules(const Mapping& direction, std::string_view key)
{
    std::vector<NetRule> rules;
    for (const Mapping& rule : direction.mappings(key, fmt::format("a rule of '{}'", key)))
        rules.push_back(read_rule(rule));
    return rules;
}

NetDirection read_direction(const Mapping& spec, std::string_view key)
{
    NetDirection direction;
    if (!spec.has(key))
        return direction;
    Mapping mapping = spec.mapping(key);
    mapping.reject_unknown_keys(kDirectionKeys);
    direction.present = true;
    std::string default_action = mapping.string_or("default", "allow");
    if (!contains(kDefaults, default_action))
        fail(mapping.value_where("default"),
             fmt::format("'default' must be one of: {}; not '{}'", join(kDefaults), default_action));
    direction.default_deny = default_action == "deny";
    direction.allow = read_rules(mapping, "allow");
    direction.deny = read_rules(mapping, "deny");
    return direction;
}

// A path below the cgroup2 mount, e.g. "/kubepods/burstable/pod1234".
std::string read_cgroup_path(const Reader& reader, const YAML::Node& node, const Location& fallback)
{
    std::string path = scalar_text(reader, node, "a cgroup path", fallback);
    auto problem = [&]() -> std::string_view {
        if (!path.starts_with('/'))
            return "it must start with '/' (paths are relative to the cgroup2 mount)";
        for (std::size_t begin = 1; begin <= path.size();) {
            std::size_t end = std::min(path.find('/', begin), path.size());
            std::string_view part = std::string_view(path).substr(begin, end - begin);
            if (part == "." || part == "..")
                return "it must not contain '.' or '..'";
            begin = end + 1;
        }
        return {};
    }();
    if (!problem.empty())
        fail(reader.at(node, fallback), fmt::format("'{}' is not a valid cgroup path: {}", path, problem));
    return path;
}

}  // namespace

void read_network_spec(const Mapping& spec, Policy& policy)
{
    spec.reject_unknown_keys(kNetworkSpecKeys);
    for (const YAML::Node& node : spec.items("cgroups"))
        policy.network.cgroup_paths.push_back(read_cgroup_path(spec.reader(), node, spec.value_where("cgroups")));
    policy.network.egress = read_direction(spec, "egress");
    policy.network.bind = read_direction(spec, "bind");
    if (!policy.network.egress.present && !policy.network.bind.present)
        spec.reader().warning(spec.where(), "a NetworkPolicy without 'egress' or 'bind' has no effect");
}

}  // namespace palisade::policy::detail
