/* SPDX-License-Identifier: GPL-2.0-only */
/* Process identity read from task_struct: exec ids, credentials, namespaces. */
#pragma once

#include "lib/maps.h"

/* The exec id of a process that predates the sensor: its start time rounded
 * to clock ticks, exactly what user space derives from /proc/PID/stat. */
static __always_inline void pl_exec_id_fallback(struct task_struct *task, struct pl_exec_id *id)
{
    struct task_struct *leader = BPF_CORE_READ(task, group_leader);
    __u64 start = BPF_CORE_READ(leader, start_boottime);
    id->start_ns = start / PL_USER_TICK_NS * PL_USER_TICK_NS;
    id->pid = BPF_CORE_READ(task, tgid);
    id->pad = 0;
}

/* The current exec id of `task`'s process, from the map or the fallback. */
static __always_inline void pl_exec_id_of(struct task_struct *task, struct pl_exec_id *id)
{
    __u32 tgid = BPF_CORE_READ(task, tgid);
    struct pl_proc_state *state = bpf_map_lookup_elem(&pl_procs, &tgid);
    if (state)
        *id = state->exec_id;
    else
        pl_exec_id_fallback(task, id);
}

static __always_inline void pl_read_creds(struct task_struct *task, struct pl_creds *c)
{
    const struct cred *cred = BPF_CORE_READ(task, cred);
    c->uid = BPF_CORE_READ(cred, uid.val);
    c->gid = BPF_CORE_READ(cred, gid.val);
    c->euid = BPF_CORE_READ(cred, euid.val);
    c->egid = BPF_CORE_READ(cred, egid.val);
    c->suid = BPF_CORE_READ(cred, suid.val);
    c->sgid = BPF_CORE_READ(cred, sgid.val);
    c->fsuid = BPF_CORE_READ(cred, fsuid.val);
    c->fsgid = BPF_CORE_READ(cred, fsgid.val);
    c->loginuid = BPF_CORE_READ(task, loginuid.val);
    /* kernel_cap_t is a u64 since 6.3 and u32[2] before: same 8 bytes. */
    bpf_probe_read_kernel(&c->cap_effective, sizeof(c->cap_effective), &cred->cap_effective);
    bpf_probe_read_kernel(&c->cap_permitted, sizeof(c->cap_permitted), &cred->cap_permitted);
}

static __always_inline void pl_read_namespaces(struct task_struct *task, struct pl_namespaces *ns)
{
    struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
    ns->mnt = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
    ns->net = BPF_CORE_READ(nsp, net_ns, ns.inum);
    ns->uts = BPF_CORE_READ(nsp, uts_ns, ns.inum);
    ns->ipc = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
    ns->cgroup = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
    ns->user = BPF_CORE_READ(task, cred, user_ns, ns.inum);
    /* The pid namespace the task lives in, not the one for its children. */
    struct pid *pid = BPF_CORE_READ(task, thread_pid);
    unsigned int level = BPF_CORE_READ(pid, level);
    struct upid *upids = (void *)pid + bpf_core_field_offset(struct pid, numbers);
    ns->pid = BPF_CORE_READ(&upids[level & 31], ns, ns.inum);
}

/* Controlling tty encoded as /proc/PID/stat's tty_nr (new_encode_dev). */
static __always_inline __u32 pl_read_tty(struct task_struct *task)
{
    struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
    if (!tty)
        return 0;
    __u32 major = BPF_CORE_READ(tty, driver, major);
    __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}
