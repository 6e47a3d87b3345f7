#include "rules/ruleset/diagnostic.h"

#include "diagnostics/located.h"

namespace palisade::rules {

std::string Diagnostic::render() const
{
    return render_located(where.file, where.line, where.column, severity == Severity::Error, message, source_line);
}

}  // namespace palisade::rules
