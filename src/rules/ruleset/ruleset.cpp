#include "rules/ruleset/ruleset.h"

#include "rules/ruleset/source_text.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace palisade::rules {
namespace {

constexpr std::array<std::string_view, 8> kPriorityNames = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b,
                              [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::string_view priority_name(Priority priority)
{
    return kPriorityNames[static_cast<std::size_t>(priority)];
}

std::optional<Priority> parse_priority(std::string_view text)
{
    for (std::size_t i = 0; i < kPriorityNames.size(); ++i)
        if (equals_ignoring_case(text, kPriorityNames[i]))
            return static_cast<Priority>(i);
    // Falco has long used "Info" and "Informational" interchangeably.
    if (equals_ignoring_case(text, "info"))
        return Priority::Informational;
    return std::nullopt;
}

bool RuleSet::has_errors() const
{
    return std::ranges::any_of(diagnostics,
                               [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; });
}

std::string RuleSet::line_text(const SourceRef& where) const
{
    for (const auto& source : sources)
        if (source->name() == where.file)
            return source->line_text(where.line);
    return {};
}

}  // namespace palisade::rules
