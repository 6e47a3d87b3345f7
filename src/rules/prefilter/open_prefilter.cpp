#include "rules/prefilter/open_prefilter.h"

#include <fcntl.h>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "rules/condition/parser.h"
#include "rules/engine/compiler.h"

namespace palisade::rules::prefilter {
namespace {

// Falco's names of the events the open handler records.
const std::set<std::string> kOpenTypes = {"open", "openat", "openat2", "creat"};
// A rule's own condition rarely needs more; past this a conjunct is dropped
// (a weaker condition, still necessary).
constexpr std::size_t kMaxRuleAlternatives = 32;

OpenCondition always() { return {OpenAlternative{}}; }
OpenCondition never() { return {}; }
OpenCondition fact(pl_open_fact f) { return {OpenAlternative{1u << f, std::nullopt}}; }
OpenCondition paths(std::set<PathPattern> patterns)
{
    if (patterns.empty())
        return always();
    return {OpenAlternative{0, std::move(patterns)}};
}

bool holds_always(const OpenCondition& c)
{
    return std::any_of(c.begin(), c.end(), [](const auto& a) { return a.is_true(); });
}

// Merges alternatives with the same facts (their path sets join; no path
// set absorbs the others) and drops exact duplicates.
OpenCondition simplify(OpenCondition in)
{
    if (holds_always(in))
        return always();
    std::map<std::uint32_t, OpenAlternative> by_facts;
    for (auto& alt : in) {
        auto [it, fresh] = by_facts.try_emplace(alt.facts, alt);
        if (fresh)
            continue;
        if (!it->second.paths || !alt.paths)
            it->second.paths.reset();
        else
            it->second.paths->insert(alt.paths->begin(), alt.paths->end());
    }
    // An alternative whose facts include another's, with no narrower paths,
    // is implied by it.
    OpenCondition out;
    for (auto& [facts, alt] : by_facts) {
        const bool implied = std::any_of(by_facts.begin(), by_facts.end(), [&](const auto& other) {
            const auto& o = other.second;
            return o.facts != facts && (o.facts & facts) == o.facts && !o.paths;
        });
        if (!implied)
            out.push_back(std::move(alt));
    }
    return out;
}

OpenCondition disjoin(OpenCondition a, const OpenCondition& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return simplify(std::move(a));
}

OpenCondition conjoin(const OpenCondition& a, const OpenCondition& b)
{
    if (a.empty() || b.empty())
        return never();
    if (a.size() * b.size() > kMaxRuleAlternatives)
        return a.size() <= b.size() ? a : b;  // drop the other conjunct: weaker, still necessary
    OpenCondition out;
    for (const auto& x : a) {
        for (const auto& y : b) {
            OpenAlternative alt{x.facts | y.facts, x.paths};
            // Both narrow the path: either alone is a necessary condition;
            // keep the smaller set (usually the more selective).
            if (y.paths && (!alt.paths || y.paths->size() < alt.paths->size()))
                alt.paths = y.paths;
            out.push_back(std::move(alt));
        }
    }
    return simplify(std::move(out));
}

// The literal prefix of a glob: everything before the first special character.
std::string glob_prefix(const std::string& pattern)
{
    return pattern.substr(0, pattern.find_first_of("*?[\\"));
}

std::string without_trailing_slashes(std::string dir)
{
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    return dir;
}

class Analyzer {
public:
    Analyzer(const RuleSet& set)
    {
        std::vector<std::pair<std::string, std::vector<std::string>>> raw;
        for (const auto& list : set.lists)
            raw.emplace_back(list.name, list.items);
        lists_ = expand_lists(raw);
        for (const auto& macro : set.macros) {
            auto parsed = parse_condition(macro.condition);
            if (parsed.error) {
                macros_.erase(macro.name);  // unknown: treated as "true" where used
                continue;
            }
            macros_[macro.name] = std::move(parsed.expr);
        }
    }

