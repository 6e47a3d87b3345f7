#include <fmt/format.h>

#include "policy/parser.h"

namespace palisade::policy {

// The same form as the Falco rules loader's diagnostics (rules/ruleset/diagnostic.cpp).
std::string PolicyDiagnostic::render() const
{
    const char* severity_word = severity == Severity::Error ? "error" : "warning";
    if (loc.line <= 0)
        return fmt::format("{}: {}: {}", loc.file, severity_word, message);

    std::string text = fmt::format("{}:{}:{}: {}: {}", loc.file, loc.line, loc.column, severity_word, message);
    if (source_line.empty())
        return text;

    // Tabs before the column are copied so the caret lines up however the
    // terminal expands them.
    std::string caret_indent;
    for (int i = 0; i + 1 < loc.column; ++i)
        caret_indent += (static_cast<std::size_t>(i) < source_line.size() && source_line[i] == '\t') ? '\t' : ' ';
    return fmt::format("{}\n  {}\n  {}^", text, source_line, caret_indent);
}

}  // namespace palisade::policy
