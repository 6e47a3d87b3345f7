#include "rules/engine/engine.h"

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>

#include "output/json_writer.h"
#include "output/format.h"
#include "rules/condition/parser.h"
#include "rules/fields/field_spec.h"

namespace palisade::rules {
namespace {

Diagnostic diagnostic(const RuleSet& set, Diagnostic::Severity severity, SourceRef where, std::string message)
{
    Diagnostic d;
    d.severity = severity;
    d.source_line = set.line_text(where);
    d.where = std::move(where);
    d.message = std::move(message);
    return d;
}

void append_value(const FieldValue& v, std::string& out)
{
    char ip[64];
    switch (v.type) {
    case FieldType::String: out.append(v.str); break;
    case FieldType::Int: out += std::to_string(v.i); break;
    case FieldType::Uint: out += std::to_string(v.u); break;
    case FieldType::Bool: out += v.b ? "true" : "false"; break;
    case FieldType::IpAddr:
    case FieldType::IpNet: {
        const bool v4 = std::all_of(v.ip, v.ip + 10, [](auto b) { return b == 0; }) && v.ip[10] == 0xff &&
                        v.ip[11] == 0xff;
        inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? v.ip + 12 : v.ip, ip, sizeof(ip));
        out += ip;
        break;
    }
    }
}

}  // namespace

std::unique_ptr<RuleEngine> RuleEngine::build(const RuleSet& set, std::vector<Diagnostic>* diagnostics,
                                              EngineOptions options)
{
    using Severity = Diagnostic::Severity;
    auto engine = std::unique_ptr<RuleEngine>(new RuleEngine());
    engine->options_ = options;

    std::vector<std::pair<std::string, std::vector<std::string>>> raw_lists;
    for (const auto& list : set.lists)
        raw_lists.emplace_back(list.name, list.items);
    const auto lists = expand_lists(raw_lists);

    // Macros are parsed once, here; a rule's expansion clones nothing.
    std::vector<std::unique_ptr<Expr>> macro_trees;
    std::map<std::string, const Expr*> macros;
    std::map<std::string, const MacroDef*> macro_defs;
    for (const auto& macro : set.macros) {
        auto parsed = parse_condition(macro.condition);
        if (parsed.error) {
            diagnostics->push_back(diagnostic(
                set, Severity::Error,
                locate_in_condition(macro.condition_where, parsed.error->where.line, parsed.error->where.column),
                fmt::format("macro '{}': {}", macro.name, parsed.error->message)));
            continue;
        }
        macros[macro.name] = parsed.expr.get();
        macro_defs[macro.name] = &macro;
        macro_trees.push_back(std::move(parsed.expr));
    }

    const auto& types = falco_event_types();
    for (std::size_t i = 0; i < types.size(); ++i)
        engine->type_index_.emplace(types[i], i);
    ConditionCompiler compiler(macros, lists, &engine->generation_, &engine->current_type_, options.memoize);
    std::size_t order = 0;
    for (const auto& def : set.rules) {
        if (!def.enabled || def.skipped)
            continue;
        auto fail = [&](SourceRef where, const std::string& message) {
            const bool soft = def.skip_if_unknown_filter && message.rfind("unknown field", 0) == 0;
            diagnostics->push_back(diagnostic(set, soft ? Severity::Warning : Severity::Error, std::move(where),
                                              fmt::format("rule '{}' left out: {}", def.name, message)));
        };
        auto parsed = parse_condition(def.condition);
        if (parsed.error) {
            fail(locate_in_condition(def.condition_where, parsed.error->where.line, parsed.error->where.column),
                 parsed.error->message);
            continue;
        }
        CompileError error;
        auto rule = std::make_unique<CompiledRule>();
        rule->condition = compiler.compile(*parsed.expr, &error);
        if (!rule->condition) {
            const auto macro = macro_defs.find(error.macro);
            const SourceRef where =
                macro != macro_defs.end()
                    ? locate_in_condition(macro->second->condition_where, error.where.line, error.where.column)
                    : locate_in_condition(def.condition_where, error.where.line, error.where.column);
            fail(where, error.macro.empty() ? error.message
                                            : fmt::format("{} (in macro '{}')", error.message, error.macro));
            continue;
        }
        std::vector<OutputChunk> chunks;
        if (auto output_error = parse_output_format(def.output, chunks)) {
            fail(def.output_where, "output: " + output_error->message);
            continue;
        }
        bool output_ok = true;
        std::set<std::string> keys;
        for (auto& chunk : chunks) {
            OutputPiece piece;
            if (!chunk.is_field) {
                piece.literal = std::move(chunk.text);
            } else {
                bool list;
                std::string message;
                piece.field = compiler.bind_field(chunk.field, &piece.type, &list, &message);
                if (!piece.field) {
                    fail(def.output_where, "output: " + message);
                    output_ok = false;
                    break;
                }
                piece.key = chunk.text;
                piece.first_of_key = keys.insert(piece.key).second;
                piece.width = chunk.width;
            }
            rule->output.push_back(std::move(piece));
        }
        if (!output_ok)
            continue;
        rule->name = def.name;
        rule->description = def.desc;
        rule->source = def.source;
        rule->priority = def.priority;
        rule->tags = def.tags;
        rule->where = def.where;
        rule->order = order++;
        rule->event_types = compiler.event_types(*parsed.expr);
        if (!rule->event_types && def.warn_evttypes)
            diagnostics->push_back(diagnostic(
                set, Severity::Warning, def.where,
                fmt::format("rule '{}' names no event type: it is evaluated on every event", def.name)));
        engine->rules_.push_back(std::move(rule));
    }

    for (auto& rule : engine->rules_) {
        if (!rule->event_types)
            engine->any_type_.push_back(rule.get());
        else
            for (const auto& type : *rule->event_types)
                engine->by_type_[type].push_back(rule.get());
    }
    for (auto& [type, rules] : engine->by_type_) {
        rules.insert(rules.end(), engine->any_type_.begin(), engine->any_type_.end());
        std::sort(rules.begin(), rules.end(), [](auto* a, auto* b) { return a->order < b->order; });
    }
    return engine;
}

