#include "policy/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace palisade::policy::detail {

void fail(Location loc, std::string message)
{
    throw ParseError{std::move(loc), std::move(message)};
}

bool contains(Keys keys, std::string_view key)
{
    return std::ranges::find(keys, key) != keys.end();
}

std::string join(Keys words)
{
    std::string joined;
    for (std::string_view word : words) {
        if (!joined.empty())
            joined += ", ";
        joined += word;
    }
    return joined;
}

std::string_view kind_of(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Scalar: return "a string";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    default: return "empty";
    }
}

std::string lowercase(std::string_view text)
{
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

// --- Reader -------------------------------------------------------------------

Reader::Reader(std::string file_name, const std::string& text, ParseResult& result)
    : file_(std::move(file_name)), result_(result)
{
    std::size_t begin = 0;
    // yaml-cpp does not count a UTF-8 byte order mark as a column.
    if (text.starts_with("\xEF\xBB\xBF"))
        begin = 3;
    while (begin <= text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos)
            end = text.size();
        std::size_t content_end = end;
        // A CRLF file's carriage return is not part of what the caret points into.
        if (content_end > begin && text[content_end - 1] == '\r')
            --content_end;
        lines_.push_back(text.substr(begin, content_end - begin));
        begin = end + 1;
    }
}

Location Reader::at(const YAML::Mark& mark) const
{
    if (mark.is_null() || mark.line < 0)
        return Location{file_};
    return Location{file_, mark.line + 1, mark.column + 1};
}

Location Reader::at(const YAML::Node& node, const Location& fallback) const
{
    if (fallback.line > 0 && (!node.IsDefined() || node.IsNull()))
        return fallback;
    return at(node.Mark());
}

PolicyDiagnostic Reader::diagnostic(const Location& loc, std::string message, PolicyDiagnostic::Severity severity) const
{
    Location placed = loc;
    if (placed.file.empty())
        placed.file = file_;
    std::string line;
    if (placed.file == file_ && placed.line > 0 && static_cast<std::size_t>(placed.line) <= lines_.size())
        line = lines_[placed.line - 1];
    return PolicyDiagnostic{std::move(placed), std::move(message), std::move(line), severity};
}

void Reader::error(const Location& loc, std::string message)
{
    result_.errors.push_back(diagnostic(loc, std::move(message), PolicyDiagnostic::Severity::Error));
}

void Reader::warning(const Location& loc, std::string message)
{
    result_.warnings.push_back(diagnostic(loc, std::move(message), PolicyDiagnostic::Severity::Warning));
}

// --- scalars -------------------------------------------------------------------

std::string scalar_text(const Reader& reader, const YAML::Node& node, std::string_view what, const Location& fallback)
{
    if (!node.IsScalar())
        fail(reader.at(node, fallback), fmt::format("{} must be a string or number, not {}", what, kind_of(node)));
    return node.Scalar();
}

std::int64_t integer_value(const Reader& reader, const YAML::Node& node, std::string_view what, std::int64_t min,
                           std::int64_t max, const Location& fallback)
{
    if (!node.IsScalar())
        fail(reader.at(node, fallback), fmt::format("{} must be an integer, not {}", what, kind_of(node)));
    const std::string& text = node.Scalar();
    std::string_view digits = text;
    // from_chars takes no leading '+', YAML does.
    if (digits.starts_with('+'))
        digits.remove_prefix(1);
    std::int64_t value = 0;
    auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || status == std::errc::invalid_argument || end != digits.data() + digits.size())
        fail(reader.at(node), fmt::format("{} must be an integer, not '{}'", what, text));
    if (status == std::errc::result_out_of_range || value < min || value > max)
        fail(reader.at(node), fmt::format("{} must be between {} and {}, not {}", what, min, max, text));
    return value;
}

// --- Mapping ---------------------------------------------------------------------

Mapping::Mapping(Reader& reader, const YAML::Node& node, std::string what, const Location& fallback)
    : reader_(reader), what_(std::move(what)), where_(reader.at(node, fallback))
{
    if (!node.IsMap())
        fail(where_, fmt::format("{} must be a mapping, not {}", what_, kind_of(node)));
    for (const auto& pair : node) {
        const YAML::Node& key = pair.first;
        if (!key.IsScalar())
            fail(reader_.at(key), fmt::format("keys of {} must be strings, not {}", what_, kind_of(key)));
        // yaml-cpp keeps both entries of a repeated key and reads the first:
        // a silent loss of whatever the second one says.
        if (const Entry* earlier = find(key.Scalar())) {
            Location first = reader_.at(earlier->key);
            fail(reader_.at(key), fmt::format("duplicate key '{}' in {} (first at line {}, column {})", key.Scalar(),
                                              what_, first.line, first.column));
        }
        entries_.push_back(Entry{key.Scalar(), key, pair.second});
    }
}

const Mapping::Entry* Mapping::find(std::string_view key) const
{
    auto found = std::ranges::find(entries_, key, &Entry::name);
    return found == entries_.end() ? nullptr : &*found;
}

