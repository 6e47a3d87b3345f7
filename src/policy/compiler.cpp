#include "policy/compiler.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "policy/kernel_functions.h"
#include "policy/values.h"

namespace palisade::policy {
namespace {

using Bytes16 = std::array<std::uint8_t, 16>;

void set_bit(pl_pol_mask& m, std::uint32_t bit) { m.w[bit / 64] |= 1ULL << (bit % 64); }

void or_into(pl_pol_hit& into, const pl_pol_hit& from)
{
    for (int w = 0; w < PL_POL_MASK_WORDS; ++w) {
        into.pos.w[w] |= from.pos.w[w];
        into.neg.w[w] |= from.neg.w[w];
    }
}

void add_hit(pl_pol_hit& hit, std::uint32_t bit, bool negated) { set_bit(negated ? hit.neg : hit.pos, bit); }

struct CompileFailure {
    Location loc;
    std::string message;
    Support support = Support::Unsupported;
};

struct HookState {
    HookState()
    {
        hook.str_arg = hook.dirfd_arg = hook.sock_arg = hook.sockaddr_arg = hook.skb_arg = hook.cred_arg =
            PL_POL_NO_ARG;
    }
    pl_pol_hook hook{};
    std::uint32_t selectors = 0;
    std::uint32_t slow = 0;
    // The kernel sign-extends an argument for every selector of the hook or
    // for none: the width each argument is compared in (index 6: the return
    // value), the policy that set it, and the 32-bit ones only declared.
    std::array<int, 7> compared_bits{};
    std::array<std::string, 7> compared_by;
    std::uint8_t declared32 = 0;
    void update_arg32()
    {
        hook.arg32 = 0;
        for (int a = 0; a < 7; ++a)
            if (compared_bits[a] == 32 || (compared_bits[a] == 0 && (declared32 >> a & 1)))
                hook.arg32 |= 1u << a;
    }
};

struct BinarySet {
    BinaryOp op;  // In/NotIn share a set, as do Prefix/NotPrefix and Postfix/NotPostfix
    std::vector<std::string> values;
    bool follow_children;
    // A followForks pid set instead of binary paths.
    std::vector<std::uint32_t> pids;
    bool namespace_pids = false;
    auto key() const { return std::tie(op, values, follow_children, pids, namespace_pids); }
};

// Everything compiled so far; copied per policy so that a failing policy
// leaves no trace.
struct Builder {
    std::map<std::uint32_t, HookState> hooks;
    std::map<std::uint32_t, pl_pol_selector> selectors;
    std::map<std::uint32_t, pl_pol_slow> slow;
    std::map<std::pair<std::uint32_t, std::string>, pl_pol_hit> str_eq, str_prefix, str_postfix;
    std::map<std::tuple<std::uint32_t, std::uint32_t, Bytes16, int>, pl_pol_hit> addrs;
    std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>, pl_pol_hit> values;
    std::vector<BinarySet> binary_sets;
    std::vector<std::vector<std::uint64_t>> cgroup_sets;  // by set id
    std::vector<KernelTables::Uprobe> uprobes;
    std::vector<KernelTables::Kprobe> kprobes;
    std::vector<pl_pol_policy> policies;
    std::vector<PolicyInfo> info;
};

BinaryOp binary_family(BinaryOp op)
{
    switch (op) {
    case BinaryOp::NotIn: return BinaryOp::In;
    case BinaryOp::NotPrefix: return BinaryOp::Prefix;
    case BinaryOp::NotPostfix: return BinaryOp::Postfix;
    default: return op;
    }
}

bool binary_negated(BinaryOp op)
{
    return op == BinaryOp::NotIn || op == BinaryOp::NotPrefix || op == BinaryOp::NotPostfix;
}

pl_pol_ns ns_index(NamespaceKind k)
{
    switch (k) {
    case NamespaceKind::Uts: return PL_NS_UTS;
    case NamespaceKind::Ipc: return PL_NS_IPC;
    case NamespaceKind::Mnt: return PL_NS_MNT;
    case NamespaceKind::Pid: return PL_NS_PID;
    case NamespaceKind::PidForChildren: return PL_NS_PID_CHILDREN;
    case NamespaceKind::Net: return PL_NS_NET;
    case NamespaceKind::Time: return PL_NS_TIME;
    case NamespaceKind::TimeForChildren: return PL_NS_TIME_CHILDREN;
    case NamespaceKind::Cgroup: return PL_NS_CGROUP;
    case NamespaceKind::User: return PL_NS_USER;
    }
    return PL_NS_PID;
}

// Values with "list:NAME" replaced by the values of spec.lists' NAME.
std::vector<std::string> expand_lists(const Policy& policy, const ArgMatch& m)
{
    std::vector<std::string> out;
    for (const auto& text : m.values) {
        if (!text.starts_with("list:")) {
            out.push_back(text);
            continue;
        }
        auto it = std::find_if(policy.lists.begin(), policy.lists.end(),
                               [&](const NamedList& l) { return l.name == text.substr(5); });
        if (it == policy.lists.end())
            throw CompileFailure{m.loc, fmt::format("'{}' names no list in spec.lists", text)};
        out.insert(out.end(), it->values.begin(), it->values.end());
    }
    return out;
}

const char* op_name(ArgOp op)
{
    static const char* names[] = {"Equal", "NotEqual", "Prefix", "NotPrefix", "Postfix", "NotPostfix", "Mask",
                                  "GT", "LT", "SAddr", "DAddr", "NotSAddr", "NotDAddr", "SPort", "DPort",
                                  "NotSPort", "NotDPort", "SPortPriv", "DPortPriv", "NotSPortPriv",
                                  "NotDPortPriv", "Protocol", "Family", "State", "InMap", "NotInMap"};
    return names[static_cast<int>(op)];
}

// Compiles one selector of one policy hook onto one hook point.
class SelectorCompiler {
public:
    SelectorCompiler(Builder& b, const CompileEnv& env, const Policy& policy, const HookResolution& res,
                     std::uint32_t target, std::uint32_t bit, std::string where)
        : b_(b), env_(env), policy_(policy), res_(res), target_(target), bit_(bit), hs_(b.hooks[target]),
          where_(std::move(where))
    {
    }

    void args(const std::vector<ArgMatch>& matches)
    {
        std::set<std::pair<int, bool>> used;  // (table, negated): one matcher each per selector
        for (const ArgMatch& m : matches) {
            const int position = res_.position_of(m.index);
            if (position < 0)
                fail(m.loc, fmt::format("matchArgs index {} names no argument the hook declares", m.index));
            const ArgBinding& binding = res_.args[position];
            switch (binding.source) {
            case ArgSource::Unavailable: fail(m.loc, "matchArgs index " + std::to_string(m.index) + ": " +
                                                         binding.unavailable_reason);
            case ArgSource::SyscallNr: continue;  // chose the hook points already
            case ArgSource::String: string_arg(m, used); break;
            case ArgSource::SyscallInt:
                if (binding.is_fd && !all_integers(m))
                    fd_path_arg(m, binding, used);
                else
                    int_arg(m, binding, used);
                break;
            case ArgSource::Socket:
                if (binding.is_skb && !skb_operator(m.op))
                    fail(m.loc, fmt::format("{}: matchArgs index {} is an skb: operator {} does not apply (an skb "
                                            "is matched with SAddr, DAddr, NotSAddr, NotDAddr, SPort, DPort, "
                                            "NotSPort, NotDPort, SPortPriv, DPortPriv, NotSPortPriv, NotDPortPriv, "
                                            "Protocol, Family)",
                                            where_, m.index, op_name(m.op)));
                socket_arg(m, used);
                break;
            case ArgSource::Cred:
                fail(m.loc, fmt::format("{}: matchArgs index {} is a cred: operator {} does not apply (a cred is "
                                        "read for the event; match the caller's credentials with "
                                        "matchCapabilities)",
                                        where_, m.index, op_name(m.op)));
            }
        }
    }