const RuleEngine::TypeEntry& RuleEngine::type_entry(const Event& event)
{
    TypeEntry* entry = &other_entry_;
    if (std::holds_alternative<ExecData>(event.data)) {
        entry = &exec_entry_;
    } else if (std::holds_alternative<ForkData>(event.data)) {
        entry = &fork_entry_;
    } else if (std::holds_alternative<ExitData>(event.data)) {
        entry = &exit_entry_;
    } else if (const auto nr = fields::syscall_number(event); nr && *nr < 4096) {
        if (entries_by_syscall_.size() <= *nr)
            entries_by_syscall_.resize(*nr + 1);
        entry = &entries_by_syscall_[*nr];
    }
    if (entry->resolved && entry != &other_entry_)
        return *entry;
    const std::string_view type = falco_event_type(event);
    const auto index = type_index_.find(type);
    entry->index = index != type_index_.end() ? index->second : type_index_.size();
    const auto found = by_type_.find(type);
    entry->candidates = found != by_type_.end() ? &found->second : &any_type_;
    if (options_.memoize) {
        if (programs_.size() <= entry->index)
            programs_.resize(entry->index + 1);
        auto& program = programs_[entry->index];
        if (!program) {
            std::vector<Predicate*> roots;
            for (const CompiledRule* rule : *entry->candidates)
                roots.push_back(rule->condition.get());
            program = std::make_unique<RuleProgram>(roots, entry->index, options_.max_program_instructions);
        }
        entry->program = program->usable() ? program.get() : nullptr;
    }
    entry->resolved = true;
    return *entry;
}

