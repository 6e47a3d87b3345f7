#include "rules/ruleset/rule_reader.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "rules/ruleset/exception_condition.h"

namespace palisade::rules {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kEngineVersionKeys[] = {"required_engine_version"};
constexpr std::string_view kPluginVersionsKeys[] = {"required_plugin_versions"};
constexpr std::string_view kPluginKeys[] = {"name", "version", "alternatives"};
constexpr std::string_view kAlternativeKeys[] = {"name", "version"};
constexpr std::string_view kListKeys[] = {"list", "items", "append", "override"};
constexpr std::string_view kMacroKeys[] = {"macro", "condition", "append", "override"};
// The capture keys belong to Falco's rule schema; Palisade has no captures,
// so they are accepted and have no effect.
constexpr std::string_view kRuleKeys[] = {
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "override",
    "append",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    "capture_events",
    "capture_filesize",
};
constexpr std::string_view kExceptionKeys[] = {"name", "fields", "comps", "values"};

constexpr std::string_view kListOverridable[] = {"items"};
constexpr std::string_view kMacroOverridable[] = {"condition"};
constexpr std::string_view kRuleAppendable[] = {"condition", "output", "desc", "tags", "exceptions"};
constexpr std::string_view kRuleReplaceable[] = {
    "condition", "output",        "desc",
    "priority",  "tags",          "exceptions",
    "enabled",   "warn_evttypes", "skip-if-unknown-filter",
};
// A rule item with none of these only enables or disables an earlier rule.
constexpr std::string_view kRuleDefinitionKeys[] = {"condition", "output", "desc", "priority"};
constexpr std::string_view kRuleAppendUses[] = {"rule", "append", "condition", "exceptions"};
constexpr std::string_view kRuleEnableUses[] = {"rule", "enabled"};

bool contains(Keys keys, std::string_view key)
{
    return std::ranges::find(keys, key) != keys.end();
}

std::string_view kind_of(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Scalar: return "a string";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an empty value";
    }
}