    // The id of a process set (matchBinaries values or followForks pids), shared by equal ones.
    std::uint32_t set_id(const BinarySet& set, const Location& loc)
    {
        auto it = std::find_if(b_.binary_sets.begin(), b_.binary_sets.end(),
                               [&](const BinarySet& s) { return s.key() == set.key(); });
        if (it != b_.binary_sets.end())
            return static_cast<std::uint32_t>(it - b_.binary_sets.begin());
        if (b_.binary_sets.size() >= PL_POL_BINARY_SETS)
            fail(loc, fmt::format("more than {} distinct matchBinaries value lists and followForks pid lists over "
                                  "all policies",
                                  PL_POL_BINARY_SETS));
        b_.binary_sets.push_back(set);
        return static_cast<std::uint32_t>(b_.binary_sets.size() - 1);
    }

    // The values as written plus their real paths, where symlinks differ.
    std::vector<std::string> binary_values(const BinaryMatch& m)
    {
        std::vector<std::string> out = m.values;
        if (!env_.real_path || binary_family(m.op) == BinaryOp::Postfix)
            return out;
        for (const auto& v : m.values) {
            const bool dir = v.size() > 1 && v.back() == '/';
            std::string real = env_.real_path(dir ? v.substr(0, v.size() - 1) : v);
            if (!real.empty() && dir)
                real += '/';
            if (!real.empty() && real != v && std::find(out.begin(), out.end(), real) == out.end())
                out.push_back(real);
        }
        return out;
    }

    void return_args(const std::vector<ArgMatch>& matches)
    {
        std::set<std::pair<int, bool>> used;
        for (const ArgMatch& m : matches) {
            if (m.index != 0)
                fail(m.loc, fmt::format("matchReturnArgs index {}: a syscall returns one value, index 0", m.index));
            int_arg(m, *res_.return_binding, used);
        }
    }

    void binaries(const std::vector<BinaryMatch>& matches)
    {
        for (const BinaryMatch& m : matches) {
            BinarySet set{binary_family(m.op), binary_values(m), m.follow_children};
            for (const auto& v : set.values)
                if (v.size() > PL_POL_LPM_STR_MAX)
                    fail(m.loc, fmt::format("binary path '{}...' is longer than the {} bytes matched in the kernel",
                                            v.substr(0, 32), PL_POL_LPM_STR_MAX));
            add_slow(PL_SLOW_BINARY, binary_negated(m.op), 0, set_id(set, m.loc), m.loc);
            next_group();
        }
    }

    void pids(const std::vector<PidMatch>& matches)
    {
        for (const PidMatch& m : matches) {
            const std::uint32_t which = m.is_namespace_pid ? 1 : 0;
            if (!m.follow_forks) {
                in_list(m.op, m.values, m.loc, [&](std::uint32_t pid, bool neg) {
                    add_slow(PL_SLOW_PID, neg, which, pid, m.loc);
                });
                continue;
            }
            // The pid itself, or a descendant: the kernel marks children at fork.
            const std::uint32_t set = set_id({BinaryOp::In, {}, true, m.values, m.is_namespace_pid}, m.loc);
            if (m.values.empty())
                fail(m.loc, "a matcher needs at least one value");
            const bool negated = m.op == SetOp::NotIn;
            for (std::uint32_t pid : m.values) {
                add_slow(PL_SLOW_PID, negated, which, pid, m.loc);
                if (negated)
                    next_group();
            }
            add_slow(PL_SLOW_BINARY, negated, 0, set, m.loc);
            next_group();
        }
    }

    void namespaces(const std::vector<NamespaceMatch>& matches)
    {
        for (const NamespaceMatch& m : matches) {
            std::vector<std::uint32_t> inodes = m.values;
            if (m.host_ns) {
                if (!env_.host_namespace)
                    fail(m.loc, "host_ns cannot be resolved here");
                inodes.push_back(env_.host_namespace(m.ns));
            }
            in_list(m.op, inodes, m.loc, [&](std::uint32_t inode, bool neg) {
                add_slow(PL_SLOW_NS, neg, ns_index(m.ns), inode, m.loc);
            });
        }
    }

    static std::uint64_t cap_mask(const std::vector<int>& caps)
    {
        std::uint64_t mask = 0;
        for (int cap : caps)
            if (cap >= 0 && cap < 64)
                mask |= 1ULL << cap;
        return mask;
    }

    void capabilities(const std::vector<CapabilityMatch>& matches)
    {
        for (const CapabilityMatch& m : matches) {
            add_slow(PL_SLOW_CAPS, m.op == SetOp::NotIn, static_cast<std::uint32_t>(m.set), cap_mask(m.caps),
                     m.loc);
            next_group();
            if (m.is_namespace_capability)
                outside_host_user_namespace(m.loc);
        }
    }

    // As in Tetragon: namespace capabilities match only outside the host's user namespace.
    void outside_host_user_namespace(const Location& loc)
    {
        if (!env_.host_namespace)
            fail(loc, "isNamespaceCapability needs the host's user namespace, which cannot be resolved here");
        add_slow(PL_SLOW_NS, true, PL_NS_USER, env_.host_namespace(NamespaceKind::User), loc);
        next_group();
    }

    // Changes since the process's exec, which the kernel records there.
    void namespace_changes(const std::vector<NamespaceChangeMatch>& matches)
    {
        for (const NamespaceChangeMatch& m : matches) {
            std::uint64_t kinds = 0;
            for (NamespaceKind k : m.namespaces)
                kinds |= 1ULL << ns_index(k);
            // NotIn: a change in any namespace not listed
            if (m.op == SetOp::NotIn)
                kinds = ~kinds & ((1ULL << PL_NS_COUNT) - 1);
            add_slow(PL_SLOW_NS_CHANGED, false, 0, kinds, m.loc);
            next_group();
        }
    }

    void capability_changes(const std::vector<CapabilityChangeMatch>& matches)
    {
        for (const CapabilityChangeMatch& m : matches) {
            std::uint64_t caps = cap_mask(m.caps);
            if (m.op == SetOp::NotIn)
                caps = ~caps;
            add_slow(PL_SLOW_CAPS_GAINED, false, static_cast<std::uint32_t>(m.set), caps, m.loc);
            next_group();
            if (m.is_namespace_capability)
                outside_host_user_namespace(m.loc);
        }
    }

