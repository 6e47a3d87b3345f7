// A condition's text together with where each of its characters came from,
// kept while loading so that carets into the final condition (folded by YAML,
// grown by appends across files, wrapped by exceptions) land in the file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rules/ruleset/diagnostic.h"
#include "rules/ruleset/ruleset.h"
#include "rules/ruleset/source_text.h"

namespace palisade::rules {

// Characters from `offset` up to the next origin's offset come from `where`:
// one after another along the line when `advances`, or all from that one
// place when the text was generated (joins, exceptions).
struct TextOrigin {
    std::size_t offset = 0;
    SourceRef where;
    bool advances = true;
};

class ConditionText {
public:
    ConditionText() = default;

    // `value` is the scalar yaml-cpp decoded from the node starting at
    // `node_offset` in `source`; each character is matched back to the raw
    // text it was decoded from (block headers, quotes, escapes and folded
    // line breaks are what differ).
    static ConditionText from_scalar(const std::string& value, const SourceText& source, std::size_t node_offset);
    // Text the loader made up; carets into it point at `blame`.
    static ConditionText generated(std::string text, const SourceRef& blame);

    void append(const ConditionText& more);

    const std::string& text() const { return text_; }
    bool empty() const { return text_.empty(); }
    // Where the first character came from.
    SourceRef start() const;
    // The first character's position together with the whole map.
    ConditionRef reference() const;

private:
    void add_origin(std::size_t offset, SourceRef where, bool advances);

    std::string text_;
    std::vector<TextOrigin> origins_;
};

}  // namespace palisade::rules
