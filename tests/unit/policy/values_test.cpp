// Values as policies write them: integers, CIDRs, families, protocols.
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "policy/values.h"

namespace palisade::policy {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

TEST(PolicyValues, IntegersInEveryBase)
{
    EXPECT_EQ(parse_integer("0"), 0u);
    EXPECT_EQ(parse_integer("00"), 0u);
    EXPECT_EQ(parse_integer("42"), 42u);
    EXPECT_EQ(parse_integer("+42"), 42u);
    EXPECT_EQ(parse_integer("0x2A"), 42u);
    EXPECT_EQ(parse_integer("0X2a"), 42u);
    EXPECT_EQ(parse_integer("052"), 42u);
    EXPECT_EQ(parse_integer("02000000"), 02000000u);  // O_CLOEXEC as strace writes it
    EXPECT_EQ(parse_integer("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(parse_integer("0xffffffffffffffff"), std::numeric_limits<std::uint64_t>::max());
}

TEST(PolicyValues, NegativeIntegersAreTwosComplement)
{
    EXPECT_EQ(parse_integer("-1"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(parse_integer("-100"), static_cast<std::uint64_t>(-100));
    EXPECT_EQ(parse_integer("-0x10"), static_cast<std::uint64_t>(-16));
    EXPECT_EQ(parse_integer("-010"), static_cast<std::uint64_t>(-8));
    EXPECT_EQ(parse_integer("-9223372036854775808"),
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(parse_integer("-0"), 0u);
}

TEST(PolicyValues, NotIntegers)
{
    for (const char* text : {"", "-", "+", "0x", "0xg", "08", "09", "12abc", " 1", "1 ", "--1", "-+1", "1.5", "ten",
                             "18446744073709551616", "0x10000000000000000", "AT_FDCWD"})
        EXPECT_EQ(parse_integer(text), std::nullopt) << "'" << text << "'";
}

Bytes v4_mapped(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
{
    return Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

TEST(PolicyValues, V4CidrsAreKeptInTheV6Form)
{
    auto net = parse_cidr("10.0.0.0/8");
    ASSERT_TRUE(net);
    EXPECT_TRUE(net->v4);
    EXPECT_EQ(net->bits, 96 + 8);
    EXPECT_EQ(net->addr, v4_mapped(10, 0, 0, 0));

    auto host = parse_cidr("192.168.1.20");
    ASSERT_TRUE(host);
    EXPECT_TRUE(host->v4);
    EXPECT_EQ(host->bits, 128);
    EXPECT_EQ(host->addr, v4_mapped(192, 168, 1, 20));

    auto all = parse_cidr("0.0.0.0/0");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->bits, 96);  // every IPv4 address, and no IPv6 one
    EXPECT_EQ(parse_cidr("1.2.3.4/32")->bits, 128);

    // host bits are kept as written: the compiler masks them
    auto written = parse_cidr("10.1.2.3/8");
    ASSERT_TRUE(written);
    EXPECT_EQ(written->addr, v4_mapped(10, 1, 2, 3));
    EXPECT_EQ(written->bits, 104);
}

TEST(PolicyValues, V6Cidrs)
{
    auto loopback = parse_cidr("::1");
    ASSERT_TRUE(loopback);
    EXPECT_FALSE(loopback->v4);
    EXPECT_EQ(loopback->bits, 128);
    EXPECT_EQ(loopback->addr, (Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));

    auto ula = parse_cidr("fd00::/8");
    ASSERT_TRUE(ula);
    EXPECT_EQ(ula->bits, 8);
    EXPECT_EQ(ula->addr[0], 0xfd);

    EXPECT_EQ(parse_cidr("::/0")->bits, 0);
    EXPECT_EQ(parse_cidr("2001:db8::/128")->bits, 128);
    auto mapped = parse_cidr("::ffff:10.0.0.1");
    ASSERT_TRUE(mapped);
    EXPECT_FALSE(mapped->v4);
    EXPECT_EQ(mapped->addr, v4_mapped(10, 0, 0, 1));
}

TEST(PolicyValues, NotCidrs)
{
    for (const char* text : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0.0/ 8",
                             "10.0.0/8", "1.2.3", "256.0.0.1", " 10.0.0.0/8", "fd00::/129", "fd00::/-0x1", "fd00:::1",
                             "localhost", "10.0.0.0/8/8"})
        EXPECT_EQ(parse_cidr(text), std::nullopt) << "'" << text << "'";
}

TEST(PolicyValues, Families)
{
    EXPECT_EQ(parse_family("AF_INET"), 2);
    EXPECT_EQ(parse_family("AF_INET6"), 10);
    EXPECT_EQ(parse_family("AF_UNIX"), 1);
    EXPECT_EQ(parse_family("AF_LOCAL"), 1);
    EXPECT_EQ(parse_family("17"), 17);
    EXPECT_EQ(parse_family("0x11"), 17);
    EXPECT_EQ(parse_family("65535"), 65535);
    for (const char* text : {"", "af_inet", "AF_PACKET", "INET", "65536", "-1"})
        EXPECT_EQ(parse_family(text), std::nullopt) << "'" << text << "'";
}

TEST(PolicyValues, Protocols)
{
    EXPECT_EQ(parse_protocol("IPPROTO_TCP"), 6);
    EXPECT_EQ(parse_protocol("TCP"), 6);
    EXPECT_EQ(parse_protocol("tcp"), 6);
    EXPECT_EQ(parse_protocol("IPPROTO_UDP"), 17);
    EXPECT_EQ(parse_protocol("udp"), 17);
    EXPECT_EQ(parse_protocol("IPPROTO_ICMP"), 1);
    EXPECT_EQ(parse_protocol("ICMPV6"), 58);
    EXPECT_EQ(parse_protocol("sctp"), 132);
    EXPECT_EQ(parse_protocol("IPPROTO_RAW"), 255);
    EXPECT_EQ(parse_protocol("6"), 6);
    EXPECT_EQ(parse_protocol("255"), 255);
    for (const char* text : {"", "Tcp", "IPPROTO_", "IPPROTO_QUIC", "256", "-6", "tcp6"})
        EXPECT_EQ(parse_protocol(text), std::nullopt) << "'" << text << "'";
}

}  // namespace
}  // namespace palisade::policy
