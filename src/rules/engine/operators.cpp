#include "rules/engine/operators.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <re2/re2.h>

namespace palisade::rules {
namespace {

struct OpName {
    CompareOp op;
    std::string_view name;
};
constexpr OpName kOps[] = {
    {CompareOp::Eq, "="},          {CompareOp::Eq, "=="},           {CompareOp::Ne, "!="},
    {CompareOp::Lt, "<"},          {CompareOp::Le, "<="},           {CompareOp::Gt, ">"},
    {CompareOp::Ge, ">="},         {CompareOp::Contains, "contains"}, {CompareOp::IContains, "icontains"},
    {CompareOp::BContains, "bcontains"}, {CompareOp::StartsWith, "startswith"},
    {CompareOp::BStartsWith, "bstartswith"}, {CompareOp::EndsWith, "endswith"}, {CompareOp::Glob, "glob"},
    {CompareOp::IGlob, "iglob"},   {CompareOp::Regex, "regex"},     {CompareOp::In, "in"},
    {CompareOp::Intersects, "intersects"}, {CompareOp::PMatch, "pmatch"},
};

bool is_ip(FieldType t) { return t == FieldType::IpAddr || t == FieldType::IpNet; }

bool parse_int(std::string_view text, std::int64_t* out)
{
    int base = 10;
    bool negative = !text.empty() && text.front() == '-';
    std::string_view digits = negative ? text.substr(1) : text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        base = 16, digits.remove_prefix(2);
    std::uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
        return false;
    *out = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    return true;
}

bool parse_bool(std::string_view text, bool* out)
{
    if (text == "true")
        return *out = true, true;
    if (text == "false")
        return *out = false, true;
    return false;
}

// "68656c6c6f" or "hello": Falco's b* operators take bytes written as hex.
std::string parse_bytes(std::string_view text)
{
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (text.size() % 2 == 0 && std::all_of(text.begin(), text.end(), hex)) {
        std::string bytes;
        for (std::size_t i = 0; i < text.size(); i += 2)
            bytes.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
        return bytes;
    }
    return std::string(text);
}

bool ip_in_net(const std::uint8_t addr[16], const std::uint8_t net[16], int prefix_bits)
{
    const int full = prefix_bits / 8, rest = prefix_bits % 8;
    if (std::memcmp(addr, net, full) != 0)
        return false;
    if (rest == 0)
        return true;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (addr[full] & mask) == (net[full] & mask);
}

int compare_numbers(const FieldValue& a, std::int64_t b_signed, std::uint64_t b_unsigned, bool b_is_signed)
{
    if (a.type == FieldType::Int) {
        const std::int64_t b = b_is_signed ? b_signed : static_cast<std::int64_t>(b_unsigned);
        return a.i < b ? -1 : a.i > b;
    }
    const std::uint64_t b = b_is_signed ? static_cast<std::uint64_t>(b_signed) : b_unsigned;
    return a.u < b ? -1 : a.u > b;
}

bool ordered(CompareOp op, int cmp)
{
    switch (op) {
    case CompareOp::Eq: return cmp == 0;
    case CompareOp::Ne: return cmp != 0;
    case CompareOp::Lt: return cmp < 0;
    case CompareOp::Le: return cmp <= 0;
    case CompareOp::Gt: return cmp > 0;
    case CompareOp::Ge: return cmp >= 0;
    default: return false;
    }
}

bool icontains(std::string_view hay, std::string_view needle)
{
    if (needle.size() > hay.size())
        return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (strncasecmp(hay.data() + i, needle.data(), needle.size()) == 0)
            return true;
    return false;
}

// One literal right-hand value, parsed for the field's type.
struct Literal {
    std::string text;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    bool b = false;
    std::uint8_t ip[16] = {};
    int prefix_bits = 128;
};

bool compare_string(CompareOp op, std::string_view v, const Literal& lit)
{
    const std::string_view rhs = lit.text;
    switch (op) {
    case CompareOp::Eq: return v == rhs;
    case CompareOp::Ne: return v != rhs;
    case CompareOp::Lt: return v < rhs;
    case CompareOp::Le: return v <= rhs;
    case CompareOp::Gt: return v > rhs;
    case CompareOp::Ge: return v >= rhs;
    case CompareOp::Contains:
    case CompareOp::BContains: return v.find(rhs) != std::string_view::npos;
    case CompareOp::IContains: return icontains(v, rhs);
    case CompareOp::StartsWith:
    case CompareOp::BStartsWith: return v.substr(0, rhs.size()) == rhs;
    case CompareOp::EndsWith: return v.size() >= rhs.size() && v.substr(v.size() - rhs.size()) == rhs;
    case CompareOp::Glob:
    case CompareOp::IGlob: {
        // fnmatch needs a NUL-terminated subject.
        thread_local std::string subject;
        subject.assign(v);
        return fnmatch(lit.text.c_str(), subject.c_str(), op == CompareOp::IGlob ? FNM_CASEFOLD : 0) == 0;
    }
    default: return false;
    }
}

bool compare_literal(CompareOp op, const FieldValue& v, const Literal& lit)
{
    switch (v.type) {
    case FieldType::String: return compare_string(op, v.str, lit);
    case FieldType::Int:
    case FieldType::Uint: return ordered(op, compare_numbers(v, lit.i, lit.u, lit.i < 0));
    case FieldType::Bool: return ordered(op, v.b == lit.b ? 0 : 1);
    case FieldType::IpAddr:
    case FieldType::IpNet: {
        const bool inside = ip_in_net(v.ip, lit.ip, lit.prefix_bits);
        return op == CompareOp::Ne ? !inside : op == CompareOp::Eq && inside;
    }
    }
    return false;
}

bool parse_literal(FieldType type, CompareOp op, const std::string& text, Literal* lit, std::string* error)
{
    lit->text = text;
    switch (type) {
    case FieldType::String:
        if (op == CompareOp::BContains || op == CompareOp::BStartsWith)
            lit->text = parse_bytes(text);
        return true;
    case FieldType::Int:
    case FieldType::Uint:
        if (parse_int(text, &lit->i)) {
            lit->u = static_cast<std::uint64_t>(lit->i);
            return true;
        }
        *error = fmt::format("'{}' is not a number", text);
        return false;
    case FieldType::Bool:
        if (parse_bool(text, &lit->b))
            return true;
        *error = fmt::format("'{}' is not true or false", text);
        return false;
    case FieldType::IpAddr:
    case FieldType::IpNet:
        if (parse_ip_net(text, lit->ip, &lit->prefix_bits))
            return true;
        *error = fmt::format("'{}' is not an IP address or network", text);
        return false;
    }
    return false;
}

class ScalarMatcher final : public ValueMatcher {
public:
    ScalarMatcher(CompareOp op, Literal lit) : op_(op), lit_(std::move(lit)) {}
    bool costly() const override
    {
        return op_ == CompareOp::Glob || op_ == CompareOp::IGlob || op_ == CompareOp::IContains;
    }
    bool match(std::span<const FieldValue> values) const override
    {
        for (const auto& v : values)
            if (compare_literal(op_, v, lit_))
                return true;
        return false;
    }

private:
    CompareOp op_;
    Literal lit_;
};

// ScalarMatcher with the type and operator fixed when compiled: no switch
// per value. A value of another type than the field's (none is expected)
// takes the general path.
template <class Test> class TypedScalarMatcher final : public ValueMatcher {
public:
    TypedScalarMatcher(CompareOp op, FieldType type, Literal lit, Test test)
        : op_(op), type_(type), lit_(std::move(lit)), test_(test)
    {
    }
    bool match(std::span<const FieldValue> values) const override
    {
        for (const auto& v : values)
            if (v.type == type_ ? test_(v, lit_) : compare_literal(op_, v, lit_))
                return true;
        return false;
    }

private:
    CompareOp op_;
    FieldType type_;
    Literal lit_;
    Test test_;
};

// The first bytes are compared here: most unequal values differ there,
// without a call to memcmp.
bool same_text(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && (a.empty() || (a[0] == b[0] && std::memcmp(a.data(), b.data(), a.size()) == 0));
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() &&
           (prefix.empty() || (s[0] == prefix[0] && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0));
}

// `contains` on strings: Boyer-Moore-Horspool with the skip table built
// once, which steps over most of a path instead of stopping at every '/'.
class ContainsMatcher final : public ValueMatcher {
public:
    explicit ContainsMatcher(Literal lit) : lit_(std::move(lit))
    {
        const std::string& needle = lit_.text;
        const std::size_t m = std::min<std::size_t>(needle.size(), 255);
        std::fill(std::begin(skip_), std::end(skip_), static_cast<std::uint8_t>(m));
        for (std::size_t i = 0; i + 1 < m; ++i)
            skip_[static_cast<unsigned char>(needle[i])] = static_cast<std::uint8_t>(m - 1 - i);
    }
    bool match(std::span<const FieldValue> values) const override
    {
        for (const auto& v : values)
            if (v.type == FieldType::String ? contains(v.str) : compare_literal(CompareOp::Contains, v, lit_))
                return true;
        return false;
    }

private:
    bool contains(std::string_view hay) const
    {
        const std::string_view needle = lit_.text;
        const std::size_t m = needle.size(), n = hay.size();
        if (m < 2 || m > 255)
            return hay.find(needle) != std::string_view::npos;
        const char last = needle[m - 1];
        for (std::size_t i = 0; i + m <= n;) {
            const char c = hay[i + m - 1];
            if (c == last && std::memcmp(hay.data() + i, needle.data(), m - 1) == 0)
                return true;
            i += skip_[static_cast<unsigned char>(c)];
        }
        return false;
    }

