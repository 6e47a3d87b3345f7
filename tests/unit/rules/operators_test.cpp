#include "rules/engine/operators.h"

#include <gtest/gtest.h>

namespace palisade::rules {
namespace {

// Compiles `field_type OP rhs` and matches it against `values`.
bool matches(const std::string& op, FieldType type, std::vector<std::string> rhs, std::vector<FieldValue> values,
             bool list_field = false)
{
    std::string error;
    auto compare = compare_op_from(op);
    EXPECT_TRUE(compare) << op;
    auto m = ValueMatcher::compile(*compare, type, list_field, rhs, &error);
    EXPECT_TRUE(m) << error;
    return m && m->match(values);
}

FieldValue str(std::string_view s) { return FieldValue::string(s); }
FieldValue ip(const char* text)
{
    FieldValue v;
    v.type = FieldType::IpAddr;
    int bits;
    EXPECT_TRUE(parse_ip_net(text, v.ip, &bits));
    return v;
}

TEST(Operators, StringEqualityAndOrder)
{
    EXPECT_TRUE(matches("=", FieldType::String, {"bash"}, {str("bash")}));
    EXPECT_TRUE(matches("==", FieldType::String, {"bash"}, {str("bash")}));
    EXPECT_FALSE(matches("=", FieldType::String, {"bash"}, {str("Bash")}));
    EXPECT_TRUE(matches("!=", FieldType::String, {"bash"}, {str("sh")}));
    EXPECT_TRUE(matches("<", FieldType::String, {"b"}, {str("a")}));
    EXPECT_FALSE(matches(">=", FieldType::String, {"b"}, {str("a")}));
}

TEST(Operators, Substrings)
{
    EXPECT_TRUE(matches("contains", FieldType::String, {"shadow"}, {str("/etc/shadow")}));
    EXPECT_FALSE(matches("contains", FieldType::String, {"Shadow"}, {str("/etc/shadow")}));
    EXPECT_TRUE(matches("icontains", FieldType::String, {"SYS_ADMIN"}, {str("CAP_CHOWN CAP_SYS_ADMIN")}));
    EXPECT_TRUE(matches("startswith", FieldType::String, {"/etc/"}, {str("/etc/passwd")}));
    EXPECT_FALSE(matches("startswith", FieldType::String, {"/etc/"}, {str("/etc")}));
    EXPECT_TRUE(matches("endswith", FieldType::String, {".ssh/authorized_keys"}, {str("/root/.ssh/authorized_keys")}));
    EXPECT_FALSE(matches("endswith", FieldType::String, {"long suffix"}, {str("fix")}));
}

TEST(Operators, BytesAreWrittenInHex)
{
    EXPECT_TRUE(matches("bcontains", FieldType::String, {"6c6c"}, {str("hello")}));
    EXPECT_TRUE(matches("bstartswith", FieldType::String, {"7f454c46"}, {str("\x7f" "ELF rest")}));
    EXPECT_FALSE(matches("bstartswith", FieldType::String, {"7f454c46"}, {str("#!/bin/sh")}));
}

TEST(Operators, GlobCrossesSlashesAndIglobIgnoresCase)
{
    EXPECT_TRUE(matches("glob", FieldType::String, {"/tmp/*"}, {str("/tmp/a/b/c")}));
    EXPECT_TRUE(matches("glob", FieldType::String, {"/dev/sd?"}, {str("/dev/sda")}));
    EXPECT_FALSE(matches("glob", FieldType::String, {"/tmp/*"}, {str("/var/tmp/x")}));
    EXPECT_TRUE(matches("iglob", FieldType::String, {"*.PEM"}, {str("/k/key.pem")}));
    EXPECT_FALSE(matches("glob", FieldType::String, {"*.PEM"}, {str("/k/key.pem")}));
}

TEST(Operators, RegexMustMatchTheWholeValue)
{
    EXPECT_TRUE(matches("regex", FieldType::String, {"[a-z]+sh"}, {str("bash")}));
    EXPECT_FALSE(matches("regex", FieldType::String, {"sh"}, {str("bash")})) << "anchored at both ends";
    std::string error;
    EXPECT_FALSE(ValueMatcher::compile(CompareOp::Regex, FieldType::String, false, {"(unclosed"}, &error));
    EXPECT_NE(error.find("invalid regex '(unclosed'"), std::string::npos) << error;
}

TEST(Operators, InAndIntersectsOnSingleAndListFields)
{
    EXPECT_TRUE(matches("in", FieldType::String, {"sh", "bash"}, {str("bash")}));
    EXPECT_FALSE(matches("in", FieldType::String, {"sh", "bash"}, {str("zsh")}));
    // A list field: `in` needs every value in the set, `intersects` any.
    EXPECT_FALSE(matches("in", FieldType::String, {"sh", "bash"}, {str("bash"), str("sshd")}, true));
    EXPECT_TRUE(matches("in", FieldType::String, {"sh", "bash", "sshd"}, {str("bash"), str("sshd")}, true));
    EXPECT_TRUE(matches("intersects", FieldType::String, {"sshd"}, {str("bash"), str("sshd")}, true));
    EXPECT_FALSE(matches("intersects", FieldType::String, {"init"}, {str("bash"), str("sshd")}, true));
    EXPECT_FALSE(matches("in", FieldType::String, {"a"}, {})) << "no value is <NA>, which matches nothing";
}

TEST(Operators, PmatchIsAPrefixByWholeComponents)
{
    EXPECT_TRUE(matches("pmatch", FieldType::String, {"/var/run", "/etc"}, {str("/var/run/docker.sock")}));
    EXPECT_TRUE(matches("pmatch", FieldType::String, {"/var/run/"}, {str("/var/run")}));
    EXPECT_FALSE(matches("pmatch", FieldType::String, {"/var/run"}, {str("/var/runtime")}));
    EXPECT_TRUE(matches("pmatch", FieldType::String, {"/"}, {str("/anything")}));
}

TEST(Operators, NumbersSignedUnsignedAndHex)
{
    EXPECT_TRUE(matches("=", FieldType::Uint, {"0"}, {FieldValue::uint64(0)}));
    EXPECT_TRUE(matches(">=", FieldType::Uint, {"1024"}, {FieldValue::uint64(8080)}));
    EXPECT_TRUE(matches("<", FieldType::Int, {"0"}, {FieldValue::int64(-2)}));
    EXPECT_TRUE(matches("=", FieldType::Int, {"-1"}, {FieldValue::int64(-1)}));
    EXPECT_TRUE(matches("=", FieldType::Uint, {"0x10"}, {FieldValue::uint64(16)}));
    EXPECT_TRUE(matches("in", FieldType::Int, {"0", "1", "2"}, {FieldValue::int64(1)}));
    EXPECT_FALSE(matches("in", FieldType::Int, {"0", "1", "2"}, {FieldValue::int64(3)}));
    std::string error;
    EXPECT_FALSE(ValueMatcher::compile(CompareOp::Eq, FieldType::Uint, false, {"abc"}, &error));
    EXPECT_EQ(error, "'abc' is not a number");
    EXPECT_FALSE(ValueMatcher::compile(CompareOp::Contains, FieldType::Uint, false, {"1"}, &error));
    EXPECT_EQ(error, "operator 'contains' needs a string field");
}

TEST(Operators, BooleansAndAddresses)
{
    EXPECT_TRUE(matches("=", FieldType::Bool, {"true"}, {FieldValue::boolean(true)}));
    EXPECT_TRUE(matches("!=", FieldType::Bool, {"true"}, {FieldValue::boolean(false)}));
    EXPECT_TRUE(matches("=", FieldType::IpAddr, {"169.254.169.254"}, {ip("169.254.169.254")}));
    EXPECT_TRUE(matches("in", FieldType::IpAddr, {"10.0.0.0/8", "192.168.0.0/16"}, {ip("10.1.2.3")}));
    EXPECT_FALSE(matches("in", FieldType::IpAddr, {"10.0.0.0/8"}, {ip("11.1.2.3")}));
    EXPECT_TRUE(matches("=", FieldType::IpNet, {"fd00::/8"}, {ip("fd12::1")}));
    EXPECT_TRUE(matches("!=", FieldType::IpAddr, {"127.0.0.1"}, {ip("127.0.0.2")}));
}

TEST(Operators, RightHandFieldValues)
{
    EXPECT_TRUE(compare_values(CompareOp::Eq, str("bash"), str("bash")));
    EXPECT_TRUE(compare_values(CompareOp::StartsWith, str("/usr/bin/bash"), str("/usr/bin")));
    EXPECT_TRUE(compare_values(CompareOp::Gt, FieldValue::uint64(5), FieldValue::uint64(3)));
    EXPECT_FALSE(compare_values(CompareOp::Ne, FieldValue::int64(5), FieldValue::int64(5)));
}

TEST(Operators, EveryNameRoundTrips)
{
    for (const char* name : {"=", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith",
                             "bstartswith", "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch"}) {
        auto op = compare_op_from(name);
        ASSERT_TRUE(op) << name;
        EXPECT_EQ(compare_op_name(*op), name);
    }
    EXPECT_FALSE(compare_op_from("~="));
}

}  // namespace
}  // namespace palisade::rules

