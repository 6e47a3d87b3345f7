// A reference model of the kernel's policy evaluation (src/bpf/lib/policy.h
// and src/bpf/policy.bpf.c), run over the KernelTables the compiler emits.
// Every map is looked up as the kernel does: hash maps by the exact bytes of
// the key, LPM tries by the longest stored prefix whose prefixlen bits (hook
// and table included, most significant bit of each byte first) equal the key's.
// Nothing here reads the compiler's intermediate state: only its output.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "palisade/abi.h"
#include "policy/compiler.h"

namespace palisade::policy::model {

constexpr std::int32_t kAtFdcwd = -100;  // PL_AT_FDCWD
constexpr std::uint16_t kAfInet = 2, kAfInet6 = 10;

// The calling task, as the helpers the kernel uses would see it.
struct Task {
    std::uint32_t tgid = 4242;
    std::uint32_t ns_tgid = 4242;  // the pid in its own pid namespace
    pl_pol_binaries binaries{};  // pl_pol_proc_binaries[tgid]
    bool has_binaries = true;    // false: no entry in pl_pol_proc_binaries
    std::uint64_t cap_effective = 0, cap_inheritable = 0, cap_permitted = 0;
    std::array<std::uint32_t, PL_NS_COUNT> ns{};  // inode per enum pl_pol_ns
    // pl_pol_exec_states[tgid]: creds and namespaces as exec left them
    std::optional<pl_pol_exec_state> at_exec;
    std::uint64_t cgroup_id = 1;                  // bpf_get_current_cgroup_id()
    std::vector<std::uint64_t> ancestors;         // bpf_get_current_ancestor_cgroup_id(0, 1, ...)
    std::string cwd = "/";
    std::map<int, std::string> dirs;  // open fds and their paths: directories for *at() calls, files
};

// One selector the act loop acted on, in the kernel's order (bit order).
struct Acted {
    std::string policy;  // its name, from KernelTables::info
    std::uint32_t policy_id = 0;
    std::uint32_t bit = 0;
    std::uint16_t hook_index = 0;
    std::uint16_t selector_index = 0;
    std::uint8_t action = 0;
    bool posted = false;
    std::uint16_t flags = 0;  // of the posted event
    std::int32_t error = 0;
    std::uint16_t signal = 0;
};

struct Outcome {
    std::vector<Acted> acted;
    bool denied = false;              // PL_VERDICT_DENY: the hook fails the call (error: the errno)
    std::vector<std::uint32_t> sent;  // bpf_send_signal calls
    std::string str;                  // the string as matched (made absolute for paths)
    bool str_truncated = false;
    pl_pol_mask after_tables{};       // what the table lookups left standing
};

inline const char* action_name(std::uint8_t action)
{
    switch (action) {
    case PL_ACT_POST: return "post";
    case PL_ACT_NOPOST: return "nopost";
    case PL_ACT_SIGKILL: return "sigkill";
    case PL_ACT_SIGNAL: return "signal";
    case PL_ACT_OVERRIDE: return "override";
    case PL_ACT_ALLOW: return "allow";
    case PL_ACT_DENY: return "deny";
    }
    return "?";
}

// "policy:selector_index:action", plus " (silent)" when no event was posted:
// what a test pins down about who acted.
inline std::vector<std::string> summary(const Outcome& o)
{
    std::vector<std::string> out;
    for (const Acted& a : o.acted)
        out.push_back(a.policy + ":" + std::to_string(a.selector_index) + ":" + action_name(a.action) +
                      (a.posted ? "" : " (silent)"));
    return out;
}

// An address as the kernel keeps it: IPv4 as ::ffff:a.b.c.d.
inline std::array<std::uint8_t, 16> address(const std::string& text)
{
    std::array<std::uint8_t, 16> out{};
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(&out[12], &v4, 4);
    } else if (inet_pton(AF_INET6, text.c_str(), out.data()) != 1) {
        ADD_FAILURE() << "bad address in test: " << text;
    }
    return out;
}

