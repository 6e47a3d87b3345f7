#include "rules/ruleset/rule_collector.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "rules/ruleset/exception_condition.h"

namespace palisade::rules {
namespace {

constexpr std::string_view kSyscallSource = "syscall";

[[noreturn]] void fail_undefined(std::string_view action, std::string_view kind, const std::string& name,
                                 const SourceRef& where)
{
    fail(where, fmt::format("cannot {} {} '{}': no {} by that name is defined earlier", action, kind, name, kind));
}

template <typename T>
T& earlier_definition(NamedItems<T>& items, const std::string& name, std::string_view action, std::string_view kind,
                      const SourceRef& where)
{
    T* found = items.find(name);
    if (!found)
        fail_undefined(action, kind, name, where);
    return *found;
}

// Falco's define_info: a redefinition keeps the first definition's place and
// order, and is visible from its own sequence number on.
void stamp_definition(std::size_t sequence, const std::size_t* earlier_order, std::size_t& order,
                      std::size_t& visibility)
{
    order = earlier_order ? *earlier_order : sequence;
    visibility = sequence;
}

// Falco joins an appended condition to the earlier one with a blank.
void append_condition(ConditionText& condition, const ConditionText& more)
{
    condition.append(ConditionText::generated(" ", more.start()));
    condition.append(more);
}

void append_text(std::string& text, const std::optional<std::string>& more)
{
    if (more && !more->empty())
        text += " " + *more;
}

bool has_content(const ExceptionEntry& entry)
{
    return entry.is_list ? !entry.items.empty() : !entry.item.empty();
}

std::string exception_subject(const std::string& rule, const std::string& exception)
{
    return fmt::format("rule '{}': exception '{}'", rule, exception);
}

// The shapes Falco's rule compiler needs: one string per value for a single
// field; for a list of fields, one tuple per value with an item per field,
// each item a string or a list of strings.
void check_exception_values(const ExceptionDef& shape, const std::vector<ExceptionEntry>& values,
                            const std::vector<SourceRef>& value_where, const std::string& subject)
{
    for (std::size_t i = 0; i < values.size(); ++i) {
        const ExceptionEntry& value = values[i];
        const SourceRef& where = value_where[i];
        if (!shape.fields.is_list) {
            if (value.is_list)
                fail(where, fmt::format("{}: values must be strings when 'fields' is a single field", subject));
            continue;
        }
        if (!value.is_list || value.items.size() != shape.fields.items.size())
            fail(where, fmt::format("{}: each value must be a list with one item per field ({} fields)", subject,
                                    shape.fields.items.size()));
        for (const auto& item : value.items)
            for (const auto& nested : item.items)
                if (nested.is_list)
                    fail(where, fmt::format("{}: a value's item must be a string or a list of strings", subject));
    }
}

// Falco's validate_exception_info: fills in the default comps and checks them
// against the fields, then checks the values.
void complete_exception(LoadedException& exception, const std::string& subject)
{
    ExceptionDef& def = exception.def;
    if (!has_content(def.fields))
        fail(def.where, fmt::format("{}: must have 'fields' with a field or a list of fields", subject));
    if (def.fields.is_list) {
        for (const auto& field : def.fields.items)
            if (field.is_list)
                fail(exception.fields_where, fmt::format("{}: 'fields' must be a list of field names", subject));
        if (!has_content(def.comps))
            def.comps =
                ExceptionEntry{true, {}, std::vector<ExceptionEntry>(def.fields.items.size(), {false, "=", {}})};
        if (!def.comps.is_list || def.comps.items.size() != def.fields.items.size())
            fail(exception.comps_where,
                 fmt::format("{}: 'fields' and 'comps' must have the same number of items", subject));
        for (const auto& comp : def.comps.items)
            if (comp.is_list || !is_comparison_operator(comp.item))
                fail(exception.comps_where,
                     fmt::format("{}: '{}' is not a supported comparison operator", subject, comp.item));
    } else {
        if (!has_content(def.comps))
            def.comps = ExceptionEntry{false, "in", {}};
        if (def.comps.is_list)
            fail(exception.comps_where,
                 fmt::format("{}: 'comps' must be a single operator when 'fields' is a single field", subject));
        if (!is_list_operator(def.comps.item))
            fail(exception.comps_where,
                 fmt::format("{}: when 'fields' is a single field, 'comps' must be one of in, pmatch, intersects",
                             subject));
    }
    check_exception_values(def, def.values, exception.value_where, subject);
}

void complete_exceptions(std::vector<LoadedException>& exceptions, const std::string& rule)
{
    for (auto& exception : exceptions)
        complete_exception(exception, exception_subject(rule, exception.def.name));
}

// Falco's append of exceptions: a new name adds a whole exception, a known
// name adds values to it.
void append_exceptions(std::vector<LoadedException>& existing, std::vector<LoadedException> more,
                       const std::string& rule)
{
    for (auto& exception : more) {
        std::string subject = exception_subject(rule, exception.def.name);
        auto known =
            std::ranges::find_if(existing, [&](const LoadedException& e) { return e.def.name == exception.def.name; });
        if (known == existing.end()) {
            if (exception.def.values.empty())
                fail(exception.def.where, fmt::format("{}: a new exception must have 'values'", subject));
            complete_exception(exception, subject);
            existing.push_back(std::move(exception));
            continue;
        }
        if (has_content(exception.def.fields))
            fail(exception.fields_where,
                 fmt::format("{}: cannot append 'fields' to an existing exception, only 'values'", subject));
        if (has_content(exception.def.comps))
            fail(exception.comps_where,
                 fmt::format("{}: cannot append 'comps' to an existing exception, only 'values'", subject));
        check_exception_values(known->def, exception.def.values, exception.value_where, subject);
        auto& values = known->def.values;
        values.insert(values.end(), exception.def.values.begin(), exception.def.values.end());
        known->value_where.insert(known->value_where.end(), exception.value_where.begin(), exception.value_where.end());
    }
}

// Falco keeps a rule's tags as a set.
void keep_as_set(std::vector<std::string>& tags)
{
    std::ranges::sort(tags);
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
}

}  // namespace

std::optional<SemanticVersion> parse_semver(std::string_view text)
{
    SemanticVersion version{};
    const char* cursor = text.data();
    const char* end = text.data() + text.size();
    for (std::size_t part = 0; part < version.size(); ++part) {
        if (part > 0) {
            if (cursor == end || *cursor != '.')
                return std::nullopt;
            ++cursor;
        }
        if (cursor == end || *cursor < '0' || *cursor > '9')
            return std::nullopt;
        auto [next, error] = std::from_chars(cursor, end, version[part]);
        if (error != std::errc{})
            return std::nullopt;
        cursor = next;
    }
    if (cursor != end && *cursor != '-' && *cursor != '+')
        return std::nullopt;
    return version;
}

void RuleCollector::define_list(ListDef list)
{
    const ListDef* earlier = lists_.find(list.name);
    stamp_definition(next_sequence_++, earlier ? &earlier->order : nullptr, list.order, list.visibility);
    std::string name = list.name;
    lists_.put(name, std::move(list));
}

void RuleCollector::append_to_list(const ListDef& list)
{
    ListDef& earlier = earlier_definition(lists_, list.name, "append to", "list", list.where);
    earlier.items.insert(earlier.items.end(), list.items.begin(), list.items.end());
    earlier.visibility = next_sequence_++;
}

void RuleCollector::replace_list(ListDef list)
{
    earlier_definition(lists_, list.name, "override", "list", list.where);
    define_list(std::move(list));
}

void RuleCollector::define_macro(MacroState macro)
{
    const MacroState* earlier = macros_.find(macro.def.name);
    stamp_definition(next_sequence_++, earlier ? &earlier->def.order : nullptr, macro.def.order, macro.def.visibility);
    std::string name = macro.def.name;
    macros_.put(name, std::move(macro));
}

void RuleCollector::append_to_macro(const MacroState& macro)
{
    MacroState& earlier = earlier_definition(macros_, macro.def.name, "append to", "macro", macro.def.where);
    append_condition(earlier.condition, macro.condition);
    earlier.def.visibility = next_sequence_++;
}

void RuleCollector::replace_macro(MacroState macro)
{
    earlier_definition(macros_, macro.def.name, "override", "macro", macro.def.where);
    define_macro(std::move(macro));
}

void RuleCollector::define_rule(RuleState rule, DiagnosticLog& log)
{
    RuleDef& def = rule.def;
    if (const RuleState* earlier = rules_.find(def.name); earlier && earlier->def.source != def.source)
        fail(def.where, fmt::format("rule '{}': redefined with source '{}', but it was defined with source '{}'",
                                    def.name, def.source, earlier->def.source));
    if (def.source != kSyscallSource) {
        def.skipped = true;
        log.warning(def.where, fmt::format("rule '{}': source '{}' is not supported, only '{}' rules are loaded; "
                                           "the rule is kept but skipped",
                                           def.name, def.source, kSyscallSource));
    }
    keep_as_set(def.tags);
    complete_exceptions(rule.exceptions, def.name);
    ++next_sequence_;
    std::string name = def.name;
    rules_.put(name, std::move(rule));
}

void RuleCollector::append_to_rule(RuleUpdate update)
{
    RuleState& rule = earlier_definition(rules_, update.name, "append to", "rule", update.where);
    if (update.condition && !update.condition->empty())
        append_condition(rule.condition, *update.condition);
    append_text(rule.def.output, update.output);
    append_text(rule.def.desc, update.desc);
    if (update.tags) {
        rule.def.tags.insert(rule.def.tags.end(), update.tags->begin(), update.tags->end());
        keep_as_set(rule.def.tags);
    }
    if (update.exceptions)
        append_exceptions(rule.exceptions, std::move(*update.exceptions), rule.def.name);
    ++next_sequence_;
}

void RuleCollector::replace_in_rule(RuleUpdate update)
{
    RuleState& rule = earlier_definition(rules_, update.name, "override", "rule", update.where);
    RuleDef& def = rule.def;
    if (update.condition)
        rule.condition = std::move(*update.condition);
    if (update.output)
        def.output = std::move(*update.output);
    if (update.desc)
        def.desc = std::move(*update.desc);
    if (update.tags) {
        def.tags = std::move(*update.tags);
        keep_as_set(def.tags);
    }
    if (update.exceptions) {
        complete_exceptions(*update.exceptions, def.name);
        rule.exceptions = std::move(*update.exceptions);
    }
    def.priority = update.priority.value_or(def.priority);
    def.enabled = update.enabled.value_or(def.enabled);
    def.warn_evttypes = update.warn_evttypes.value_or(def.warn_evttypes);
    def.skip_if_unknown_filter = update.skip_if_unknown_filter.value_or(def.skip_if_unknown_filter);
    ++next_sequence_;
}

void RuleCollector::enable_rule(const std::string& name, bool enabled, const SourceRef& where)
{
    earlier_definition(rules_, name, "enable or disable", "rule", where).def.enabled = enabled;
}

void RuleCollector::require_engine_version(const std::string& version)
{
    auto current = parse_semver(required_engine_version_);
    auto wanted = parse_semver(version);
    if (wanted && (!current || *current < *wanted))
        required_engine_version_ = fmt::format("{}.{}.{}", (*wanted)[0], (*wanted)[1], (*wanted)[2]);
}

void RuleCollector::require_plugin(std::vector<PluginRequirement> alternatives)
{
    required_plugin_versions_.push_back(std::move(alternatives));
}

RuleSet RuleCollector::result() const
{
    RuleSet set;
    set.lists = lists_.items();
    for (const auto& macro : macros_.items()) {
        MacroDef def = macro.def;
        def.condition = macro.condition.text();
        def.condition_where = macro.condition.reference();
        set.macros.push_back(std::move(def));
    }
    for (const auto& rule : rules_.items()) {
        RuleDef def = rule.def;
        for (const auto& exception : rule.exceptions)
            def.exceptions.push_back(exception.def);
        ConditionText condition = with_exceptions(rule.condition, def.exceptions);
        def.condition = condition.text();
        def.condition_where = condition.reference();
        set.rules.push_back(std::move(def));
    }
    set.required_engine_version = required_engine_version_;
    set.required_plugin_versions = required_plugin_versions_;
    return set;
}

}  // namespace palisade::rules
