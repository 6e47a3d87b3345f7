// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy enforcement. One program per hook point serves every loaded policy:
 * syscall entry (sys_enter, where a SIGKILL stops the call's effects and
 * an exec before its first instruction) and the cgroup socket hooks (connect,
 * sendmsg, bind), which refuse a call with EPERM before any packet leaves.
 * Attached only while policies are loaded.
 */
#include "lib/path.h"
#include "lib/policy.h"
#include "lib/task.h"

#include <bpf/usdt.bpf.h> /* after vmlinux.h (via lib/): it uses the kernel's types */

char LICENSE[] SEC("license") = "GPL";

/* Makes a relative path absolute against the cwd or the directory open at
 * dirfd; a leading "./" is dropped, other "." and ".." are kept as written. */
static __always_inline void pl_pol_absolute_path(struct pl_pol_scratch *s, const struct pl_pol_hook *h)
{
    if (s->str_len == 0 || s->eq.str[0] == '/')
        return;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    const struct path *dir = NULL;
    if (h->dirfd_arg < 6 && (int)pl_pol_arg(s, h->dirfd_arg) != PL_AT_FDCWD) {
        struct file *file = pl_fd_file(task, (int)pl_pol_arg(s, h->dirfd_arg));
        dir = file ? &file->f_path : NULL;
    } else {
        struct fs_struct *fs = BPF_CORE_READ(task, fs);
        dir = fs ? &fs->pwd : NULL;
    }
    __u32 cpu = bpf_get_smp_processor_id();
    struct pl_scratch *ps = bpf_map_lookup_elem(&pl_scratch_map, &cpu);
    if (!dir || !ps)
        return;
    int truncated = 0;
    __u32 off = pl_path_build(ps, dir, &truncated) & (PL_PATH_MAX - 1);
    __u32 dir_len = PL_PATH_MAX - 1 - off; /* without the NUL */
    __u32 rel_len = s->str_len & (PL_POL_STR_MAX - 1);
    __u32 sep = dir_len > 1; /* the root needs no separator of its own */
    if (truncated || dir_len + sep + rel_len > PL_POL_STR_MAX - 1) {
        s->str_truncated = 1;
        return;
    }
    /* "./x" names x in the directory: drop the "./" so x matches as written */
    __u32 skip = 0;
    if (s->eq.str[0] == '.' && s->eq.str[1] == '/' && rel_len > 2)
        skip = 2;
    rel_len -= skip;
    __builtin_memcpy(s->staging, &s->eq.str[skip], PL_POL_STR_MAX - 2);
    __builtin_memset(s->eq.str, 0, PL_POL_STR_MAX);
    bpf_probe_read_kernel(s->eq.str, dir_len & (PL_POL_STR_MAX - 1), &ps->path[off]);
    if (sep)
        s->eq.str[dir_len & (PL_POL_STR_MAX - 1)] = '/';
    __u32 at = (dir_len + sep) & (PL_POL_STR_MAX - 1);
    /* 6.1's verifier loses rel_len's bounds: mask it where clang cannot fold the mask away */
    __u32 copy = rel_len;
    asm volatile("" : "+r"(copy));
    bpf_probe_read_kernel(&s->eq.str[at], copy & (PL_POL_STR_MAX - 1), s->staging);
    s->str_len = dir_len + sep + rel_len;
}

/* The path of the file open at descriptor `fd`, as the string to match. */
static __always_inline void pl_pol_fd_path(struct pl_pol_scratch *s, int fd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file *file = pl_fd_file(task, fd);
    __u32 cpu = bpf_get_smp_processor_id();
    struct pl_scratch *ps = bpf_map_lookup_elem(&pl_scratch_map, &cpu);
    if (!file || !ps)
        return;
    int truncated = 0;
    __u32 off = pl_path_build(ps, &file->f_path, &truncated) & (PL_PATH_MAX - 1);
    __u32 len = PL_PATH_MAX - 1 - off;
    if (truncated || len > PL_POL_STR_MAX - 1) {
        s->str_truncated = 1;
        return;
    }
    bpf_probe_read_kernel(s->eq.str, len & (PL_POL_STR_MAX - 1), &ps->path[off]);
    s->str_len = len;
}

/* With the raw arguments in the scratch: 32-bit ones sign-extended as the
 * policy declared them, and the hook's string argument read from user memory
 * (or, for a descriptor, its file's path). */