    // One matcher per selector however many cgroups: the set lives in a map.
    void cgroups(const std::vector<std::uint64_t>& ids, const Location& loc)
    {
        if (ids.empty())
            return;
        auto it = std::find(b_.cgroup_sets.begin(), b_.cgroup_sets.end(), ids);
        if (it == b_.cgroup_sets.end()) {
            b_.cgroup_sets.push_back(ids);
            it = b_.cgroup_sets.end() - 1;
        }
        add_slow(PL_SLOW_CGROUP, false, 0, it - b_.cgroup_sets.begin(), loc);
        next_group();
    }

    // Address and port rule of a NetworkPolicy.
    void net_rule(const NetRule& rule, bool local_side)
    {
        const int addr_table = local_side ? PL_T_SADDR : PL_T_DADDR;
        const int port_table = local_side ? PL_T_SPORT : PL_T_DPORT;
        for (const auto& text : rule.cidrs) {
            auto cidr = parse_cidr(text);
            if (!cidr)
                fail(rule.loc, fmt::format("'{}' is not an address or CIDR", text));
            add_addr(addr_table, *cidr, false);
        }
        for (auto port : rule.ports)
            add_value(port_table, port, false);
        if (!rule.protocol.empty()) {
            auto proto = parse_protocol(rule.protocol);
            if (!proto)
                fail(rule.loc, fmt::format("'{}' is not a protocol", rule.protocol));
            add_value(PL_T_PROTOCOL, *proto, false);
        }
    }

    [[noreturn]] void fail(const Location& loc, std::string message)
    {
        throw CompileFailure{loc, std::move(message)};
    }

private:
    template <class T, class F>
    void in_list(SetOp op, const std::vector<T>& values, const Location& loc, F add)
    {
        if (values.empty())
            fail(loc, "a matcher needs at least one value");
        for (const T& v : values) {
            add(v, op == SetOp::NotIn);
            if (op == SetOp::NotIn)
                next_group();  // NotIn: none of them, each its own negated group
        }
        if (op == SetOp::In)
            next_group();
    }

    void next_group() { ++group_; }

    void add_slow(pl_pol_slow_kind kind, bool negate, std::uint32_t arg, std::uint64_t value, const Location& loc,
                  std::uint32_t unsigned_bits = 0)
    {
        if (hs_.slow >= PL_POL_SLOW_MAX)
            fail(loc, fmt::format("{} already has {} process/namespace/capability/range matchers (the limit)",
                                  hook_display_name(target_), PL_POL_SLOW_MAX));
        pl_pol_slow s{};
        s.selector = static_cast<__u16>(bit_);
        s.kind = kind;
        s.negate = negate;
        s.arg = arg;
        s.value = value;
        s.group = group_;
        s.unsigned_bits = unsigned_bits;
        b_.slow[target_ << 16 | hs_.slow] = s;
        ++hs_.slow;
        hs_.hook.slow_count = hs_.slow;
    }

    void mark(int table, bool negated)
    {
        hs_.hook.tables |= 1u << table;
        set_bit(negated ? hs_.hook.has_neg[table] : hs_.hook.has_pos[table], bit_);
    }

    void add_value(int table, std::uint64_t value, bool negated)
    {
        add_hit(b_.values[{target_, static_cast<std::uint32_t>(table), value}], bit_, negated);
        mark(table, negated);
    }

    void add_addr(int table, const Cidr& cidr, bool negated)
    {
        Bytes16 masked{};
        for (int i = 0; i < 16; ++i) {
            int keep = std::clamp(cidr.bits - 8 * i, 0, 8);
            masked[i] = cidr.addr[i] & static_cast<std::uint8_t>(0xff00 >> keep);
        }
        add_hit(b_.addrs[{target_, static_cast<std::uint32_t>(table), masked, cidr.bits}], bit_, negated);
        mark(table, negated);
    }

    void claim(std::set<std::pair<int, bool>>& used, int table, bool negated, const ArgMatch& m)
    {
        if (!used.insert({table, negated}).second)
            fail(m.loc, fmt::format("two matchArgs in one selector use {} on the same value; put the values in "
                                    "one matcher",
                                    op_name(m.op)));
    }

    void string_arg(const ArgMatch& m, std::set<std::pair<int, bool>>& used)
    {
        int table;
        bool negated = false;
        switch (m.op) {
        case ArgOp::NotEqual: negated = true; [[fallthrough]];
        case ArgOp::Equal: table = PL_T_STR_EQ; break;
        case ArgOp::NotPrefix: negated = true; [[fallthrough]];
        case ArgOp::Prefix: table = PL_T_STR_PREFIX; break;
        case ArgOp::NotPostfix: negated = true; [[fallthrough]];
        case ArgOp::Postfix: table = PL_T_STR_POSTFIX; break;
        default: fail(m.loc, fmt::format("{}: operator {} does not apply to a string or path", where_, op_name(m.op)));
        }
        claim(used, table, negated, m);
        for (const auto& v : m.values) {
            // The kernel reads at most PL_POL_STR_MAX - 1 bytes and cannot tell a string of
            // that length from a longer one cut there: Equal values stay one byte shorter.
            const std::size_t limit = table == PL_T_STR_EQ ? PL_POL_STR_MAX - 2 : PL_POL_LPM_STR_MAX;
            if (v.size() > limit)
                fail(m.loc, fmt::format("value '{}...' is longer than the {} bytes matched in the kernel",
                                        v.substr(0, 32), limit));
            auto& map = table == PL_T_STR_EQ ? b_.str_eq : table == PL_T_STR_PREFIX ? b_.str_prefix : b_.str_postfix;
            std::string key = table == PL_T_STR_POSTFIX ? std::string(v.rbegin(), v.rend()) : v;
            add_hit(map[{target_, key}], bit_, negated);
        }
        mark(table, negated);
    }

    std::vector<std::uint64_t> int_values(const ArgMatch& m, bool is32)
    {
        std::vector<std::uint64_t> out;
        for (const auto& v : expand_lists(policy_, m)) {
            {
                auto n = parse_integer(v);
                if (!n)
                    if (auto nr = syscall_number(v))
                        n = *nr;
                if (!n)
                    fail(m.loc, fmt::format("'{}' is not an integer", v));
                out.push_back(is32 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(*n)))
                                   : *n);
            }
        }
        if (out.empty())
            fail(m.loc, "a matcher needs at least one value");
        return out;
    }

    bool all_integers(const ArgMatch& m) const
    {
        const auto values = expand_lists(policy_, m);
        return std::all_of(values.begin(), values.end(), [](const std::string& v) { return parse_integer(v); });
    }

    // A descriptor matched by name: the kernel reads the path of the file it
    // refers to at the hook, so no FollowFD bookkeeping is needed.
    void fd_path_arg(const ArgMatch& m, const ArgBinding& binding, std::set<std::pair<int, bool>>& used)
    {
        const auto arg = static_cast<std::uint8_t>(binding.syscall_arg);
        const bool taken = hs_.hook.str_arg != PL_POL_NO_ARG;
        if (taken && (hs_.hook.str_arg != arg || !(hs_.hook.flags & PL_HOOKF_STR_IS_FD)))
            fail(m.loc, fmt::format("{}: another policy matches a different string argument",
                                    hook_display_name(target_)));
        hs_.hook.str_arg = arg;
        hs_.hook.flags |= PL_HOOKF_STR_IS_FD;
        string_arg(m, used);
    }