// The condition grammar's identifiers: a letter, then letters, digits, '_'.
bool is_identifier(std::string_view name)
{
    return !name.empty() && std::isalpha(static_cast<unsigned char>(name.front())) &&
           std::ranges::all_of(name, [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

std::string trim(const std::string& text)
{
    auto blank = [](unsigned char c) { return std::isspace(c); };
    auto begin = std::ranges::find_if_not(text, blank);
    auto end = std::find_if_not(text.rbegin(), std::string::const_reverse_iterator(begin), blank).base();
    return std::string(begin, end);
}

// "rule 'Name'" when the item's name can be read, else just the kind; it
// starts every message about the item.
std::string named_subject(const YAML::Node& node, const char* name_key, std::string_view kind)
{
    const YAML::Node& name = node[name_key];
    return name.IsScalar() ? fmt::format("{} '{}'", kind, name.Scalar()) : std::string(kind);
}

SourceRef position(const SourceText& source, const YAML::Mark& mark)
{
    return mark.pos >= 0 ? source.position_of(static_cast<std::size_t>(mark.pos)) : SourceRef{source.name()};
}

// One YAML mapping of a rules file, with Falco's rules for decoding its
// values (rule_loader_reader.cpp's decode_val and decode_seq). Duplicate keys,
// which yaml-cpp accepts silently (keeping the first), are rejected.
class Mapping {
public:
    Mapping(const YAML::Node& node, const SourceText& source, std::string subject)
        : source_(source), node_(node), subject_(std::move(subject))
    {
        for (const auto& pair : node) {
            const YAML::Node key = pair.first;
            if (!key.IsScalar())
                fail(position(source_, key.Mark()), message(fmt::format("keys must be strings, not {}", kind_of(key))));
            if (const Entry* earlier = find(key.Scalar())) {
                SourceRef first = position(source_, earlier->key.Mark());
                fail(position(source_, key.Mark()),
                     message(fmt::format("duplicate key '{}' (first defined at line {}, column {})", key.Scalar(),
                                         first.line, first.column)));
            }
            entries_.push_back(Entry{key.Scalar(), key, pair.second});
        }
    }

    const std::string& subject() const { return subject_; }
    std::string message(std::string_view detail) const { return fmt::format("{}: {}", subject_, detail); }
    SourceRef where() const { return position(source_, node_.Mark()); }

    bool has(std::string_view key) const { return find(key) != nullptr; }

    std::vector<std::string> keys() const
    {
        std::vector<std::string> keys;
        for (const auto& entry : entries_)
            keys.push_back(entry.name);
        return keys;
    }

    const YAML::Node& value(std::string_view key) const { return required(key).value; }

    SourceRef key_where(std::string_view key) const { return position(source_, required(key).key.Mark()); }

    // yaml-cpp places an empty value at the next token, so the key stands in.
    SourceRef value_where(std::string_view key) const
    {
        const Entry& entry = required(key);
        return entry.value.IsNull() ? key_where(key) : position(source_, entry.value.Mark());
    }

    std::string required_string(std::string_view key) const
    {
        const YAML::Node& node = value(key);
        if (!node.IsScalar())
            fail_type(key, "a string");
        if (node.Scalar().empty())
            fail(value_where(key), message(fmt::format("'{}' must not be empty", key)));
        return node.Scalar();
    }

    std::optional<std::string> optional_string(std::string_view key) const
    {
        return has(key) ? std::optional(required_string(key)) : std::nullopt;
    }

    bool required_bool(std::string_view key) const
    {
        const YAML::Node& node = value(key);
        if (!node.IsScalar())
            fail_type(key, "true or false");
        bool decoded = false;
        if (!YAML::convert<bool>::decode(node, decoded))
            fail(value_where(key), message(fmt::format("'{}' must be true or false, not '{}'", key, node.Scalar())));
        return decoded;
    }

    std::optional<bool> optional_bool(std::string_view key) const
    {
        return has(key) ? std::optional(required_bool(key)) : std::nullopt;
    }

    std::vector<std::string> string_sequence(std::string_view key) const
    {
        const YAML::Node& node = value(key);
        if (!node.IsSequence())
            fail_type(key, "a sequence");
        std::vector<std::string> strings;
        for (const YAML::Node& item : node) {
            if (!item.IsScalar())
                fail(item.IsNull() ? value_where(key) : position(source_, item.Mark()),
                     message(fmt::format("items of '{}' must be strings, not {}", key, kind_of(item))));
            strings.push_back(item.Scalar());
        }
        return strings;
    }

    void warn_unknown_keys(Keys known, DiagnosticLog& log) const
    {
        for (const auto& entry : entries_)
            if (!contains(known, entry.name))
                log.warning(position(source_, entry.key.Mark()),
                            message(fmt::format("unknown key '{}' (ignored)", entry.name)));
    }

    // Keys valid for the kind of item (`known`) that this form of it does not use.
    void warn_unused_keys(Keys known, Keys used, std::string_view form, DiagnosticLog& log) const
    {
        for (const auto& entry : entries_)
            if (contains(known, entry.name) && !contains(used, entry.name))
                log.warning(position(source_, entry.key.Mark()),
                            message(fmt::format("'{}' has no effect {} (ignored)", entry.name, form)));
    }

private:
    struct Entry {
        std::string name;
        YAML::Node key;
        YAML::Node value;
    };

    const Entry* find(std::string_view key) const
    {
        auto found = std::ranges::find(entries_, key, &Entry::name);
        return found == entries_.end() ? nullptr : &*found;
    }

    const Entry& required(std::string_view key) const
    {
        const Entry* entry = find(key);
        if (!entry)
            fail(where(), message(fmt::format("missing required key '{}'", key)));
        return *entry;
    }

    [[noreturn]] void fail_type(std::string_view key, std::string_view expected) const
    {
        fail(value_where(key), message(fmt::format("'{}' must be {}, not {}", key, expected, kind_of(value(key)))));
    }

    const SourceText& source_;
    YAML::Node node_;
    std::string subject_;
    std::vector<Entry> entries_;
};

struct Override {
    std::string key;
    bool append = false;
    SourceRef where;  // of the key under `override`
};

// How an item changes an earlier list or macro of the same name.
enum class Change { Define, Append, Replace };

class Reader {
public:
    Reader(const SourceText& source, RuleCollector& collector, DiagnosticLog& log)
        : source_(source), collector_(collector), log_(log)
    {
    }

    void read()
    {
        std::vector<YAML::Node> documents;
        try {
            documents = YAML::LoadAll(source_.content());
        } catch (const YAML::Exception& e) {
            fail(position(source_, e.mark), "invalid YAML: " + e.msg);
        }
        for (const auto& document : documents) {
            if (!document.IsDefined() || document.IsNull())
                continue;
            if (!document.IsSequence())
                fail(where(document),
                     fmt::format("rules content must be a sequence of items (rules, macros, lists), not {}",
                                 kind_of(document)));
            for (const auto& item : document)
                if (!item.IsNull())
                    read_item(item);
        }
    }

private:
    SourceRef where(const YAML::Node& node) const { return position(source_, node.Mark()); }

    void expect_mapping(const YAML::Node& node, std::string_view context, std::string_view what) const
    {
        if (!node.IsMap())
            fail(where(node), fmt::format("{}: {} must be a mapping, not {}", context, what, kind_of(node)));
    }

    void read_item(const YAML::Node& node)
    {
        expect_mapping(node, "rules content", "each item");
        if (node["required_engine_version"].IsDefined())
            return read_engine_version(Mapping(node, source_, "required_engine_version"));
        if (node["required_plugin_versions"].IsDefined())
            return read_plugin_versions(Mapping(node, source_, "required_plugin_versions"));
        if (node["list"].IsDefined())
            return read_list(Mapping(node, source_, named_subject(node, "list", "list")));
        if (node["macro"].IsDefined())
            return read_macro(Mapping(node, source_, named_subject(node, "macro", "macro")));
        if (node["rule"].IsDefined())
            return read_rule(Mapping(node, source_, named_subject(node, "rule", "rule")));
        Mapping item(node, source_, "item");  // still rejects duplicate keys first
        fail(item.where(),
             "unknown top-level item: expected a 'rule', 'macro', 'list', 'required_engine_version' "
             "or 'required_plugin_versions' key");
    }

    void read_engine_version(const Mapping& item)
    {
        item.warn_unknown_keys(kEngineVersionKeys, log_);
        std::string text = item.required_string("required_engine_version");
        // Falco reads a bare number N as the engine version numbering used
        // before semver: "0.N.0".
        bool old_numbering = std::ranges::all_of(text, [](unsigned char c) { return std::isdigit(c); });
        std::string version = old_numbering ? "0." + text + ".0" : text;
        if (!parse_semver(version))
            fail(item.value_where("required_engine_version"),
                 item.message(
                     fmt::format("unable to parse engine version '{}' as a semver string (expected \"x.y.z\")", text)));
        collector_.require_engine_version(version);
    }

    void read_plugin_versions(const Mapping& item)
    {
        item.warn_unknown_keys(kPluginVersionsKeys, log_);
        const YAML::Node& plugins = item.value("required_plugin_versions");
        if (!plugins.IsSequence())
            fail(item.value_where("required_plugin_versions"),
                 item.message(fmt::format("must be a sequence of plugins, not {}", kind_of(plugins))));
        for (const YAML::Node& node : plugins) {
            expect_mapping(node, item.subject(), "each plugin");
            Mapping plugin(node, source_, named_subject(node, "name", "required plugin"));
            plugin.warn_unknown_keys(kPluginKeys, log_);
            std::vector<PluginRequirement> alternatives{read_plugin_requirement(plugin)};
            if (plugin.has("alternatives"))
                read_plugin_alternatives(plugin, alternatives);
            collector_.require_plugin(std::move(alternatives));
        }
    }

    void read_plugin_alternatives(const Mapping& plugin, std::vector<PluginRequirement>& alternatives)
    {
        const YAML::Node& list = plugin.value("alternatives");
        if (!list.IsSequence())
            fail(plugin.value_where("alternatives"),
                 plugin.message(fmt::format("'alternatives' must be a sequence, not {}", kind_of(list))));
        for (const YAML::Node& node : list) {
            expect_mapping(node, plugin.subject(), "each alternative");
            Mapping alternative(node, source_, plugin.subject() + ": " + named_subject(node, "name", "alternative"));
            alternative.warn_unknown_keys(kAlternativeKeys, log_);
            PluginRequirement requirement = read_plugin_requirement(alternative);
            if (std::ranges::find(alternatives, requirement.name, &PluginRequirement::name) != alternatives.end())
                fail(alternative.where(),
                     alternative.message("the plugin already has a version requirement in this item"));
            alternatives.push_back(std::move(requirement));
        }
    }

    PluginRequirement read_plugin_requirement(const Mapping& plugin) const
    {
        PluginRequirement requirement{plugin.required_string("name"), plugin.required_string("version")};
        if (!parse_semver(requirement.version))
            fail(plugin.value_where("version"),
                 plugin.message(fmt::format("invalid version '{}' (expected \"x.y.z\")", requirement.version)));
        return requirement;
    }

    void read_list(const Mapping& item)
    {
        std::string name = item.required_string("list");
        item.warn_unknown_keys(kListKeys, log_);
        if (!is_bare_string(name))
            log_.warning(item.value_where("list"),
                         item.message("invalid list name: conditions cannot refer to a list whose name has blanks, "
                                      "quotes, parentheses, commas or '='"));
        ListDef list{.name = name, .items = item.string_sequence("items"), .where = item.where()};
        switch (read_change(item, kListOverridable)) {
        case Change::Define: return collector_.define_list(std::move(list));
        case Change::Append: return collector_.append_to_list(list);
        case Change::Replace: return collector_.replace_list(std::move(list));
        }
    }

    void read_macro(const Mapping& item)
    {
        std::string name = item.required_string("macro");
        item.warn_unknown_keys(kMacroKeys, log_);
        if (!is_identifier(name))
            log_.warning(item.value_where("macro"),
                         item.message("invalid macro name: conditions can only refer to macros named by a letter "
                                      "followed by letters, digits or '_'"));
        MacroState macro{.def = MacroDef{.name = name, .where = item.where()},
                         .condition = read_condition(item, "condition")};
        switch (read_change(item, kMacroOverridable)) {
        case Change::Define: return collector_.define_macro(std::move(macro));
        case Change::Append: return collector_.append_to_macro(macro);
        case Change::Replace: return collector_.replace_macro(std::move(macro));
        }
    }

    // A list or macro has one overridable key, so appending to it or
    // replacing it is a change to the whole item.
    Change read_change(const Mapping& item, Keys overridable)
    {
        bool legacy_append = read_legacy_append(item);
        std::vector<Override> overrides = read_overrides(item, overridable, overridable);
        reject_override_with_append(item, legacy_append, overrides);
        if (legacy_append || (!overrides.empty() && overrides.front().append))
            return Change::Append;
        return overrides.empty() ? Change::Define : Change::Replace;
    }

    void read_rule(const Mapping& item)
    {
        std::string name = item.required_string("rule");
        item.warn_unknown_keys(kRuleKeys, log_);
        bool legacy_append = read_legacy_append(item);
        std::vector<Override> overrides = read_overrides(item, kRuleAppendable, kRuleReplaceable);
        reject_override_with_append(item, legacy_append, overrides);
        if (!overrides.empty())
            return read_rule_overrides(item, name, overrides);
        if (legacy_append)
            return read_rule_append(item, name);
        bool only_enables =
            std::ranges::none_of(kRuleDefinitionKeys, [&](auto key) { return item.has(key); }) && item.has("enabled");
        if (only_enables)
            return read_rule_enable(item, name);
        read_rule_definition(item, name);
    }

    void read_rule_definition(const Mapping& item, const std::string& name)
    {
        RuleState rule;
        RuleDef& def = rule.def;
        def.name = name;
        def.where = item.where();
        // Falco's order of checks for the required keys.
        rule.condition = read_condition(item, "condition");
        def.output = trim(item.required_string("output"));
        def.output_where = item.value_where("output");
        def.desc = item.required_string("desc");
        def.priority = read_priority(item);
        def.source = item.optional_string("source").value_or(def.source);
        def.enabled = item.optional_bool("enabled").value_or(def.enabled);
        def.warn_evttypes = item.optional_bool("warn_evttypes").value_or(def.warn_evttypes);
        def.skip_if_unknown_filter = item.optional_bool("skip-if-unknown-filter").value_or(def.skip_if_unknown_filter);
        if (item.has("tags"))
            def.tags = item.string_sequence("tags");
        rule.exceptions = read_exceptions(item, false);
        collector_.define_rule(std::move(rule), log_);
    }

    // Falco: every key under `override` must be in the item, and every
    // overridable key in the item must be under `override`.
    void read_rule_overrides(const Mapping& item, const std::string& name, const std::vector<Override>& overrides)
    {
        for (const auto& override : overrides)
            if (!item.has(override.key))
                fail(override.where,
                     item.message(fmt::format("an {} override for '{}' was specified but '{}' is not defined",
                                              override.append ? "append" : "replace", override.key, override.key)));
        std::vector<std::string_view> used = {"rule", "override"};
        for (const auto& key : item.keys()) {
            bool overridable = contains(kRuleAppendable, key) || contains(kRuleReplaceable, key);
            bool overridden = std::ranges::find(overrides, key, &Override::key) != overrides.end();
            if (overridable && !overridden)
                fail(item.key_where(key),
                     item.message(
                         fmt::format("unexpected key '{}': no corresponding entry under 'override' is defined", key)));
        }
        for (const auto& override : overrides)
            used.push_back(override.key);
        item.warn_unused_keys(kRuleKeys, used, "in an item that overrides a rule", log_);

        RuleUpdate appends{.name = name, .where = item.where()};
        RuleUpdate replaces{.name = name, .where = item.where()};
        for (const auto& override : overrides)
            read_rule_update(item, override.key, override.append, override.append ? appends : replaces);
        // Falco applies the appends first.
        if (std::ranges::any_of(overrides, &Override::append))
            collector_.append_to_rule(std::move(appends));
        if (!std::ranges::all_of(overrides, &Override::append))
            collector_.replace_in_rule(std::move(replaces));
    }

    void read_rule_update(const Mapping& item, const std::string& key, bool appending, RuleUpdate& update)
    {
        if (key == "condition")
            update.condition = read_condition(item, key);
        else if (key == "output")
            update.output = item.required_string(key);
        else if (key == "desc")
            update.desc = item.required_string(key);
        else if (key == "tags")
            update.tags = item.string_sequence("tags");
        else if (key == "exceptions")
            update.exceptions = read_exceptions(item, appending);
        else if (key == "priority")
            update.priority = read_priority(item);
        else if (key == "enabled")
            update.enabled = item.required_bool(key);
        else if (key == "warn_evttypes")
            update.warn_evttypes = item.required_bool(key);
        else if (key == "skip-if-unknown-filter")
            update.skip_if_unknown_filter = item.required_bool(key);
    }

    // The deprecated `append: true` form appends a condition and exceptions.
    void read_rule_append(const Mapping& item, const std::string& name)
    {
        RuleUpdate update{.name = name, .where = item.where()};
        if (item.has("condition"))
            update.condition = read_condition(item, "condition");
        if (item.has("exceptions"))
            update.exceptions = read_exceptions(item, true);
        if (!update.condition && !update.exceptions)
            fail(item.where(), item.message("'append: true' needs a 'condition' or 'exceptions' to append"));
        item.warn_unused_keys(kRuleKeys, kRuleAppendUses, "with 'append: true'", log_);
        collector_.append_to_rule(std::move(update));
    }

    void read_rule_enable(const Mapping& item, const std::string& name)
    {
        bool enabled = item.required_bool("enabled");
        log_.warning(item.key_where("enabled"),
                     item.message("the standalone 'enabled' key is deprecated; add 'override' with "
                                  "'enabled: replace' instead"));
        item.warn_unused_keys(kRuleKeys, kRuleEnableUses, "in an item that only enables or disables a rule", log_);
        collector_.enable_rule(name, enabled, item.where());
    }

    bool read_legacy_append(const Mapping& item)
    {
        bool append = item.optional_bool("append").value_or(false);
        if (append)
            log_.warning(item.key_where("append"),
                         item.message("'append' is deprecated; add an entry under 'override' instead "
                                      "(e.g. 'condition: append')"));
        return append;
    }

    void reject_override_with_append(const Mapping& item, bool legacy_append,
                                     const std::vector<Override>& overrides) const
    {
        if (legacy_append && !overrides.empty())
            fail(item.key_where("override"),
                 item.message("'override' and 'append: true' cannot be used together; add an 'append' entry under "
                              "'override' instead (e.g. 'condition: append')"));
    }

    std::vector<Override> read_overrides(const Mapping& item, Keys appendable, Keys replaceable) const
    {
        std::vector<Override> overrides;
        if (!item.has("override"))
            return overrides;
        const YAML::Node& node = item.value("override");
        if (!node.IsMap())
            fail(item.value_where("override"),
                 item.message(fmt::format("'override' must be a mapping of keys to 'append' or 'replace', not {}",
                                          kind_of(node))));
        Mapping operations(node, source_, item.subject());
        for (const auto& key : operations.keys()) {
            bool can_append = contains(appendable, key);
            bool can_replace = contains(replaceable, key);
            if (!can_append && !can_replace)
                fail(operations.key_where(key), item.message(fmt::format("key '{}' cannot be overridden", key)));
            std::string operation = operations.required_string(key);
            if (operation == "append" && !can_append)
                fail(operations.key_where(key),
                     item.message(fmt::format("key '{}' cannot be appended to, use 'replace' instead", key)));
            if (operation == "replace" && !can_replace)
                fail(operations.key_where(key), item.message(fmt::format("key '{}' cannot be replaced", key)));
            if (operation != "append" && operation != "replace")
                fail(operations.value_where(key),
                     item.message(fmt::format("invalid override operation '{}' for key '{}' (allowed: {})", operation,
                                              key,
                                              can_append && can_replace ? "append, replace"
                                              : can_append              ? "append"
                                                                        : "replace")));
            overrides.push_back(Override{key, operation == "append", operations.key_where(key)});
        }
        return overrides;
    }

    ConditionText read_condition(const Mapping& item, std::string_view key) const
    {
        std::string text = item.required_string(key);
        return ConditionText::from_scalar(text, source_, static_cast<std::size_t>(item.value(key).Mark().pos));
    }

    Priority read_priority(const Mapping& item) const
    {
        std::string text = item.required_string("priority");
        if (auto priority = parse_priority(text))
            return *priority;
        fail(item.value_where("priority"),
             item.message(
                 fmt::format("invalid priority '{}' (expected one of emergency, alert, critical, error, warning, "
                             "notice, informational or info, debug; any case)",
                             text)));
    }

    // `fields_optional` is Falco's "append" flag: an exception appended to an
    // existing one by name only brings values.
    std::vector<LoadedException> read_exceptions(const Mapping& item, bool fields_optional)
    {
        std::vector<LoadedException> exceptions;
        if (!item.has("exceptions") || item.value("exceptions").IsNull())
            return exceptions;
        const YAML::Node& list = item.value("exceptions");
        if (!list.IsSequence())
            fail(item.value_where("exceptions"),
                 item.message(fmt::format("'exceptions' must be a sequence, not {}", kind_of(list))));
        for (const YAML::Node& node : list) {
            expect_mapping(node, item.subject(), "each exception");
            Mapping exception(node, source_, item.subject() + ": " + named_subject(node, "name", "exception"));
            exceptions.push_back(read_exception(exception, fields_optional));
            const std::string& name = exceptions.back().def.name;
            if (std::ranges::count(exceptions, name, [](const LoadedException& e) { return e.def.name; }) > 1)
                log_.warning(exception.where(), exception.message("defined more than once in the same item"));
        }
        return exceptions;
    }

    LoadedException read_exception(const Mapping& exception, bool fields_optional)
    {
        LoadedException loaded;
        loaded.def.name = exception.required_string("name");
        exception.warn_unknown_keys(kExceptionKeys, log_);
        loaded.def.where = loaded.fields_where = loaded.comps_where = exception.where();
        if (exception.has("fields") || !fields_optional) {
            loaded.def.fields = read_exception_entry(exception.value("fields"), exception, "fields");
            loaded.fields_where = exception.value_where("fields");
        }
        if (exception.has("comps")) {
            loaded.def.comps = read_exception_entry(exception.value("comps"), exception, "comps");
            loaded.comps_where = exception.value_where("comps");
        }
        if (exception.has("values")) {
            const YAML::Node& values = exception.value("values");
            if (!values.IsSequence())
                fail(exception.value_where("values"),
                     exception.message(fmt::format("'values' must be a sequence, not {}", kind_of(values))));
            for (const YAML::Node& value : values) {
                loaded.def.values.push_back(read_exception_entry(value, exception, "values"));
                loaded.value_where.push_back(where(value));
            }
        } else if (fields_optional) {
            log_.warning(exception.where(), exception.message("overriding or appending an exception with no values"));
        }
        return loaded;
    }

    ExceptionEntry read_exception_entry(const YAML::Node& node, const Mapping& exception, std::string_view key) const
    {
        if (node.IsScalar()) {
            if (node.Scalar().empty())
                fail(where(node), exception.message(fmt::format("'{}' must not hold empty strings", key)));
            return ExceptionEntry{.item = node.Scalar()};
        }
        if (node.IsSequence()) {
            ExceptionEntry list{.is_list = true};
            for (const YAML::Node& child : node)
                list.items.push_back(read_exception_entry(child, exception, key));
            return list;
        }
        fail(node.IsNull() ? exception.value_where(key) : where(node),
             exception.message(fmt::format("'{}' must hold strings or lists of strings, not {}", key, kind_of(node))));
    }

    const SourceText& source_;
    RuleCollector& collector_;
    DiagnosticLog& log_;
};

}  // namespace

void read_rules(const SourceText& source, RuleCollector& collector, DiagnosticLog& log)
{
    Reader(source, collector, log).read();
}

}  // namespace palisade::rules
