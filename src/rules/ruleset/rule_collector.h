// The rule loader's merge state: what the files read so far define, with
// Falco's rules (rule_loader_collector.cpp) for redefining, appending to,
// overriding and enabling items. Copyable, so a file can be read into a copy
// that is kept only if the whole file loads.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/ruleset/condition_text.h"
#include "rules/ruleset/load_diagnostics.h"
#include "rules/ruleset/ruleset.h"

namespace palisade::rules {

using SemanticVersion = std::array<unsigned long, 3>;
// "x.y.z", optionally followed by a "-pre-release" or "+build" suffix, which
// does not take part in comparisons.
std::optional<SemanticVersion> parse_semver(std::string_view text);

// An exception with the positions of its parts, for diagnostics about shapes
// that only show once the exception meets its rule (or the values appended to
// it meet its fields).
struct LoadedException {
    ExceptionDef def;
    SourceRef fields_where;
    SourceRef comps_where;
    std::vector<SourceRef> value_where;  // one per def.values
};

struct MacroState {
    MacroDef def;  // def.condition and def.condition_where are filled in by result()
    ConditionText condition;
};

struct RuleState {
    RuleDef def;  // def.condition, def.condition_where and def.exceptions are filled in by result()
    ConditionText condition;
    std::vector<LoadedException> exceptions;
};

// What an item with `override` or `append: true` changes in an earlier rule.
struct RuleUpdate {
    std::string name;
    SourceRef where;
    std::optional<ConditionText> condition;
    std::optional<std::string> output;
    std::optional<std::string> desc;
    std::optional<std::vector<std::string>> tags;
    std::optional<std::vector<LoadedException>> exceptions;
    std::optional<Priority> priority;
    std::optional<bool> enabled;
    std::optional<bool> warn_evttypes;
    std::optional<bool> skip_if_unknown_filter;
};

// Items in first-definition order, found by name. A redefinition replaces
// the item in place, as Falco's indexed_vector does.
template <typename T>
class NamedItems {
public:
    T* find(const std::string& name)
    {
        auto found = index_.find(name);
        return found == index_.end() ? nullptr : &items_[found->second];
    }

    void put(const std::string& name, T item)
    {
        if (T* existing = find(name)) {
            *existing = std::move(item);
            return;
        }
        index_.emplace(name, items_.size());
        items_.push_back(std::move(item));
    }

    const std::vector<T>& items() const { return items_; }

private:
    std::vector<T> items_;
    std::unordered_map<std::string, std::size_t> index_;
};

class RuleCollector {
public:
    void define_list(ListDef list);
    void append_to_list(const ListDef& list);
    void replace_list(ListDef list);

    void define_macro(MacroState macro);
    void append_to_macro(const MacroState& macro);
    void replace_macro(MacroState macro);

    void define_rule(RuleState rule, DiagnosticLog& log);
    void append_to_rule(RuleUpdate update);
    void replace_in_rule(RuleUpdate update);
    void enable_rule(const std::string& name, bool enabled, const SourceRef& where);

    // `version` is "x.y.z"; the highest one asked for is kept.
    void require_engine_version(const std::string& version);
    void require_plugin(std::vector<PluginRequirement> alternatives);

    // Rules get their exceptions compiled into their conditions here.
    RuleSet result() const;

private:
    // Falco numbers every definition and append of a list, macro or rule
    // with one counter; lists and macros only see what came before them.
    std::size_t next_sequence_ = 0;
    NamedItems<ListDef> lists_;
    NamedItems<MacroState> macros_;
    NamedItems<RuleState> rules_;
    std::string required_engine_version_;
    std::vector<std::vector<PluginRequirement>> required_plugin_versions_;
};

}  // namespace palisade::rules