    // One width per argument of a hook over all policies: a second width
    // would change what the first one's values mean.
    void claim_width(const ArgBinding& binding, const Location& loc)
    {
        const int bits = binding.is32 ? 32 : 64;
        int& compared = hs_.compared_bits[binding.syscall_arg];
        if (compared != 0 && compared != bits)
            fail(loc, fmt::format("{} of {} is compared as a {}-bit value by policy '{}' and declared {}-bit "
                                  "here; the kernel reads one width per argument of a hook: declare the same "
                                  "type",
                                  binding.syscall_arg == 6 ? std::string("the return value")
                                                           : fmt::format("argument {}", binding.syscall_arg),
                                  hook_display_name(target_), compared, hs_.compared_by[binding.syscall_arg], bits));
        compared = bits;
        hs_.compared_by[binding.syscall_arg] = policy_.name;
    }

    // Tetragon's filter for sock and skb: the packet's 5-tuple only.
    static bool skb_operator(ArgOp op)
    {
        switch (op) {
        case ArgOp::SAddr: case ArgOp::DAddr: case ArgOp::NotSAddr: case ArgOp::NotDAddr:
        case ArgOp::SPort: case ArgOp::DPort: case ArgOp::NotSPort: case ArgOp::NotDPort:
        case ArgOp::SPortPriv: case ArgOp::DPortPriv: case ArgOp::NotSPortPriv: case ArgOp::NotDPortPriv:
        case ArgOp::Protocol: case ArgOp::Family:
            return true;
        default:
            return false;
        }
    }

    void int_arg(const ArgMatch& m, const ArgBinding& binding, std::set<std::pair<int, bool>>& used)
    {
        if (binding.is_cap_set && m.op != ArgOp::Equal && m.op != ArgOp::NotEqual && m.op != ArgOp::InMap &&
            m.op != ArgOp::NotInMap && m.op != ArgOp::Mask && m.op != ArgOp::GT && m.op != ArgOp::LT)
            fail(m.loc, fmt::format("{}: matchArgs index {} is a capability set: operator {} does not apply (a "
                                    "capability set is matched as a 64-bit number with Equal, NotEqual, InMap, "
                                    "NotInMap, Mask, GT, LT)",
                                    where_, m.index, op_name(m.op)));
        const int table = binding.syscall_arg == 6 ? PL_T_RET : PL_T_ARG0 + binding.syscall_arg;
        claim_width(binding, m.loc);
        auto values = int_values(m, binding.is32);
        switch (m.op) {
        case ArgOp::Equal:
        case ArgOp::InMap:
        case ArgOp::NotEqual:
        case ArgOp::NotInMap: {
            const bool negated = m.op == ArgOp::NotEqual || m.op == ArgOp::NotInMap;
            claim(used, table, negated, m);
            for (auto v : values)
                add_value(table, v, negated);
            return;
        }
        case ArgOp::Mask: {
            std::uint64_t mask = 0;
            for (auto v : values)
                mask |= v;
            add_slow(PL_SLOW_ARG_MASK, false, binding.syscall_arg, mask, m.loc);
            next_group();
            return;
        }
        case ArgOp::GT:
        case ArgOp::LT:
            if (values.size() != 1)
                fail(m.loc, fmt::format("{} takes exactly one value", op_name(m.op)));
            // uint32 values compare in their own 32 bits, not sign-extended
            add_slow(m.op == ArgOp::GT ? PL_SLOW_ARG_GT : PL_SLOW_ARG_LT, false, binding.syscall_arg,
                     binding.is_unsigned && binding.is32 ? values[0] & 0xffffffffULL : values[0], m.loc,
                     binding.is_unsigned ? (binding.is32 ? 32 : 64) : 0);
            next_group();
            return;
        default:
            fail(m.loc, fmt::format("{}: operator {} does not apply to an integer argument", where_, op_name(m.op)));
        }
    }

    void socket_arg(const ArgMatch& m, std::set<std::pair<int, bool>>& used)
    {
        auto cidrs = [&](int table, bool negated) {
            claim(used, table, negated, m);
            for (const auto& text : m.values) {
                std::string_view v = text;
                // The form "family:AF_INET,addr:10.0.0.0/8": the address part decides.
                if (auto at = v.find("addr:"); at != std::string_view::npos) {
                    v = v.substr(at + 5);
                    v = v.substr(0, v.find(','));
                }
                auto cidr = parse_cidr(v);
                if (!cidr)
                    fail(m.loc, fmt::format("'{}' is not an address or CIDR", text));
                add_addr(table, *cidr, negated);
            }
        };
        auto ports = [&](int table, bool negated) {
            claim(used, table, negated, m);
            for (const auto& text : m.values) {
                auto n = parse_integer(text);
                if (!n || *n > 65535)
                    fail(m.loc, fmt::format("'{}' is not a port", text));
                add_value(table, *n, negated);
            }
        };
        switch (m.op) {
        case ArgOp::DAddr: return cidrs(PL_T_DADDR, false);
        case ArgOp::NotDAddr: return cidrs(PL_T_DADDR, true);
        case ArgOp::Equal: return cidrs(PL_T_DADDR, false);
        case ArgOp::NotEqual: return cidrs(PL_T_DADDR, true);
        case ArgOp::SAddr: return cidrs(PL_T_SADDR, false);
        case ArgOp::NotSAddr: return cidrs(PL_T_SADDR, true);
        case ArgOp::DPort: return ports(PL_T_DPORT, false);
        case ArgOp::NotDPort: return ports(PL_T_DPORT, true);
        case ArgOp::SPort: return ports(PL_T_SPORT, false);
        case ArgOp::NotSPort: return ports(PL_T_SPORT, true);
        case ArgOp::DPortPriv:
        case ArgOp::NotDPortPriv:
        case ArgOp::SPortPriv:
        case ArgOp::NotSPortPriv: {
            bool local = m.op == ArgOp::SPortPriv || m.op == ArgOp::NotSPortPriv;
            bool negated = m.op == ArgOp::NotDPortPriv || m.op == ArgOp::NotSPortPriv;
            add_slow(PL_SLOW_PORT_PRIV, negated, local ? PL_T_SPORT : PL_T_DPORT, 0, m.loc);
            next_group();
            return;
        }
        case ArgOp::Family:
            claim(used, PL_T_FAMILY, false, m);
            for (const auto& text : m.values) {
                auto f = parse_family(text);
                if (!f)
                    fail(m.loc, fmt::format("'{}' is not an address family", text));
                add_value(PL_T_FAMILY, *f, false);
            }
            return;
        case ArgOp::Protocol:
            claim(used, PL_T_PROTOCOL, false, m);
            for (const auto& text : m.values) {
                auto p = parse_protocol(text);
                if (!p)
                    fail(m.loc, fmt::format("'{}' is not a protocol", text));
                add_value(PL_T_PROTOCOL, *p, false);
            }
            return;
        default:
            fail(m.loc, fmt::format("{}: operator {} is not matched on a socket address here", where_, op_name(m.op)));
        }
    }