const Mapping::Entry& Mapping::required(std::string_view key) const
{
    const Entry* entry = find(key);
    if (!entry)
        fail(where_, fmt::format("{} is missing the required key '{}'", what_, key));
    return *entry;
}

Location Mapping::key_where(std::string_view key) const
{
    return reader_.at(required(key).key);
}

Location Mapping::value_where(std::string_view key) const
{
    const Entry& entry = required(key);
    return reader_.at(entry.value, reader_.at(entry.key));
}

const YAML::Node& Mapping::value(std::string_view key) const
{
    return required(key).value;
}

void Mapping::fail_type(std::string_view key, std::string_view expected) const
{
    fail(value_where(key), fmt::format("'{}' must be {}, not {}", key, expected, kind_of(value(key))));
}

std::string Mapping::string(std::string_view key) const
{
    const YAML::Node& node = value(key);
    if (!node.IsScalar())
        fail_type(key, "a string");
    if (node.Scalar().empty())
        fail(value_where(key), fmt::format("'{}' must not be empty", key));
    return node.Scalar();
}

std::string Mapping::string_or(std::string_view key, std::string fallback) const
{
    const Entry* entry = find(key);
    if (!entry || entry->value.IsNull())
        return fallback;
    if (!entry->value.IsScalar())
        fail_type(key, "a string");
    return entry->value.Scalar();
}

bool Mapping::bool_or(std::string_view key, bool fallback) const
{
    const Entry* entry = find(key);
    if (!entry || entry->value.IsNull())
        return fallback;
    bool decoded = false;
    if (!entry->value.IsScalar())
        fail_type(key, "true or false");
    if (!YAML::convert<bool>::decode(entry->value, decoded))
        fail(value_where(key), fmt::format("'{}' must be true or false, not '{}'", key, entry->value.Scalar()));
    return decoded;
}

std::int64_t Mapping::integer(std::string_view key, std::int64_t min, std::int64_t max) const
{
    return integer_value(reader_, value(key), fmt::format("'{}'", key), min, max, value_where(key));
}

std::optional<std::int64_t> Mapping::optional_integer(std::string_view key, std::int64_t min, std::int64_t max) const
{
    const Entry* entry = find(key);
    if (!entry || entry->value.IsNull())
        return std::nullopt;
    return integer(key, min, max);
}

std::vector<YAML::Node> Mapping::items(std::string_view key) const
{
    const Entry* entry = find(key);
    if (!entry || entry->value.IsNull())
        return {};
    if (!entry->value.IsSequence())
        fail_type(key, "a sequence");
    std::vector<YAML::Node> items;
    for (const auto& item : entry->value)
        items.push_back(item);
    return items;
}

std::vector<Mapping> Mapping::mappings(std::string_view key, std::string_view what) const
{
    std::vector<Mapping> mappings;
    for (const YAML::Node& item : items(key))
        mappings.emplace_back(reader_, item, std::string(what), value_where(key));
    return mappings;
}

std::vector<std::string> Mapping::strings(std::string_view key) const
{
    std::vector<std::string> strings;
    std::string what = fmt::format("each item of '{}'", key);
    for (const YAML::Node& item : items(key))
        strings.push_back(scalar_text(reader_, item, what, value_where(key)));
    return strings;
}

std::vector<std::int64_t> Mapping::integers(std::string_view key, std::int64_t min, std::int64_t max) const
{
    std::vector<std::int64_t> integers;
    std::string what = fmt::format("each item of '{}'", key);
    for (const YAML::Node& item : items(key))
        integers.push_back(integer_value(reader_, item, what, min, max, value_where(key)));
    return integers;
}

std::vector<std::string> Mapping::keys() const
{
    std::vector<std::string> keys;
    for (const Entry& entry : entries_)
        keys.push_back(entry.name);
    return keys;
}

Mapping Mapping::mapping(std::string_view key) const
{
    return Mapping(reader_, value(key), fmt::format("'{}'", key), value_where(key));
}

void Mapping::warn_unknown_keys(Keys known) const
{
    for (const Entry& entry : entries_)
        if (!contains(known, entry.name))
            reader_.warning(reader_.at(entry.key), fmt::format("unknown key '{}' in {} (ignored)", entry.name, what_));
}

void Mapping::reject_unknown_keys(Keys known) const
{
    for (const Entry& entry : entries_)
        if (!contains(known, entry.name))
            fail(reader_.at(entry.key),
                 fmt::format("unknown key '{}' in {}; expected one of: {}", entry.name, what_, join(known)));
}

void Mapping::warn_ignored_keys(Keys ignored) const
{
    for (const Entry& entry : entries_) {
        if (!contains(ignored, entry.name))
            continue;
        bool decoded = false;
        bool is_false = entry.value.IsScalar() && YAML::convert<bool>::decode(entry.value, decoded) && !decoded;
        if (!is_false && !entry.value.IsNull())
            reader_.warning(reader_.at(entry.key),
                            fmt::format("'{}' in {} is not supported by Palisade (ignored)", entry.name, what_));
    }
}

}  // namespace palisade::policy::detail
