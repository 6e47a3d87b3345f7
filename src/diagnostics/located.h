// One way to print an error or warning at a place in a file, shared by the
// rules loader and the policy parser:
//   file:line:column: error: cause
//     the offending line
//     ^ under the column
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace palisade {

inline std::string render_located(std::string_view file, int line, int column, bool error, std::string_view message,
                                  std::string_view source_line)
{
    const char* severity_word = error ? "error" : "warning";
    if (line <= 0)
        return fmt::format("{}: {}: {}", file, severity_word, message);
    std::string text = fmt::format("{}:{}:{}: {}: {}", file, line, column, severity_word, message);
    if (source_line.empty())
        return text;
    // Tabs before the column are copied so the caret lines up however the
    // terminal expands them.
    std::string caret_indent;
    for (int i = 0; i + 1 < column; ++i)
        caret_indent += (static_cast<std::size_t>(i) < source_line.size() && source_line[i] == '\t') ? '\t' : ' ';
    return fmt::format("{}\n  {}\n  {}^", text, source_line, caret_indent);
}

}  // namespace palisade