    Builder& b_;
    const CompileEnv& env_;
    const Policy& policy_;
    const HookResolution& res_;
    std::uint32_t target_;
    std::uint32_t bit_;
    HookState& hs_;
    std::string where_;  // "hook 'x', selector N", for messages
    std::uint32_t group_ = 0;
};

// The selector's action, folded into its kernel entry.
// `override_fallback`: where the hook cannot refuse a call, what Override becomes (empty: it refuses).
void compile_actions(const Selector& sel, std::string_view override_fallback, pl_pol_selector& out, PolicyInfo& info,
                     SelectorCompiler& sc)
{
    out.action = PL_ACT_POST;
    for (const Action& a : sel.actions) {
        switch (a.kind) {
        case ActionKind::Post:
            out.rate_limit_ns = a.rate_limit_ns;
            break;
        case ActionKind::NoPost: out.no_post = 1; break;
        case ActionKind::Sigkill: out.action = PL_ACT_SIGKILL; break;
        case ActionKind::Signal:
            if (!a.arg_sig)
                sc.fail(a.loc, "action Signal needs argSig");
            out.action = PL_ACT_SIGNAL;
            out.signal = static_cast<__u16>(*a.arg_sig);
            break;
        case ActionKind::Override:
            out.action = PL_ACT_OVERRIDE;
            out.error = a.arg_error.value_or(-1);
            if (!override_fallback.empty()) {
                // A selector compiles once per hook point (fd_install: four
                // syscalls; raw_syscalls: hundreds): one note per action.
                std::string note = fmt::format("{}:{}: {}", a.loc.file, a.loc.line, override_fallback);
                if (std::find(info.notes.begin(), info.notes.end(), note) == info.notes.end())
                    info.notes.push_back(std::move(note));
            }
            break;
        case ActionKind::GetUrl:
        case ActionKind::DnsLookup: {
            const bool url = a.kind == ActionKind::GetUrl;
            if ((url ? a.arg_url : a.arg_fqdn).empty())
                sc.fail(a.loc, fmt::format("action {} needs {}", a.name, url ? "argUrl" : "argFqdn"));
            if (url && !a.arg_url.starts_with("http://") && !a.arg_url.starts_with("https://"))
                sc.fail(a.loc, fmt::format("argUrl '{}' is not an http:// or https:// URL", a.arg_url));
            auto& list = info.notify[static_cast<std::uint32_t>(out.hook_index) << 16 | out.selector_index];
            const PolicyInfo::Notify notify{url ? a.arg_url : std::string(), url ? std::string() : a.arg_fqdn};
            // Once per selector, however many hook points serve it.
            if (std::none_of(list.begin(), list.end(),
                             [&](const auto& n) { return n.url == notify.url && n.fqdn == notify.fqdn; }))
                list.push_back(notify);
            break;
        }
        case ActionKind::FollowFD:
        case ActionKind::UnfollowFD:
        case ActionKind::CopyFD: {
            // Tetragon keeps an fd -> name map for later hooks; Palisade reads a
            // descriptor's path where it is matched, so there is nothing to keep.
            std::string note = fmt::format("{}:{}: {} needs no bookkeeping here: descriptors are matched by the "
                                           "path of their file, read at the hook",
                                           a.loc.file, a.loc.line, a.name);
            if (std::find(info.notes.begin(), info.notes.end(), note) == info.notes.end())
                info.notes.push_back(std::move(note));
            break;
        }
        case ActionKind::NotifyEnforcer:
            // Tetragon's enforcer acts on the syscall the selector matched: here the same
            // hook acts at entry, with the signal or, without one, the Override fallback.
            if (a.arg_sig && *a.arg_sig != 9) {
                out.action = PL_ACT_SIGNAL;
                out.signal = static_cast<__u16>(*a.arg_sig);
            } else {
                out.action = a.arg_sig ? PL_ACT_SIGKILL : PL_ACT_OVERRIDE;
                out.error = a.arg_error.value_or(-1);
            }
            break;
        default:
            sc.fail(a.loc, fmt::format("action '{}' is not supported", a.name));
        }
    }
}

void check_unsupported_parts(const Selector& sel, SelectorCompiler& sc)
{
    if (!sel.return_actions.empty())
        sc.fail(sel.return_actions.front().loc, "matchReturnActions is not supported yet");
}

std::vector<std::uint64_t> resolve_cgroups(const std::vector<std::string>& paths, const CompileEnv& env,
                                           const Location& loc)
{
    std::vector<std::uint64_t> ids;
    for (const auto& path : paths) {
        auto id = env.cgroup_id ? env.cgroup_id(path) : std::nullopt;
        if (!id)
            throw CompileFailure{loc, fmt::format("cgroup '{}' does not exist in the cgroup v2 hierarchy", path)};
        ids.push_back(*id);
    }
    return ids;
}

// The hook points one selector applies to: all targets, or for
// raw_syscalls/sys_enter the syscalls its id matcher names.
std::vector<HookTarget> selector_targets(const Policy& policy, const HookResolution& res, const Selector& sel)
{
    if (res.syscall_id_arg < 0)
        return res.targets;
    std::set<std::uint32_t> named;
    bool negated = false, constrained = false;
    for (const ArgMatch& m : sel.args) {
        if (m.index != res.syscall_id_arg)
            continue;
        if (m.op != ArgOp::Equal && m.op != ArgOp::InMap && m.op != ArgOp::NotEqual && m.op != ArgOp::NotInMap)
            throw CompileFailure{m.loc, fmt::format("the syscall id is matched with Equal, NotEqual, InMap or "
                                                    "NotInMap, not {}",
                                                    op_name(m.op))};
        constrained = true;
        negated = m.op == ArgOp::NotEqual || m.op == ArgOp::NotInMap;
        for (const auto& v : expand_lists(policy, m)) {
            if (v.starts_with("__ia32_") || v.starts_with("__x32_"))
                continue;  // 32-bit compat syscalls are not watched
            {
                auto nr = parse_integer(v);
                if (!nr)
                    if (auto by_name = syscall_number(v))
                        nr = *by_name;
                if (!nr)
                    throw CompileFailure{m.loc, fmt::format("'{}' is not a syscall of this architecture", v)};
                named.insert(static_cast<std::uint32_t>(*nr));
            }
        }
    }
    std::vector<HookTarget> out;
    for (std::uint32_t nr = 0; nr < PL_SYSCALL_MAX; ++nr) {
        bool in = named.count(nr) > 0;
        if (constrained ? in != negated : !syscall_name_of(nr).empty())
            out.push_back({.id = nr});
    }
    return out;
}

class PolicyCompiler {
public:
    PolicyCompiler(Builder& b, const CompileEnv& env, const Policy& policy, std::uint32_t id)
        : b_(b), env_(env), policy_(policy), id_(id)
    {
    }

