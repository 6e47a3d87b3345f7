// How problems travel inside the rule loader. Like Falco, reading a file
// stops at its first error: the reading code throws LoadError and only the
// RuleLoader boundary catches it, so no exception leaves the public API.
// Warnings do not stop reading and go to the DiagnosticLog.
#pragma once

#include <string>
#include <vector>

#include "rules/ruleset/diagnostic.h"
#include "rules/ruleset/source_text.h"

namespace palisade::rules {

struct LoadError {
    SourceRef where;
    std::string message;
};

[[noreturn]] void fail(SourceRef where, std::string message);

// The diagnostics of reading one file, each with the text of its line.
class DiagnosticLog {
public:
    explicit DiagnosticLog(const SourceText& source) : source_(source) {}

    void warning(SourceRef where, std::string message);
    void error(SourceRef where, std::string message);

    std::vector<Diagnostic>& entries() { return entries_; }

private:
    void add(Diagnostic::Severity severity, SourceRef where, std::string message);

    const SourceText& source_;
    std::vector<Diagnostic> entries_;
};

}  // namespace palisade::rules
