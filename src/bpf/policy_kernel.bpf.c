// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy hooks inside the kernel, for kernels that have them: fentry/fexit,
 * fmod_ret or kprobes on any kernel function (one program body, the hook id
 * as BPF cookie, arguments read by the types the map data names; a kprobe
 * with bpf_override_return or fmod_ret where Override can fail the function)
 * and BPF LSM programs, which can refuse the call with the policy's errno.
 * They evaluate the same selector maps as the syscall-level hooks
 * (lib/policy.h). Loaded only where the kernel offers the program type;
 * attached only while a policy needs them.
 */
#include "lib/kernel_args.h"
#include "lib/path.h"
#include "lib/policy.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

#define PL_AF_INET_K 2
#define PL_AF_INET6_K 10

/* The path of a kernel struct path, as the sensor writes paths, into the scratch string. */
static __always_inline void pl_kpol_path(struct pl_pol_scratch *s, const struct path *path)
{
    __u32 cpu = bpf_get_smp_processor_id();
    struct pl_scratch *ps = bpf_map_lookup_elem(&pl_scratch_map, &cpu);
    if (!ps || !path)
        return;
    int truncated = 0;
    __u32 off = pl_path_build(ps, path, &truncated) & (PL_PATH_MAX - 1);
    __u32 len = PL_PATH_MAX - 1 - off;
    if (truncated || len > PL_POL_STR_MAX - 1) {
        s->str_truncated = 1;
        return;
    }
    bpf_probe_read_kernel(s->eq.str, len & (PL_POL_STR_MAX - 1), &ps->path[off]);
    s->str_len = len;
}

static __always_inline void pl_kpol_string(struct pl_pol_scratch *s, const struct pl_pol_hook *h)
{
    void *ptr = (void *)pl_pol_arg(s, h->str_arg);
    if (!ptr)
        return;
    switch (h->str_kind) {
    case PL_STR_FILE: {
        struct file *file = ptr;
        pl_kpol_path(s, &file->f_path);
        break;
    }
    case PL_STR_PATH:
        pl_kpol_path(s, ptr);
        break;
    case PL_STR_BPRM: {
        struct linux_binprm *bprm = ptr;
        struct file *file = BPF_CORE_READ(bprm, file);
        if (file)
            pl_kpol_path(s, &file->f_path);
        break;
    }
    case PL_STR_NETDEV: {
        /* the interface name, matched as Tetragon's net_device type is */
        struct net_device *dev = ptr;
        long n = bpf_probe_read_kernel_str(s->eq.str, sizeof(dev->name), &dev->name);
        if (n > 0)
            s->str_len = n - 1;
        break;
    }
    case PL_STR_KERNEL:
    case PL_STR_USER: {
        long n = h->str_kind == PL_STR_KERNEL ? bpf_probe_read_kernel_str(s->eq.str, PL_POL_STR_MAX, ptr)
                                              : bpf_probe_read_user_str(s->eq.str, PL_POL_STR_MAX, ptr);
        if (n > 0) {
            s->str_len = n - 1;
            s->str_truncated = n == PL_POL_STR_MAX;
        }
        break;
    }
    }
}

static __always_inline void pl_kpol_ipv4(__u8 addr[16], __u32 ip)
{
    __builtin_memset(addr, 0, 16);
    addr[10] = 0xff;
    addr[11] = 0xff;
    __builtin_memcpy(&addr[12], &ip, 4);
}

