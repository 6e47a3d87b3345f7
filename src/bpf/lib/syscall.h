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
    __u32 zero = 0;
    struct pl_regs_window *window = bpf_map_lookup_elem(&pl_regs_scratch, &zero);
    if (!window)
        return 0;
    long nr = pl_syscall_regs((struct pt_regs *)ctx->args[0], window, sc->args);
    if (nr < 0 || nr >= PL_SYSCALL_MAX)
        return 0;
    __u32 key = nr;
    __u32 *kind = bpf_map_lookup_elem(&pl_syscall_kinds, &key);
    if (!kind || *kind == PL_SC_NONE)
        return 0;
    sc->nr = key;
    sc->kind = *kind;
    sc->ret = (__s64)ctx->args[1];
    return 1;
}
