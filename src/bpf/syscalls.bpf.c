// SPDX-License-Identifier: GPL-2.0-only
/* One hook on sys_exit serves every syscall: it tail-calls the handler that
 * user space installed for this syscall number, and costs a failed tail call
 * for every syscall nobody asked for. Arguments are read from the saved user
 * registers, so one hook per syscall sees both the arguments and the result.
 * tp_btf rather than raw_tp: the registers are then read with plain loads. */
#include "lib/maps.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_exit")
int pl_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
    long nr = pl_syscall_nr((struct pt_regs *)ctx->args[0]);
    if ((unsigned long)nr >= PL_SYSCALL_MAX)
        return 0;
    bpf_tail_call(ctx, &pl_syscall_progs, (__u32)nr);
    return 0;
}