    Literal lit_;
    std::uint8_t skip_[256];
};

// The common scalar comparisons, specialised; nullptr for the others.
std::unique_ptr<ValueMatcher> typed_scalar(CompareOp op, FieldType type, Literal& lit)
{
    auto make = [&](auto test) -> std::unique_ptr<ValueMatcher> {
        return std::make_unique<TypedScalarMatcher<decltype(test)>>(op, type, std::move(lit), test);
    };
    using V = const FieldValue&;
    using L = const Literal&;
    switch (type) {
    case FieldType::String:
        switch (op) {
        case CompareOp::Eq: return make([](V v, L l) { return same_text(v.str, l.text); });
        case CompareOp::Ne: return make([](V v, L l) { return !same_text(v.str, l.text); });
        case CompareOp::StartsWith:
        case CompareOp::BStartsWith:
            return make([](V v, L l) { return starts_with(v.str, l.text); });
        case CompareOp::EndsWith:
            return make([](V v, L l) {
                return v.str.size() >= l.text.size() &&
                       std::memcmp(v.str.data() + v.str.size() - l.text.size(), l.text.data(), l.text.size()) == 0;
            });
        case CompareOp::Contains:
        case CompareOp::BContains:
            return std::make_unique<ContainsMatcher>(std::move(lit));
        default: return nullptr;
        }
    // As compare_numbers(): the literal's value in the field's signedness.
    case FieldType::Int:
        switch (op) {
        case CompareOp::Eq: return make([](V v, L l) { return v.i == l.i; });
        case CompareOp::Ne: return make([](V v, L l) { return v.i != l.i; });
        case CompareOp::Lt: return make([](V v, L l) { return v.i < l.i; });
        case CompareOp::Le: return make([](V v, L l) { return v.i <= l.i; });
        case CompareOp::Gt: return make([](V v, L l) { return v.i > l.i; });
        case CompareOp::Ge: return make([](V v, L l) { return v.i >= l.i; });
        default: return nullptr;
        }
    case FieldType::Uint:
        switch (op) {
        case CompareOp::Eq: return make([](V v, L l) { return v.u == l.u; });
        case CompareOp::Ne: return make([](V v, L l) { return v.u != l.u; });
        case CompareOp::Lt: return make([](V v, L l) { return v.u < l.u; });
        case CompareOp::Le: return make([](V v, L l) { return v.u <= l.u; });
        case CompareOp::Gt: return make([](V v, L l) { return v.u > l.u; });
        case CompareOp::Ge: return make([](V v, L l) { return v.u >= l.u; });
        default: return nullptr;
        }
    case FieldType::Bool:
        switch (op) {
        case CompareOp::Eq: return make([](V v, L l) { return v.b == l.b; });
        case CompareOp::Ne: return make([](V v, L l) { return v.b != l.b; });
        default: return nullptr;
        }
    case FieldType::IpAddr:
    case FieldType::IpNet:
        return nullptr;
    }
    return nullptr;
}

class RegexMatcher final : public ValueMatcher {
public:
    explicit RegexMatcher(const std::string& pattern) : re_(pattern, RE2::Quiet) {}
    bool costly() const override { return true; }
    bool ok() const { return re_.ok(); }
    std::string error() const { return re_.error(); }
    bool match(std::span<const FieldValue> values) const override
    {
        for (const auto& v : values)
            if (v.type == FieldType::String && RE2::FullMatch(re2::StringPiece(v.str.data(), v.str.size()), re_))
                return true;
        return false;
    }

private:
    RE2 re_;
};

// `in` needs every value to be a member (`all`), `intersects` any; no value
// (<NA>) matches neither.
template <class IsMember>
bool set_match(std::span<const FieldValue> values, bool all, IsMember is_member)
{
    if (values.empty())
        return false;
    for (const auto& v : values) {
        const bool hit = is_member(v);
        if (all && !hit)
            return false;
        if (!all && hit)
            return true;
    }
    return all;
}

// A set of strings for `in` / `intersects`: open addressing over views into
// owned strings, hashed from the length and the first and last 8 bytes
// (paths and names differ there; a collision only costs a comparison).
class StringSet {
public:
    explicit StringSet(const std::vector<std::string>& items) : owned_(items)
    {
        std::size_t capacity = 8;
        while (capacity < owned_.size() * 2)
            capacity *= 2;
        slots_.resize(capacity);
        mask_ = capacity - 1;
        for (const auto& item : owned_)
            if (!contains(item))
                insert(item);
    }
    bool contains(std::string_view s) const
    {
        const std::uint64_t h = hash(s);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (!slot.used)
                return false;
            if (slot.hash == h && slot.text.size() == s.size() &&
                std::memcmp(slot.text.data(), s.data(), s.size()) == 0)
                return true;
        }
    }

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::string_view text;
        bool used = false;
    };
    static std::uint64_t hash(std::string_view s)
    {
        std::uint64_t head = 0, tail = 0;
        if (s.size() >= 8) {
            std::memcpy(&head, s.data(), 8);
            std::memcpy(&tail, s.data() + s.size() - 8, 8);
        } else if (s.size() >= 4) {  // two overlapping 4-byte loads
            std::uint32_t first, last;
            std::memcpy(&first, s.data(), 4);
            std::memcpy(&last, s.data() + s.size() - 4, 4);
            head = first | std::uint64_t{last} << 32;
        } else {
            for (std::size_t i = 0; i < s.size(); ++i)
                head |= std::uint64_t{static_cast<unsigned char>(s[i])} << (8 * i);
        }
        std::uint64_t h = (head ^ (tail * 0x9E3779B97F4A7C15ull) ^ s.size()) * 0xff51afd7ed558ccdull;
        return h ^ (h >> 29);
    }
    void insert(std::string_view s)
    {
        const std::uint64_t h = hash(s);
        std::size_t i = h & mask_;
        while (slots_[i].used)
            i = (i + 1) & mask_;
        slots_[i] = {h, s, true};
    }

