// `palisade rules validate|list`, and loading rule files for `run`.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rules/engine/engine.h"

namespace palisade {

struct RulesOptions {
    std::vector<std::string> files;
};

void add_rules_command(CLI::App& app, RulesOptions& options, CLI::App** validate, CLI::App** list);
int rules_validate(const RulesOptions& options);
int rules_list(const RulesOptions& options);

// The default rules file shipped with Palisade.
std::string default_rules_file();

// Loads and compiles rule files; prints every diagnostic on stderr. Returns
// nullptr when there is any error (a rule that cannot be compiled included);
// warnings (e.g. skip-if-unknown-filter rules left out) do not stop it.
// `set`, when given, receives the loaded rule set (for the open prefilter's analysis).
std::unique_ptr<rules::RuleEngine> load_rules(const std::vector<std::string>& files, rules::RuleSet* set = nullptr);

// The sensor's event groups that the rules' event types need.
std::set<std::string> event_groups_for(const std::set<std::string>& falco_event_types);

}  // namespace palisade
