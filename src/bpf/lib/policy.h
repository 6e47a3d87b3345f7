/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Policy matching over the maps user space compiles policies into (see the
 * policy section of abi.h). Shared by the syscall-entry program and the cgroup
 * socket programs, so both evaluate one selector set the same way.
 */
#pragma once

#include <bpf/bpf_endian.h>

#include "lib/event.h"
#include "lib/task.h"

/* Which bank of the maps below is in force (see PL_POL_BANKS). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_pol_state);
} pl_pol_state_map __weak SEC(".maps");

/* The tables hold both banks; hash maps allocate on insert, so the bank not
 * in use costs no memory. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PL_POL_BANKS * PL_POL_HOOK_SPAN);
    __type(key, __u32);
    __type(value, struct pl_pol_hook);
} pl_pol_hooks __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_str_key);
    __type(value, struct pl_pol_hit);
} pl_pol_str_eq __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_lpm_str_key);
    __type(value, struct pl_pol_hit);
} pl_pol_str_prefix __weak SEC(".maps");

/* Same keys, strings reversed: a postfix is a prefix of the reversed string. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_lpm_str_key);
    __type(value, struct pl_pol_hit);
} pl_pol_str_postfix __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_lpm_addr_key);
    __type(value, struct pl_pol_hit);
} pl_pol_addrs __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_value_key);
    __type(value, struct pl_pol_hit);
} pl_pol_values __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PL_POL_BANKS * PL_POL_CGROUP_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pol_cgroup_key);
    __type(value, __u8);
} pl_pol_cgroup_sets __weak SEC(".maps");

/* key: banked hook << 16 | index */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PL_POL_BANKS * PL_POL_SLOW_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, __u32);
    __type(value, struct pl_pol_slow);
} pl_pol_slow_map __weak SEC(".maps");

/* key: banked hook << 16 | selector bit */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PL_POL_BANKS * PL_POL_TABLE_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, __u32);
    __type(value, struct pl_pol_selector);
} pl_pol_selectors __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PL_POL_BANKS * PL_POL_POLICIES); /* bank * PL_POL_POLICIES + policy */
    __type(key, __u32);
    __type(value, struct pl_pol_policy);
} pl_pol_policies __weak SEC(".maps");

/* Per process (tgid): the matchBinaries sets its binary belongs to. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, struct pl_pol_proc_sets);
} pl_pol_proc_binaries __weak SEC(".maps");

/* Per process (tgid): creds and namespaces at its exec, kept while a policy
 * matches changes (PL_POL_TRACK_CHANGES). A child starts with its parent's. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, struct pl_pol_exec_state);
} pl_pol_exec_states __weak SEC(".maps");

/* Sets a child keeps across its own exec (followChildren), as one mask per bank. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PL_POL_BANKS);
    __type(key, __u32);
    __type(value, struct pl_pol_binaries);
} pl_pol_follow_children __weak SEC(".maps");

struct pl_pol_rate_key {
    __u32 selector; /* banked hook << 16 | bit */
    __u32 tgid;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct pl_pol_rate_key);
    __type(value, __u64);
} pl_pol_rate __weak SEC(".maps");

/* What one evaluation reads, one slot per CPU: keys are built in place. */
struct pl_pol_scratch {
    struct pl_pol_str_key eq;
    struct pl_pol_lpm_str_key prefix;
    struct pl_pol_lpm_str_key postfix;
    struct pl_pol_lpm_addr_key addr;
    struct pl_pol_value_key value;
    struct pl_pol_mask match;
    char staging[PL_POL_STR_MAX]; /* a relative path while it is made absolute */
    __u64 args[6];
    __u64 ret;
    __u32 str_len; /* without the NUL; 0 = no string */
    __u32 str_truncated;
    __u16 family, protocol, dport, sport;
    __u8 daddr[16], saddr[16];
    __u64 cgroup_id;
    struct pl_pol_kernel_args kargs; /* kernel functions' skb and cred arguments, for the event */
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_pol_scratch);
} pl_pol_scratch_map __weak SEC(".maps");

