#include "rules/ruleset/diagnostic.h"

#include <fmt/format.h>

namespace palisade::rules {

std::string Diagnostic::render() const
{
    const char* severity_word = severity == Severity::Error ? "error" : "warning";
    if (where.line <= 0)
        return fmt::format("{}: {}: {}", where.file, severity_word, message);

    std::string text = fmt::format("{}:{}:{}: {}: {}", where.file, where.line, where.column, severity_word, message);
    if (source_line.empty())
        return text;

    // Tabs before the column are copied so the caret lines up however the
    // terminal expands them.
    std::string caret_indent;
    for (int i = 0; i + 1 < where.column; ++i)
        caret_indent += (static_cast<std::size_t>(i) < source_line.size() && source_line[i] == '\t') ? '\t' : ' ';
    return fmt::format("{}\n  {}\n  {}^", text, source_line, caret_indent);
}

}  // namespace palisade::rules
