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
#define PL_USER_TICK_NS 10000000ULL /* USER_HZ is 100 on every Linux ABI */

#define pl_container_of(ptr, type, member) \
    ((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))

/* libbpf 1.1 stops at the fifth syscall argument. */
#if defined(__TARGET_ARCH_x86)
#define PL_SYSCALL_NR(regs) BPF_CORE_READ((regs), orig_ax)
#define PL_SYSCALL_PARM6(regs) BPF_CORE_READ((regs), r9)
#elif defined(__TARGET_ARCH_arm64)
#define PL_SYSCALL_NR(regs) BPF_CORE_READ((regs), syscallno)
#define PL_SYSCALL_PARM6(regs) BPF_CORE_READ((regs), regs[5])
#endif

/* The raw syscall arguments, read from the saved user registers at sys_exit. */
static __always_inline void pl_syscall_args(struct pt_regs *regs, __u64 args[6])
{
    args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
    args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
    args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
    args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
    args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
    args[5] = PL_SYSCALL_PARM6(regs);
}
