// Where a problem in a rules file is, and how to show it to a person: every
// error and warning the rule loader reports carries a position, and render()
// prints it the way compilers do so editors and terminals can jump to it.
#pragma once

#include <string>

namespace palisade::rules {

// A position in a rules file. Line and column are 1-based and count bytes;
// both are 0 when no position is known (e.g. a file that cannot be read).
struct SourceRef {
    std::string file;
    int line = 0;
    int column = 0;

    bool operator==(const SourceRef&) const = default;
};

struct Diagnostic {
    enum class Severity { Error, Warning };

    Severity severity = Severity::Error;
    SourceRef where;
    std::string message;
    std::string source_line;  // the text of where.line, for the caret

    // "file:12:5: error: message\n  <line>\n      ^". Without a known line,
    // or without the line's text, only the first line is printed.
    std::string render() const;
};

}  // namespace palisade::rules
