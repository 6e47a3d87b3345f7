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
 * The syscall's number and arguments from the user registers saved at entry.
 * From tp_btf/sys_enter and sys_exit the registers are a BTF-typed pointer,
 * read with plain loads: no helper call.
 */
#if defined(__TARGET_ARCH_x86)
static __always_inline long pl_syscall_nr(struct pt_regs *regs)
{
    return regs->orig_ax;
}

static __always_inline void pl_syscall_args(struct pt_regs *regs, __u64 args[6])
{
    args[0] = regs->di;
    args[1] = regs->si;
    args[2] = regs->dx;
    args[3] = regs->r10;
    args[4] = regs->r8;
    args[5] = regs->r9;
}

#elif defined(__TARGET_ARCH_arm64)
static __always_inline long pl_syscall_nr(struct pt_regs *regs)
{
    return regs->syscallno;
}

static __always_inline void pl_syscall_args(struct pt_regs *regs, __u64 args[6])
{
    args[0] = regs->orig_x0;
    for (int i = 1; i < 6; i++)
        args[i] = regs->regs[i];
}

#endif