/* A syscall argument by index, in a form the verifier can bound. */
static __always_inline __u64 pl_pol_arg(const struct pl_pol_scratch *s, __u32 index)
{
    switch (index) {
    case 0: return s->args[0];
    case 1: return s->args[1];
    case 2: return s->args[2];
    case 3: return s->args[3];
    case 4: return s->args[4];
    case 5: return s->args[5];
    case 6: return s->ret; /* return probes: the value the syscall returned */
    }
    return 0;
}

/* The bank in force, and hook ids in it (see PL_POL_BANKS). */
static __always_inline __u32 pl_pol_active_bank(void)
{
    __u32 zero = 0;
    struct pl_pol_state *state = bpf_map_lookup_elem(&pl_pol_state_map, &zero);
    return state ? state->bank & (PL_POL_BANKS - 1) : 0;
}

static __always_inline int pl_pol_tracks_changes(void)
{
    __u32 zero = 0;
    struct pl_pol_state *state = bpf_map_lookup_elem(&pl_pol_state_map, &zero);
    return state && (state->flags & PL_POL_TRACK_CHANGES);
}

static __always_inline __u32 pl_pol_banked(__u32 bank, __u32 hook) { return bank * PL_POL_HOOK_SPAN + hook; }
static __always_inline __u32 pl_pol_bank_of(__u32 banked) { return banked / PL_POL_HOOK_SPAN; }
static __always_inline __u32 pl_pol_hook_of(__u32 banked) { return banked % PL_POL_HOOK_SPAN; }

static __always_inline struct pl_pol_scratch *pl_pol_scratch(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&pl_pol_scratch_map, &zero);
}

/* A probe's BPF cookie is a banked hook id (a reload attaches its probes for
 * the bank it fills): whether it names a hook in [first, end) of a real bank. */
static __always_inline int pl_pol_cookie_in(__u32 banked, __u32 first, __u32 end)
{
    __u32 raw = pl_pol_hook_of(banked);
    return raw >= first && raw < end && pl_pol_bank_of(banked) < PL_POL_BANKS;
}

/* A probed function's first six arguments, from the registers. */
static __always_inline void pl_pol_register_args(struct pl_pol_scratch *s, struct pt_regs *ctx)
{
    s->args[0] = PT_REGS_PARM1(ctx);
    s->args[1] = PT_REGS_PARM2(ctx);
    s->args[2] = PT_REGS_PARM3(ctx);
    s->args[3] = PT_REGS_PARM4(ctx);
    s->args[4] = PT_REGS_PARM5(ctx);
#if defined(__TARGET_ARCH_x86)
    s->args[5] = ctx->r9; /* libbpf 1.1 has no PT_REGS_PARM6 */
#endif
}

/* Clears what an evaluation reads before setting it, so no value leaks from
 * the last one. LPM keys need no clearing: lookups compare prefixlen bits. */
static __always_inline void pl_pol_reset(struct pl_pol_scratch *s)
{
    __builtin_memset(s->eq.str, 0, PL_POL_STR_MAX);
    s->str_len = 0;
    s->str_truncated = 0;
    s->family = s->protocol = s->dport = s->sport = 0;
    __builtin_memset(s->daddr, 0, 16);
    __builtin_memset(s->saddr, 0, 16);
    __builtin_memset(s->args, 0, sizeof(s->args));
    s->ret = 0;
    s->kargs.present = 0;
}

