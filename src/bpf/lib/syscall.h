/* SPDX-License-Identifier: GPL-2.0-only */
/* What every sys_exit handler starts from: the syscall number, its kind,
 * its raw arguments and its result. The handlers are tp_btf/sys_exit
 * programs, tail-called by the dispatcher (syscalls.bpf.c): their context is
 * the tracepoint's arguments, the saved registers and the result. */
#pragma once

#include "lib/event.h"

struct pl_syscall {
    __u32 nr;
    __u32 kind; /* enum pl_syscall_kind */
    __s64 ret;
    __u64 args[6];
};

static __always_inline int pl_syscall_read(struct bpf_raw_tracepoint_args *ctx, struct pl_syscall *sc)
{
    struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
    long nr = pl_syscall_nr(regs);
    if (nr < 0 || nr >= PL_SYSCALL_MAX)
        return 0;
    pl_syscall_args(regs, sc->args);
    __u32 key = nr;
    __u32 *kind = bpf_map_lookup_elem(&pl_syscall_kinds, &key);
    if (!kind || *kind == PL_SC_NONE)
        return 0;
    sc->nr = key;
    sc->kind = *kind;
    sc->ret = (__s64)ctx->args[1];
    return 1;
}