void RuleEngine::match(const EvalContext& ctx, std::vector<CompiledRule*>& out)
{
    out.clear();
    ++generation_;
    const TypeEntry& type = type_entry(ctx.event);
    current_type_ = type.index;
    memo_.reset();
    const EvalContext memoized{ctx.event, ctx.cache, ctx.process, options_.memoize ? &memo_ : nullptr};
    if (!type.program) {  // each rule's tree as compiled (shared parts memoized when memoize is on)
        for (CompiledRule* rule : *type.candidates)
            if (rule->condition->eval(memoized))
                out.push_back(rule);
        return;
    }
    positions_.clear();
    type.program->match(memoized, positions_);
    for (const std::uint32_t position : positions_)
        out.push_back((*type.candidates)[position]);
}

std::set<std::string> RuleEngine::event_types() const
{
    const auto& every = falco_event_types();
    if (!any_type_.empty())
        return {every.begin(), every.end()};
    std::set<std::string> types;
    for (const auto& [type, rules] : by_type_)
        types.emplace(type);
    return types;
}

AlertFormatter::AlertFormatter(std::string hostname, std::int64_t boot_to_realtime_ns)
    : hostname_(std::move(hostname)), boot_to_realtime_ns_(boot_to_realtime_ns)
{
}

std::string AlertFormatter::prefix(const CompiledRule& rule, std::uint64_t boot_ns) const
{
    const std::int64_t wall = static_cast<std::int64_t>(boot_ns) + boot_to_realtime_ns_;
    const time_t secs = wall / 1'000'000'000;
    tm local{};
    localtime_r(&secs, &local);
    return fmt::format("{:02}:{:02}:{:02}.{:09}: {} ", local.tm_hour, local.tm_min, local.tm_sec,
                       wall % 1'000'000'000, priority_name(rule.priority));
}

void AlertFormatter::render(CompiledRule& rule, const EvalContext& ctx, bool with_fields)
{
    message_.clear();
    fields_json_.clear();
    JsonWriter fields(fields_json_);
    fields.begin_object();
    fields.field("evt.time", static_cast<std::int64_t>(ctx.event.ts_ns) + boot_to_realtime_ns_);
    std::string value;
    for (auto& piece : rule.output) {
        if (!piece.field) {
            message_ += piece.literal;
            continue;
        }
        values_.clear();
        value.clear();
        const bool present = piece.field->extract(ctx, values_) && !values_.empty();
        for (std::size_t i = 0; present && i < values_.size(); ++i) {
            if (i)
                value += ' ';
            append_value(values_[i], value);
        }
        message_ += present ? value : "<NA>";
        if (piece.width > value.size() && present)
            message_.append(piece.width - value.size(), ' ');
        if (!with_fields || !piece.first_of_key)
            continue;
        // Falco keeps numbers as numbers and a missing value as null.
        fields.key(piece.key);
        const bool scalar = values_.size() == 1 && piece.type != FieldType::String &&
                            piece.type != FieldType::IpAddr && piece.type != FieldType::IpNet;
        if (!present)
            fields.raw_value("null");
        else if (scalar)
            fields.raw_value(value);
        else
            fields.value(value);
    }
    fields.end_object();
}

void AlertFormatter::json(CompiledRule& rule, const EvalContext& ctx, fmt::memory_buffer& out)
{
    render(rule, ctx, true);
    JsonWriter w(out);
    w.begin_object();
    w.field("hostname", hostname_);
    w.field("output", prefix(rule, ctx.event.ts_ns) + message_);
    w.key("output_fields").raw_value(std::string_view(fields_json_.data(), fields_json_.size()));
    w.field("priority", priority_name(rule.priority));
    w.field("rule", rule.name);
    w.field("source", rule.source);
    w.key("tags").begin_array();
    for (const auto& tag : rule.tags)
        w.value(tag);
    w.end_array();
    w.field("time", format_rfc3339(static_cast<std::int64_t>(ctx.event.ts_ns) + boot_to_realtime_ns_));
    w.end_object();
}

void AlertFormatter::text(CompiledRule& rule, const EvalContext& ctx, fmt::memory_buffer& out)
{
    render(rule, ctx, false);
    out.append(prefix(rule, ctx.event.ts_ns));
    out.append(message_);
}

}  // namespace palisade::rules
