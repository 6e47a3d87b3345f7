// Internal to the policy parser: typed, located access to yaml-cpp nodes.
// Readers throw ParseError at the first problem in a unit (a document, a hook,
// a list); Reader::guard records it and lets the next unit be read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "policy/parser.h"

namespace palisade::policy::detail {

struct ParseError {
    Location loc;
    std::string message;
};

[[noreturn]] void fail(Location loc, std::string message);

using Keys = std::span<const std::string_view>;

bool contains(Keys keys, std::string_view key);
// "Equal, NotEqual, Prefix", for messages listing the valid choices.
std::string join(Keys words);
// "a string", "a sequence", "a mapping" or "empty", for type errors.
std::string_view kind_of(const YAML::Node& node);
std::string lowercase(std::string_view text);

// A word of the policy language and what it stands for, in lookup tables.
template <typename Value>
struct Named {
    std::string_view name;
    Value value;
};

template <typename Value>
const Value* find_named(std::span<const Named<Value>> table, std::string_view name)
{
    for (const Named<Value>& entry : table)
        if (entry.name == name)
            return &entry.value;
    return nullptr;
}

// One file being read: where its diagnostics go, with their source lines.
class Reader {
public:
    Reader(std::string file_name, const std::string& text, ParseResult& result);

    Location at(const YAML::Mark& mark) const;
    // An empty value has no position of its own; `fallback` stands in.
    Location at(const YAML::Node& node, const Location& fallback = {}) const;

    void error(const Location& loc, std::string message);
    void warning(const Location& loc, std::string message);
    std::size_t error_count() const { return result_.errors.size(); }

    // Runs `read`; a ParseError it throws becomes an error. False if it threw.
    template <typename Read>
    bool guard(Read&& read)
    {
        try {
            read();
            return true;
        } catch (const ParseError& e) {
            error(e.loc, e.message);
            return false;
        }
    }

private:
    PolicyDiagnostic diagnostic(const Location& loc, std::string message, PolicyDiagnostic::Severity severity) const;

    std::string file_;
    std::vector<std::string> lines_;
    ParseResult& result_;
};

// Scalars, checked; `what` names the value in messages ("'index'", "a PID").
std::string scalar_text(const Reader& reader, const YAML::Node& node, std::string_view what,
                        const Location& fallback = {});
std::int64_t integer_value(const Reader& reader, const YAML::Node& node, std::string_view what, std::int64_t min,
                           std::int64_t max, const Location& fallback = {});

// A YAML mapping of a policy, its keys checked for duplicates.
class Mapping {
public:
    // `what` names the mapping in messages: "a kprobe", "metadata".
    Mapping(Reader& reader, const YAML::Node& node, std::string what, const Location& fallback = {});

    Reader& reader() const { return reader_; }
    const std::string& what() const { return what_; }
    Location where() const { return where_; }
    bool has(std::string_view key) const { return find(key) != nullptr; }
    Location key_where(std::string_view key) const;
    Location value_where(std::string_view key) const;     // the key's, when the value is empty
    const YAML::Node& value(std::string_view key) const;  // required

    std::string string(std::string_view key) const;  // required, not empty
    std::string string_or(std::string_view key, std::string fallback = {}) const;
    bool bool_or(std::string_view key, bool fallback) const;
    std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max) const;  // required
    std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min, std::int64_t max) const;
    // A sequence of scalars, each as written (`5`, `"5"`, `five`); absent or empty = none.
    std::vector<std::string> strings(std::string_view key) const;
    // A sequence of integers in [min, max]; absent or empty = none.
    std::vector<std::int64_t> integers(std::string_view key, std::int64_t min, std::int64_t max) const;
    // The items of a sequence; absent or empty = none.
    std::vector<YAML::Node> items(std::string_view key) const;
    // The items of a sequence, each a mapping named `what` ("a rule of 'allow'").
    std::vector<Mapping> mappings(std::string_view key, std::string_view what) const;
    std::vector<std::string> keys() const;
    Mapping mapping(std::string_view key) const;  // required

    // Keys not in `known`: a warning each, as Tetragon's own kinds are read leniently.
    void warn_unknown_keys(Keys known) const;
    // Keys not in `known`: an error, where ignoring a key would widen what a policy matches.
    void reject_unknown_keys(Keys known) const;
    // Known keys Palisade does not act on: a warning each when present (and, for
    // booleans, true).
    void warn_ignored_keys(Keys ignored) const;

private:
    struct Entry {
        std::string name;
        YAML::Node key;
        YAML::Node value;
    };

    const Entry* find(std::string_view key) const;
    const Entry& required(std::string_view key) const;
    [[noreturn]] void fail_type(std::string_view key, std::string_view expected) const;

    Reader& reader_;
    std::string what_;
    Location where_;
    std::vector<Entry> entries_;
};

}  // namespace palisade::policy::detail