inline bool is_v4(const std::array<std::uint8_t, 16>& a)
{
    static const std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(a.data(), prefix, 12) == 0;
}

// The bytes an LPM trie compares: everything after the leading prefixlen.
template <class Key>
const std::uint8_t* lpm_data(const Key& k)
{
    return reinterpret_cast<const std::uint8_t*>(&k) + sizeof(std::uint32_t);
}

inline bool first_bits_equal(const std::uint8_t* a, const std::uint8_t* b, std::uint32_t bits)
{
    for (std::uint32_t i = 0; i < bits; ++i) {
        const std::uint8_t bit = static_cast<std::uint8_t>(0x80 >> (i % 8));
        if ((a[i / 8] & bit) != (b[i / 8] & bit))
            return false;
    }
    return true;
}

// BPF_MAP_TYPE_LPM_TRIE lookup. Entries are inserted in order; an equal key
// (same prefixlen, same bits) replaces the earlier value, as an update does.
template <class Key>
const pl_pol_hit* lpm_lookup(const std::vector<std::pair<Key, pl_pol_hit>>& entries, const Key& key)
{
    const pl_pol_hit* best = nullptr;
    std::uint32_t best_len = 0;
    for (const auto& [k, hit] : entries) {
        if (k.prefixlen > key.prefixlen || !first_bits_equal(lpm_data(k), lpm_data(key), k.prefixlen))
            continue;
        if (!best || k.prefixlen >= best_len) {
            best = &hit;
            best_len = k.prefixlen;
        }
    }
    return best;
}

// BPF_MAP_TYPE_HASH lookup: the key's bytes, all of them.
template <class Key>
const pl_pol_hit* hash_lookup(const std::vector<std::pair<Key, pl_pol_hit>>& entries, const Key& key)
{
    const pl_pol_hit* found = nullptr;
    for (const auto& [k, hit] : entries)
        if (std::memcmp(&k, &key, sizeof key) == 0)
            found = &hit;
    return found;
}

inline bool test_bit(const pl_pol_mask& m, std::uint32_t bit) { return (m.w[(bit / 64) % 4] >> (bit % 64)) & 1; }
inline void clear_bit(pl_pol_mask& m, std::uint32_t bit) { m.w[(bit / 64) % 4] &= ~(1ULL << (bit % 64)); }
inline bool mask_empty(const pl_pol_mask& m) { return (m.w[0] | m.w[1] | m.w[2] | m.w[3]) == 0; }

class Kernel {
public:
    explicit Kernel(const KernelTables& tables) : t_(tables) {}

    // raw_tp/sched_process_exec: the matchBinaries sets of a binary at `path`.
    pl_pol_binaries exec(const std::string& path, const pl_pol_binaries* before = nullptr) const
    {
        pl_pol_binaries sets{};
        if (before)
            for (int w = 0; w < PL_POL_BINARY_SETS / 64; ++w)
                sets.sets[w] = before->sets[w] & t_.follow_children.sets[w];
        if (path.size() > PL_POL_STR_MAX - 1)
            return sets;
        Strings k = string_keys(PL_HOOK_BINARIES, path);
        for (const pl_pol_hit* hit : {hash_lookup(t_.str_eq, k.eq), lpm_lookup(t_.str_prefix, k.prefix),
                                      lpm_lookup(t_.str_postfix, k.postfix)})
            if (hit)
                for (int w = 0; w < PL_POL_BINARY_SETS / 64; ++w)
                    sets.sets[w] |= hit->pos.w[w];
        return sets;
    }