    // A necessary condition of `expr` (of `not expr` when `negated`) on
    // open events.
    OpenCondition analyze(const Expr& expr, bool negated)
    {
        switch (expr.kind()) {
        case ExprKind::And:
        case ExprKind::Or: {
            const auto& children = expr.kind() == ExprKind::And ? expr.as<AndExpr>()->children
                                                                 : expr.as<OrExpr>()->children;
            // De Morgan: a negated and is an or of negations, and back.
            const bool conjunction = (expr.kind() == ExprKind::And) != negated;
            OpenCondition acc = conjunction ? always() : never();
            for (const auto& child : children) {
                auto c = analyze(*child, negated);
                acc = conjunction ? conjoin(acc, c) : disjoin(std::move(acc), c);
            }
            return acc;
        }
        case ExprKind::Not:
            return analyze(*expr.as<NotExpr>()->child, !negated);
        case ExprKind::Identifier: {
            const auto& name = expr.as<IdentifierExpr>()->name;
            auto it = macros_.find(name);
            if (it == macros_.end() || std::count(expanding_.begin(), expanding_.end(), name))
                return always();
            expanding_.push_back(name);
            auto c = analyze(*it->second, negated);
            expanding_.pop_back();
            return c;
        }
        case ExprKind::Compare:
            return compare(*expr.as<CompareExpr>(), negated);
        case ExprKind::Unary:
            return always();
        }
        return always();
    }

private:
    std::vector<std::string> values(const Operand& rhs) const
    {
        std::vector<std::string> out;
        auto expand = [&](const Literal& item) {
            auto list = lists_.find(item.text);
            if (item.quoted || list == lists_.end())
                out.push_back(item.text);
            else
                out.insert(out.end(), list->second.begin(), list->second.end());
        };
        if (const auto* literal = std::get_if<Literal>(&rhs))
            expand(*literal);
        else if (const auto* list = std::get_if<LiteralList>(&rhs))
            for (const auto& item : list->items)
                expand(item);
        return out;
    }

    OpenCondition compare(const CompareExpr& c, bool negated) const
    {
        if (!c.lhs.transformers.empty() || std::holds_alternative<FieldExpr>(c.rhs))
            return always();
        const std::string& field = c.lhs.field;
        const std::string& op = c.op;
        const auto vals = values(c.rhs);
        const bool is_list_op = op == "in" || op == "pmatch" || op == "intersects";
        const bool equality = op == "=" || op == "==";

        // evt.type is known for every open: the only check whose negation is decided here.
        if (field == "evt.type" && !c.lhs.arg && (equality || op == "in" || op == "!=")) {
            const bool names_open =
                std::any_of(vals.begin(), vals.end(), [](const auto& v) { return kOpenTypes.count(v) > 0; });
            const bool names_all_open = std::all_of(kOpenTypes.begin(), kOpenTypes.end(), [&](const auto& t) {
                return std::find(vals.begin(), vals.end(), t) != vals.end();
            });
            const bool positive = (op != "!=") != negated;
            if (positive)
                return names_open ? always() : never();
            return names_all_open ? never() : always();
        }
        if (negated)
            return always();
        if (!is_list_op && vals.size() != 1)
            return always();
        const std::string first = vals.empty() ? std::string() : vals.front();

        if ((field == "evt.is_open_read" || field == "evt.is_open_write") && equality && first == "true")
            return fact(field == "evt.is_open_read" ? PL_OF_READ : PL_OF_WRITE);
        if (field == "evt.arg" && c.lhs.arg == "flags" && op == "contains") {
            if (first == "O_TRUNC")
                return fact(PL_OF_TRUNC);
            if (first == "O_CREAT")
                return fact(PL_OF_CREAT);
            return always();
        }
        if (field == "evt.failed" && equality && first == "true")
            return fact(PL_OF_FAILED);
        if (field == "fd.num" || field == "evt.rawres")
            return result_check(op, first);
        if (field == "evt.res") {
            if (op == "startswith" && first == "E")
                return fact(PL_OF_FAILED);
            if (equality && first == "SUCCESS")
                return fact(PL_OF_OK);
            if (op == "!=" && first == "SUCCESS")
                return fact(PL_OF_FAILED);
            return always();
        }
        if (field == "fd.nameraw" && op == "contains" && first.find("../") != std::string::npos)
            return fact(PL_OF_DOTDOT);
        if (field == "fd.name")
            return name_check(op, vals);
        if (field == "fd.directory")
            return directory_check(op, vals);
        if (field == "fd.filename")
            return filename_check(op, vals);
        return always();
    }

    // fd.num and evt.rawres: the fd, or -errno.
    static OpenCondition result_check(const std::string& op, const std::string& text)
    {
        long long v = 0;
        try {
            std::size_t used = 0;
            v = std::stoll(text, &used, 0);
            if (used != text.size())
                return always();
        } catch (...) {
            return always();
        }
        if ((op == ">=" && v >= 0) || (op == ">" && v >= -1) || ((op == "=" || op == "==") && v >= 0))
            return fact(PL_OF_OK);
        if ((op == "<" && v <= 0) || (op == "<=" && v < 0) || ((op == "=" || op == "==") && v < 0))
            return fact(PL_OF_FAILED);
        return always();
    }

