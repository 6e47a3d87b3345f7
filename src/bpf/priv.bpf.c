// SPDX-License-Identifier: GPL-2.0-only
/* Privilege changes and tampering: set*id, capset, ptrace, kill, mount,
 * modules, bpf(), namespaces, prctl, and memory made executable. */
#include "lib/path.h"
#include "lib/syscall.h"

char LICENSE[] SEC("license") = "GPL";

/* mmap/mprotect run constantly (every library load maps code); only writable
 * or anonymous executable memory says something about the process. */
static __always_inline int pl_exec_mapping_is_notable(struct pl_syscall *sc)
{
    if (sc->kind == PL_SC_MPROTECT)
        return sc->args[2] & PL_PROT_EXEC;
    __u64 prot = sc->args[2], flags = sc->args[3];
    return (prot & PL_PROT_EXEC) && ((prot & PL_PROT_WRITE) || (flags & PL_MAP_ANONYMOUS));
}

SEC("tp_btf/sys_exit")
int pl_sys_priv(struct bpf_raw_tracepoint_args *ctx)
{
    struct pl_syscall sc;
    if (!pl_syscall_read(ctx, &sc))
        return 0;
    if ((sc.kind == PL_SC_MPROTECT || sc.kind == PL_SC_MMAP) && !pl_exec_mapping_is_notable(&sc))
        return 0;

    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_SYSCALL, sizeof(struct pl_syscall_event)))
        return 0;
    struct pl_syscall_event *ev = pl_record_fixed(&r);
    ev->ret = sc.ret;
    ev->syscall_nr = sc.nr;
    __builtin_memcpy(ev->args, sc.args, sizeof(ev->args));

    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u16 str_len = 0, str2_len = 0;
    switch (sc.kind) {
    case PL_SC_SETUID:
        ev->aux = ((__u64)BPF_CORE_READ(task, cred, euid.val) << 32) | BPF_CORE_READ(task, cred, uid.val);
        break;
    case PL_SC_SETGID:
        ev->aux = ((__u64)BPF_CORE_READ(task, cred, egid.val) << 32) | BPF_CORE_READ(task, cred, gid.val);
        break;
    case PL_SC_CAPSET: {
        const struct cred *cred = BPF_CORE_READ(task, cred);
        bpf_probe_read_kernel(&ev->aux, sizeof(ev->aux), &cred->cap_effective);
        break;
    }
    case PL_SC_MOUNT:
        str_len = pl_put_user_str(&r, (const void *)sc.args[0], PL_PATH_MAX);
        str2_len = pl_put_user_str(&r, (const void *)sc.args[1], PL_PATH_MAX);
        break;
    case PL_SC_UMOUNT:
        str_len = pl_put_user_str(&r, (const void *)sc.args[0], PL_PATH_MAX);
        break;
    case PL_SC_INIT_MODULE:
        str_len = pl_put_user_str(&r, (const void *)sc.args[2], PL_NAME_MAX);
        break;
    case PL_SC_FINIT_MODULE: {
        str_len = pl_put_user_str(&r, (const void *)sc.args[1], PL_NAME_MAX);
        int truncated;
        struct file *file = pl_fd_file(task, sc.args[0]);
        str2_len = pl_put_path(&r, file ? &file->f_path : NULL, &truncated);
        break;
    }
    case PL_SC_DELETE_MODULE:
        str_len = pl_put_user_str(&r, (const void *)sc.args[0], PL_NAME_MAX);
        break;
    case PL_SC_PRCTL:
        if (sc.args[0] == PL_PR_SET_NAME)
            str_len = pl_put_user_str(&r, (const void *)sc.args[1], PL_COMM_LEN);
        break;
    default:
        break;
    }
    ev = pl_record_fixed(&r);
    ev->str_len = str_len;
    ev->str2_len = str2_len;
    pl_record_emit(&r);
    return 0;
}
