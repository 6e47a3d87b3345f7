/* SPDX-License-Identifier: GPL-2.0-only */
/* Includes and small definitions every Palisade BPF program needs. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "palisade/abi.h"

#define PL_AT_FDCWD -100
#define PL_AF_UNIX 1
#define PL_AF_INET 2
#define PL_AF_INET6 10
#define PL_PROT_WRITE 0x2
#define PL_PROT_EXEC 0x4
#define PL_MAP_ANONYMOUS 0x20
#define PL_PR_SET_NAME 15
#define PL_EINPROGRESS 115
#define PL_S_IFMT 0170000
#define PL_S_IFSOCK 0140000
#define PL_SOCK_TYPE_MASK 0xf /* without SOCK_NONBLOCK / SOCK_CLOEXEC */
#define PL_USER_TICK_NS 10000000ULL /* USER_HZ is 100 on every Linux ABI */

#define pl_container_of(ptr, type, member) \
    ((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))

/*
 * The saved user registers are copied with one helper call and read locally:
 * one bpf_probe_read per argument would cost more than the whole record.
 */
/*
 * From tp_btf/sys_exit the registers are a BTF-typed pointer: they are read
 * with plain loads, no helper call (pl_syscall_*_direct). Raw tracepoint
 * programs copy them with one helper call (pl_syscall_regs).
 */
#if defined(__TARGET_ARCH_x86)
static __always_inline long pl_syscall_nr_direct(struct pt_regs *regs)
{
    return regs->orig_ax;
}

static __always_inline void pl_syscall_args_direct(struct pt_regs *regs, __u64 args[6])
{
    args[0] = regs->di;
    args[1] = regs->si;
    args[2] = regs->dx;
    args[3] = regs->r10;
    args[4] = regs->r8;
    args[5] = regs->r9;
}

/* x86-64 pt_regs from r10 to orig_ax: the ptrace layout, fixed by the ABI. */
struct pl_regs_window {
    __u64 r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};

static __always_inline long pl_syscall_nr(struct pt_regs *regs)
{
    long nr = -1;
    bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);
    return nr;
}

/* The syscall number and raw arguments, from the registers saved at entry. */
static __always_inline long pl_syscall_regs(struct pt_regs *regs, struct pl_regs_window *w, __u64 args[6])
{
    if (bpf_probe_read_kernel(w, sizeof(*w), &regs->r10) < 0)
        return -1;
    args[0] = w->di;
    args[1] = w->si;
    args[2] = w->dx;
    args[3] = w->r10;
    args[4] = w->r8;
    args[5] = w->r9;
    return w->orig_ax;
}
#elif defined(__TARGET_ARCH_arm64)
static __always_inline long pl_syscall_nr_direct(struct pt_regs *regs)
{
    return regs->syscallno;
}

static __always_inline void pl_syscall_args_direct(struct pt_regs *regs, __u64 args[6])
{
    args[0] = regs->orig_x0;
    for (int i = 1; i < 6; i++)
        args[i] = regs->regs[i];
}

struct pl_regs_window {
    __u64 unused;
};

static __always_inline long pl_syscall_nr(struct pt_regs *regs)
{
    return BPF_CORE_READ(regs, syscallno);
}

static __always_inline long pl_syscall_regs(struct pt_regs *regs, struct pl_regs_window *w, __u64 args[6])
{
    args[0] = BPF_CORE_READ(regs, orig_x0);
    for (int i = 1; i < 6; i++)
        args[i] = BPF_CORE_READ(regs, regs[i]);
    return BPF_CORE_READ(regs, syscallno);
}
#endif