    // raw_tp/sys_enter. `str` is what the hook's string argument points to
    // (nullopt: unreadable); args are the raw registers.
    Outcome syscall(const Task& task, std::uint32_t nr, std::array<std::uint64_t, 6> args,
                    std::optional<std::string> str = std::nullopt, std::uint64_t now_ns = 0)
    {
        Outcome out;
        auto it = t_.hooks.find(nr);
        if (nr >= PL_SYSCALL_MAX || it == t_.hooks.end() || mask_empty(it->second.all))
            return out;
        const pl_pol_hook& h = it->second;
        Scratch s;
        for (int i = 0; i < 6; ++i)
            s.args[i] = (h.arg32 & (1 << i)) ? static_cast<std::uint64_t>(static_cast<std::int64_t>(
                                                   static_cast<std::int32_t>(args[i])))
                                             : args[i];
        if (h.str_arg < 6 && (h.flags & PL_HOOKF_STR_IS_FD)) {
            // the path of the file open at the descriptor (Task::dirs holds the fd table)
            auto open = task.dirs.find(static_cast<int>(s.args[h.str_arg]));
            if (open != task.dirs.end())
                s.str = open->second;
        } else if (h.str_arg < 6) {
            if (str) {
                s.str = str->substr(0, PL_POL_STR_MAX - 1);
                s.truncated = str->size() >= PL_POL_STR_MAX - 1;  // the read filled the buffer
            }
            if (h.flags & PL_HOOKF_STR_IS_PATH)
                absolute_path(s, h, task);
        }
        evaluate(s, h, nr, task, now_ns, out);
        return out;
    }

    // A kernel function's program (kprobe, fentry, fmod_ret): the hook id is
    // its cookie, `str` what its string argument names.
    Outcome kernel_function(const Task& task, std::uint32_t hook, std::array<std::uint64_t, 6> args,
                            std::optional<std::string> str = std::nullopt, std::uint64_t now_ns = 0)
    {
        Outcome out;
        auto it = t_.hooks.find(hook);
        if (hook < PL_HOOK_KPROBE_FIRST || hook >= PL_HOOK_LSM_FIRST || it == t_.hooks.end() ||
            mask_empty(it->second.all))
            return out;
        Scratch s;
        s.args = args;
        if (it->second.str_arg < 6 && str)
            s.str = str->substr(0, PL_POL_STR_MAX - 1);
        evaluate(s, it->second, hook, task, now_ns, out);
        return out;
    }

    // cgroup/connect4|6, sendmsg4|6, bind4|6: the user's address and port.
    Outcome sock_addr(const Task& task, std::uint32_t hook, const std::string& addr, std::uint16_t port,
                      std::uint16_t protocol, std::uint64_t now_ns = 0)
    {
        Outcome out;
        auto it = t_.hooks.find(hook);
        if (it == t_.hooks.end() || mask_empty(it->second.all))
            return out;
        Scratch s;
        s.daddr = address(addr);
        s.family = is_v4(s.daddr) ? kAfInet : kAfInet6;
        s.protocol = protocol;
        s.dport = port;
        if (hook == PL_HOOK_BIND) {
            s.saddr = s.daddr;
            s.daddr = {};
            s.sport = s.dport;
            s.dport = 0;
        }
        evaluate(s, it->second, hook, task, now_ns, out);
        return out;
    }

private:
    struct Scratch {
        std::array<std::uint64_t, 6> args{};
        std::string str;
        bool truncated = false;
        std::uint16_t family = 0, protocol = 0, dport = 0, sport = 0;
        std::array<std::uint8_t, 16> daddr{}, saddr{};
        pl_pol_mask match{};
    };
    struct Strings {
        pl_pol_str_key eq{};
        pl_pol_lpm_str_key prefix{}, postfix{};
    };

    static Strings string_keys(std::uint32_t hook, const std::string& str)
    {
        Strings k;
        const std::size_t len = str.size();
        const std::size_t lpm_len = std::min<std::size_t>(len, PL_POL_LPM_STR_MAX);
        k.eq.hook = k.prefix.hook = k.postfix.hook = hook;
        std::memcpy(k.eq.str, str.data(), len);
        std::memcpy(k.prefix.str, str.data(), lpm_len);
        for (std::size_t i = 0; i < lpm_len; ++i)
            k.postfix.str[i] = str[len - 1 - i];
        k.prefix.prefixlen = k.postfix.prefixlen = static_cast<std::uint32_t>(32 + 8 * lpm_len);
        return k;
    }