/* The hook's string is in s->eq.str (NUL padded); derive the LPM keys. */
static __always_inline void pl_pol_string_keys(struct pl_pol_scratch *s, __u32 hook, __u32 tables)
{
    __u32 len = s->str_len & (PL_POL_STR_MAX - 1);
    __u32 lpm_len = len < PL_POL_LPM_STR_MAX ? len : PL_POL_LPM_STR_MAX;
    s->eq.hook = hook;
    if (tables & (1u << PL_T_STR_PREFIX)) {
        __builtin_memcpy(s->prefix.str, s->eq.str, PL_POL_LPM_STR_MAX);
        s->prefix.hook = hook;
        s->prefix.prefixlen = 32 + 8 * lpm_len;
    }
    if (tables & (1u << PL_T_STR_POSTFIX)) {
        /* reversed: the end of a long string is what a postfix sees */
        for (__u32 i = 0; i < PL_POL_LPM_STR_MAX; i++) {
            if (i >= len)
                break;
            s->postfix.str[i] = s->eq.str[(len - 1 - i) & (PL_POL_STR_MAX - 1)];
        }
        s->postfix.hook = hook;
        s->postfix.prefixlen = 32 + 8 * lpm_len;
    }
}

static __always_inline void pl_pol_apply(struct pl_pol_mask *m, const struct pl_pol_hook *h, int table,
                                         const struct pl_pol_hit *hit)
{
    for (int w = 0; w < PL_POL_MASK_WORDS; w++) {
        __u64 pos = hit ? hit->pos.w[w] : 0;
        __u64 neg = hit ? hit->neg.w[w] : 0;
        m->w[w] &= (~h->has_pos[table].w[w] | pos) & (~h->has_neg[table].w[w] | ~neg);
    }
}

static __always_inline int pl_pol_mask_empty(const struct pl_pol_mask *m)
{
    __u64 any = 0;
    for (int w = 0; w < PL_POL_MASK_WORDS; w++)
        any |= m->w[w];
    return any == 0;
}

/* The (banked) hook's selectors and the scratch to evaluate them in; NULL
 * when the hook has none, or the caller is the agent itself. */
static __always_inline struct pl_pol_scratch *pl_pol_begin(__u32 banked, struct pl_pol_hook **h, __u32 *tgid)
{
    *h = bpf_map_lookup_elem(&pl_pol_hooks, &banked);
    if (!*h || pl_pol_mask_empty(&(*h)->all))
        return NULL;
    *tgid = bpf_get_current_pid_tgid() >> 32;
    if (pl_is_self(*tgid))
        return NULL;
    return pl_pol_scratch();
}

/* pl_pol_begin for a probe whose cookie is its banked hook id, checked to be
 * one of [first, end): a link from another kind of hook evaluates nothing. */
static __always_inline struct pl_pol_scratch *pl_pol_begin_cookie(__u32 banked, __u32 first, __u32 end,
                                                                  struct pl_pol_hook **h, __u32 *tgid)
{
    if (!pl_pol_cookie_in(banked, first, end))
        return NULL;
    return pl_pol_begin(banked, h, tgid);
}

/* The hook's result, sign-extended when the policy declares it 32-bit. */
static __always_inline void pl_pol_set_ret(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u64 ret)
{
    s->ret = h->arg32 & (1 << 6) ? (__u64)(__s64)(__s32)ret : ret;
}

/* An errno the kernel accepts as a hook's return (-4095..-1); -1 (EPERM) otherwise. */
static __always_inline int pl_pol_errno(int error)
{
    return error >= -4095 && error < 0 ? error : -1;
}

static __always_inline void pl_pol_value_table(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook,
                                               int table, __u64 value)
{
    if (!(h->tables & (1u << table)))
        return;
    s->value.hook = hook;
    s->value.table = table;
    s->value.value = value;
    pl_pol_apply(&s->match, h, table, bpf_map_lookup_elem(&pl_pol_values, &s->value));
}

static __always_inline void pl_pol_addr_table(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook,
                                              int table, const __u8 addr[16])
{
    if (!(h->tables & (1u << table)))
        return;
    s->addr.prefixlen = 64 + 128;
    s->addr.hook = hook;
    s->addr.table = table;
    __builtin_memcpy(s->addr.addr, addr, 16);
    pl_pol_apply(&s->match, h, table, bpf_map_lookup_elem(&pl_pol_addrs, &s->addr));
}

