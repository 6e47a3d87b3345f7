#include "cli/rules_cmd.h"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "event/syscalls.h"
#include "rules/ruleset/rule_loader.h"

namespace palisade {
namespace {

struct Loaded {
    rules::RuleSet set;
    std::unique_ptr<rules::RuleEngine> engine;
    std::vector<rules::Diagnostic> diagnostics;
    double milliseconds = 0;
    bool files_ok = true;
};

Loaded load(const std::vector<std::string>& files)
{
    Loaded loaded;
    const auto started = std::chrono::steady_clock::now();
    rules::RuleLoader loader;
    for (const auto& file : files)
        loaded.files_ok = loader.load_file(file) && loaded.files_ok;
    loaded.set = loader.finish();
    loaded.diagnostics = loaded.set.diagnostics;
    loaded.engine = rules::RuleEngine::build(loaded.set, &loaded.diagnostics);
    loaded.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return loaded;
}

std::size_t count(const std::vector<rules::Diagnostic>& diagnostics, rules::Diagnostic::Severity severity)
{
    return std::count_if(diagnostics.begin(), diagnostics.end(),
                         [&](const auto& d) { return d.severity == severity; });
}

std::string describe_types(const rules::EventTypeSet& types)
{
    if (!types)
        return "(all)";
    return fmt::format("{}", fmt::join(*types, ","));
}

}  // namespace

std::string default_rules_file() { return PALISADE_DEFAULT_RULES; }

void add_rules_command(CLI::App& app, RulesOptions& o, CLI::App** validate, CLI::App** list)
{
    auto* rules = app.add_subcommand("rules", "Check and inspect Falco-syntax rule files");
    rules->require_subcommand(1);
    *validate = rules->add_subcommand("validate", "Load rule files and report every error as file:line:column");
    (*validate)->add_option("files", o.files, "Rule files, loaded in order")->required();
    *list = rules->add_subcommand("list", "Print the loaded rules with their event types");
    (*list)->add_option("-r,--rules,files", o.files, "Rule files, loaded in order (default: Palisade's own)");
}

int rules_validate(const RulesOptions& o)
{
    auto loaded = load(o.files);
    for (const auto& d : loaded.diagnostics)
        std::fprintf(stderr, "%s\n", d.render().c_str());
    const auto errors = count(loaded.diagnostics, rules::Diagnostic::Severity::Error);
    const auto warnings = count(loaded.diagnostics, rules::Diagnostic::Severity::Warning);
    std::printf("%zu rules compiled (%zu defined), %zu macros, %zu lists from %zu files in %.1f ms: %zu errors, "
                "%zu warnings\n",
                loaded.engine->rules().size(), loaded.set.rules.size(), loaded.set.macros.size(),
                loaded.set.lists.size(), o.files.size(), loaded.milliseconds, errors, warnings);
    return errors == 0 && loaded.files_ok ? 0 : 1;
}

int rules_list(const RulesOptions& o)
{
    auto loaded = load(o.files.empty() ? std::vector<std::string>{default_rules_file()} : o.files);
    for (const auto& d : loaded.diagnostics)
        if (d.severity == rules::Diagnostic::Severity::Error)
            std::fprintf(stderr, "%s\n", d.render().c_str());
    for (const auto& rule : loaded.engine->rules())
        std::printf("%-60s %-13s %s\n", rule->name.c_str(), std::string(rules::priority_name(rule->priority)).c_str(),
                    describe_types(rule->event_types).c_str());
    return loaded.files_ok ? 0 : 1;
}

std::unique_ptr<rules::RuleEngine> load_rules(const std::vector<std::string>& files, rules::RuleSet* set)
{
    auto loaded = load(files);
    bool fatal = !loaded.files_ok;
    // Like Falco, any error refuses the whole set: running with a rule
    // silently missing is worse than not starting (or keeping the old set).
    for (const auto& d : loaded.diagnostics) {
        if (d.severity == rules::Diagnostic::Severity::Error) {
            fatal = true;
            spdlog::error("{}", d.render());
        } else {
            spdlog::warn("{}", d.render());
        }
    }
    if (fatal)
        return nullptr;
    spdlog::info("loaded {} rules from {} in {:.1f} ms", loaded.engine->rules().size(), fmt::join(files, ", "),
                 loaded.milliseconds);
    if (set)
        *set = std::move(loaded.set);
    return std::move(loaded.engine);
}

std::set<std::string> event_groups_for(const std::set<std::string>& falco_event_types)
{
    std::set<std::string> groups;
    for (const auto& type : falco_event_types) {
        if (type == "execve" || type == "execveat")
            groups.insert("exec");
        else if (type == "clone" || type == "clone3" || type == "fork" || type == "vfork")
            groups.insert("fork");
        else if (type == "procexit")
            groups.insert("exit");
        for (const auto& sc : watched_syscalls())
            if (type == sc.name)
                groups.insert(sc.group);
    }
    return groups;
}

}  // namespace palisade
