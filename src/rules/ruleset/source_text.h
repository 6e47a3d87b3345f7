// A rules file's text, indexed by line, so that the byte offsets yaml-cpp
// reports become the 1-based positions and source lines diagnostics show.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rules/ruleset/diagnostic.h"

namespace palisade::rules {

class SourceText {
public:
    SourceText(std::string name, std::string content);

    const std::string& name() const { return name_; }
    const std::string& content() const { return content_; }

    // Offsets past the end are placed just after the last character.
    SourceRef position_of(std::size_t offset) const;
    // Without its line break; empty for a line that does not exist.
    std::string line_text(int line) const;

private:
    std::string name_;
    std::string content_;
    std::vector<std::size_t> line_starts_;
};

}  // namespace palisade::rules
