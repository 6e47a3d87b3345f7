// Turns a rule's exceptions into condition text exactly as Falco's rule
// compiler does (build_rule_exception_infos), so a rule's final condition
// reads the same here as in Falco.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset/condition_text.h"
#include "rules/ruleset/ruleset.h"

namespace palisade::rules {

// The comparison operators of Falco's condition grammar; the ruleset library
// cannot depend on the condition parser, so it keeps the names it validates.
bool is_comparison_operator(std::string_view op);
// The operators whose right-hand side is a list: in, intersects, pmatch.
bool is_list_operator(std::string_view op);
// Whether the grammar reads `text` as one bare string: no blanks, quotes,
// parentheses, commas or '='. A condition can name a list only this way.
bool is_bare_string(std::string_view text);

// What follows "and not" for one validated exception; empty when it has no
// values, in which case Falco adds nothing for it.
std::string exception_condition(const ExceptionDef& exception);

// "(" + condition + ")" and " and not <exception>" for each exception that
// has values; the condition unchanged when there are no exceptions at all.
ConditionText with_exceptions(const ConditionText& condition, const std::vector<ExceptionDef>& exceptions);

}  // namespace palisade::rules