static __always_inline void pl_pol_read_args(struct pl_pol_scratch *s, const struct pl_pol_hook *h)
{
    for (int i = 0; i < 6; i++)
        if (h->arg32 & (1 << i))
            s->args[i] = (__u64)(__s64)(__s32)s->args[i];
    if (h->str_arg < 6 && (h->flags & PL_HOOKF_STR_IS_FD)) {
        pl_pol_fd_path(s, (int)pl_pol_arg(s, h->str_arg));
    } else if (h->str_arg < 6) {
        long n = bpf_probe_read_user_str(s->eq.str, PL_POL_STR_MAX, (const void *)pl_pol_arg(s, h->str_arg));
        if (n > 0) {
            s->str_len = n - 1;
            s->str_truncated = n == PL_POL_STR_MAX;
        }
    }
}

/* Reads the syscall's registers and its string argument into the scratch. */
static __always_inline int pl_pol_syscall_values(struct pl_pol_scratch *s, const struct pl_pol_hook *h,
                                                 struct pt_regs *regs)
{
    pl_pol_reset(s);
    pl_syscall_args(regs, s->args);
    pl_pol_read_args(s, h);
    if (h->str_arg < 6 && (h->flags & PL_HOOKF_STR_IS_PATH))
        pl_pol_absolute_path(s, h);
    return 0;
}

SEC("tp_btf/sys_enter")
int pl_pol_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
    __u32 nr = (__u32)ctx->args[1];
    if (nr >= PL_SYSCALL_MAX)
        return 0;
    __u32 hook = pl_pol_banked(pl_pol_active_bank(), nr);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin(hook, &h, &tgid);
    if (!s || pl_pol_syscall_values(s, h, (struct pt_regs *)ctx->args[0]) < 0)
        return 0;
    pl_pol_evaluate(s, h, hook, tgid, PL_POLF_AT_ENTRY);
    return 0;
}

/* Return probes: the same values plus the result. A SIGKILL here still ends
 * the process before the call returns to it. */
SEC("tp_btf/sys_exit")
int pl_pol_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
    long nr = pl_syscall_nr((struct pt_regs *)ctx->args[0]);
    if ((unsigned long)nr >= PL_SYSCALL_MAX)
        return 0;
    __u32 hook = pl_pol_banked(pl_pol_active_bank(), PL_HOOK_EXIT_FIRST + (__u32)nr);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin(hook, &h, &tgid);
    if (!s || pl_pol_syscall_values(s, h, (struct pt_regs *)ctx->args[0]) < 0)
        return 0;
    pl_pol_set_ret(s, h, ctx->args[1]);
    pl_pol_evaluate(s, h, hook, tgid, 0);
    return 0;
}

/* ---- uprobes: one program, attached per symbol with its hook id as cookie -- */

/* The cookie is a banked hook id: a reload attaches its uprobes for the bank
 * it fills, so each link answers to the policy set it was attached for. */
SEC("uprobe")
int pl_pol_uprobe(struct pt_regs *ctx)
{
    __u32 hook = (__u32)bpf_get_attach_cookie(ctx);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin_cookie(hook, PL_HOOK_UPROBE_FIRST, PL_HOOK_KPROBE_FIRST, &h, &tgid);
    if (!s)
        return 0;
    pl_pol_reset(s);
    pl_pol_register_args(s, ctx);
    pl_pol_read_args(s, h);
    pl_pol_evaluate(s, h, hook, tgid, PL_POLF_AT_ENTRY);
    return 0;
}

/* ---- USDT probes: libbpf finds each probe's operands; the cookie as above --- */

SEC("usdt")
int pl_pol_usdt(struct pt_regs *ctx)
{
    __u32 hook = (__u32)bpf_usdt_cookie(ctx);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin_cookie(hook, PL_HOOK_UPROBE_FIRST, PL_HOOK_KPROBE_FIRST, &h, &tgid);
    if (!s)
        return 0;
    pl_pol_reset(s);
    int count = bpf_usdt_arg_cnt(ctx);
    for (int i = 0; i < 6; i++) {
        long value = 0;
        if (i < count && bpf_usdt_arg(ctx, i, &value) == 0)
            s->args[i] = (__u64)value;
    }
    pl_pol_read_args(s, h);
    pl_pol_evaluate(s, h, hook, tgid, PL_POLF_AT_ENTRY);
    return 0;
}

/* ---- cgroup socket hooks -------------------------------------------------- */

