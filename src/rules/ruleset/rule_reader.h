// Reads one rules file's YAML into the collector, following Falco's
// rule_loader_reader.cpp for what each item means and which keys it takes.
#pragma once

#include "rules/ruleset/load_diagnostics.h"
#include "rules/ruleset/rule_collector.h"
#include "rules/ruleset/source_text.h"

namespace palisade::rules {

// Throws LoadError at the first error; warnings go to `log`.
void read_rules(const SourceText& source, RuleCollector& collector, DiagnosticLog& log);

}  // namespace palisade::rules
