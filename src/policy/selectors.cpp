// A hook's selectors: the filters (matchPIDs, matchArgs, ...) and the actions,
// with the operator, namespace, capability and action names Tetragon accepts.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <span>

#include <fmt/format.h>

#include "policy/policy_readers.h"

namespace palisade::policy::detail {
namespace {

constexpr std::string_view kSelectorKeys[] = {
    "matchPIDs",       "matchArgs",          "matchReturnArgs",       "matchBinaries",
    "matchNamespaces", "matchCapabilities",  "matchNamespaceChanges", "matchCapabilityChanges",
    "matchActions",    "matchReturnActions",
};
// Tetragon filters Palisade does not evaluate. Dropping one would make the
// selector, and any Sigkill or Override in it, apply to more than written.
constexpr std::string_view kUnsupportedSelectorKeys[] = {"matchData", "matchParentBinaries", "matchCurrentCred"};

constexpr std::string_view kPidKeys[] = {"operator", "values", "followForks", "isNamespacePID"};
constexpr std::string_view kArgMatchKeys[] = {"index", "args", "operator", "values"};
constexpr std::string_view kBinaryKeys[] = {"operator", "values", "followChildren"};
constexpr std::string_view kNamespaceKeys[] = {"namespace", "operator", "values"};
constexpr std::string_view kCapabilityKeys[] = {"type", "operator", "isNamespaceCapability", "values"};
constexpr std::string_view kNamespaceChangeKeys[] = {"operator", "values"};
constexpr std::string_view kActionKeys[] = {
    "action", "argError", "argSig", "rateLimit", "rateLimitScope", "kernelStackTrace", "userStackTrace", "imaHash",
    "argFd",  "argName",  "argUrl", "argFqdn",   "argSock",        "argIndex",         "argValue",
};
// Read by Tetragon for Post; Palisade posts without them.
constexpr std::string_view kIgnoredActionKeys[] = {"kernelStackTrace", "userStackTrace", "imaHash"};
constexpr std::string_view kRateLimitScopes[] = {"thread", "process", "global"};

// Operators as Tetragon's SelectorOp() spells them: case-sensitive, with a few
// historical lowercase and alternative spellings.
constexpr Named<ArgOp> kArgOpSpellings[] = {
    {"Equal", ArgOp::Equal},
    {"eq", ArgOp::Equal},
    {"NotEqual", ArgOp::NotEqual},
    {"neq", ArgOp::NotEqual},
    {"Prefix", ArgOp::Prefix},
    {"prefix", ArgOp::Prefix},
    {"NotPrefix", ArgOp::NotPrefix},
    {"notprefix", ArgOp::NotPrefix},
    {"Postfix", ArgOp::Postfix},
    {"postfix", ArgOp::Postfix},
    {"NotPostfix", ArgOp::NotPostfix},
    {"notpostfix", ArgOp::NotPostfix},
    {"Mask", ArgOp::Mask},
    {"mask", ArgOp::Mask},
    {"GT", ArgOp::GT},
    {"gt", ArgOp::GT},
    {"GreaterThan", ArgOp::GT},
    {"LT", ArgOp::LT},
    {"lt", ArgOp::LT},
    {"LessThan", ArgOp::LT},
    {"SAddr", ArgOp::SAddr},
    {"saddr", ArgOp::SAddr},
    {"Saddr", ArgOp::SAddr},
    {"DAddr", ArgOp::DAddr},
    {"daddr", ArgOp::DAddr},
    {"Daddr", ArgOp::DAddr},
    {"NotSAddr", ArgOp::NotSAddr},
    {"notsaddr", ArgOp::NotSAddr},
    {"NotSaddr", ArgOp::NotSAddr},
    {"NotDAddr", ArgOp::NotDAddr},
    {"notdaddr", ArgOp::NotDAddr},
    {"NotDaddr", ArgOp::NotDAddr},
    {"SPort", ArgOp::SPort},
    {"sport", ArgOp::SPort},
    {"Sport", ArgOp::SPort},
    {"DPort", ArgOp::DPort},
    {"dport", ArgOp::DPort},
    {"Dport", ArgOp::DPort},
    {"NotSPort", ArgOp::NotSPort},
    {"notsport", ArgOp::NotSPort},
    {"NotSport", ArgOp::NotSPort},
    {"NotDPort", ArgOp::NotDPort},
    {"notdport", ArgOp::NotDPort},
    {"NotDport", ArgOp::NotDPort},
    {"SPortPriv", ArgOp::SPortPriv},
    {"sportpriv", ArgOp::SPortPriv},
    {"SportPriv", ArgOp::SPortPriv},
    {"DPortPriv", ArgOp::DPortPriv},
    {"dportpriv", ArgOp::DPortPriv},
    {"DportPriv", ArgOp::DPortPriv},
    {"NotSPortPriv", ArgOp::NotSPortPriv},
    {"notsportpriv", ArgOp::NotSPortPriv},
    {"NotSportPriv", ArgOp::NotSPortPriv},
    {"NotDPortPriv", ArgOp::NotDPortPriv},
    {"notdportpriv", ArgOp::NotDPortPriv},
    {"NotDportPriv", ArgOp::NotDPortPriv},
    {"Protocol", ArgOp::Protocol},
    {"protocol", ArgOp::Protocol},
    {"Family", ArgOp::Family},
    {"family", ArgOp::Family},
    {"State", ArgOp::State},
    {"state", ArgOp::State},
    {"InMap", ArgOp::InMap},
    {"NotInMap", ArgOp::NotInMap},
};
constexpr std::string_view kArgOpNames[] = {
    "Equal",    "NotEqual", "Prefix",   "NotPrefix", "Postfix",   "NotPostfix",   "Mask",
    "GT",       "LT",       "SAddr",    "DAddr",     "NotSAddr",  "NotDAddr",     "SPort",
    "DPort",    "NotSPort", "NotDPort", "SPortPriv", "DPortPriv", "NotSPortPriv", "NotDPortPriv",
    "Protocol", "Family",   "State",    "InMap",     "NotInMap",
};
// Newer Tetragon matchArgs operators, named as such in the error.
constexpr std::string_view kUnsupportedArgOps[] = {
    "InRange",     "NotInRange", "SubString",   "SubStringIgnCase",   "FileType",
    "NotFileType", "SameFile",   "NotSameFile", "CapabilitiesGained",
};

constexpr Named<BinaryOp> kBinaryOpSpellings[] = {
    {"In", BinaryOp::In},
    {"NotIn", BinaryOp::NotIn},
    {"Prefix", BinaryOp::Prefix},
    {"prefix", BinaryOp::Prefix},
    {"NotPrefix", BinaryOp::NotPrefix},
    {"notprefix", BinaryOp::NotPrefix},
    {"Postfix", BinaryOp::Postfix},
    {"postfix", BinaryOp::Postfix},
    {"NotPostfix", BinaryOp::NotPostfix},
    {"notpostfix", BinaryOp::NotPostfix},
};
constexpr std::string_view kBinaryOpNames[] = {"In", "NotIn", "Prefix", "NotPrefix", "Postfix", "NotPostfix"};

constexpr Named<SetOp> kSetOpSpellings[] = {{"In", SetOp::In}, {"NotIn", SetOp::NotIn}};
constexpr std::string_view kSetOpNames[] = {"In", "NotIn"};

// Namespace and capability-set names, compared lowercased as Tetragon does.
constexpr Named<NamespaceKind> kNamespaces[] = {
    {"uts", NamespaceKind::Uts},
    {"ipc", NamespaceKind::Ipc},
    {"mnt", NamespaceKind::Mnt},
    {"pid", NamespaceKind::Pid},
    {"pidforchildren", NamespaceKind::PidForChildren},
    {"net", NamespaceKind::Net},
    {"time", NamespaceKind::Time},
    {"timeforchildren", NamespaceKind::TimeForChildren},
    {"cgroup", NamespaceKind::Cgroup},
    {"user", NamespaceKind::User},
};
constexpr std::string_view kNamespaceNames[] = {
    "Uts", "Ipc", "Mnt", "Pid", "PidForChildren", "Net", "Time", "TimeForChildren", "Cgroup", "User",
};
constexpr Named<CapSetKind> kCapSets[] = {
    {"effective", CapSetKind::Effective},
    {"inheritable", CapSetKind::Inheritable},
    {"permitted", CapSetKind::Permitted},
};
constexpr std::string_view kCapSetNames[] = {"Effective", "Inheritable", "Permitted"};

// linux/capability.h: the name's position is the capability's number.
constexpr std::string_view kCapabilities[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(std::size(kCapabilities) == 41);

// Action names, compared lowercased as Tetragon does.
constexpr Named<ActionKind> kActions[] = {
    {"post", ActionKind::Post},
    {"nopost", ActionKind::NoPost},
    {"sigkill", ActionKind::Sigkill},
    {"signal", ActionKind::Signal},
    {"override", ActionKind::Override},
    {"followfd", ActionKind::FollowFD},
    {"unfollowfd", ActionKind::UnfollowFD},
    {"copyfd", ActionKind::CopyFD},
    {"geturl", ActionKind::GetUrl},
    {"dnslookup", ActionKind::DnsLookup},
    {"tracksock", ActionKind::TrackSock},
    {"untracksock", ActionKind::UntrackSock},
    {"notifyenforcer", ActionKind::NotifyEnforcer},
    {"set", ActionKind::Set},
};

// The filter's `operator`, one of `spellings`; `filter` names it in messages.
template <typename Op>
Op read_operator(const Mapping& mapping, std::string_view filter, std::span<const Named<Op>> spellings,
                 Keys valid_names, Keys unsupported = {})
{
    std::string text = mapping.string("operator");
    if (const Op* op = find_named(spellings, text))
        return *op;
    std::string_view problem = contains(unsupported, text) ? "is not supported by Palisade" : "is not valid";
    fail(mapping.value_where("operator"),
         fmt::format("{} operator '{}' {}; valid operators: {}", filter, text, problem, join(valid_names)));
}

NamespaceKind namespace_named(const Reader& reader, const YAML::Node& node, const Location& fallback)
{
    std::string name = scalar_text(reader, node, "a namespace", fallback);
    if (const NamespaceKind* kind = find_named<NamespaceKind>(kNamespaces, lowercase(name)))
        return *kind;
    fail(reader.at(node, fallback),
         fmt::format("unknown namespace '{}'; valid namespaces: {}", name, join(kNamespaceNames)));
}

// Runs `read_one` on each item of selector[key], each read as a mapping.
template <typename Item, typename ReadOne>
std::vector<Item> read_filters(const Mapping& selector, std::string_view key, ReadOne read_one)
{
    std::vector<Item> filters;
    for (const Mapping& filter : selector.mappings(key, fmt::format("a {} entry", key)))
        read_one(filter, filters);
    return filters;
}

void read_pid_match(const Mapping& mapping, std::vector<PidMatch>& out)
{
    mapping.reject_unknown_keys(kPidKeys);
    PidMatch match;
    match.loc = mapping.where();
    match.op = read_operator<SetOp>(mapping, "matchPIDs", kSetOpSpellings, kSetOpNames);
    for (std::int64_t pid : mapping.integers("values", 0, UINT32_MAX))
        match.values.push_back(static_cast<std::uint32_t>(pid));
    match.follow_forks = mapping.bool_or("followForks", false);
    match.is_namespace_pid = mapping.bool_or("isNamespacePID", false);
    out.push_back(std::move(match));
}

// Tetragon's newer form `args: [0, 2]` applies one operator to several
// arguments: the same as one entry per argument.
void read_arg_match(const Mapping& mapping, std::vector<ArgMatch>& out, std::string_view filter)
{
    mapping.reject_unknown_keys(kArgMatchKeys);
    if (mapping.has("index") && mapping.has("args"))
        fail(mapping.key_where("args"), fmt::format("a {} entry takes 'index' or 'args', not both", filter));
    ArgOp op = read_operator<ArgOp>(mapping, filter, kArgOpSpellings, kArgOpNames, kUnsupportedArgOps);
    std::vector<std::string> values = mapping.strings("values");
    std::vector<std::int64_t> indexes = mapping.has("args") ? mapping.integers("args", 0, INT32_MAX)
                                                            : std::vector{mapping.integer("index", 0, INT32_MAX)};
    if (indexes.empty())
        fail(mapping.value_where("args"), "'args' must list at least one argument index");
    for (std::int64_t index : indexes)
        out.push_back(ArgMatch{static_cast<int>(index), op, values, mapping.where()});
}

void read_binary_match(const Mapping& mapping, std::vector<BinaryMatch>& out)
{
    mapping.reject_unknown_keys(kBinaryKeys);
    BinaryMatch match;
    match.loc = mapping.where();
    match.op = read_operator<BinaryOp>(mapping, "matchBinaries", kBinaryOpSpellings, kBinaryOpNames);
    match.values = mapping.strings("values");
    match.follow_children = mapping.bool_or("followChildren", false);
    out.push_back(std::move(match));
}

void read_namespace_match(const Mapping& mapping, std::vector<NamespaceMatch>& out)
{
    mapping.reject_unknown_keys(kNamespaceKeys);
    NamespaceMatch match;
    match.loc = mapping.where();
    match.ns = namespace_named(mapping.reader(), mapping.value("namespace"), mapping.value_where("namespace"));
    match.op = read_operator<SetOp>(mapping, "matchNamespaces", kSetOpSpellings, kSetOpNames);
    for (const YAML::Node& value : mapping.items("values")) {
        // "host_ns": whatever namespace the agent itself runs in.
        if (value.IsScalar() && value.Scalar() == "host_ns")
            match.host_ns = true;
        else
            match.values.push_back(static_cast<std::uint32_t>(
                integer_value(mapping.reader(), value, "a namespace inode number or \"host_ns\"", 0, UINT32_MAX,
                              mapping.value_where("values"))));
    }
    out.push_back(std::move(match));
}

int capability_named(const Reader& reader, const YAML::Node& node, const Location& fallback)
{
    std::string name = scalar_text(reader, node, "a capability", fallback);
    // Tetragon upper-cases the name: "cap_sys_admin" is CAP_SYS_ADMIN.
    std::string upper = name;
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return std::toupper(c); });
    for (std::size_t number = 0; number < std::size(kCapabilities); ++number)
        if (kCapabilities[number] == upper)
            return static_cast<int>(number);
    fail(reader.at(node, fallback),
         fmt::format("unknown capability '{}' (expected a CAP_* name, e.g. CAP_SYS_ADMIN)", name));
}

// matchCapabilities and matchCapabilityChanges share their shape.
template <typename Match>
void read_capability_match(const Mapping& mapping, std::vector<Match>& out, std::string_view filter)
{
    mapping.reject_unknown_keys(kCapabilityKeys);
    Match match;
    match.loc = mapping.where();
    std::string set = mapping.string_or("type", "Effective");
    const CapSetKind* kind = find_named<CapSetKind>(kCapSets, lowercase(set));
    if (!kind)
        fail(mapping.value_where("type"),
             fmt::format("unknown capability set '{}'; valid sets: {}", set, join(kCapSetNames)));
    match.set = *kind;
    match.op = read_operator<SetOp>(mapping, filter, kSetOpSpellings, kSetOpNames);
    match.is_namespace_capability = mapping.bool_or("isNamespaceCapability", false);
    for (const YAML::Node& value : mapping.items("values"))
        match.caps.push_back(capability_named(mapping.reader(), value, mapping.value_where("values")));
    out.push_back(std::move(match));
}

void read_namespace_change_match(const Mapping& mapping, std::vector<NamespaceChangeMatch>& out)
{
    mapping.reject_unknown_keys(kNamespaceChangeKeys);
    NamespaceChangeMatch match;
    match.loc = mapping.where();
    match.op = read_operator<SetOp>(mapping, "matchNamespaceChanges", kSetOpSpellings, kSetOpNames);
    for (const YAML::Node& value : mapping.items("values"))
        match.namespaces.push_back(namespace_named(mapping.reader(), value, mapping.value_where("values")));
    out.push_back(std::move(match));
}

void read_action(const Mapping& mapping, std::vector<Action>& out)
{
    mapping.reject_unknown_keys(kActionKeys);
    mapping.warn_ignored_keys(kIgnoredActionKeys);
    Action action;
    action.loc = mapping.where();
    action.name = mapping.string("action");
    // Names Palisade does not know are kept, for the compiler to name.
    const ActionKind* kind = find_named<ActionKind>(kActions, lowercase(action.name));
    action.kind = kind ? *kind : ActionKind::Unsupported;
    if (auto error = mapping.optional_integer("argError", INT32_MIN, INT32_MAX))
        action.arg_error = static_cast<int>(*error);
    if (auto signal = mapping.optional_integer("argSig", 0, INT32_MAX))
        action.arg_sig = static_cast<int>(*signal);
    action.arg_url = mapping.string_or("argUrl");
    action.arg_fqdn = mapping.string_or("argFqdn");
    std::string rate_limit = mapping.string_or("rateLimit");
    if (!rate_limit.empty()) {
        bool ok = false;
        action.rate_limit_ns = parse_duration_ns(rate_limit, &ok);
        if (!ok)
            fail(mapping.value_where("rateLimit"),
                 fmt::format("rateLimit '{}' is not a duration (e.g. \"500ms\", \"10s\", \"1m\", \"1h\", or seconds)",
                             rate_limit));
    }
    std::string scope = mapping.string_or("rateLimitScope");
    if (!scope.empty()) {
        action.rate_limit_scope = lowercase(scope);
        if (!contains(kRateLimitScopes, action.rate_limit_scope))
            fail(mapping.value_where("rateLimitScope"),
                 fmt::format("unknown rateLimitScope '{}'; valid scopes: {}", scope, join(kRateLimitScopes)));
    }
    out.push_back(std::move(action));
}

Selector read_selector(const Mapping& mapping)
{
    for (std::string_view key : kUnsupportedSelectorKeys)
        if (mapping.has(key))
            fail(mapping.key_where(key),
                 fmt::format("selector filter '{}' is not supported by Palisade (ignoring it would widen the selector)",
                             key));
    mapping.reject_unknown_keys(kSelectorKeys);
    Selector selector;
    selector.loc = mapping.where();
    selector.pids = read_filters<PidMatch>(mapping, "matchPIDs", read_pid_match);
    selector.args = read_filters<ArgMatch>(mapping, "matchArgs",
                                           [](const Mapping& m, auto& out) { read_arg_match(m, out, "matchArgs"); });
    selector.return_args = read_filters<ArgMatch>(
        mapping, "matchReturnArgs", [](const Mapping& m, auto& out) { read_arg_match(m, out, "matchReturnArgs"); });
    selector.binaries = read_filters<BinaryMatch>(mapping, "matchBinaries", read_binary_match);
    selector.namespaces = read_filters<NamespaceMatch>(mapping, "matchNamespaces", read_namespace_match);
    selector.capabilities =
        read_filters<CapabilityMatch>(mapping, "matchCapabilities", [](const Mapping& m, auto& out) {
            read_capability_match(m, out, "matchCapabilities");
        });
    selector.namespace_changes =
        read_filters<NamespaceChangeMatch>(mapping, "matchNamespaceChanges", read_namespace_change_match);
    selector.capability_changes =
        read_filters<CapabilityChangeMatch>(mapping, "matchCapabilityChanges", [](const Mapping& m, auto& out) {
            read_capability_match(m, out, "matchCapabilityChanges");
        });
    selector.actions = read_filters<Action>(mapping, "matchActions", read_action);
    selector.return_actions = read_filters<Action>(mapping, "matchReturnActions", read_action);
    return selector;
}

}  // namespace

std::vector<Selector> read_selectors(const Mapping& hook)
{
    std::vector<Selector> selectors;
    for (const Mapping& selector : hook.mappings("selectors", "a selector"))
        selectors.push_back(read_selector(selector));
    return selectors;
}

}  // namespace palisade::policy::detail
