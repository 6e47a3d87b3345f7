// The in-memory result of loading Falco rule files: lists, macros and rules
// after every append, override and redefinition across the files has been
// applied, in Falco's semantics. Conditions stay text; parsing and compiling
// them is the condition parser's and the engine's job.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset/diagnostic.h"

namespace palisade::rules {

enum class Priority { Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug };

// Falco's spelling in alerts: "Emergency", ..., "Informational", "Debug".
std::string_view priority_name(Priority priority);
// Case-insensitive, like Falco; "info" is accepted for Informational.
std::optional<Priority> parse_priority(std::string_view text);

// Where each character of a condition's final text came from. YAML folds a
// condition's lines, appends join text from other files and exceptions add
// generated text, so a caret needs more than the position of the first
// character. Opaque: read it through locate_in_condition().
class ConditionSourceMap;

// The position of a condition's first character, plus the map that places
// every other character of it.
struct ConditionRef : SourceRef {
    std::shared_ptr<const ConditionSourceMap> origins;
};

// Falco resolves references by load order: a list item or a macro condition
// naming a list or macro sees it only if its `order` is below the
// referencing item's `visibility`. Rule conditions see everything.
struct ListDef {
    std::string name;
    std::vector<std::string> items;  // raw: items naming other lists are not expanded here
    SourceRef where;
    std::size_t order = 0;       // load sequence number of the first definition (Falco's "index")
    std::size_t visibility = 0;  // load sequence number of the last definition or append
};

struct MacroDef {
    std::string name;
    std::string condition;
    SourceRef where;
    ConditionRef condition_where;
    std::size_t order = 0;
    std::size_t visibility = 0;
};

// Falco lets an exception's fields, comps and each of its values be either one
// string or a list; a value tuple's element may itself be a list.
struct ExceptionEntry {
    bool is_list = false;
    std::string item;                   // when !is_list
    std::vector<ExceptionEntry> items;  // when is_list

    bool operator==(const ExceptionEntry&) const = default;
};

// An exception as loaded (after appends), with Falco's default comps filled
// in: "=" for each field of a list, "in" for a single field.
struct ExceptionDef {
    std::string name;
    ExceptionEntry fields;
    ExceptionEntry comps;
    std::vector<ExceptionEntry> values;
    SourceRef where;
};

struct RuleDef {
    std::string name;
    std::string desc;
    std::string condition;  // final: after appends and overrides, with the exceptions compiled in
    std::string output;
    std::string source = "syscall";
    Priority priority = Priority::Debug;
    std::vector<std::string> tags;  // sorted and unique, as Falco keeps them
    bool enabled = true;
    bool warn_evttypes = true;
    bool skip_if_unknown_filter = false;
    // Only syscall rules are loaded; rules of other sources are kept for
    // listing, with a warning, and must not be compiled.
    bool skipped = false;
    SourceRef where;
    ConditionRef condition_where;
    SourceRef output_where;
    std::vector<ExceptionDef> exceptions;
};

struct PluginRequirement {
    std::string name;
    std::string version;
};

struct RuleSet {
    // Definition order; a redefinition replaces the earlier item in place.
    std::vector<ListDef> lists;
    std::vector<MacroDef> macros;
    std::vector<RuleDef> rules;
    std::vector<Diagnostic> diagnostics;
    // The highest required_engine_version of the loaded files, as "x.y.z";
    // empty when no file asked for one.
    std::string required_engine_version;
    // One entry per required_plugin_versions item: the plugin and its
    // accepted alternatives, any one of which satisfies the requirement.
    std::vector<std::vector<PluginRequirement>> required_plugin_versions;
    // The text of every file read, so later stages (the compiler) can show
    // the source line of their own diagnostics.
    std::vector<std::shared_ptr<const class SourceText>> sources;

    bool has_errors() const;
    // The text of `where.line` in its file; empty when unknown.
    std::string line_text(const SourceRef& where) const;
};

// Maps a position inside a condition's text (1-based line and column of the
// text, as a parser reports them) to the rules file position, for carets.
// A position past the end maps to where the condition's last line ends.
SourceRef locate_in_condition(const ConditionRef& condition_where, int line, int column);
// Without the map only the offset from the condition's first character is
// known; exact when the condition's source lines keep one indentation.
SourceRef locate_in_condition(const SourceRef& condition_where, int line, int column);

}  // namespace palisade::rules