    std::vector<std::string> owned_;  // never resized after construction: slots view into it
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

// `in` / `intersects` over strings.
class StringSetMatcher final : public ValueMatcher {
public:
    StringSetMatcher(CompareOp op, const std::vector<std::string>& items) : all_(op == CompareOp::In), set_(items) {}
    bool match(std::span<const FieldValue> values) const override
    {
        return set_match(values, all_, [&](const FieldValue& v) { return set_.contains(v.str); });
    }

private:
    bool all_;  // `in` on a list field needs every value; `intersects` any
    StringSet set_;
};

// `in` / `intersects` for numbers, booleans and addresses: few values, so
// a linear scan over parsed literals is as fast as a set and keeps CIDRs.
class LiteralListMatcher final : public ValueMatcher {
public:
    LiteralListMatcher(CompareOp op, std::vector<Literal> items) : all_(op == CompareOp::In), items_(std::move(items)) {}
    bool match(std::span<const FieldValue> values) const override
    {
        return set_match(values, all_, [&](const FieldValue& v) {
            return std::any_of(items_.begin(), items_.end(),
                               [&](const Literal& lit) { return compare_literal(CompareOp::Eq, v, lit); });
        });
    }

private:
    bool all_;
    std::vector<Literal> items_;
};

// `pmatch`: the value is one of the paths or lies below one of them.
class PathPrefixMatcher final : public ValueMatcher {
public:
    explicit PathPrefixMatcher(const std::vector<std::string>& prefixes)
    {
        for (auto p : prefixes) {
            while (p.size() > 1 && p.back() == '/')
                p.pop_back();
            prefixes_.push_back(std::move(p));
        }
    }
    bool match(std::span<const FieldValue> values) const override
    {
        for (const auto& v : values)
            for (const auto& p : prefixes_)
                if (v.str.substr(0, p.size()) == p &&
                    (v.str.size() == p.size() || v.str[p.size()] == '/' || p == "/"))
                    return true;
        return false;
    }

private:
    std::vector<std::string> prefixes_;
};

}  // namespace