    static OpenCondition name_check(const std::string& op, const std::vector<std::string>& vals)
    {
        std::set<PathPattern> out;
        for (const auto& v : vals) {
            if (op == "=" || op == "==" || op == "in")
                out.insert({PathMatch::Exact, v});
            else if (op == "startswith" || op == "pmatch")
                out.insert({PathMatch::Prefix, v});
            else if (op == "glob")
                out.insert({PathMatch::Prefix, glob_prefix(v)});
            else if (op == "endswith")
                out.insert({PathMatch::Suffix, v});
            else
                return always();
            if (v.empty())
                return always();
        }
        return paths(std::move(out));
    }

    // fd.directory is the parent of a file's path, or a directory's own path.
    static OpenCondition directory_check(const std::string& op, const std::vector<std::string>& vals)
    {
        std::set<PathPattern> out;
        for (const auto& v : vals) {
            if (op == "=" || op == "==" || op == "in") {
                const std::string dir = without_trailing_slashes(v);
                if (dir.empty() || dir == "/")
                    return always();
                out.insert({PathMatch::Prefix, dir + "/"});
                out.insert({PathMatch::Exact, dir});
            } else if (op == "startswith" || op == "pmatch") {
                if (v.empty())
                    return always();
                out.insert({PathMatch::Prefix, v});
            } else {
                return always();
            }
        }
        return paths(std::move(out));
    }

    // fd.filename is the last component of a file's path.
    static OpenCondition filename_check(const std::string& op, const std::vector<std::string>& vals)
    {
        std::set<PathPattern> out;
        for (const auto& v : vals) {
            if (v.empty() || v.find('/') != std::string::npos)
                return always();
            if (op == "=" || op == "==" || op == "in")
                out.insert({PathMatch::Suffix, "/" + v});
            else if (op == "endswith")
                out.insert({PathMatch::Suffix, v});
            else
                return always();
        }
        return paths(std::move(out));
    }