/* Table matchers: one lookup per table in use, whatever the number of policies. */
static __always_inline void pl_pol_match_tables(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook)
{
    s->match = h->all;
    if (h->tables & ((1u << PL_T_STR_EQ) | (1u << PL_T_STR_PREFIX) | (1u << PL_T_STR_POSTFIX))) {
        pl_pol_string_keys(s, hook, h->tables);
        if (h->tables & (1u << PL_T_STR_EQ))
            pl_pol_apply(&s->match, h, PL_T_STR_EQ, bpf_map_lookup_elem(&pl_pol_str_eq, &s->eq));
        if (h->tables & (1u << PL_T_STR_PREFIX))
            pl_pol_apply(&s->match, h, PL_T_STR_PREFIX, bpf_map_lookup_elem(&pl_pol_str_prefix, &s->prefix));
        if (h->tables & (1u << PL_T_STR_POSTFIX))
            pl_pol_apply(&s->match, h, PL_T_STR_POSTFIX, bpf_map_lookup_elem(&pl_pol_str_postfix, &s->postfix));
    }
    for (int a = 0; a < 6; a++)
        pl_pol_value_table(s, h, hook, PL_T_ARG0 + a, s->args[a]);
    pl_pol_addr_table(s, h, hook, PL_T_DADDR, s->daddr);
    pl_pol_addr_table(s, h, hook, PL_T_SADDR, s->saddr);
    pl_pol_value_table(s, h, hook, PL_T_DPORT, s->dport);
    pl_pol_value_table(s, h, hook, PL_T_SPORT, s->sport);
    pl_pol_value_table(s, h, hook, PL_T_FAMILY, s->family);
    pl_pol_value_table(s, h, hook, PL_T_PROTOCOL, s->protocol);
    pl_pol_value_table(s, h, hook, PL_T_RET, s->ret);
}

/* The task's process id as its own pid namespace numbers it (1 = a container's init). */
static __always_inline __u32 pl_task_ns_tgid(struct task_struct *task)
{
    struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
    unsigned int level = BPF_CORE_READ(pid, level);
    struct upid upid = {};
    bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level & 31]);
    return upid.nr;
}

static __always_inline __u32 pl_pol_ns_inum(struct task_struct *task, __u32 which)
{
    struct nsproxy *ns = BPF_CORE_READ(task, nsproxy);
    switch (which) {
    case PL_NS_UTS: return BPF_CORE_READ(ns, uts_ns, ns.inum);
    case PL_NS_IPC: return BPF_CORE_READ(ns, ipc_ns, ns.inum);
    case PL_NS_MNT: return BPF_CORE_READ(ns, mnt_ns, ns.inum);
    case PL_NS_PID: {
        /* the task's own pid namespace: numbers[level], numbers[0] is always the root's */
        struct pid *pid = BPF_CORE_READ(task, thread_pid);
        unsigned int level = BPF_CORE_READ(pid, level);
        struct upid upid = {};
        bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level & 31]);
        return BPF_CORE_READ(upid.ns, ns.inum);
    }
    case PL_NS_PID_CHILDREN: return BPF_CORE_READ(ns, pid_ns_for_children, ns.inum);
    case PL_NS_NET: return BPF_CORE_READ(ns, net_ns, ns.inum);
    case PL_NS_TIME: return BPF_CORE_READ(ns, time_ns, ns.inum);
    case PL_NS_TIME_CHILDREN: return BPF_CORE_READ(ns, time_ns_for_children, ns.inum);
    case PL_NS_CGROUP: return BPF_CORE_READ(ns, cgroup_ns, ns.inum);
    case PL_NS_USER: return BPF_CORE_READ(task, cred, user_ns, ns.inum);
    }
    return 0;
}

