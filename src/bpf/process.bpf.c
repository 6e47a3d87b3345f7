// SPDX-License-Identifier: GPL-2.0-only
/* Process lifecycle: fork/clone, exec, exit. These hooks keep pl_procs (the
 * exec ids behind lineage) current and are always attached. */
#include "lib/cgroup.h"
#include "lib/event.h"
#include "lib/path.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/sched_process_fork")
int pl_fork(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *parent = (struct task_struct *)ctx->args[0];
    struct task_struct *child = (struct task_struct *)ctx->args[1];
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    __u32 child_tid = BPF_CORE_READ(child, pid);
    int thread = parent_tgid == child_tgid;

    struct pl_proc_state state = {};
    pl_exec_id_of(parent, thread ? &state.exec_id : &state.parent_exec_id);
    if (!thread) {
        state.exec_id.start_ns = bpf_ktime_get_boot_ns();
        state.exec_id.pid = child_tgid;
        bpf_map_update_elem(&pl_procs, &child_tgid, &state, BPF_ANY);
    } else {
        struct pl_proc_state *parent_state = bpf_map_lookup_elem(&pl_procs, &parent_tgid);
        if (parent_state)
            state.parent_exec_id = parent_state->parent_exec_id;
    }

    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_FORK, sizeof(struct pl_fork_event)))
        return 0;
    struct pl_fork_event *ev = pl_record_fixed(&r);
    /* The hook runs in the parent; the record describes the child. */
    ev->hdr.tgid = child_tgid;
    ev->hdr.tid = child_tid;
    ev->exec_id = state.exec_id;
    ev->parent_exec_id = state.parent_exec_id;
    ev->parent_tgid = parent_tgid;
    ev->parent_tid = BPF_CORE_READ(parent, pid);
    ev->flags = thread ? PL_FORK_THREAD : 0;
    pl_record_emit(&r);
    return 0;
}

static __always_inline int pl_dentry_is_memfd(struct dentry *dentry)
{
    char prefix[6] = {};
    const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
    bpf_probe_read_kernel(prefix, sizeof(prefix), name);
    return prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' &&
           prefix[4] == 'd' && prefix[5] == ':';
}

SEC("raw_tp/sched_process_exec")
int pl_exec(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx->args[0];
    struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
    __u32 tgid = BPF_CORE_READ(task, tgid);

    struct pl_proc_state state = {};
    struct pl_proc_state *known = bpf_map_lookup_elem(&pl_procs, &tgid);
    if (known)
        state.parent_exec_id = known->parent_exec_id;
    else
        pl_exec_id_of(BPF_CORE_READ(task, real_parent), &state.parent_exec_id);
    state.exec_id.start_ns = bpf_ktime_get_boot_ns();
    state.exec_id.pid = tgid;
    bpf_map_update_elem(&pl_procs, &tgid, &state, BPF_ANY);

    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_EXEC, sizeof(struct pl_exec_event)))
        return 0;
    struct pl_exec_event *ev = pl_record_fixed(&r);
    ev->exec_id = state.exec_id;
    ev->parent_exec_id = state.parent_exec_id;
    ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
    ev->cgroup_id = bpf_get_current_cgroup_id();
    ev->start_boottime_ns = BPF_CORE_READ(task, group_leader, start_boottime);
    pl_read_creds(task, &ev->creds);
    pl_read_namespaces(task, &ev->ns);
    ev->tty = pl_read_tty(task);
    ev->sessionid = BPF_CORE_READ(task, sessionid);
    bpf_get_current_comm(ev->comm, sizeof(ev->comm));

    __u32 flags = 0;
    if (ev->creds.euid != ev->creds.uid)
        flags |= PL_EXEC_SETUID;
    struct file *file = BPF_CORE_READ(bprm, file);
    struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
    if (BPF_CORE_READ(dentry, d_inode, __i_nlink) == 0)
        flags |= PL_EXEC_DELETED;
    if (pl_dentry_is_memfd(dentry))
        flags |= PL_EXEC_MEMFD;

    ev->filename_len = pl_put_kernel_str(&r, BPF_CORE_READ(bprm, filename), PL_PATH_MAX);
    int truncated = 0;
    ev = pl_record_fixed(&r);
    ev->path_len = pl_put_path(&r, &file->f_path, &truncated);
    if (truncated)
        flags |= PL_EXEC_PATH_TRUNCATED;

    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
    unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
    unsigned long argv_size = arg_end - arg_start;
    if (argv_size > PL_ARGV_MAX - 1)
        flags |= PL_EXEC_ARGV_TRUNCATED;
    ev = pl_record_fixed(&r);
    ev->argv_len = pl_put_user_bytes(&r, (const void *)arg_start, argv_size, PL_ARGV_MAX);

    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    ev = pl_record_fixed(&r);
    ev->cwd_len = pl_put_path(&r, &fs->pwd, &truncated);

    struct pl_config *cfg = pl_config();
    __u32 hierarchy = cfg ? cfg->cgroup_hierarchy : PL_CGROUP_UNIFIED;
    __u16 cgroup_len = pl_put_cgroup_path(&r, task, hierarchy, &truncated);
    if (truncated)
        flags |= PL_EXEC_CGROUP_TRUNCATED;
    ev = pl_record_fixed(&r);
    ev->cgroup_len = cgroup_len;
    ev->flags = flags;
    pl_record_emit(&r);
    return 0;
}

SEC("raw_tp/sched_process_exit")
int pl_exit(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx->args[0];
    /* Threads leave silently; the process exits with its last thread. */
    if (BPF_CORE_READ(task, signal, live.counter) != 0)
        return 0;
    __u32 tgid = BPF_CORE_READ(task, tgid);

    struct pl_record r;
    if (pl_record_begin(&r, PL_EV_EXIT, sizeof(struct pl_exit_event))) {
        struct pl_exit_event *ev = pl_record_fixed(&r);
        pl_exec_id_of(task, &ev->exec_id);
        ev->exit_code = BPF_CORE_READ(task, exit_code);
        pl_record_emit(&r);
    }
    bpf_map_delete_elem(&pl_procs, &tgid);
    return 0;
}