std::optional<CompareOp> compare_op_from(std::string_view text)
{
    for (const auto& entry : kOps)
        if (entry.name == text)
            return entry.op;
    return std::nullopt;
}

std::string_view compare_op_name(CompareOp op)
{
    for (const auto& entry : kOps)
        if (entry.op == op)
            return entry.name;
    return "?";
}

bool takes_list(CompareOp op)
{
    return op == CompareOp::In || op == CompareOp::Intersects || op == CompareOp::PMatch;
}

bool parse_ip_net(std::string_view text, std::uint8_t out[16], int* prefix_bits)
{
    std::string addr(text);
    int bits = -1;
    if (auto slash = addr.find('/'); slash != std::string::npos) {
        std::int64_t parsed = 0;
        if (!parse_int(std::string_view(addr).substr(slash + 1), &parsed) || parsed < 0 || parsed > 128)
            return false;
        bits = static_cast<int>(parsed);
        addr.resize(slash);
    }
    std::memset(out, 0, 16);
    in_addr v4{};
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out + 12, &v4, 4);
        if (bits > 32)
            return false;
        *prefix_bits = 96 + (bits < 0 ? 32 : bits);
        return true;
    }
    if (inet_pton(AF_INET6, addr.c_str(), out) == 1) {
        *prefix_bits = bits < 0 ? 128 : bits;
        return true;
    }
    return false;
}