    void compile()
    {
        PolicyInfo info{.name = policy_.name, .file = policy_.loc.file,
                        .mode = policy_.mode_set ? policy_.mode : env_.default_mode};
        if (policy_is_scoped(policy_)) {
            info.scoped = true;
            scope_.emplace();
            for (const Workload& w : env_.workloads)
                if (w.cgroup_id && policy_selects(policy_, w))
                    scope_->push_back(w.cgroup_id);
            if (scope_->empty())
                scope_->push_back(0);  // no workload selected yet: a cgroup id no task has
        }
        if (policy_.kind == PolicyKind::NetworkPolicy) {
            compile_network(info);
        } else {
            if (policy_.hooks.empty())
                throw CompileFailure{policy_.loc, "the policy has no kprobes, tracepoints or lsmhooks"};
            for (std::size_t i = 0; i < policy_.hooks.size(); ++i)
                compile_hook(policy_.hooks[i], static_cast<std::uint16_t>(i), info);
        }
        b_.policies.resize(std::max<std::size_t>(b_.policies.size(), id_ + 1));
        b_.policies[id_].mode = info.mode == Mode::Enforce ? PL_MODE_ENFORCE : PL_MODE_MONITOR;
        b_.info.resize(std::max<std::size_t>(b_.info.size(), id_ + 1));
        b_.info[id_] = std::move(info);
    }

private:
    void compile_hook(const Hook& hook, std::uint16_t hook_index, PolicyInfo& info)
    {
        HookResolution res = resolve_hook(hook, env_.caps);
        info.hook_names.push_back(hook.kind == HookKind::Lsm ? "lsm/" + hook.call : hook.call);
        info.message.push_back(hook.message);
        info.args.push_back(res.in_kernel ? arg_views(hook, res) : std::vector<ArgView>{});
        if (!kernel_function_exists(env_, hook, res)) {
            if (!hook.ignore_call_not_found)
                throw CompileFailure{hook.loc, missing_function_message(hook)};
            info.notes.push_back(fmt::format("{}:{}: {}; left out (ignore: callNotFound)", hook.loc.file,
                                             hook.loc.line, missing_function_message(hook)));
            return;
        }
        if (res.support != Support::Loads)
            throw CompileFailure{hook.loc, res.reason, res.support};
        if (hook.kind == HookKind::Uprobe || hook.kind == HookKind::Usdt)
            number_uprobes(hook, res);
        number_kprobes(hook, res);
        if (!res.note.empty())
            info.notes.push_back(fmt::format("{}:{}: {}", hook.loc.file, hook.loc.line, res.note));
        std::vector<Selector> selectors = hook.selectors;
        if (selectors.empty())
            selectors.emplace_back().loc = hook.loc;  // no selectors: every call posts; errors name the hook
        std::map<std::uint32_t, std::vector<std::uint32_t>> bits_by_target;
        for (std::size_t s = 0; s < selectors.size(); ++s) {
            const Selector& sel = selectors[s];
            for (const HookTarget& target : selector_targets(policy_, res, sel)) {
                std::uint32_t bit = add_selector(res, target, sel, static_cast<std::uint16_t>(s), hook_index, info,
                                                 {});
                bits_by_target[target.id].push_back(bit);
            }
        }
        shadow_later(bits_by_target);
    }

    std::uint32_t add_selector(const HookResolution& res, const HookTarget& target, const Selector& sel,
                               std::uint16_t selector_index, std::uint16_t hook_index, PolicyInfo& info,
                               const std::function<void(SelectorCompiler&)>& extra)
    {
        HookState& hs = b_.hooks[target.id];
        if (hs.selectors >= PL_POL_SELECTORS)
            throw CompileFailure{sel.loc, fmt::format("{} already carries {} selectors from all policies (the "
                                                      "limit)",
                                                      hook_display_name(target.id), PL_POL_SELECTORS)};
        const std::uint32_t bit = hs.selectors++;
        if (target.str_arg != PL_POL_NO_ARG) {
            if (hs.hook.str_arg != PL_POL_NO_ARG &&
                (hs.hook.str_arg != target.str_arg || (hs.hook.flags & PL_HOOKF_STR_IS_FD)))
                throw CompileFailure{sel.loc, fmt::format("{}: another policy matches a different string argument",
                                                          hook_display_name(target.id))};
            hs.hook.str_arg = target.str_arg;
            hs.hook.dirfd_arg = target.dirfd_arg;
            if (target.str_is_path)
                hs.hook.flags |= PL_HOOKF_STR_IS_PATH;
            hs.hook.str_kind = target.str_kind;
        }
        hs.hook.sock_arg = target.sock_arg;
        hs.hook.sock_kind = target.sock_kind;
        hs.hook.sockaddr_arg = target.sockaddr_arg;
        hs.hook.skb_arg = target.skb_arg;
        hs.hook.cred_arg = target.cred_arg;
        hs.hook.cap_args = target.cap_args;
        if (target.kernel_return)
            hs.hook.flags |= PL_HOOKF_RETURN;
        if (target.mechanism == KernelMechanism::KprobeOverride || target.mechanism == KernelMechanism::FmodRet)
            hs.hook.flags |= PL_HOOKF_OVERRIDE;
        if (target.syscall_regs)
            hs.hook.flags |= PL_HOOKF_SYSCALL_REGS;
        for (std::size_t a = 0; a < res.args.size(); ++a)
            if (res.args[a].source == ArgSource::SyscallInt && res.args[a].is32)
                hs.declared32 |= 1u << res.args[a].syscall_arg;
        if (res.return_binding && res.return_binding->is32)
            hs.declared32 |= 1u << 6;
        set_bit(hs.hook.all, bit);

        SelectorCompiler sc(b_, env_, policy_, res, target.id, bit,
                            fmt::format("hook '{}', selector {}",
                                        hook_index < info.hook_names.size() ? info.hook_names[hook_index] : "",
                                        selector_index));
        check_unsupported_parts(sel, sc);
        if (!sel.return_args.empty() && !res.return_binding)
            sc.fail(sel.return_args.front().loc, "matchReturnArgs needs a return probe (return: true on a syscall)");
        sc.return_args(sel.return_args);
        if (scope_)
            sc.cgroups(*scope_, sel.loc);
        sc.args(sel.args);
        sc.binaries(sel.binaries);
        sc.pids(sel.pids);
        sc.namespaces(sel.namespaces);
        sc.capabilities(sel.capabilities);
        sc.namespace_changes(sel.namespace_changes);
        sc.capability_changes(sel.capability_changes);
        if (extra)
            extra(sc);
        hs.update_arg32();

        pl_pol_selector entry{};
        entry.policy = id_;
        entry.selector_index = selector_index;
        entry.hook_index = hook_index;
        std::string_view override_fallback;
        if (target.id < PL_SYSCALL_MAX || target.id == PL_HOOK_EXEC)
            override_fallback = !res.override_fallback.empty()
                                    ? std::string_view(res.override_fallback)
                                    : "Override needs BPF LSM or kprobe error injection, which this kernel lacks: "
                                      "the caller is killed at syscall entry instead";
        else if (target.id >= PL_HOOK_KPROBE_FIRST && target.id < PL_HOOK_LSM_FIRST &&
                 target.mechanism != KernelMechanism::KprobeOverride && target.mechanism != KernelMechanism::FmodRet)
            override_fallback = !res.override_fallback.empty()
                                    ? std::string_view(res.override_fallback)
                                    : "Override cannot make the kernel function fail here: the caller is killed in "
                                      "the function instead";
        compile_actions(sel, override_fallback, entry, info, sc);
        b_.selectors[target.id << 16 | bit] = entry;
        return bit;
    }