    std::map<std::string, std::vector<std::string>> lists_;
    std::map<std::string, std::unique_ptr<Expr>> macros_;
    std::vector<std::string> expanding_;
};

const char* fact_name(int f)
{
    static const char* names[PL_OF_COUNT] = {"read", "write", "trunc", "creat", "ok", "failed", "dotdot"};
    return f >= 0 && f < PL_OF_COUNT ? names[f] : "?";
}

}  // namespace

OpenPrefilter derive_open_prefilter(const RuleSet& set)
{
    Analyzer analyzer(set);
    OpenPrefilter out;
    OpenCondition all;
    for (const auto& rule : set.rules) {
        if (!rule.enabled || rule.skipped)
            continue;
        auto parsed = parse_condition(rule.condition);
        // A rule that does not parse is not loaded; counting it as "any open" is safe.
        OpenCondition c = parsed.error ? always() : analyzer.analyze(*parsed.expr, false);
        if (c.empty())
            continue;  // sees no open
        if (holds_always(c) && !out.pass_all) {
            out.pass_all = true;
            out.reason = fmt::format("rule '{}' can match any open", rule.name);
        }
        all.insert(all.end(), c.begin(), c.end());
        out.rules.push_back({rule.name, std::move(c)});
    }
    out.alternatives = simplify(std::move(all));
    if (!out.pass_all && out.alternatives.size() > PL_PF_ALTS) {
        out.pass_all = true;
        out.reason = fmt::format("{} alternatives, more than the kernel's {}", out.alternatives.size(), PL_PF_ALTS);
    }
    if (out.pass_all)
        out.alternatives = always();
    return out;
}

std::string describe(const OpenAlternative& alt)
{
    if (alt.is_true())
        return "true";
    std::string out;
    for (int f = 0; f < PL_OF_COUNT; ++f)
        if (alt.facts & (1u << f))
            out += fmt::format("{}{}", out.empty() ? "" : " & ", fact_name(f));
    if (alt.paths) {
        std::string list;
        for (const auto& p : *alt.paths)
            list += fmt::format("{}{} {}", list.empty() ? "" : ", ",
                                p.kind == PathMatch::Prefix  ? "prefix"
                                : p.kind == PathMatch::Exact ? "exact"
                                                             : "suffix",
                                p.text);
        out += fmt::format("{}path in {{{}}}", out.empty() ? "" : " & ", list);
    }
    return out;
}

std::string describe(const OpenCondition& condition)
{
    if (condition.empty())
        return "false";
    std::string out;
    for (const auto& alt : condition)
        out += fmt::format("{}({})", out.empty() ? "" : " | ", describe(alt));
    return out;
}

OpenTables build_open_tables(const OpenPrefilter& prefilter)
{
    OpenTables t;
    if (prefilter.pass_all)
        return t;  // enabled = 0
    t.header.enabled = 1;
    for (std::size_t i = 0; i < prefilter.alternatives.size() && i < PL_PF_ALTS; ++i) {
        const auto& alt = prefilter.alternatives[i];
        const std::uint64_t bit = 1ull << i;
        for (int f = 0; f < PL_OF_COUNT; ++f)
            if (alt.facts & (1u << f))
                t.header.needs[f] |= bit;
        if (!alt.paths) {
            t.header.any_path |= bit;
            continue;
        }
        for (const auto& p : *alt.paths) {
            // Longer than the trie looks: its first bytes are a weaker prefix.
            std::string key = p.kind == PathMatch::Exact ? p.text + '\0' : p.text;
            if (p.kind == PathMatch::Suffix)
                std::reverse(key.begin(), key.end());
            if (key.size() > PL_PF_PATH_MAX)
                key.resize(PL_PF_PATH_MAX);
            (p.kind == PathMatch::Suffix ? t.postfix : t.prefix)[key] |= bit;
            (p.kind == PathMatch::Suffix ? t.header.suffix_alts : t.header.prefix_alts) |= bit;
        }
    }
    // An LPM lookup returns the longest match only: give each entry the bits
    // of every entry that is a prefix of it.
    for (auto* trie : {&t.prefix, &t.postfix}) {
        std::map<std::string, std::uint64_t> closed = *trie;
        for (auto& [key, mask] : closed)
            for (const auto& [other, other_mask] : *trie)
                if (other.size() < key.size() && key.compare(0, other.size(), other) == 0)
                    mask |= other_mask;
        *trie = std::move(closed);
    }
    return t;
}

bool path_judgeable(const std::string& raw_path)
{
    if (raw_path.empty() || raw_path.front() != '/' || raw_path.size() + 2 > PL_PF_PATH_MAX)
        return false;
    // Components that lexical normalisation drops or resolves: "", ".", "..".
    // (The root alone is its own normal form.)
    if (raw_path == "/")
        return true;
    std::size_t start = 1;
    while (true) {
        const std::size_t end = std::min(raw_path.find('/', start), raw_path.size());
        const std::string_view part(raw_path.data() + start, end - start);
        if (part.empty() || part == "." || part == "..")
            return false;
        if (end == raw_path.size())
            return true;
        start = end + 1;
    }
}

std::uint32_t open_facts(std::uint32_t syscall_kind, std::uint64_t flags, std::int64_t ret, const std::string& raw_path)
{
    std::uint32_t facts = 0;
    const std::uint64_t access = flags & O_ACCMODE;
    if (syscall_kind != PL_SC_CREAT) {
        if (access == O_RDONLY || access == O_RDWR)
            facts |= 1u << PL_OF_READ;
        if (access == O_WRONLY || access == O_RDWR)
            facts |= 1u << PL_OF_WRITE;
    }
    if (flags & O_TRUNC)
        facts |= 1u << PL_OF_TRUNC;
    if (flags & O_CREAT)
        facts |= 1u << PL_OF_CREAT;
    facts |= 1u << (ret >= 0 ? PL_OF_OK : PL_OF_FAILED);
    if (raw_path.size() + 2 > PL_PF_PATH_MAX || raw_path.find("../") != std::string::npos)
        facts |= 1u << PL_OF_DOTDOT;
    return facts;
}

bool kernel_passes(const OpenTables& t, std::uint32_t facts, const std::string& raw_path)
{
    if (!t.header.enabled)
        return true;
    std::uint64_t alive = t.header.any_path;
    if (!path_judgeable(raw_path)) {
        alive = ~0ull;
    } else {
        auto longest = [](const std::map<std::string, std::uint64_t>& trie, const std::string& key) {
            std::uint64_t mask = 0;
            std::size_t best = 0;
            for (const auto& [k, m] : trie)
                if (k.size() <= key.size() && key.compare(0, k.size(), k) == 0 && k.size() >= best)
                    best = k.size(), mask = m;
            return mask;
        };
        alive |= longest(t.prefix, raw_path + '\0');
        alive |= longest(t.postfix, std::string(raw_path.rbegin(), raw_path.rend()));
    }
    for (int f = 0; f < PL_OF_COUNT; ++f)
        if (!(facts & (1u << f)))
            alive &= ~t.header.needs[f];
    return alive != 0;
}

}  // namespace palisade::rules::prefilter