std::unique_ptr<ValueMatcher> ValueMatcher::compile(CompareOp op, FieldType type, bool list_field,
                                                    const std::vector<std::string>& rhs, std::string* error)
{
    const bool string_only = op == CompareOp::Contains || op == CompareOp::IContains ||
                             op == CompareOp::BContains || op == CompareOp::StartsWith ||
                             op == CompareOp::BStartsWith || op == CompareOp::EndsWith || op == CompareOp::Glob ||
                             op == CompareOp::IGlob || op == CompareOp::Regex || op == CompareOp::PMatch;
    if (string_only && type != FieldType::String) {
        *error = fmt::format("operator '{}' needs a string field", compare_op_name(op));
        return nullptr;
    }
    if ((op == CompareOp::Lt || op == CompareOp::Le || op == CompareOp::Gt || op == CompareOp::Ge) && is_ip(type)) {
        *error = fmt::format("operator '{}' does not apply to addresses", compare_op_name(op));
        return nullptr;
    }
    if (!takes_list(op) && rhs.size() != 1) {
        *error = fmt::format("operator '{}' takes one value", compare_op_name(op));
        return nullptr;
    }
    (void)list_field;  // list semantics live in the matchers: any value, or all for `in`

    if (op == CompareOp::Regex) {
        auto matcher = std::make_unique<RegexMatcher>(rhs.front());
        if (!matcher->ok()) {
            *error = fmt::format("invalid regex '{}': {}", rhs.front(), matcher->error());
            return nullptr;
        }
        return matcher;
    }
    if (op == CompareOp::PMatch)
        return std::make_unique<PathPrefixMatcher>(rhs);
    if ((op == CompareOp::In || op == CompareOp::Intersects) && type == FieldType::String)
        return std::make_unique<StringSetMatcher>(op, rhs);

    std::vector<Literal> literals(rhs.size());
    for (std::size_t i = 0; i < rhs.size(); ++i)
        if (!parse_literal(type, op, rhs[i], &literals[i], error))
            return nullptr;
    if (op == CompareOp::In || op == CompareOp::Intersects)
        return std::make_unique<LiteralListMatcher>(op, std::move(literals));
    if (auto typed = typed_scalar(op, type, literals.front()))
        return typed;
    return std::make_unique<ScalarMatcher>(op, std::move(literals.front()));
}

bool compare_values(CompareOp op, const FieldValue& lhs, const FieldValue& rhs)
{
    Literal lit;
    switch (rhs.type) {
    case FieldType::String: lit.text.assign(rhs.str); break;
    case FieldType::Int: lit.i = rhs.i, lit.u = static_cast<std::uint64_t>(rhs.i); break;
    case FieldType::Uint: lit.u = rhs.u, lit.i = static_cast<std::int64_t>(rhs.u); break;
    case FieldType::Bool: lit.b = rhs.b; break;
    case FieldType::IpAddr:
    case FieldType::IpNet: std::memcpy(lit.ip, rhs.ip, 16); break;
    }
    if (op == CompareOp::In || op == CompareOp::Intersects)
        op = CompareOp::Eq;
    return compare_literal(op, lhs, lit);
}

}  // namespace palisade::rules
