#include "rules/ruleset/exception_condition.h"

#include <algorithm>
#include <cctype>

namespace palisade::rules {
namespace {

constexpr std::string_view kComparisonOperators[] = {
    "exists",      "<=",       "<",     ">=",         ">",         "==",        "=",
    "!=",          "glob",     "iglob", "contains",   "icontains", "bcontains", "startswith",
    "bstartswith", "endswith", "regex", "intersects", "in",        "pmatch",
};
constexpr std::string_view kListOperators[] = {"intersects", "in", "pmatch"};

// Falco writes an exception value bare, except that it quotes values holding a
// space and leaves values already starting with a quote to the rule author.
// Values the grammar would split or misread for another reason (parentheses,
// commas, '=', quotes, other blanks) are quoted here too, so they stay one
// value; list names are always bare strings, so they stay bare and get
// expanded like any list reference.
std::string value_text(const std::string& value)
{
    if (value.empty() || value.front() == '"' || value.front() == '\'' || is_bare_string(value))
        return value;
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    return quoted + '"';
}

std::string value_list_text(const std::vector<ExceptionEntry>& values)
{
    std::string text = "(";
    for (const auto& value : values) {
        if (text.size() > 1)
            text += ", ";
        text += value_text(value.item);
    }
    return text + ")";
}

// One element of a value tuple, compared with `op`. A single value for a list
// operator (typically a list name) is parenthesized into a one-element list.
std::string operand_text(const ExceptionEntry& value, const std::string& op)
{
    if (value.is_list)
        return value_list_text(value.items);
    if (is_list_operator(op))
        return value.item.front() == '(' ? value.item : "(" + value.item + ")";
    return value_text(value.item);
}

}  // namespace

bool is_comparison_operator(std::string_view op)
{
    return std::ranges::find(kComparisonOperators, op) != std::end(kComparisonOperators);
}

bool is_list_operator(std::string_view op)
{
    return std::ranges::find(kListOperators, op) != std::end(kListOperators);
}

bool is_bare_string(std::string_view text)
{
    return !text.empty() && std::ranges::none_of(text, [](unsigned char c) {
        return std::isspace(c) || c == '\b' || c == '(' || c == ')' || c == ',' || c == '=' || c == '"' || c == '\'';
    });
}

std::string exception_condition(const ExceptionDef& exception)
{
    if (exception.values.empty())
        return {};
    if (!exception.fields.is_list)
        return "(" + exception.fields.item + " " + exception.comps.item + " " + value_list_text(exception.values) + ")";

    // Falco starts every comparison with a blank, which doubles the one after
    // "and"; kept so conditions read the same as Falco's.
    std::string tuples;
    for (const auto& tuple : exception.values) {
        tuples += tuples.empty() ? "(" : " or (";
        for (std::size_t k = 0; k < exception.fields.items.size(); ++k) {
            if (k > 0)
                tuples += " and ";
            const std::string& op = exception.comps.items[k].item;
            tuples += " " + exception.fields.items[k].item + " " + op + " " + operand_text(tuple.items[k], op);
        }
        tuples += ")";
    }
    return "(" + tuples + ")";
}

ConditionText with_exceptions(const ConditionText& condition, const std::vector<ExceptionDef>& exceptions)
{
    if (exceptions.empty())
        return condition;
    ConditionText result = ConditionText::generated("(", condition.start());
    result.append(condition);
    result.append(ConditionText::generated(")", condition.start()));
    for (const auto& exception : exceptions) {
        std::string text = exception_condition(exception);
        if (!text.empty())
            result.append(ConditionText::generated(" and not " + text, exception.where));
    }
    return result;
}

}  // namespace palisade::rules