    // pl_pol_absolute_path.
    static void absolute_path(Scratch& s, const pl_pol_hook& h, const Task& task)
    {
        if (s.str.empty() || s.str[0] == '/')
            return;
        std::string dir = task.cwd;
        if (h.dirfd_arg < 6 && static_cast<std::int32_t>(s.args[h.dirfd_arg]) != kAtFdcwd) {
            auto it = task.dirs.find(static_cast<std::int32_t>(s.args[h.dirfd_arg]));
            if (it == task.dirs.end())
                return;
            dir = it->second;
        }
        const std::size_t sep = dir.size() > 1;
        if (dir.size() + sep + s.str.size() > PL_POL_STR_MAX - 1) {
            s.truncated = true;
            return;
        }
        std::string rel = s.str.size() > 2 && s.str.starts_with("./") ? s.str.substr(2) : s.str;
        s.str = dir + (sep ? "/" : "") + rel;
    }

    void apply(Scratch& s, const pl_pol_hook& h, int table, const pl_pol_hit* hit) const
    {
        for (int w = 0; w < PL_POL_MASK_WORDS; ++w) {
            const std::uint64_t pos = hit ? hit->pos.w[w] : 0, neg = hit ? hit->neg.w[w] : 0;
            s.match.w[w] &= (~h.has_pos[table].w[w] | pos) & (~h.has_neg[table].w[w] | ~neg);
        }
    }

    void value_table(Scratch& s, const pl_pol_hook& h, std::uint32_t hook, int table, std::uint64_t value) const
    {
        if (!(h.tables & (1u << table)))
            return;
        pl_pol_value_key key{hook, static_cast<std::uint32_t>(table), value};
        apply(s, h, table, hash_lookup(t_.values, key));
    }

    void addr_table(Scratch& s, const pl_pol_hook& h, std::uint32_t hook, int table,
                    const std::array<std::uint8_t, 16>& addr) const
    {
        if (!(h.tables & (1u << table)))
            return;
        pl_pol_lpm_addr_key key{};
        key.prefixlen = 64 + 128;
        key.hook = hook;
        key.table = static_cast<std::uint32_t>(table);
        std::memcpy(key.addr, addr.data(), 16);
        apply(s, h, table, lpm_lookup(t_.addrs, key));
    }

    void match_tables(Scratch& s, const pl_pol_hook& h, std::uint32_t hook) const
    {
        s.match = h.all;
        constexpr std::uint32_t strings = (1u << PL_T_STR_EQ) | (1u << PL_T_STR_PREFIX) | (1u << PL_T_STR_POSTFIX);
        if (h.tables & strings) {
            Strings k = string_keys(hook, s.str);
            if (h.tables & (1u << PL_T_STR_EQ))
                apply(s, h, PL_T_STR_EQ, hash_lookup(t_.str_eq, k.eq));
            if (h.tables & (1u << PL_T_STR_PREFIX))
                apply(s, h, PL_T_STR_PREFIX, lpm_lookup(t_.str_prefix, k.prefix));
            if (h.tables & (1u << PL_T_STR_POSTFIX))
                apply(s, h, PL_T_STR_POSTFIX, lpm_lookup(t_.str_postfix, k.postfix));
        }
        for (int a = 0; a < 6; ++a)
            value_table(s, h, hook, PL_T_ARG0 + a, s.args[a]);
        addr_table(s, h, hook, PL_T_DADDR, s.daddr);
        addr_table(s, h, hook, PL_T_SADDR, s.saddr);
        value_table(s, h, hook, PL_T_DPORT, s.dport);
        value_table(s, h, hook, PL_T_SPORT, s.sport);
        value_table(s, h, hook, PL_T_FAMILY, s.family);
        value_table(s, h, hook, PL_T_PROTOCOL, s.protocol);
    }

