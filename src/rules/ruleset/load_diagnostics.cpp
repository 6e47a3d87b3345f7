#include "rules/ruleset/load_diagnostics.h"

namespace palisade::rules {

void fail(SourceRef where, std::string message)
{
    throw LoadError{std::move(where), std::move(message)};
}

void DiagnosticLog::warning(SourceRef where, std::string message)
{
    add(Diagnostic::Severity::Warning, std::move(where), std::move(message));
}

void DiagnosticLog::error(SourceRef where, std::string message)
{
    add(Diagnostic::Severity::Error, std::move(where), std::move(message));
}

void DiagnosticLog::add(Diagnostic::Severity severity, SourceRef where, std::string message)
{
    std::string line = where.file == source_.name() ? source_.line_text(where.line) : std::string{};
    entries_.push_back(Diagnostic{severity, std::move(where), std::move(message), std::move(line)});
}

}  // namespace palisade::rules
