/* SPDX-License-Identifier: GPL-2.0-only */
/* What every sys_exit handler starts from: the syscall number, its kind,
 * its raw arguments and its result. */
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
    sc->nr = PL_SYSCALL_NR(regs);
    sc->ret = (__s64)ctx->args[1];
    __u32 *kind = bpf_map_lookup_elem(&pl_syscall_kinds, &sc->nr);
    if (!kind || *kind == PL_SC_NONE)
        return 0;
    sc->kind = *kind;
    pl_syscall_args(regs, sc->args);
    return 1;
}
