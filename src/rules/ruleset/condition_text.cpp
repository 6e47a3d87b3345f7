#include "rules/ruleset/condition_text.h"

#include <algorithm>

namespace palisade::rules {

class ConditionSourceMap {
public:
    ConditionSourceMap(const std::string& text, std::vector<TextOrigin> origins)
        : text_size_(text.size()), ends_with_line_break_(text.ends_with('\n')), origins_(std::move(origins))
    {
        line_starts_.push_back(0);
        for (std::size_t i = 0; i < text.size(); ++i)
            if (text[i] == '\n')
                line_starts_.push_back(i + 1);
    }

    SourceRef locate(int line, int column) const
    {
        if (origins_.empty() || text_size_ == 0)
            return {};
        std::size_t line_index = std::clamp<std::size_t>(line < 1 ? 0 : line - 1, 0, line_starts_.size() - 1);
        std::size_t offset = line_starts_[line_index] + static_cast<std::size_t>(std::max(column, 1) - 1);
        // Parsers report "unexpected end" just past the last character: that
        // is the final line break if there is one (where the last line ends
        // in the file), else the column after the last character.
        int columns_past_offset = 0;
        if (offset >= text_size_) {
            offset = text_size_ - 1;
            columns_past_offset = ends_with_line_break_ ? 0 : 1;
        }

        auto after = std::upper_bound(origins_.begin(), origins_.end(), offset,
                                      [](std::size_t o, const TextOrigin& origin) { return o < origin.offset; });
        const TextOrigin& origin = *std::prev(after);
        SourceRef where = origin.where;
        if (origin.advances)
            where.column += static_cast<int>(offset - origin.offset) + columns_past_offset;
        return where;
    }

private:
    std::vector<std::size_t> line_starts_;
    std::size_t text_size_;
    bool ends_with_line_break_;
    std::vector<TextOrigin> origins_;
};

namespace {

std::size_t utf8_sequence_length(unsigned char lead)
{
    if (lead >= 0xF0)
        return 4;
    if (lead >= 0xE0)
        return 3;
    if (lead >= 0xC0)
        return 2;
    return 1;
}

// Raw length of the double-quoted escape starting at `backslash`.
std::size_t escape_length(const std::string& raw, std::size_t backslash)
{
    char kind = backslash + 1 < raw.size() ? raw[backslash + 1] : '\0';
    switch (kind) {
    case 'x': return 4;
    case 'u': return 6;
    case 'U': return 10;
    default: return 2;
    }
}

bool is_line_break(char c)
{
    return c == '\n' || c == '\r';
}

}  // namespace

ConditionText ConditionText::from_scalar(const std::string& value, const SourceText& source, std::size_t node_offset)
{
    const std::string& raw = source.content();
    std::size_t r = node_offset;
    char indicator = r < raw.size() ? raw[r] : '\0';
    bool double_quoted = indicator == '"';
    if (indicator == '"' || indicator == '\'') {
        ++r;
    } else if (indicator == '|' || indicator == '>') {
        // A block scalar's content starts on the line after its header.
        r = raw.find('\n', r);
        r = r == std::string::npos ? raw.size() : r + 1;
    }

    ConditionText result;
    result.text_ = value;
    bool continues_previous = false;  // whether raw[r] directly follows the last matched character on its line
    for (std::size_t v = 0; v < value.size();) {
        std::size_t value_width = 1, raw_width = 1;
        bool matched = false;
        while (r < raw.size() && !matched) {
            if (double_quoted && raw[r] == '\\') {
                if (r + 1 < raw.size() && is_line_break(raw[r + 1])) {
                    r += 2;  // an escaped line break decodes to nothing
                    continues_previous = false;
                    continue;
                }
                value_width = std::min(utf8_sequence_length(static_cast<unsigned char>(value[v])), value.size() - v);
                raw_width = escape_length(raw, r);
                matched = true;
            } else if (raw[r] == value[v] || (value[v] == ' ' && raw[r] == '\n')) {
                matched = true;  // the second case is a line break YAML folded into a space
            } else {
                ++r;
                continues_previous = false;
            }
        }
        if (!matched) {
            // The rest cannot be matched (should not happen): blame the last place found.
            SourceRef last = result.origins_.empty() ? source.position_of(node_offset) : result.origins_.back().where;
            result.add_origin(v, last, false);
            break;
        }
        if (!continues_previous)
            result.add_origin(v, source.position_of(r), true);
        // Columns advance one per byte only while raw and decoded text agree.
        continues_previous = raw_width == 1 && value_width == 1 && raw[r] != '\n';
        v += value_width;
        r += raw_width;
    }
    return result;
}

ConditionText ConditionText::generated(std::string text, const SourceRef& blame)
{
    ConditionText result;
    result.text_ = std::move(text);
    if (!result.text_.empty())
        result.add_origin(0, blame, false);
    return result;
}

void ConditionText::append(const ConditionText& more)
{
    std::size_t shift = text_.size();
    text_ += more.text_;
    for (const auto& origin : more.origins_)
        add_origin(origin.offset + shift, origin.where, origin.advances);
}

SourceRef ConditionText::start() const
{
    return origins_.empty() ? SourceRef{} : origins_.front().where;
}

ConditionRef ConditionText::reference() const
{
    ConditionRef ref;
    static_cast<SourceRef&>(ref) = start();
    ref.origins = std::make_shared<const ConditionSourceMap>(text_, origins_);
    return ref;
}

void ConditionText::add_origin(std::size_t offset, SourceRef where, bool advances)
{
    origins_.push_back(TextOrigin{offset, std::move(where), advances});
}

SourceRef locate_in_condition(const ConditionRef& condition_where, int line, int column)
{
    if (!condition_where.origins)
        return locate_in_condition(static_cast<const SourceRef&>(condition_where), line, column);
    return condition_where.origins->locate(line, column);
}

SourceRef locate_in_condition(const SourceRef& condition_where, int line, int column)
{
    return SourceRef{condition_where.file, condition_where.line + std::max(line, 1) - 1,
                     condition_where.column + std::max(column, 1) - 1};
}

}  // namespace palisade::rules
