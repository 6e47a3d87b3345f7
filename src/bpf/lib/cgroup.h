/* SPDX-License-Identifier: GPL-2.0-only */
/* The task's cgroup path in one hierarchy, as /proc/PID/cgroup shows it from
 * the host's cgroup namespace: user space reads container identity from it. */
#pragma once

#include "lib/event.h"

/* kernfs_node.parent became __parent in 6.15. */
struct kernfs_node___old {
    struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* has_new_parent: bpf_core_field_exists(kn->__parent), asked once outside any
 * loop: 6.1's verifier rejects the loop the relocated test leaves behind. */
static __always_inline struct kernfs_node *pl_kn_parent(struct kernfs_node *kn, int has_new_parent)
{
    if (has_new_parent)
        return BPF_CORE_READ(kn, __parent);
    return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* The running kernel's id of a v1 subsystem; -1 when it has none. */
#define PL_SUBSYS_ID(name)                                                        \
    (bpf_core_enum_value_exists(enum cgroup_subsys_id, name) ?                   \
         (int)bpf_core_enum_value(enum cgroup_subsys_id, name) : -1)

static __always_inline struct kernfs_node *pl_task_cgroup_kn(struct task_struct *task, __u32 hierarchy)
{
    struct css_set *cgroups = BPF_CORE_READ(task, cgroups);
    int ssid = -1;
    switch (hierarchy) {
    case PL_CGROUP_UNIFIED: return BPF_CORE_READ(cgroups, dfl_cgrp, kn);
    case PL_CGROUP_MEMORY: ssid = PL_SUBSYS_ID(memory_cgrp_id); break;
    case PL_CGROUP_PIDS: ssid = PL_SUBSYS_ID(pids_cgrp_id); break;
    case PL_CGROUP_CPU: ssid = PL_SUBSYS_ID(cpu_cgrp_id); break;
    case PL_CGROUP_CPUSET: ssid = PL_SUBSYS_ID(cpuset_cgrp_id); break;
    }
    if (ssid < 0 || ssid >= 32)
        return NULL;
    struct cgroup_subsys_state *css = NULL;
    void *subsys = (void *)cgroups + bpf_core_field_offset(struct css_set, subsys);
    bpf_probe_read_kernel(&css, sizeof(css), subsys + ssid * sizeof(css));
    return css ? BPF_CORE_READ(css, cgroup, kn) : NULL;
}

/*
 * Appends the cgroup path of `task` in `hierarchy` ("/" for the root). Names
 * are walked from the leaf upwards and written backwards into s->path, as
 * pl_path_build does; when PL_CGROUP_DEPTH or PL_CGROUP_PATH_MAX is reached
 * the levels nearest the root are left out, so the leaf (which names the
 * container) always survives, and *truncated is set. The hierarchy's root
 * has a name of its own ("/"), which is not part of the path.
 */
static __always_inline __u16 pl_put_cgroup_path(struct pl_record *r, struct task_struct *task, __u32 hierarchy,
                                                int *truncated)
{
    struct kernfs_node *kn = pl_task_cgroup_kn(task, hierarchy);
    *truncated = 0;
    if (!kn)
        return 0;
    struct pl_scratch *s = r->s;
    volatile __u32 *offp = &s->path_off;
    *offp = PL_CGROUP_PATH_MAX - 1;
    s->path[PL_CGROUP_PATH_MAX - 1] = 0;
    /* One name at a time lands past the path area, where its length is learnt. */
    char *name = (char *)&s->path[PL_PATH_MAX];

    volatile int has_new_parent = bpf_core_field_exists(kn->__parent);
    /* Unrolled: as a loop, clang places its head after its body, and 6.1's
     * verifier takes the fall-through into the head for a back-edge. */
#pragma clang loop unroll(full)
    for (int i = 0; i <= PL_CGROUP_DEPTH; i++) {
        struct kernfs_node *parent = pl_kn_parent(kn, has_new_parent);
        if (!parent)
            break;
        if (i == PL_CGROUP_DEPTH) {
            *truncated = 1;
            break;
        }
        long n = bpf_probe_read_kernel_str(name, PL_NAME_MAX, BPF_CORE_READ(kn, name));
        if (n <= 1)
            break;
        __u32 len = (n - 1) & (PL_NAME_MAX - 1);
        __u32 off = *offp & (PL_CGROUP_PATH_MAX - 1);
        if (len + 2 > off) { /* off stays >= 1: the copy below is 1..511 bytes */
            *truncated = 1;
            break;
        }
        off -= len;
        /* Older verifiers (6.12 and before) lose len's bound through the
         * comparison above: mask it again where the compiler cannot fold it. */
        __u32 copy = len;
        asm volatile("" : "+r"(copy));
        bpf_probe_read_kernel(&s->path[off & (PL_CGROUP_PATH_MAX - 1)], copy & (PL_NAME_MAX - 1), name);
        off -= 1;
        s->path[off & (PL_CGROUP_PATH_MAX - 1)] = '/';
        *offp = off;
        kn = parent;
    }
    __u32 off = *offp & (PL_CGROUP_PATH_MAX - 1);
    if (off == PL_CGROUP_PATH_MAX - 1) {
        off -= 1;
        s->path[off] = '/';
    }
    __u32 len = PL_CGROUP_PATH_MAX - off;
    if (r->pos > PL_EVENT_MAX - PL_CGROUP_PATH_MAX)
        return 0;
    if (bpf_probe_read_kernel(&s->event[r->pos & (PL_EVENT_MAX - 1)], len & (PL_CGROUP_PATH_MAX - 1),
                              &s->path[off & (PL_CGROUP_PATH_MAX - 1)]) < 0)
        return 0;
    r->pos += len;
    return len;
}