static __always_inline int pl_pol_sock_addr(struct bpf_sock_addr *ctx, __u32 raw_hook, int v6, const int can_signal)
{
    __u32 hook = pl_pol_banked(pl_pol_active_bank(), raw_hook);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin(hook, &h, &tgid);
    if (!s)
        return 1;
    pl_pol_reset(s);
    s->family = v6 ? PL_AF_INET6 : PL_AF_INET;
    s->protocol = ctx->protocol;
    s->dport = bpf_ntohs(ctx->user_port);
    if (v6) {
        __u32 ip[4];
        ip[0] = ctx->user_ip6[0];
        ip[1] = ctx->user_ip6[1];
        ip[2] = ctx->user_ip6[2];
        ip[3] = ctx->user_ip6[3];
        __builtin_memcpy(s->daddr, ip, 16);
    } else {
        __u32 ip = ctx->user_ip4;
        s->daddr[10] = 0xff;
        s->daddr[11] = 0xff;
        __builtin_memcpy(&s->daddr[12], &ip, 4);
    }
    if (raw_hook == PL_HOOK_BIND) {
        /* bind names the local end */
        __builtin_memcpy(s->saddr, s->daddr, 16);
        __builtin_memset(s->daddr, 0, 16);
        s->sport = s->dport;
        s->dport = 0;
    }
    return pl_pol_evaluate_err(s, h, hook, tgid, PL_POLF_AT_ENTRY, NULL, can_signal) == PL_VERDICT_DENY ? 0 : 1;
}

SEC("cgroup/connect4")
int pl_pol_connect4(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_CONNECT, 0, 1); }

SEC("cgroup/connect6")
int pl_pol_connect6(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_CONNECT, 1, 1); }

SEC("cgroup/sendmsg4")
int pl_pol_sendmsg4(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_SENDMSG, 0, 1); }

SEC("cgroup/sendmsg6")
int pl_pol_sendmsg6(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_SENDMSG, 1, 1); }

SEC("cgroup/bind4")
int pl_pol_bind4(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_BIND, 0, 1); }

SEC("cgroup/bind6")
int pl_pol_bind6(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_BIND, 1, 1); }

/* The same hooks for kernels whose cgroup programs may not send signals
 * (before 6.13): Sigkill and Signal refuse the call there without a signal. */
SEC("cgroup/connect4")
int pl_pol_connect4_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_CONNECT, 0, 0); }

SEC("cgroup/connect6")
int pl_pol_connect6_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_CONNECT, 1, 0); }

SEC("cgroup/sendmsg4")
int pl_pol_sendmsg4_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_SENDMSG, 0, 0); }

SEC("cgroup/sendmsg6")
int pl_pol_sendmsg6_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_SENDMSG, 1, 0); }

SEC("cgroup/bind4")
int pl_pol_bind4_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_BIND, 0, 0); }

SEC("cgroup/bind6")
int pl_pol_bind6_nosig(struct bpf_sock_addr *ctx) { return pl_pol_sock_addr(ctx, PL_HOOK_BIND, 1, 0); }

/* ---- matchBinaries: which sets a process's binary is in, decided at exec --- */

static __always_inline void pl_pol_or_hit(struct pl_pol_binaries *b, const struct pl_pol_hit *hit)
{
    if (!hit)
        return;
    for (int w = 0; w < PL_POL_BINARY_SETS / 64; w++)
        b->sets[w] |= hit->pos.w[w];
}

/* The new binary's sets in one bank; s holds its path. Both banks are kept
 * current, so a reload's flip finds every process's sets already there. */
static __always_inline void pl_pol_binary_sets(struct pl_pol_scratch *s, __u32 bank, struct pl_pol_binaries *sets)
{
    pl_pol_string_keys(s, pl_pol_banked(bank, PL_HOOK_BINARIES),
                       (1u << PL_T_STR_PREFIX) | (1u << PL_T_STR_POSTFIX));
    pl_pol_or_hit(sets, bpf_map_lookup_elem(&pl_pol_str_eq, &s->eq));
    pl_pol_or_hit(sets, bpf_map_lookup_elem(&pl_pol_str_prefix, &s->prefix));
    pl_pol_or_hit(sets, bpf_map_lookup_elem(&pl_pol_str_postfix, &s->postfix));
}

