#include "rules/ruleset/source_text.h"

#include <algorithm>

namespace palisade::rules {

SourceText::SourceText(std::string name, std::string content) : name_(std::move(name)), content_(std::move(content))
{
    // yaml-cpp skips a UTF-8 byte order mark and counts offsets after it;
    // dropping it here keeps both on the same offsets.
    if (content_.starts_with("\xEF\xBB\xBF"))
        content_.erase(0, 3);
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < content_.size(); ++i)
        if (content_[i] == '\n')
            line_starts_.push_back(i + 1);
}

SourceRef SourceText::position_of(std::size_t offset) const
{
    offset = std::min(offset, content_.size());
    auto next_line = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    auto line_index = static_cast<std::size_t>(next_line - line_starts_.begin()) - 1;
    return SourceRef{name_, static_cast<int>(line_index + 1), static_cast<int>(offset - line_starts_[line_index] + 1)};
}

std::string SourceText::line_text(int line) const
{
    if (line <= 0 || static_cast<std::size_t>(line) > line_starts_.size())
        return {};
    std::size_t begin = line_starts_[line - 1];
    std::size_t end = content_.find('\n', begin);
    if (end == std::string::npos)
        end = content_.size();
    // A CRLF file's carriage return is not part of what the caret points into.
    if (end > begin && content_[end - 1] == '\r')
        --end;
    return content_.substr(begin, end - begin);
}

}  // namespace palisade::rules