static __always_inline __u64 pl_pol_caps(struct task_struct *task, __u32 which)
{
    const struct cred *cred = BPF_CORE_READ(task, cred);
    kernel_cap_t cap;
    if (which == 1)
        cap = BPF_CORE_READ(cred, cap_inheritable);
    else if (which == 2)
        cap = BPF_CORE_READ(cred, cap_permitted);
    else
        cap = BPF_CORE_READ(cred, cap_effective);
    __u64 bits = 0;
    __builtin_memcpy(&bits, &cap, sizeof(bits) < sizeof(cap) ? sizeof(bits) : sizeof(cap));
    return bits;
}

/* What matchCapabilityChanges / matchNamespaceChanges compare against. */
static __always_inline void pl_pol_read_exec_state(struct task_struct *task, struct pl_pol_exec_state *st)
{
    for (__u32 i = 0; i < 3; i++)
        st->caps[i] = pl_pol_caps(task, i);
    for (__u32 i = 0; i < PL_NS_COUNT; i++)
        st->ns[i] = pl_pol_ns_inum(task, i);
}

static __always_inline int pl_pol_ns_changed(struct task_struct *task, __u32 tgid, __u64 kinds)
{
    struct pl_pol_exec_state *at_exec = bpf_map_lookup_elem(&pl_pol_exec_states, &tgid);
    if (!at_exec)
        return 0;
    for (__u32 i = 0; i < PL_NS_COUNT; i++)
        if (((kinds >> i) & 1) && pl_pol_ns_inum(task, i) != at_exec->ns[i])
            return 1;
    return 0;
}

static __always_inline int pl_pol_caps_gained(struct task_struct *task, __u32 tgid, __u32 which, __u64 caps)
{
    struct pl_pol_exec_state *at_exec = bpf_map_lookup_elem(&pl_pol_exec_states, &tgid);
    if (!at_exec)
        return 0;
    return (pl_pol_caps(task, which) & ~at_exec->caps[which < 3 ? which : 0] & caps) != 0;
}

static __always_inline int pl_pol_in_cgroup_set(__u32 bank, __u32 set)
{
    struct pl_pol_cgroup_key key = {.set = set, .bank = bank};
    for (int level = 0; level < 16; level++) {
        key.cgroup_id = bpf_get_current_ancestor_cgroup_id(level);
        if (key.cgroup_id == 0)
            break;
        if (bpf_map_lookup_elem(&pl_pol_cgroup_sets, &key))
            return 1;
    }
    return 0;
}

static __always_inline int pl_pol_slow_holds(struct pl_pol_scratch *s, const struct pl_pol_slow *m,
                                             struct task_struct *task, __u32 tgid, __u32 bank)
{
    switch (m->kind) {
    case PL_SLOW_BINARY: {
        struct pl_pol_proc_sets *b = bpf_map_lookup_elem(&pl_pol_proc_binaries, &tgid);
        __u32 set = m->value & (PL_POL_BINARY_SETS - 1);
        return b && ((b->bank[bank & (PL_POL_BANKS - 1)].sets[set / 64] >> (set % 64)) & 1);
    }
    case PL_SLOW_PID:
        return (m->arg ? pl_task_ns_tgid(task) : tgid) == m->value;
    case PL_SLOW_NS:
        return pl_pol_ns_inum(task, m->arg) == m->value;
    case PL_SLOW_CAPS:
        return (pl_pol_caps(task, m->arg) & m->value) != 0;
    case PL_SLOW_ARG_MASK:
        return (pl_pol_arg(s, m->arg) & m->value) != 0;
    case PL_SLOW_ARG_GT:
    case PL_SLOW_ARG_LT: {
        __u64 v = pl_pol_arg(s, m->arg);
        int greater = m->kind == PL_SLOW_ARG_GT;
        if (m->unsigned_bits == 32)
            v = (__u32)v;
        if (m->unsigned_bits)
            return greater ? v > m->value : v < m->value;
        return greater ? (__s64)v > (__s64)m->value : (__s64)v < (__s64)m->value;
    }
    case PL_SLOW_CGROUP:
        return pl_pol_in_cgroup_set(bank, m->value);
    case PL_SLOW_PORT_PRIV:
        return (m->arg == PL_T_SPORT ? s->sport : s->dport) < 1024;
    case PL_SLOW_NS_CHANGED:
        return pl_pol_ns_changed(task, tgid, m->value);
    case PL_SLOW_CAPS_GAINED:
        return pl_pol_caps_gained(task, tgid, m->arg, m->value);
    }
    return 0;
}

