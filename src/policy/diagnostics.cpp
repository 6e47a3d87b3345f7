#include "diagnostics/located.h"
#include "policy/parser.h"

namespace palisade::policy {

std::string PolicyDiagnostic::render() const
{
    return render_located(loc.file, loc.line, loc.column, severity == Severity::Error, message, source_line);
}

}  // namespace palisade::policy