    bool slow_holds(const Scratch& s, const pl_pol_slow& m, const Task& task) const
    {
        switch (m.kind) {
        case PL_SLOW_BINARY: {
            const std::uint32_t set = m.value & (PL_POL_BINARY_SETS - 1);
            return task.has_binaries && ((task.binaries.sets[set / 64] >> (set % 64)) & 1);
        }
        case PL_SLOW_PID: return (m.arg ? task.ns_tgid : task.tgid) == m.value;
        case PL_SLOW_NS: return m.arg < PL_NS_COUNT && task.ns[m.arg] == m.value;
        case PL_SLOW_CAPS: {
            const std::uint64_t caps =
                m.arg == 1 ? task.cap_inheritable : m.arg == 2 ? task.cap_permitted : task.cap_effective;
            return (caps & m.value) != 0;
        }
        case PL_SLOW_ARG_MASK: return m.arg < 6 && (s.args[m.arg] & m.value) != 0;
        case PL_SLOW_ARG_GT:
        case PL_SLOW_ARG_LT: {
            std::uint64_t v = m.arg < 6 ? s.args[m.arg] : 0;
            const bool greater = m.kind == PL_SLOW_ARG_GT;
            if (m.unsigned_bits == 32)
                v = static_cast<std::uint32_t>(v);
            if (m.unsigned_bits)
                return greater ? v > m.value : v < m.value;
            const auto sv = static_cast<std::int64_t>(v), sm = static_cast<std::int64_t>(m.value);
            return greater ? sv > sm : sv < sm;
        }
        case PL_SLOW_CGROUP: {
            // The kernel walks bpf_get_current_ancestor_cgroup_id(0..15): root first, the task's own last.
            auto in_set = [&](std::uint64_t id) {
                return std::any_of(t_.cgroup_sets.begin(), t_.cgroup_sets.end(), [&](const auto& e) {
                    return e.first.set == m.value && e.first.cgroup_id == id;
                });
            };
            if (in_set(task.cgroup_id))
                return true;
            for (std::size_t level = 0; level < 16 && level < task.ancestors.size(); ++level) {
                if (task.ancestors[level] == 0)
                    break;
                if (in_set(task.ancestors[level]))
                    return true;
            }
            return false;
        }
        case PL_SLOW_NS_CHANGED: {
            if (!task.at_exec)
                return false;
            for (int i = 0; i < PL_NS_COUNT; ++i)
                if ((m.value >> i & 1) && task.ns[i] != task.at_exec->ns[i])
                    return true;
            return false;
        }
        case PL_SLOW_CAPS_GAINED: {
            if (!task.at_exec)
                return false;
            const std::uint64_t caps =
                m.arg == 1 ? task.cap_inheritable : m.arg == 2 ? task.cap_permitted : task.cap_effective;
            return (caps & ~task.at_exec->caps[m.arg < 3 ? m.arg : 0] & m.value) != 0;
        }
        case PL_SLOW_PORT_PRIV: return (m.arg == PL_T_SPORT ? s.sport : s.dport) < 1024;
        }
        return false;
    }

    // pl_pol_match_slow and pl_pol_slow_step, step for step.
    void match_slow(Scratch& s, const pl_pol_hook& h, std::uint32_t hook, const Task& task) const
    {
        std::uint32_t cur_selector = 0xffffffff, cur_group = 0xffffffff;
        bool group_holds = true;
        for (std::uint32_t index = 0; index < PL_POL_SLOW_MAX && index < h.slow_count; ++index) {
            auto it = t_.slow.find(hook << 16 | index);
            if (it == t_.slow.end())
                break;
            const pl_pol_slow& m = it->second;
            if (m.selector != cur_selector || m.group != cur_group) {
                if (!group_holds)
                    clear_bit(s.match, cur_selector);
                cur_selector = m.selector;
                cur_group = m.group;
                group_holds = false;
            }
            if (group_holds || !test_bit(s.match, m.selector))
                continue;
            const bool holds = slow_holds(s, m, task);
            group_holds = m.negate ? !holds : holds;
        }
        if (!group_holds)
            clear_bit(s.match, cur_selector);
    }