static __always_inline void pl_pol_clear_bit(struct pl_pol_mask *m, __u32 bit)
{
    m->w[(bit / 64) & (PL_POL_MASK_WORDS - 1)] &= ~(1ULL << (bit % 64));
}

static __always_inline int pl_pol_test_bit(const struct pl_pol_mask *m, __u32 bit)
{
    return (m->w[(bit / 64) & (PL_POL_MASK_WORDS - 1)] >> (bit % 64)) & 1;
}

enum pl_pol_verdict {
    PL_VERDICT_PASS = 0,
    PL_VERDICT_DENY = 1, /* the cgroup hook refuses the call */
};

/* State shared with the bpf_loop callbacks below: each loop body is then
 * verified once, not once per iteration. */
struct pl_pol_loop {
    struct pl_pol_scratch *s;
    struct task_struct *task;
    __u32 hook; /* banked */
    __u32 tgid;
    __u32 count;
    __u32 cur_selector;
    __u32 cur_group;
    int group_holds;
    __u32 word;
    __u16 where;
    int refuses; /* 1: every refusing action makes the hook fail; 2: only Override (error injection) */
    int verdict;
    int error; /* with PL_VERDICT_DENY at an LSM hook: the errno it returns (negative) */
};

/* Hooks that can refuse the call: the cgroup socket hooks and the LSM hooks. */
static __always_inline int pl_pol_hook_refuses(__u32 hook)
{
    return (hook >= PL_HOOK_CONNECT && hook <= PL_HOOK_BIND) ||
           (hook >= PL_HOOK_LSM_FIRST && hook <= PL_HOOK_LSM_LAST);
}

static long pl_pol_slow_step(__u64 index, void *data)
{
    struct pl_pol_loop *l = data;
    if (index >= l->count)
        return 1;
    __u32 key = l->hook << 16 | (__u32)index;
    struct pl_pol_slow *m = bpf_map_lookup_elem(&pl_pol_slow_map, &key);
    if (!m)
        return 1;
    if (m->selector != l->cur_selector || m->group != l->cur_group) {
        if (!l->group_holds)
            pl_pol_clear_bit(&l->s->match, l->cur_selector);
        l->cur_selector = m->selector;
        l->cur_group = m->group;
        l->group_holds = 0;
    }
    if (l->group_holds || !pl_pol_test_bit(&l->s->match, m->selector))
        return 0;
    int holds = pl_pol_slow_holds(l->s, m, l->task, l->tgid, pl_pol_bank_of(l->hook));
    l->group_holds = m->negate ? !holds : holds;
    return 0;
}

/* Matchers that are not table lookups. Entries come grouped by (selector,
 * group): a group holds if any entry in it holds, a selector survives if all
 * its groups hold. Only selectors still standing are looked at. */
static __always_inline void pl_pol_match_slow(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook,
                                              __u32 tgid)
{
    struct pl_pol_loop l = {
        .s = s,
        .task = (struct task_struct *)bpf_get_current_task(),
        .hook = hook,
        .tgid = tgid,
        .count = h->slow_count,
        .cur_selector = 0xffffffff,
        .cur_group = 0xffffffff,
        .group_holds = 1,
    };
    bpf_loop(PL_POL_SLOW_MAX, pl_pol_slow_step, &l, 0);
    if (!l.group_holds)
        pl_pol_clear_bit(&s->match, l.cur_selector);
}