    // Each uprobe symbol gets a hook id of its own, across all policies.
    void number_uprobes(const Hook& hook, HookResolution& res)
    {
        for (std::size_t i = 0; i < res.targets.size(); ++i) {
            const auto id = static_cast<std::uint32_t>(PL_HOOK_UPROBE_FIRST + b_.uprobes.size());
            if (id >= PL_HOOK_KPROBE_FIRST)
                throw CompileFailure{hook.loc, fmt::format("more than {} uprobe symbols over all policies",
                                                           PL_HOOK_KPROBE_FIRST - PL_HOOK_UPROBE_FIRST)};
            res.targets[i].id = id;
            if (hook.kind == HookKind::Usdt) {
                const std::string& probe = hook.list_calls[i];
                const auto colon = probe.find(':');
                b_.uprobes.push_back({id, hook.call, "", probe.substr(0, colon), probe.substr(colon + 1)});
            } else {
                b_.uprobes.push_back({id, hook.call, hook.list_calls[i]});
            }
        }
    }

    // Each kprobe on a kernel function gets a hook id of its own, across all policies.
    void number_kprobes(const Hook& hook, HookResolution& res)
    {
        for (HookTarget& target : res.targets) {
            if (target.kernel_function.empty())
                continue;
            const auto id = static_cast<std::uint32_t>(PL_HOOK_KPROBE_FIRST + b_.kprobes.size());
            if (id >= PL_HOOK_LSM_FIRST)
                throw CompileFailure{hook.loc, fmt::format("more than {} kprobes on kernel functions over all policies",
                                                           PL_HOOK_LSM_FIRST - PL_HOOK_KPROBE_FIRST)};
            target.id = id;
            b_.kprobes.push_back({id, target.kernel_function, target.kernel_return, target.mechanism});
        }
    }

    // Within one policy, the first matching selector decides: it shadows the later ones.
    void shadow_later(const std::map<std::uint32_t, std::vector<std::uint32_t>>& bits_by_target)
    {
        for (const auto& [target, bits] : bits_by_target)
            for (std::size_t i = 0; i < bits.size(); ++i)
                for (std::size_t j = i + 1; j < bits.size(); ++j)
                    set_bit(b_.selectors[target << 16 | bits[i]].same_policy_later, bits[j]);
    }

    // Deny rules first, then allow rules, then the default: first match wins.
    void compile_network(PolicyInfo& info)
    {
        const NetworkSpec& net = policy_.network;
        auto cgroup_ids = resolve_cgroups(net.cgroup_paths, env_, policy_.loc);
        struct Direction {
            const NetDirection& dir;
            std::vector<std::uint32_t> hooks;
            bool local_side;
            const char* name;
        };
        const Direction directions[] = {
            {net.egress, {PL_HOOK_CONNECT, PL_HOOK_SENDMSG}, false, "egress"},
            {net.bind, {PL_HOOK_BIND}, true, "bind"},
        };
        HookResolution res;  // network rules bind no declared arguments
        std::uint16_t hook_index = 0;
        for (const Direction& d : directions) {
            if (!d.dir.present)
                continue;
            info.hook_names.push_back(d.name);
            info.message.push_back(fmt::format("{} {}", policy_.name, d.name));
            info.args.emplace_back();
            for (std::uint32_t hook : d.hooks) {
                std::vector<std::uint32_t> bits;
                std::uint16_t index = 0;
                auto add = [&](const NetRule* rule, pl_pol_action action) {
                    Selector sel;
                    sel.loc = rule ? rule->loc : policy_.loc;
                    std::uint32_t bit = add_selector(res, {.id = hook}, sel, index++, hook_index, info,
                                                     [&](SelectorCompiler& sc) {
                                                         sc.cgroups(cgroup_ids, sel.loc);
                                                         if (rule)
                                                             sc.net_rule(*rule, d.local_side);
                                                     });
                    auto& entry = b_.selectors[hook << 16 | bit];
                    entry.action = action;
                    entry.no_post = action == PL_ACT_ALLOW;
                    bits.push_back(bit);
                };
                for (const NetRule& rule : d.dir.deny)
                    add(&rule, PL_ACT_DENY);
                for (const NetRule& rule : d.dir.allow)
                    add(&rule, PL_ACT_ALLOW);
                if (d.dir.default_deny)
                    add(nullptr, PL_ACT_DENY);
                shadow_later({{hook, bits}});
            }
            ++hook_index;
        }
    }

    Builder& b_;
    const CompileEnv& env_;
    const Policy& policy_;
    std::uint32_t id_;
    std::optional<std::vector<std::uint64_t>> scope_;  // cgroup ids of the selected workloads
};

bool is_prefix_of(const std::string& a, const std::string& b) { return b.compare(0, a.size(), a) == 0; }

// An LPM lookup answers with the longest stored prefix only: make each entry
// carry the selectors of every shorter prefix it extends.
void close_prefixes(std::map<std::pair<std::uint32_t, std::string>, pl_pol_hit>& entries)
{
    for (auto& [key, hit] : entries)
        for (const auto& [shorter, shorter_hit] : entries)
            if (shorter.first == key.first && shorter.second.size() < key.second.size() &&
                is_prefix_of(shorter.second, key.second))
                or_into(hit, shorter_hit);
}

bool cidr_contains(const Bytes16& net, int bits, const Bytes16& addr)
{
    for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
        std::uint8_t mask = static_cast<std::uint8_t>(0xff00 >> std::min(bits, 8));
        if ((net[i] & mask) != (addr[i] & mask))
            return false;
    }
    return true;
}

void close_cidrs(std::map<std::tuple<std::uint32_t, std::uint32_t, Bytes16, int>, pl_pol_hit>& entries)
{
    for (auto& [key, hit] : entries)
        for (const auto& [wider, wider_hit] : entries)
            if (std::get<0>(wider) == std::get<0>(key) && std::get<1>(wider) == std::get<1>(key) &&
                std::get<3>(wider) < std::get<3>(key) &&
                cidr_contains(std::get<2>(wider), std::get<3>(wider), std::get<2>(key)))
                or_into(hit, wider_hit);
}

template <class Key>
Key string_key(std::uint32_t hook, const std::string& s)
{
    Key k{};
    k.hook = hook;
    std::memcpy(k.str, s.data(), std::min(s.size(), sizeof(k.str)));
    return k;
}

