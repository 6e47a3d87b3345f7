// Palisade's NetworkPolicy: its fields, and the located errors for addresses,
// ports, protocols, cgroup paths and misspelt keys.
#include <gtest/gtest.h>

#include "unit/policy/policy_test_util.h"

namespace palisade::policy {
namespace {

using test::located;
using test::parse;
using test::parse_one;
using test::rendered;
using Lines = std::vector<std::string>;

constexpr const char* kHeader = "apiVersion: palisade.dev/v1alpha1\n"
                                "kind: NetworkPolicy\n"
                                "metadata: {name: test}\n"
                                "spec:\n";

// The egress section `egress` (lines from 6 on) of a NetworkPolicy.
std::string with_egress(const std::string& egress)
{
    return std::string(kHeader) + "  egress:\n" + egress;
}

TEST(PolicyNetwork, FullPolicy)
{
    Policy policy = parse_one(std::string(kHeader) + "  options: [{name: policy-mode, value: monitor}]\n"
                                                     "  cgroups: [\"/palisade-test/runner\", /ci/jobs]\n"
                                                     "  containerSelector: {matchLabels: {name: runner}}\n"
                                                     "  egress:\n"
                                                     "    default: deny\n"
                                                     "    allow:\n"
                                                     "      - cidrs: [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n"
                                                     "        ports: [8080]\n"
                                                     "        protocol: TCP\n"
                                                     "      - cidrs: [\"fd00::/8\"]\n"
                                                     "    deny:\n"
                                                     "      - cidrs: [\"169.254.169.254/32\"]\n"
                                                     "  bind:\n"
                                                     "    default: allow\n"
                                                     "    deny: [{ports: [22, 2222], protocol: tcp}]\n");
    EXPECT_EQ(policy.kind, PolicyKind::NetworkPolicy);
    EXPECT_EQ(policy.name, "test");
    EXPECT_EQ(policy.mode, Mode::Monitor);
    EXPECT_TRUE(policy.mode_set);
    EXPECT_TRUE(policy.hooks.empty());
    EXPECT_EQ(policy.container_selector.match_labels.at("name"), "runner");
    EXPECT_EQ(policy.network.cgroup_paths, (std::vector<std::string>{"/palisade-test/runner", "/ci/jobs"}));

    const NetDirection& egress = policy.network.egress;
    EXPECT_TRUE(egress.present);
    EXPECT_TRUE(egress.default_deny);
    ASSERT_EQ(egress.allow.size(), 2u);
    EXPECT_EQ(egress.allow[0].cidrs, (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8"}));
    EXPECT_EQ(egress.allow[0].ports, std::vector<std::uint16_t>{8080});
    EXPECT_EQ(egress.allow[0].protocol, "TCP");
    EXPECT_EQ(egress.allow[0].loc.line, 11);
    EXPECT_EQ(egress.allow[0].loc.column, 9);
    EXPECT_EQ(egress.allow[1].cidrs, std::vector<std::string>{"fd00::/8"});
    EXPECT_TRUE(egress.allow[1].ports.empty());
    EXPECT_EQ(egress.allow[1].protocol, "");
    ASSERT_EQ(egress.deny.size(), 1u);
    EXPECT_EQ(egress.deny[0].cidrs, std::vector<std::string>{"169.254.169.254/32"});

    const NetDirection& bind = policy.network.bind;
    EXPECT_TRUE(bind.present);
    EXPECT_FALSE(bind.default_deny);
    EXPECT_TRUE(bind.allow.empty());
    ASSERT_EQ(bind.deny.size(), 1u);
    EXPECT_TRUE(bind.deny[0].cidrs.empty());
    EXPECT_EQ(bind.deny[0].ports, (std::vector<std::uint16_t>{22, 2222}));
    EXPECT_EQ(bind.deny[0].protocol, "TCP");
}

TEST(PolicyNetwork, AbsentSectionsAndDefaults)
{
    Policy policy = parse_one(with_egress("    allow: [{cidrs: [10.0.0.0/8]}]\n"));
    EXPECT_TRUE(policy.network.egress.present);
    EXPECT_FALSE(policy.network.egress.default_deny);
    EXPECT_FALSE(policy.network.bind.present);
    EXPECT_TRUE(policy.network.cgroup_paths.empty());
    EXPECT_FALSE(policy.mode_set);
}

TEST(PolicyNetwork, BareAddressIsAHostPrefix)
{
    Policy policy = parse_one(with_egress("    deny: [{cidrs: [192.0.2.1, \"2001:db8::1\", \"::ffff:10.0.0.1\"]}]\n"));
    EXPECT_EQ(policy.network.egress.deny[0].cidrs,
              (std::vector<std::string>{"192.0.2.1/32", "2001:db8::1/128", "::ffff:10.0.0.1/128"}));
}

TEST(PolicyNetwork, PrefixLengthBoundsAreAccepted)
{
    Policy policy = parse_one(with_egress("    deny: [{cidrs: [0.0.0.0/0, 10.1.2.3/32, \"::/0\", \"::1/128\"]}]\n"));
    EXPECT_EQ(policy.network.egress.deny[0].cidrs.size(), 4u);
}

TEST(PolicyNetwork, BadCidrsAreLocatedErrors)
{
    const std::pair<const char*, const char*> cases[] = {
        {"10.0.0.0/33", "'10.0.0.0/33' is not a valid CIDR: the prefix length must be 0 to 32 for an IPv4 address"},
        {"\"fe80::/129\"", "'fe80::/129' is not a valid CIDR: the prefix length must be 0 to 128 for an IPv6 address"},
        {"10.0.0.0/", "'10.0.0.0/' is not a valid CIDR: the prefix length must be 0 to 32 for an IPv4 address"},
        {"10.0.0.0/-1", "'10.0.0.0/-1' is not a valid CIDR: the prefix length must be 0 to 32 for an IPv4 address"},
        {"10.0.0.0/8a", "'10.0.0.0/8a' is not a valid CIDR: the prefix length must be 0 to 32 for an IPv4 address"},
        {"10.0.0.256/8", "'10.0.0.256/8' is not a valid CIDR: '10.0.0.256' is not an IPv4 or IPv6 address"},
        {"10.0.0/8", "'10.0.0/8' is not a valid CIDR: '10.0.0' is not an IPv4 or IPv6 address"},
        {"example.com", "'example.com' is not a valid CIDR: 'example.com' is not an IPv4 or IPv6 address"},
        {"\"1:2:3\"", "'1:2:3' is not a valid CIDR: '1:2:3' is not an IPv4 or IPv6 address"},
    };
    for (const auto& [cidr, message] : cases) {
        ParseResult result = parse(with_egress(std::string("    allow:\n      - cidrs:\n          - 10.0.0.0/8\n"
                                                           "          - ") +
                                               cidr + "\n"));
        EXPECT_EQ(located(result.errors), Lines({std::string("9:13: ") + message})) << cidr;
        EXPECT_TRUE(result.policies.empty());
    }
}

TEST(PolicyNetwork, HostBitsAfterThePrefixAreAWarning)
{
    ParseResult result = parse(with_egress("    allow: [{cidrs: [10.1.2.3/8, \"fd00::1/64\"]}]\n"));
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    EXPECT_EQ(located(result.warnings),
              Lines({"6:22: '10.1.2.3/8' has bits set after its /8 prefix; it means 10.0.0.0/8",
                     "6:34: 'fd00::1/64' has bits set after its /64 prefix; it means fd00::/64"}));
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].network.egress.allow[0].cidrs, (std::vector<std::string>{"10.1.2.3/8", "fd00::1/64"}));
}

TEST(PolicyNetwork, PortsMustBeOneTo65535)
{
    Policy bounds = parse_one(with_egress("    allow: [{ports: [1, 65535]}]\n"));
    EXPECT_EQ(bounds.network.egress.allow[0].ports, (std::vector<std::uint16_t>{1, 65535}));
    EXPECT_EQ(located(parse(with_egress("    allow: [{ports: [80, 0]}]\n")).errors),
              Lines({"6:26: each item of 'ports' must be between 1 and 65535, not 0"}));
    EXPECT_EQ(located(parse(with_egress("    allow: [{ports: [65536]}]\n")).errors),
              Lines({"6:22: each item of 'ports' must be between 1 and 65535, not 65536"}));
    EXPECT_EQ(located(parse(with_egress("    allow: [{ports: [http]}]\n")).errors),
              Lines({"6:22: each item of 'ports' must be an integer, not 'http'"}));
    EXPECT_EQ(located(parse(with_egress("    allow: [{ports: 443}]\n")).errors),
              Lines({"6:21: 'ports' must be a sequence, not a string"}));
}

TEST(PolicyNetwork, ProtocolAndDefaultAreChecked)
{
    EXPECT_EQ(located(parse(with_egress("    allow: [{protocol: ICMP}]\n")).errors),
              Lines({"6:24: unknown protocol 'ICMP'; valid protocols: TCP, UDP"}));
    EXPECT_EQ(located(parse(with_egress("    default: block\n")).errors),
              Lines({"6:14: 'default' must be one of: allow, deny; not 'block'"}));
}

TEST(PolicyNetwork, UnknownKeysAreErrorsBecauseTheyWouldLetTrafficThrough)
{
    EXPECT_EQ(located(parse(with_egress("    allow: [{cidrs: [10.0.0.0/8], port: [443]}]\n")).errors),
              Lines({"6:35: unknown key 'port' in a rule of 'allow'; expected one of: cidrs, ports, protocol"}));
    EXPECT_EQ(located(parse(with_egress("    defualt: deny\n")).errors),
              Lines({"6:5: unknown key 'defualt' in 'egress'; expected one of: default, allow, deny"}));
    EXPECT_EQ(located(parse(std::string(kHeader) + "  egres:\n    default: deny\n").errors),
              Lines({"5:3: unknown key 'egres' in 'spec'; expected one of: options, cgroups, podSelector, "
                     "containerSelector, egress, bind"}));
}

TEST(PolicyNetwork, CgroupPathsAreChecked)
{
    EXPECT_EQ(located(parse(std::string(kHeader) + "  cgroups: [runner]\n  egress: {default: deny}\n").errors),
              Lines({"5:13: 'runner' is not a valid cgroup path: it must start with '/' (paths are relative to the "
                     "cgroup2 mount)"}));
    EXPECT_EQ(located(parse(std::string(kHeader) + "  cgroups: [/ci/../host]\n  egress: {default: deny}\n").errors),
              Lines({"5:13: '/ci/../host' is not a valid cgroup path: it must not contain '.' or '..'"}));
    Policy root = parse_one(std::string(kHeader) + "  cgroups: [/]\n  egress: {default: deny}\n");
    EXPECT_EQ(root.network.cgroup_paths, std::vector<std::string>{"/"});
}

TEST(PolicyNetwork, PolicyWithoutEgressOrBindIsAWarning)
{
    ParseResult result = parse(std::string(kHeader) + "  cgroups: [/ci]\n");
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(located(result.warnings), Lines({"5:3: a NetworkPolicy without 'egress' or 'bind' has no effect"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyNetwork, RenderedCidrErrorPointsAtTheAddress)
{
    ParseResult result = parse(with_egress("    deny: [{cidrs: [\"10.0.0.0/40\"]}]\n"));
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].render(),
              "test.yaml:6:21: error: '10.0.0.0/40' is not a valid CIDR: the prefix length must be 0 to 32 for an "
              "IPv4 address\n"
              "      deny: [{cidrs: [\"10.0.0.0/40\"]}]\n"
              "                      ^");
}

}  // namespace
}  // namespace palisade::policy