    void evaluate(Scratch& s, const pl_pol_hook& h, std::uint32_t hook, const Task& task, std::uint64_t now,
                  Outcome& out)
    {
        out.str = s.str;
        out.str_truncated = s.truncated;
        match_tables(s, h, hook);
        out.after_tables = s.match;
        if (mask_empty(s.match))
            return;
        if (h.slow_count) {
            match_slow(s, h, hook, task);
            if (mask_empty(s.match))
                return;
        }
        for (std::uint32_t bit = 0; bit < PL_POL_SELECTORS; ++bit)
            act(s, hook, bit, task, now, out);
    }

    // pl_pol_act_step.
    void act(Scratch& s, std::uint32_t hook, std::uint32_t bit, const Task& task, std::uint64_t now, Outcome& out)
    {
        if (!test_bit(s.match, bit))
            return;
        const std::uint32_t key = hook << 16 | bit;
        auto sel_it = t_.selectors.find(key);
        if (sel_it == t_.selectors.end())
            return;
        const pl_pol_selector& sel = sel_it->second;
        for (int w = 0; w < PL_POL_MASK_WORDS; ++w)
            s.match.w[w] &= ~sel.same_policy_later.w[w];
        if (sel.policy >= t_.policies.size() || t_.policies[sel.policy].mode == PL_MODE_DISABLED)
            return;
        const bool enforce = t_.policies[sel.policy].mode == PL_MODE_ENFORCE;
        // pl_pol_act: the cgroup and LSM hooks fail the call for every refusing
        // action, an error-injection kprobe or fmod_ret for Override only.
        const bool refusing_hook = (hook >= PL_HOOK_CONNECT && hook <= PL_HOOK_BIND) ||
                                   (hook >= PL_HOOK_LSM_FIRST && hook <= PL_HOOK_LSM_LAST);
        const auto hook_it = t_.hooks.find(hook);
        const bool injects = hook_it != t_.hooks.end() && (hook_it->second.flags & PL_HOOKF_OVERRIDE);
        const bool socket_hook = refusing_hook || (injects && sel.action == PL_ACT_OVERRIDE);
        std::uint16_t flags = PL_POLF_AT_ENTRY | (enforce ? 0 : PL_POLF_MONITOR);
        Acted a;
        a.policy = sel.policy < t_.info.size() ? t_.info[sel.policy].name : "?";
        a.policy_id = sel.policy;
        a.bit = bit;
        a.hook_index = sel.hook_index;
        a.selector_index = sel.selector_index;
        a.action = sel.action;
        a.error = sel.error;
        a.signal = sel.signal;
        switch (sel.action) {
        case PL_ACT_ALLOW: out.acted.push_back(a); return;
        case PL_ACT_SIGKILL:
        case PL_ACT_OVERRIDE:
            if (enforce) {
                if (socket_hook)
                    out.denied = true;
                if (sel.action == PL_ACT_SIGKILL || !socket_hook)
                    out.sent.push_back(9);
                flags |= PL_POLF_ENFORCED;
            }
            break;
        case PL_ACT_SIGNAL:
            if (enforce) {
                out.sent.push_back(sel.signal);
                flags |= PL_POLF_ENFORCED;
            }
            break;
        case PL_ACT_DENY:
            if (enforce) {
                out.denied = true;
                flags |= PL_POLF_ENFORCED;
            }
            break;
        }
        if (!sel.no_post && rate_allows(key, task.tgid, sel.rate_limit_ns, now)) {
            a.posted = true;
            a.flags = flags | (s.truncated ? PL_POLF_STR_TRUNCATED : 0);
        }
        out.acted.push_back(a);
    }

    bool rate_allows(std::uint32_t key, std::uint32_t tgid, std::uint64_t limit, std::uint64_t now)
    {
        if (!limit)
            return true;
        auto it = rate_.find({key, tgid});
        if (it != rate_.end() && now - it->second < limit)
            return false;
        rate_[{key, tgid}] = now;
        return true;
    }

