// The open prefilter: from the loaded rules, a condition every open event
// some rule could match must meet, in a form the kernel can test before the
// record leaves it (facts about the flags and the result, path prefixes,
// exact paths and suffixes). Opens that fail it cannot raise an alert and are
// not sent to user space.
//
// The analysis walks each rule's macro-expanded condition and derives a
// *necessary* condition in disjunctive form: whatever it does not understand
// becomes "true" (no filtering), negation is only pushed through checks it
// can decide exactly, so it never drops an event a rule would match. If any
// rule that can see an open yields "true", the prefilter passes every open.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "palisade/abi.h"
#include "rules/ruleset/ruleset.h"

namespace palisade::rules::prefilter {

enum class PathMatch : std::uint8_t { Prefix, Exact, Suffix };

struct PathPattern {
    PathMatch kind = PathMatch::Prefix;
    std::string text;
    auto operator<=>(const PathPattern&) const = default;
};

// One alternative: every fact in `facts` (bits of enum pl_open_fact) holds
// and, when `paths` is set, the path matches one of them.
struct OpenAlternative {
    std::uint32_t facts = 0;
    std::optional<std::set<PathPattern>> paths;  // nullopt: any path

    bool is_true() const { return facts == 0 && !paths; }
    bool operator==(const OpenAlternative&) const = default;
};

// A disjunction; empty means "can never hold" (the rule sees no opens).
using OpenCondition = std::vector<OpenAlternative>;

struct RuleOpenCondition {
    std::string rule;
    OpenCondition condition;
};

struct OpenPrefilter {
    // Every open passes: some rule's condition was not narrowed down, or the
    // alternatives did not fit the kernel's tables. `reason` says which.
    bool pass_all = false;
    std::string reason;
    OpenCondition alternatives;         // merged over all rules, at most PL_PF_ALTS
    std::vector<RuleOpenCondition> rules;  // per enabled rule that can see an open
};

// Analyses the enabled syscall rules of `set` (macros and lists as the
// engine resolves them: by name, the last definition wins).
OpenPrefilter derive_open_prefilter(const RuleSet& set);

// "read & ok & path in {prefix /etc/, exact /etc/shadow}" or "true"/"false".
std::string describe(const OpenAlternative& alt);
std::string describe(const OpenCondition& condition);

// What the kernel needs: the header of pl_pf_open_map and the entries of the
// two tries (key bytes without prefixlen: an exact path ends with its NUL;
// the postfix trie's keys are reversed). Each entry's mask already includes
// the masks of every shorter entry that is a prefix of it, because an LPM
// lookup only returns the longest match.
struct OpenTables {
    pl_open_prefilter header{};
    std::map<std::string, std::uint64_t> prefix;
    std::map<std::string, std::uint64_t> postfix;
};
OpenTables build_open_tables(const OpenPrefilter& prefilter);

// The kernel's test, in user space (for tests): whether an open with these
// facts and this raw path passes. `raw_path` is what the caller passed.
bool kernel_passes(const OpenTables& tables, std::uint32_t facts, const std::string& raw_path);

// The facts the kernel derives from an open's syscall kind (enum
// pl_syscall_kind), flags, result and raw path.
std::uint32_t open_facts(std::uint32_t syscall_kind, std::uint64_t flags, std::int64_t ret, const std::string& raw_path);

// Whether the kernel judges a path by the tries: absolute, at most
// PL_PF_PATH_MAX - 2 bytes (a read that fills the key may have been cut short), with nothing lexical normalisation would change (an empty,
// "." or ".." component: "//", "/./", "/../", a trailing "/", "/." or "/..").
bool path_judgeable(const std::string& raw_path);

}  // namespace palisade::rules::prefilter