namespace palisade::rules {
namespace {

// Compiled matchers (some specialised per type and operator) agree with the
// general comparison compare_values() on every operator, type and value,
// including several values, empty strings, negatives and mixed signs.
TEST(Operators, CompiledMatchersAgreeWithTheGeneralComparison)
{
    struct Case {
        FieldType type;
        std::vector<std::string> literals;
        std::vector<FieldValue> values;
    };
    const std::vector<Case> cases = {
        {FieldType::String,
         {"", "/etc", "/etc/", "bash", "sh", "tc/sh", "/etc/shadow", "SHADOW", "a", "/.ssh/", "hb", "etc/etc/s"},
         {str(""), str("/etc"), str("/etc/shadow"), str("/etc2"), str("bash"), str("sh"), str("/bin/sh"),
          str("ba"), str("a"), str("/ETC/SHADOW"), str("x/etc/etc/shadow"), str("/et/etc"), str("shsh"),
          str("bashbash"), str("/home/u/.ssh/id"), str("tc/s")}},
        {FieldType::Int,
         {"0", "-1", "1", "100", "-100", "0x10", "9223372036854775807"},
         {FieldValue::int64(0), FieldValue::int64(-1), FieldValue::int64(1), FieldValue::int64(16),
          FieldValue::int64(-100), FieldValue::int64(INT64_MAX), FieldValue::int64(INT64_MIN)}},
        {FieldType::Uint,
         {"0", "1", "443", "-1", "0xffff", "18446744073709551615"},
         {FieldValue::uint64(0), FieldValue::uint64(1), FieldValue::uint64(443), FieldValue::uint64(UINT64_MAX),
          FieldValue::uint64(65535)}},
        {FieldType::Bool, {"true", "false"}, {FieldValue::boolean(true), FieldValue::boolean(false)}},
    };
    const CompareOp scalar_ops[] = {CompareOp::Eq, CompareOp::Ne, CompareOp::Lt, CompareOp::Le,
                                    CompareOp::Gt, CompareOp::Ge, CompareOp::Contains, CompareOp::StartsWith,
                                    CompareOp::EndsWith, CompareOp::BContains, CompareOp::BStartsWith,
                                    CompareOp::IContains};
    std::size_t compared = 0;
    for (const auto& c : cases)
        for (CompareOp op : scalar_ops)
            for (const auto& literal : c.literals) {
                std::string error;
                auto matcher = ValueMatcher::compile(op, c.type, false, {literal}, &error);
                if (!matcher)
                    continue;  // the operator does not apply to the type
                // The literal as a right-hand value of the general path.
                // (None of the string literals reads as hex bytes, which the
                // b* operators would decode.)
                FieldValue rhs;
                rhs.type = c.type;
                rhs.str = literal;
                rhs.b = literal == "true";
                if (c.type == FieldType::Int || c.type == FieldType::Uint) {
                    std::int64_t n = 0;
                    if (literal.rfind("0x", 0) == 0)
                        n = static_cast<std::int64_t>(std::stoull(literal.substr(2), nullptr, 16));
                    else if (literal.front() == '-')
                        n = std::stoll(literal);
                    else
                        n = static_cast<std::int64_t>(std::stoull(literal));
                    rhs.i = n;
                    rhs.u = static_cast<std::uint64_t>(n);
                }
                for (const auto& v : c.values) {
                    const bool general = compare_values(op, v, rhs);
                    EXPECT_EQ(matcher->match(std::span(&v, 1)), general)
                        << compare_op_name(op) << " " << literal << " on value " << v.str << v.i << v.u;
                    ++compared;
                }
                // Several values: any one matching is enough.
                bool any = false;
                for (const auto& v : c.values)
                    any = any || compare_values(op, v, rhs);
                EXPECT_EQ(matcher->match(c.values), any) << compare_op_name(op) << " " << literal;
            }
    EXPECT_GT(compared, 500u);
}

}  // namespace
}  // namespace palisade::rules
