#include "rules/ruleset/rule_loader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "rules/ruleset/rule_collector.h"
#include "rules/ruleset/rule_reader.h"

namespace palisade::rules {

RuleLoader::RuleLoader() : collected_(std::make_unique<RuleCollector>()) {}
RuleLoader::~RuleLoader() = default;
RuleLoader::RuleLoader(RuleLoader&&) noexcept = default;
RuleLoader& RuleLoader::operator=(RuleLoader&&) noexcept = default;

bool RuleLoader::load_file(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    if (file)
        content << file.rdbuf();
    if (!file || file.bad()) {
        diagnostics_.push_back(Diagnostic{Diagnostic::Severity::Error,
                                          SourceRef{path},
                                          fmt::format("cannot read rules file: {}", std::strerror(errno)),
                                          {}});
        return false;
    }
    return load_string(path, content.str());
}

bool RuleLoader::load_string(const std::string& name, const std::string& yaml)
{
    const auto& source = *sources_.emplace_back(std::make_shared<const SourceText>(name, yaml));
    DiagnosticLog log(source);
    // The file is read into a copy that replaces the loaded state only if the
    // whole file loads, so a failed file leaves earlier files' rules intact.
    std::unique_ptr<RuleCollector> staged;
    bool loaded = false;
    try {
        staged = std::make_unique<RuleCollector>(*collected_);
        read_rules(source, *staged, log);
        loaded = true;
    } catch (const LoadError& e) {
        log.error(e.where, e.message);
    } catch (const std::exception& e) {
        log.error(SourceRef{name}, fmt::format("internal error while loading rules: {}", e.what()));
    }
    if (loaded)
        collected_ = std::move(staged);
    auto& entries = log.entries();
    diagnostics_.insert(diagnostics_.end(), std::make_move_iterator(entries.begin()),
                        std::make_move_iterator(entries.end()));
    return loaded;
}

RuleSet RuleLoader::finish() const
{
    RuleSet set = collected_->result();
    set.diagnostics = diagnostics_;
    set.sources = sources_;
    return set;
}

}  // namespace palisade::rules