    const KernelTables& t_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> rate_;  // pl_pol_rate
};

// What the kernel relies on without checking: fails the current test where
// the tables break it.
inline void expect_well_formed(const KernelTables& t)
{
    for (const auto& [id, h] : t.hooks) {
        SCOPED_TRACE("hook " + std::to_string(id));
        EXPECT_LT(id, static_cast<std::uint32_t>(PL_HOOK_MAX));
        EXPECT_LE(h.slow_count, static_cast<std::uint32_t>(PL_POL_SLOW_MAX));
        // every selector bit has its entry, and only those
        for (std::uint32_t bit = 0; bit < PL_POL_SELECTORS; ++bit)
            EXPECT_EQ(test_bit(h.all, bit), t.selectors.count(id << 16 | bit) == 1) << "bit " << bit;
        for (int table = 0; table < PL_T_COUNT; ++table)
            for (int w = 0; w < 4; ++w) {
                EXPECT_EQ((h.has_pos[table].w[w] | h.has_neg[table].w[w]) & ~h.all.w[w], 0u);
                if (h.has_pos[table].w[w] | h.has_neg[table].w[w]) {
                    EXPECT_TRUE(h.tables & (1u << table)) << "table " << table;
                }
            }
        // slow entries: exactly slow_count, each (selector, group) run contiguous
        std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
        std::pair<std::uint32_t, std::uint32_t> last{0xffffffff, 0xffffffff};
        for (std::uint32_t i = 0; i < h.slow_count; ++i) {
            auto it = t.slow.find(id << 16 | i);
            ASSERT_NE(it, t.slow.end()) << "slow entry " << i;
            std::pair<std::uint32_t, std::uint32_t> run{it->second.selector, it->second.group};
            if (run != last) {
                EXPECT_TRUE(seen.insert(run).second) << "slow run split at " << i;
            }
            last = run;
            EXPECT_TRUE(test_bit(h.all, it->second.selector));
        }
        EXPECT_EQ(t.slow.count(id << 16 | h.slow_count), 0u);
    }
    for (const auto& [key, sel] : t.selectors) {
        const std::uint32_t hook = key >> 16, bit = key & 0xffff;
        EXPECT_LT(sel.policy, t.policies.size());
        EXPECT_LT(sel.policy, t.info.size());
        // a selector shadows only later selectors of its own policy
        for (std::uint32_t later = 0; later < PL_POL_SELECTORS; ++later) {
            if (!test_bit(sel.same_policy_later, later))
                continue;
            EXPECT_GT(later, bit);
            auto other = t.selectors.find(hook << 16 | later);
            ASSERT_NE(other, t.selectors.end());
            EXPECT_EQ(other->second.policy, sel.policy);
        }
    }
    auto unique = [](const auto& entries, const char* what) {
        for (std::size_t i = 0; i < entries.size(); ++i)
            for (std::size_t j = i + 1; j < entries.size(); ++j)
                EXPECT_NE(std::memcmp(&entries[i].first, &entries[j].first, sizeof entries[i].first), 0)
                    << what << " has a key twice";
    };
    // an LPM key is its prefixlen and that many bits: the rest is not part of it
    auto unique_lpm = [](const auto& entries, const char* what) {
        for (std::size_t i = 0; i < entries.size(); ++i)
            for (std::size_t j = i + 1; j < entries.size(); ++j)
                EXPECT_FALSE(entries[i].first.prefixlen == entries[j].first.prefixlen &&
                             first_bits_equal(lpm_data(entries[i].first), lpm_data(entries[j].first),
                                              entries[i].first.prefixlen))
                    << what << " has a key twice";
    };
    unique(t.str_eq, "str_eq");
    unique_lpm(t.str_prefix, "str_prefix");
    unique_lpm(t.str_postfix, "str_postfix");
    unique_lpm(t.addrs, "addrs");
    unique(t.values, "values");
    for (const auto& [k, hit] : t.str_eq)
        EXPECT_EQ(k.pad, 0u);
}

}  // namespace palisade::policy::model
