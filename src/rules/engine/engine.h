// The rules engine: a loaded RuleSet compiled into predicates, indexed by
// event type, evaluated per event, and rendered as Falco-shaped alerts.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "rules/engine/compiler.h"
#include "rules/engine/program.h"
#include "rules/fields/event_memo.h"
#include "rules/ruleset/ruleset.h"

namespace palisade::rules {

struct OutputPiece {
    std::string literal;                  // when !field
    std::unique_ptr<Extractor> field;     // bound %field
    std::string key;                      // its name in output_fields ("proc.aname[2]")
    bool first_of_key = true;             // a field printed twice appears once in output_fields
    FieldType type = FieldType::String;
    std::uint32_t width = 0;
};

struct CompiledRule {
    std::string name;
    std::string description;
    std::string source;
    Priority priority = Priority::Debug;
    std::vector<std::string> tags;
    std::size_t order = 0;     // definition order
    EventTypeSet event_types;  // nullopt: every event
    PredicatePtr condition;
    std::vector<OutputPiece> output;
    SourceRef where;
};

struct EngineOptions {
    // Share work between rules within an event: macros and repeated checks
    // evaluated once, each field extracted once, the event's fd described
    // once. Off, every rule is evaluated on its own as written: the
    // reference the shared form is tested against.
    bool memoize = true;
    // An event type whose rules lower into more instructions than this is
    // evaluated by walking the rules' trees (see RuleProgram::usable).
    std::size_t max_program_instructions = RuleProgram::kMaxInstructions;
};

class RuleEngine {
public:
    // Compiles every enabled syscall rule. A rule that cannot be compiled is
    // left out, with an error that names the rule, the file position and the
    // cause (a warning when the rule says skip-if-unknown-filter).
    static std::unique_ptr<RuleEngine> build(const RuleSet& rules, std::vector<Diagnostic>* diagnostics,
                                             EngineOptions options = {});

    // The compiled rules matching this event, in definition order. `out` is
    // cleared first.
    void match(const EvalContext& ctx, std::vector<CompiledRule*>& out);

    // Event types some rule can match (falco_event_type names); every type
    // when a rule has no event-type restriction.
    std::set<std::string> event_types() const;
    const std::vector<std::unique_ptr<CompiledRule>>& rules() const { return rules_; }
    std::size_t rules_without_event_type() const { return any_type_.size(); }

private:
    // What the engine knows about one evt.type: its index and its rules.
    struct TypeEntry {
        bool resolved = false;
        std::size_t index = 0;  // in falco_event_types(); past the end when unknown
        const std::vector<CompiledRule*>* candidates = nullptr;
        RuleProgram* program = nullptr;  // the candidates lowered for this type (memoize only)
    };
    const TypeEntry& type_entry(const Event& event);

    EngineOptions options_;
    std::uint64_t generation_ = 0;  // bumped per event: see SharedPredicate
    std::size_t current_type_ = 0;  // the event's index in falco_event_types()
    fields::EventMemo memo_;
    std::unordered_map<std::string_view, std::size_t> type_index_;
    // Type entries by event kind and syscall number, filled as events come:
    // an event's rules are found without hashing its type name.
    std::vector<TypeEntry> entries_by_syscall_;
    // By type index (one past the last for types no rule names), built when
    // the first event of the type comes.
    std::vector<std::unique_ptr<RuleProgram>> programs_;
    std::vector<std::uint32_t> positions_;
    TypeEntry exec_entry_, fork_entry_, exit_entry_, other_entry_;
    std::vector<std::unique_ptr<CompiledRule>> rules_;
    std::vector<CompiledRule*> any_type_;
    // Per event type: its rules and the any-type rules, merged in order.
    // Keys view the rules' own event-type strings, so an event's type looks
    // up without a copy.
    std::unordered_map<std::string_view, std::vector<CompiledRule*>> by_type_;
};

// Falco's alert shapes. JSON:
//   {"hostname":..,"output":"HH:MM:SS.nnnnnnnnn: Priority message","output_fields":{..},
//    "priority":..,"rule":..,"source":"syscall","tags":[..],"time":"...Z"}
// text: "HH:MM:SS.nnnnnnnnn: Priority message".
class AlertFormatter {
public:
    explicit AlertFormatter(std::string hostname, std::int64_t boot_to_realtime_ns);
    void json(CompiledRule& rule, const EvalContext& ctx, fmt::memory_buffer& out);
    void text(CompiledRule& rule, const EvalContext& ctx, fmt::memory_buffer& out);

private:
    // Renders the message and, for JSON, collects output_fields.
    void render(CompiledRule& rule, const EvalContext& ctx, bool with_fields);
    std::string prefix(const CompiledRule& rule, std::uint64_t boot_ns) const;

    std::string hostname_;
    std::int64_t boot_to_realtime_ns_;
    std::string message_;
    fmt::memory_buffer fields_json_;
    std::vector<FieldValue> values_;
};

}  // namespace palisade::rules