void emit(Builder& b, KernelTables& t)
{
    // matchBinaries sets become entries of the binary pseudo-hook.
    for (std::size_t id = 0; id < b.binary_sets.size(); ++id) {
        const BinarySet& set = b.binary_sets[id];
        if (set.follow_children)
            t.follow_children.sets[id / 64] |= 1ULL << (id % 64);
        if (!set.pids.empty()) {
            t.pid_follow_sets.push_back({static_cast<std::uint32_t>(id), set.namespace_pids, set.pids});
            for (auto pid : set.pids)
                set_bit(b.values[{PL_HOOK_BINARIES, static_cast<std::uint32_t>(set.namespace_pids ? PL_T_ARG1 : PL_T_ARG0),
                                  pid}].pos,
                        static_cast<std::uint32_t>(id));
            continue;
        }
        for (const auto& v : set.values) {
            pl_pol_hit* hit;
            if (set.op == BinaryOp::In)
                hit = &b.str_eq[{PL_HOOK_BINARIES, v}];
            else if (set.op == BinaryOp::Prefix)
                hit = &b.str_prefix[{PL_HOOK_BINARIES, v}];
            else
                hit = &b.str_postfix[{PL_HOOK_BINARIES, std::string(v.rbegin(), v.rend())}];
            set_bit(hit->pos, static_cast<std::uint32_t>(id));
        }
    }
    close_prefixes(b.str_prefix);
    close_prefixes(b.str_postfix);
    close_cidrs(b.addrs);

    for (auto& [id, hs] : b.hooks)
        t.hooks[id] = hs.hook;
    t.selectors = b.selectors;
    t.slow = b.slow;
    t.tracks_changes = std::any_of(b.slow.begin(), b.slow.end(), [](const auto& entry) {
        return entry.second.kind == PL_SLOW_NS_CHANGED || entry.second.kind == PL_SLOW_CAPS_GAINED;
    });
    for (const auto& [k, hit] : b.str_eq)
        t.str_eq.emplace_back(string_key<pl_pol_str_key>(k.first, k.second), hit);
    for (auto* src : {&b.str_prefix, &b.str_postfix}) {
        auto& dst = src == &b.str_prefix ? t.str_prefix : t.str_postfix;
        for (const auto& [k, hit] : *src) {
            auto key = string_key<pl_pol_lpm_str_key>(k.first, k.second);
            key.prefixlen = 32 + 8 * static_cast<std::uint32_t>(std::min<std::size_t>(k.second.size(), PL_POL_LPM_STR_MAX));
            dst.emplace_back(key, hit);
        }
    }
    for (const auto& [k, hit] : b.addrs) {
        pl_pol_lpm_addr_key key{};
        key.prefixlen = 64 + std::get<3>(k);
        key.hook = std::get<0>(k);
        key.table = std::get<1>(k);
        std::memcpy(key.addr, std::get<2>(k).data(), 16);
        t.addrs.emplace_back(key, hit);
    }
    for (const auto& [k, hit] : b.values)
        t.values.emplace_back(pl_pol_value_key{std::get<0>(k), std::get<1>(k), std::get<2>(k)}, hit);
    for (std::size_t set = 0; set < b.cgroup_sets.size(); ++set)
        for (auto id : b.cgroup_sets[set])
            t.cgroup_sets.emplace_back(pl_pol_cgroup_key{static_cast<__u32>(set), 0, id}, 1);
    t.uprobes = b.uprobes;
    t.kprobes = b.kprobes;
    t.policies = b.policies;
    t.info = b.info;
}

// The kernel maps' sizes, checked before anything is written, so that a full
// map is reported with the policy that filled it rather than as -E2BIG.
void check_capacity(const Builder& b, const Policy& policy)
{
    std::size_t cgroup_members = 0;
    for (const auto& set : b.cgroup_sets)
        cgroup_members += set.size();
    const struct {
        const char* what;
        std::size_t used, limit;
    } maps[] = {
        {"string-equal values", b.str_eq.size(), PL_POL_TABLE_ENTRIES},
        {"prefix values", b.str_prefix.size(), PL_POL_TABLE_ENTRIES},
        {"postfix values", b.str_postfix.size(), PL_POL_TABLE_ENTRIES},
        {"addresses (CIDRs)", b.addrs.size(), PL_POL_TABLE_ENTRIES},
        {"integer, port, family and protocol values", b.values.size(), PL_POL_TABLE_ENTRIES},
        {"selectors over all hooks", b.selectors.size(), PL_POL_TABLE_ENTRIES},
        {"process, namespace and capability matchers", b.slow.size(), PL_POL_SLOW_ENTRIES},
        {"cgroups of selected workloads", cgroup_members, PL_POL_CGROUP_ENTRIES},
    };
    for (const auto& m : maps)
        if (m.used > m.limit)
            throw CompileFailure{policy.loc, fmt::format("with this policy the loaded policies need {} {}; the kernel "
                                                         "map holds {}",
                                                         m.used, m.what, m.limit)};
}

}  // namespace

std::string CompileError::render() const
{
    return fmt::format("{}:{}:{}: policy '{}': {}", loc.file, loc.line, loc.column, policy, message);
}

bool KernelTables::uses_syscall_entry() const
{
    return std::any_of(hooks.begin(), hooks.end(), [](const auto& h) { return h.first < PL_SYSCALL_MAX; });
}

bool KernelTables::uses_syscall_exit() const
{
    return std::any_of(hooks.begin(), hooks.end(),
                       [](const auto& h) { return h.first >= PL_HOOK_EXIT_FIRST && h.first < PL_HOOK_MAX; });
}

bool KernelTables::uses_cgroup_hooks() const
{
    return std::any_of(hooks.begin(), hooks.end(),
                       [](const auto& h) { return h.first >= PL_HOOK_CONNECT && h.first <= PL_HOOK_BIND; });
}

pl_pol_binaries KernelTables::binary_sets(const std::string& path) const
{
    pl_pol_binaries out{};
    auto merge = [&](const pl_pol_hit& hit) {
        for (int w = 0; w < PL_POL_BINARY_SETS / 64; ++w)
            out.sets[w] |= hit.pos.w[w];
    };
    const std::string reversed(path.rbegin(), path.rend());
    for (const auto& [k, hit] : str_eq)
        if (k.hook == PL_HOOK_BINARIES && path == k.str)
            merge(hit);
    for (const auto* entries : {&str_prefix, &str_postfix}) {
        const std::string& s = entries == &str_prefix ? path : reversed;
        for (const auto& [k, hit] : *entries)
            if (k.hook == PL_HOOK_BINARIES && s.compare(0, (k.prefixlen - 32) / 8, k.str, (k.prefixlen - 32) / 8) == 0)
                merge(hit);
    }
    return out;
}

CompileResult compile_policies(const std::vector<Policy>& policies, const CompileEnv& env)
{
    CompileResult result;
    Builder built;
    if (policies.size() > PL_POL_POLICIES) {
        result.errors.push_back({{}, "", fmt::format("{} policies loaded; the limit is {}", policies.size(),
                                                      PL_POL_POLICIES)});
        return result;
    }
    for (const Policy& policy : policies) {
        Builder attempt = built;
        const auto id = static_cast<std::uint32_t>(attempt.info.size());
        try {
            PolicyCompiler(attempt, env, policy, id).compile();
            check_capacity(attempt, policy);
            built = std::move(attempt);
            result.loaded.push_back(policy.name);
        } catch (const CompileFailure& f) {
            result.errors.push_back({f.loc, policy.name, f.message, f.support});
        }
    }
    emit(built, result.tables);
    return result;
}

}  // namespace palisade::policy
