// Falco's comparison operators, compiled once against their right-hand side.
// Semantics follow libsinsp: strings compare bytewise, `regex` must match the
// whole value (RE2, anchored both ends), `glob` is fnmatch without
// FNM_PATHNAME (`*` crosses '/'), `pmatch` is a path-prefix match by whole
// components, and on a list field (several values) `in` needs every value in
// the set, `intersects` any, and the other operators any value matching.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/fields/field.h"

namespace palisade::rules {

enum class CompareOp {
    Eq, Ne, Lt, Le, Gt, Ge,
    Contains, IContains, BContains, StartsWith, BStartsWith, EndsWith,
    Glob, IGlob, Regex,
    In, Intersects, PMatch,
};

std::optional<CompareOp> compare_op_from(std::string_view text);
std::string_view compare_op_name(CompareOp op);
// Operators whose right-hand side is a list: in, intersects, pmatch.
bool takes_list(CompareOp op);

class ValueMatcher {
public:
    virtual ~ValueMatcher() = default;
    // True when the extracted values satisfy the comparison.
    virtual bool match(std::span<const FieldValue> values) const = 0;
    // Much dearer than a comparison of two short values (a regex, a glob,
    // a case-folding search): worth testing after the cheap checks.
    virtual bool costly() const { return false; }

    // Compiles `op` for a field of `type` against literal right-hand values
    // (one value, or the items of a list). Returns nullptr and fills `error`
    // when the operator does not apply to the type or a value does not parse
    // ("'abc' is not a number").
    static std::unique_ptr<ValueMatcher> compile(CompareOp op, FieldType type, bool list_field,
                                                 const std::vector<std::string>& rhs, std::string* error);
};

// Compares two extracted values (a right-hand field, as in `val(proc.pname)`).
bool compare_values(CompareOp op, const FieldValue& lhs, const FieldValue& rhs);

// Parses an address or CIDR ("10.0.0.0/8", "::1", "1.2.3.4") into 16 bytes
// (v4 mapped as ::ffff:a.b.c.d) and a prefix length in those 128 bits.
bool parse_ip_net(std::string_view text, std::uint8_t out[16], int* prefix_bits);

}  // namespace palisade::rules