SEC("raw_tp/sched_process_exec")
int pl_pol_exec(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx->args[0];
    struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
    __u32 tgid = BPF_CORE_READ(task, tgid);
    __u32 cpu = bpf_get_smp_processor_id();
    struct pl_scratch *ps = bpf_map_lookup_elem(&pl_scratch_map, &cpu);
    struct pl_pol_scratch *s = pl_pol_scratch();
    __u32 zero = 0, one = 1;
    struct pl_pol_binaries *follow0 = bpf_map_lookup_elem(&pl_pol_follow_children, &zero);
    struct pl_pol_binaries *follow1 = bpf_map_lookup_elem(&pl_pol_follow_children, &one);
    if (!ps || !s || !follow0 || !follow1)
        return 0;

    struct pl_pol_proc_sets sets = {};
    struct pl_pol_proc_sets *before = bpf_map_lookup_elem(&pl_pol_proc_binaries, &tgid);
    if (before) {
        for (int w = 0; w < PL_POL_BINARY_SETS / 64; w++) {
            sets.bank[0].sets[w] = before->bank[0].sets[w] & follow0->sets[w];
            sets.bank[1].sets[w] = before->bank[1].sets[w] & follow1->sets[w];
        }
    }

    pl_pol_reset(s);
    struct file *file = BPF_CORE_READ(bprm, file);
    int truncated = 0;
    __u32 off = pl_path_build(ps, &file->f_path, &truncated) & (PL_PATH_MAX - 1);
    __u32 len = PL_PATH_MAX - 1 - off;
    if (len <= PL_POL_STR_MAX - 1 && !truncated) {
        bpf_probe_read_kernel(s->eq.str, len & (PL_POL_STR_MAX - 1), &ps->path[off]);
        s->str_len = len;
        pl_pol_binary_sets(s, 0, &sets.bank[0]);
        pl_pol_binary_sets(s, 1, &sets.bank[1]);
    }
    bpf_map_update_elem(&pl_pol_proc_binaries, &tgid, &sets, BPF_ANY);

    if (pl_pol_tracks_changes()) {
        struct pl_pol_exec_state at_exec = {};
        pl_pol_read_exec_state(task, &at_exec);
        bpf_map_update_elem(&pl_pol_exec_states, &tgid, &at_exec, BPF_ANY);
    }

    /* Policies on sched_process_exec see the new binary; a SIGKILL now
     * ends the image before its first instruction. */
    __u32 hook = pl_pol_banked(pl_pol_active_bank(), PL_HOOK_EXEC);
    struct pl_pol_hook *h = bpf_map_lookup_elem(&pl_pol_hooks, &hook);
    if (h && !pl_pol_mask_empty(&h->all) && s->str_len && !pl_is_self(tgid))
        pl_pol_evaluate(s, h, hook, tgid, 0);
    return 0;
}

/* followForks: a child of a listed pid joins the set (by host or namespace pid) */
static __always_inline void pl_pol_follow_forks(struct task_struct *parent, __u32 parent_tgid, __u32 bank,
                                                struct pl_pol_binaries *sets)
{
    struct pl_pol_value_key key = {
        .hook = pl_pol_banked(bank, PL_HOOK_BINARIES), .table = PL_T_ARG0, .value = parent_tgid};
    pl_pol_or_hit(sets, bpf_map_lookup_elem(&pl_pol_values, &key));
    key.table = PL_T_ARG1;
    key.value = pl_task_ns_tgid(parent);
    pl_pol_or_hit(sets, bpf_map_lookup_elem(&pl_pol_values, &key));
}

SEC("raw_tp/sched_process_fork")
int pl_pol_fork(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *parent = (struct task_struct *)ctx->args[0];
    struct task_struct *child = (struct task_struct *)ctx->args[1];
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    if (parent_tgid == child_tgid)
        return 0;
    struct pl_pol_proc_sets sets = {};
    struct pl_pol_proc_sets *inherited = bpf_map_lookup_elem(&pl_pol_proc_binaries, &parent_tgid);
    if (inherited)
        sets = *inherited;
    pl_pol_follow_forks(parent, parent_tgid, 0, &sets.bank[0]);
    pl_pol_follow_forks(parent, parent_tgid, 1, &sets.bank[1]);
    __u64 any = 0;
    for (int w = 0; w < PL_POL_BINARY_SETS / 64; w++)
        any |= sets.bank[0].sets[w] | sets.bank[1].sets[w];
    if (any)
        bpf_map_update_elem(&pl_pol_proc_binaries, &child_tgid, &sets, BPF_ANY);
    else
        bpf_map_delete_elem(&pl_pol_proc_binaries, &child_tgid);
    /* until it execs, the child compares against its parent's exec */
    if (pl_pol_tracks_changes()) {
        struct pl_pol_exec_state *at_exec = bpf_map_lookup_elem(&pl_pol_exec_states, &parent_tgid);
        if (at_exec)
            bpf_map_update_elem(&pl_pol_exec_states, &child_tgid, at_exec, BPF_ANY);
    }
    return 0;
}
