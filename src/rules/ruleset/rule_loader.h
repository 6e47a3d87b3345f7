// Loads Falco rule files, in order, into one RuleSet with Falco's semantics:
// later files redefine, append to and override what earlier files defined.
// Nothing throws: every problem becomes a Diagnostic with file:line:column.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/ruleset/diagnostic.h"
#include "rules/ruleset/ruleset.h"

namespace palisade::rules {

class RuleCollector;

class RuleLoader {
public:
    RuleLoader();
    ~RuleLoader();
    RuleLoader(RuleLoader&&) noexcept;
    RuleLoader& operator=(RuleLoader&&) noexcept;

    // Each returns false when that file had an error. Like Falco, reading a
    // file stops at its first error; a failed file changes nothing, so what
    // earlier files loaded stays exactly as it was. Diagnostics (the failed
    // file's warnings too) accumulate across calls.
    bool load_file(const std::string& path);
    // `name` stands for the file name in diagnostics.
    bool load_string(const std::string& name, const std::string& yaml);

    // The merged result of every successful load so far, with all
    // diagnostics. The loader stays usable: more files may follow.
    RuleSet finish() const;

private:
    std::unique_ptr<RuleCollector> collected_;
    std::vector<Diagnostic> diagnostics_;
    std::vector<std::shared_ptr<const SourceText>> sources_;
};

}  // namespace palisade::rules