static __always_inline void pl_kpol_sock(struct pl_pol_scratch *s, struct sock *sk)
{
    s->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    s->protocol = BPF_CORE_READ(sk, sk_protocol);
    s->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    s->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    if (s->family == PL_AF_INET_K) {
        pl_kpol_ipv4(s->daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
        pl_kpol_ipv4(s->saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
    } else if (s->family == PL_AF_INET6_K) {
        BPF_CORE_READ_INTO(&s->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
        BPF_CORE_READ_INTO(&s->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
    }
}

static __always_inline void pl_kpol_sockaddr(struct pl_pol_scratch *s, struct sockaddr *sa)
{
    s->family = BPF_CORE_READ(sa, sa_family);
    if (s->family == PL_AF_INET_K) {
        struct sockaddr_in *in = (void *)sa;
        s->dport = bpf_ntohs(BPF_CORE_READ(in, sin_port));
        pl_kpol_ipv4(s->daddr, BPF_CORE_READ(in, sin_addr.s_addr));
    } else if (s->family == PL_AF_INET6_K) {
        struct sockaddr_in6 *in6 = (void *)sa;
        s->dport = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
        BPF_CORE_READ_INTO(&s->daddr, in6, sin6_addr.in6_u.u6_addr8);
    }
}

/* With the raw arguments in s->args: the values the policy's types name. */
static __always_inline void pl_kpol_read_args(struct pl_pol_scratch *s, const struct pl_pol_hook *h)
{
    for (int i = 0; i < 6; i++)
        if (h->arg32 & (1 << i))
            s->args[i] = (__u64)(__s64)(__s32)s->args[i];
    if (h->str_arg < 6)
        pl_kpol_string(s, h);
    if (h->sock_arg < 6) {
        void *ptr = (void *)pl_pol_arg(s, h->sock_arg);
        struct sock *sk = ptr;
        if (ptr && h->sock_kind == PL_SOCK_SOCKET)
            sk = BPF_CORE_READ((struct socket *)ptr, sk);
        if (sk)
            pl_kpol_sock(s, sk);
    }
    /* the address the caller passes: it overrides the socket's own (not connected yet) */
    if (h->sockaddr_arg < 6) {
        void *ptr = (void *)pl_pol_arg(s, h->sockaddr_arg);
        if (ptr)
            pl_kpol_sockaddr(s, ptr);
    }
    pl_karg_read(s, h);
}

/* ---- kprobes: one program, attached per function with its hook id as cookie */

/* Return probes: the values read at entry, per thread and hook, until the return. */
struct pl_kpol_call {
    __u32 tid;
    __u32 hook;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, struct pl_kpol_call);
    __type(value, struct pl_pol_scratch);
} pl_kpol_calls SEC(".maps");

/* A syscall's own arguments, under a kprobe on its __x64_sys_* wrapper: the
 * wrapper's one argument is the pt_regs the syscall was entered with. */
static __always_inline void pl_kpol_syscall_args(struct pl_pol_scratch *s, struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
    struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);
    s->args[0] = BPF_CORE_READ(regs, di);
    s->args[1] = BPF_CORE_READ(regs, si);
    s->args[2] = BPF_CORE_READ(regs, dx);
    s->args[3] = BPF_CORE_READ(regs, r10); /* the syscall ABI's fourth register */
    s->args[4] = BPF_CORE_READ(regs, r8);
    s->args[5] = BPF_CORE_READ(regs, r9);
#endif
}

/* can_override: the program may call bpf_override_return, which the kernel
 * allows only on functions of its error-injection list, so it is a program
 * of its own (pl_pol_kprobe_override), attached only there. */
static __always_inline int pl_kpol_kprobe_entry(struct pt_regs *ctx, const int can_override)
{
    __u32 hook = (__u32)bpf_get_attach_cookie(ctx);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin_cookie(hook, PL_HOOK_KPROBE_FIRST, PL_HOOK_LSM_FIRST, &h, &tgid);
    if (!s)
        return 0;
    pl_pol_reset(s);
    if (h->flags & PL_HOOKF_SYSCALL_REGS)
        pl_kpol_syscall_args(s, ctx);
    else
        pl_pol_register_args(s, ctx);
    pl_kpol_read_args(s, h);
    if (h->flags & PL_HOOKF_RETURN) {
        struct pl_kpol_call call = {.tid = (__u32)bpf_get_current_pid_tgid(), .hook = hook};
        bpf_map_update_elem(&pl_kpol_calls, &call, s, BPF_ANY);
        return 0;
    }
    int error = 0;
    if (pl_pol_evaluate_err(s, h, hook, tgid, PL_POLF_AT_ENTRY, &error, 1) == PL_VERDICT_DENY && can_override)
        bpf_override_return(ctx, pl_pol_errno(error)); /* the function never runs */
    return 0;
}

SEC("kprobe")
int pl_pol_kprobe(struct pt_regs *ctx) { return pl_kpol_kprobe_entry(ctx, 0); }

SEC("kprobe")
int pl_pol_kprobe_override(struct pt_regs *ctx) { return pl_kpol_kprobe_entry(ctx, 1); }

/* The values saved at entry plus the function's return value. A kill here
 * still ends the process before the call returns to user space. */
SEC("kretprobe")
int pl_pol_kretprobe(struct pt_regs *ctx)
{
    __u32 hook = (__u32)bpf_get_attach_cookie(ctx);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin_cookie(hook, PL_HOOK_KPROBE_FIRST, PL_HOOK_LSM_FIRST, &h, &tgid);
    if (!s)
        return 0;
    struct pl_kpol_call call = {.tid = (__u32)bpf_get_current_pid_tgid(), .hook = hook};
    struct pl_pol_scratch *saved = bpf_map_lookup_elem(&pl_kpol_calls, &call);
    if (!saved)
        return 0;
    bpf_probe_read_kernel(s, sizeof(*s), saved);
    bpf_map_delete_elem(&pl_kpol_calls, &call);
    pl_pol_set_ret(s, h, PT_REGS_RC(ctx));
    pl_pol_evaluate(s, h, hook, tgid, 0);
    return 0;
}

/* ---- fentry/fexit: the same evaluation on a BPF trampoline --------------
 * Cheaper than a kprobe (no breakpoint, no pt_regs). The program is loaded
 * once per function (the verifier types it by the function's BTF) and gets
 * its hook id as the attach cookie. Arguments are copied as plain numbers
 * with bpf_get_func_arg: past the function's last one it fails, and the
 * slot stays 0, so one body verifies on every function. */
static __always_inline void pl_kpol_trampoline_args(struct pl_pol_scratch *s, void *ctx)
{
#pragma unroll
    for (__u32 i = 0; i < 6; i++) {
        __u64 value = 0;
        bpf_get_func_arg(ctx, i, &value);
        s->args[i] = value;
    }
}

enum pl_kpol_trampoline_kind { PL_TRAMP_ENTRY, PL_TRAMP_EXIT, PL_TRAMP_MODIFY_RETURN };

static __always_inline int pl_kpol_trampoline(void *ctx, const int kind)
{
    __u32 hook = (__u32)bpf_get_attach_cookie(ctx);
    if (!pl_pol_cookie_in(hook, PL_HOOK_KPROBE_FIRST, PL_HOOK_LSM_FIRST))
        return 0;
    __u64 ret = 0;
    if (kind != PL_TRAMP_ENTRY)
        bpf_get_func_ret(ctx, &ret); /* fmod_ret: what the programs before this one return */
    if (kind == PL_TRAMP_MODIFY_RETURN && (int)ret)
        return (int)ret; /* an earlier program already fails the call: keep its errno */
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin(hook, &h, &tgid);
    if (!s)
        return 0;
    pl_pol_reset(s);
    pl_kpol_trampoline_args(s, ctx);
    pl_kpol_read_args(s, h);
    if (kind == PL_TRAMP_EXIT) {
        /* fexit still has the arguments: no entry program, no saved state */
        pl_pol_set_ret(s, h, ret);
        pl_pol_evaluate(s, h, hook, tgid, 0);
        return 0;
    }
    int error = 0;
    if (pl_pol_evaluate_err(s, h, hook, tgid, PL_POLF_AT_ENTRY, &error, 1) == PL_VERDICT_DENY &&
        kind == PL_TRAMP_MODIFY_RETURN)
        return pl_pol_errno(error); /* the function does not run */
    return 0;
}

SEC("fentry")
int pl_pol_fentry(__u64 *ctx) { return pl_kpol_trampoline(ctx, PL_TRAMP_ENTRY); }

SEC("fexit")
int pl_pol_fexit(__u64 *ctx) { return pl_kpol_trampoline(ctx, PL_TRAMP_EXIT); }

/* Override on security_* and error-injectable functions, where kprobes cannot override. */
SEC("fmod_ret")
int pl_pol_fmod_ret(__u64 *ctx) { return pl_kpol_trampoline(ctx, PL_TRAMP_MODIFY_RETURN); }

/* ---- BPF LSM: a refusal returns the policy's errno from the hook ----------- */

/* `ctx` holds the hook's `nargs` arguments, then the return value of the
 * LSM programs before this one. The arguments are copied as plain numbers:
 * the verifier types them as kernel pointers, which the shared argument
 * handling must not see. */
static __always_inline int pl_kpol_lsm(__u32 raw_hook, __u64 *ctx, const __u32 nargs)
{
    __u32 hook = pl_pol_banked(pl_pol_active_bank(), raw_hook);
    int ret = (int)ctx[nargs];
    if (ret) /* an earlier program refused: keep its errno (the verifier wants -4095..0) */
        return pl_pol_errno(ret);
    struct pl_pol_hook *h;
    __u32 tgid;
    struct pl_pol_scratch *s = pl_pol_begin(hook, &h, &tgid);
    if (!s)
        return 0;
    pl_pol_reset(s);
    bpf_probe_read_kernel(s->args, nargs * sizeof(__u64), ctx);
    pl_kpol_read_args(s, h);
    int error = 0;
    if (pl_pol_evaluate_err(s, h, hook, tgid, PL_POLF_AT_ENTRY, &error, 1) == PL_VERDICT_DENY)
        return pl_pol_errno(error);
    return 0;
}

/* file_open(struct file *file) */
SEC("lsm/file_open")
int pl_pol_lsm_file_open(__u64 *ctx) { return pl_kpol_lsm(PL_HOOK_LSM_FILE_OPEN, ctx, 1); }

/* bprm_check_security(struct linux_binprm *bprm) */
SEC("lsm/bprm_check_security")
int pl_pol_lsm_bprm_check(__u64 *ctx) { return pl_kpol_lsm(PL_HOOK_LSM_BPRM_CHECK, ctx, 1); }

/* socket_connect(struct socket *sock, struct sockaddr *address, int addrlen) */
SEC("lsm/socket_connect")
int pl_pol_lsm_socket_connect(__u64 *ctx) { return pl_kpol_lsm(PL_HOOK_LSM_SOCKET_CONNECT, ctx, 3); }