/* Whether this selector may post now, per process and rateLimit. */
static __always_inline int pl_pol_rate_allows(__u32 selector_key, __u32 tgid, __u64 limit_ns)
{
    if (!limit_ns)
        return 1;
    struct pl_pol_rate_key key = {.selector = selector_key, .tgid = tgid};
    __u64 now = bpf_ktime_get_boot_ns();
    __u64 *last = bpf_map_lookup_elem(&pl_pol_rate, &key);
    if (last && now - *last < limit_ns)
        return 0;
    bpf_map_update_elem(&pl_pol_rate, &key, &now, BPF_ANY);
    return 1;
}

static __always_inline void pl_pol_post(struct pl_pol_scratch *s, const struct pl_pol_selector *sel, __u32 banked,
                                        __u16 flags)
{
    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_POLICY, sizeof(struct pl_policy_event)))
        return;
    struct pl_policy_event *ev = pl_record_fixed(&r);
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    pl_exec_id_of(task, &ev->exec_id);
    ev->policy = sel->policy;
    ev->hook = pl_pol_hook_of(banked);
    ev->bank = pl_pol_bank_of(banked);
    ev->selector_index = sel->selector_index;
    ev->hook_index = sel->hook_index;
    ev->action = sel->action;
    ev->flags = flags | (s->str_truncated ? PL_POLF_STR_TRUNCATED : 0);
    ev->error = sel->error;
    ev->signal = sel->signal;
    __builtin_memcpy(ev->args, s->args, sizeof(ev->args));
    ev->family = s->family;
    ev->protocol = s->protocol;
    ev->dport = s->dport;
    ev->sport = s->sport;
    __builtin_memcpy(ev->daddr, s->daddr, 16);
    __builtin_memcpy(ev->saddr, s->saddr, 16);
    ev->cgroup_id = bpf_get_current_cgroup_id();
    if (s->str_len) {
        __u32 n = (s->str_len + 1) & (PL_POL_STR_MAX - 1);
        if (n == 0)
            n = PL_POL_STR_MAX - 1;
        if (bpf_probe_read_kernel(&r.s->event[r.pos & (PL_EVENT_MAX - 1)], n, s->eq.str) == 0) {
            r.s->event[(r.pos + n - 1) & (2 * PL_EVENT_MAX - 1)] = 0;
            r.pos += n;
            ev = pl_record_fixed(&r);
            ev->str_len = n;
        }
    }
    if (s->kargs.present) {
        /* r.pos is at most the fixed part plus PL_POL_STR_MAX: the struct fits the scratch */
        if (bpf_probe_read_kernel(&r.s->event[r.pos & (PL_EVENT_MAX - 1)], sizeof(s->kargs), &s->kargs) == 0) {
            r.pos += sizeof(s->kargs);
            ev = pl_record_fixed(&r);
            ev->kargs_len = sizeof(s->kargs);
        }
    }
    pl_record_emit(&r);
}

/* can_signal = 0 for program types that may not send signals (cgroup
 * sock_addr before 6.13): there Sigkill and Signal only refuse the call. */
static __always_inline long pl_pol_act_step_body(__u64 index, void *data, const int can_signal)
{
    struct pl_pol_loop *l = data;
    struct pl_pol_scratch *s = l->s;
    __u32 bit = l->word * 64 + (__u32)index;
    if (!pl_pol_test_bit(&s->match, bit))
        return 0;
    __u32 key = l->hook << 16 | bit;
    struct pl_pol_selector *sel = bpf_map_lookup_elem(&pl_pol_selectors, &key);
    if (!sel)
        return 0;
    for (int w = 0; w < PL_POL_MASK_WORDS; w++)
        s->match.w[w] &= ~sel->same_policy_later.w[w];
    __u32 policy = pl_pol_bank_of(l->hook) * PL_POL_POLICIES + sel->policy;
    struct pl_pol_policy *p = bpf_map_lookup_elem(&pl_pol_policies, &policy);
    if (!p || p->mode == PL_MODE_DISABLED)
        return 0;
    int enforce = p->mode == PL_MODE_ENFORCE;
    /* an error-injection kprobe fails the function for Override only: Sigkill there kills as Tetragon does */
    int refuses = l->refuses == 1 || (l->refuses == 2 && sel->action == PL_ACT_OVERRIDE);
    __u16 flags = l->where | (enforce ? 0 : PL_POLF_MONITOR);
    switch (sel->action) {
    case PL_ACT_ALLOW:
        return 0;
    case PL_ACT_SIGKILL:
    case PL_ACT_OVERRIDE: /* where the hook cannot refuse, the caller is killed instead */
        if (enforce) {
            if (refuses) {
                l->verdict = PL_VERDICT_DENY;
                if (sel->action == PL_ACT_OVERRIDE && sel->error < 0)
                    l->error = sel->error;
            }
            if ((sel->action == PL_ACT_SIGKILL || !refuses) && can_signal)
                bpf_send_signal(9);
            flags |= PL_POLF_ENFORCED;
        }
        break;
    case PL_ACT_SIGNAL:
        if (enforce && can_signal) {
            bpf_send_signal(sel->signal);
            flags |= PL_POLF_ENFORCED;
        }
        break;
    case PL_ACT_DENY:
        if (enforce) {
            l->verdict = PL_VERDICT_DENY;
            flags |= PL_POLF_ENFORCED;
        }
        break;
    }
    if (!sel->no_post && pl_pol_rate_allows(key, l->tgid, sel->rate_limit_ns))
        pl_pol_post(s, sel, l->hook, flags);
    return 0;
}

static long pl_pol_act_step(__u64 index, void *data) { return pl_pol_act_step_body(index, data, 1); }
static long pl_pol_act_step_nosig(__u64 index, void *data) { return pl_pol_act_step_body(index, data, 0); }

/* Acts on every matched selector that is its policy's first match; *error
 * gets the errno a refusing hook returns. */
static __always_inline int pl_pol_act(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook, __u32 tgid,
                                      __u16 where, int *error, const int can_signal)
{
    struct pl_pol_loop l = {
        .s = s, .hook = hook, .tgid = tgid, .where = where, .verdict = PL_VERDICT_PASS, .error = -1 /* EPERM */};
    l.refuses = pl_pol_hook_refuses(pl_pol_hook_of(hook)) ? 1 : (h->flags & PL_HOOKF_OVERRIDE) ? 2 : 0;
    for (__u32 w = 0; w < PL_POL_MASK_WORDS; w++) {
        if (!s->match.w[w])
            continue;
        l.word = w;
        bpf_loop(64, can_signal ? pl_pol_act_step : pl_pol_act_step_nosig, &l, 0);
    }
    if (error)
        *error = l.error;
    return l.verdict;
}

/* Matches the scratch's values against the hook's selectors and acts.
 * `hook` is banked: the bank it names is the policy set that decides. */
static __always_inline int pl_pol_evaluate_err(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook,
                                               __u32 tgid, __u16 where, int *error, const int can_signal)
{
    pl_pol_match_tables(s, h, hook);
    if (pl_pol_mask_empty(&s->match))
        return PL_VERDICT_PASS;
    if (h->slow_count) {
        pl_pol_match_slow(s, h, hook, tgid);
        if (pl_pol_mask_empty(&s->match))
            return PL_VERDICT_PASS;
    }
    return pl_pol_act(s, h, hook, tgid, where, error, can_signal);
}

static __always_inline int pl_pol_evaluate(struct pl_pol_scratch *s, const struct pl_pol_hook *h, __u32 hook,
                                           __u32 tgid, __u16 where)
{
    return pl_pol_evaluate_err(s, h, hook, tgid, where, NULL, 1);
}
