/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps shared by every program. They are __weak so that each .bpf.c file can
 * see them and the static linker merges them into one definition.
 */
#pragma once

#include "lib/common.h"

/* Every event leaves through this one ring buffer; size set by user space. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);
} pl_events __weak SEC(".maps");

/* Per-CPU emitted/dropped counters by event type (slot 0 unused). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_EV_TYPE_MAX);
    __type(key, __u32);
    __type(value, struct pl_type_stats);
} pl_stats __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_config);
} pl_config_map __weak SEC(".maps");

/* Live process images by tgid: the exec ids that tie events into lineage. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, struct pl_proc_state);
} pl_procs __weak SEC(".maps");

/* Record assembly area, one slot per CPU. A plain array indexed by CPU
 * because per-CPU map values are capped at 32 KiB. Twice the record bound so
 * that masked offsets plus a bounded copy always stay inside the value. */
struct pl_scratch {
    __u8 event[2 * PL_EVENT_MAX];
    __u8 path[2 * PL_PATH_MAX];
    __u32 path_off; /* see pl_path_build */
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1); /* user space sets it to the number of CPUs */
    __type(key, __u32);
    __type(value, struct pl_scratch);
} pl_scratch_map __weak SEC(".maps");

/* sys_exit dispatch: syscall number -> handler program, and -> its kind. */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, PL_SYSCALL_MAX);
    __type(key, __u32);
    __type(value, __u32);
} pl_syscall_progs __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PL_SYSCALL_MAX);
    __type(key, __u32);
    __type(value, __u32); /* enum pl_syscall_kind */
} pl_syscall_kinds __weak SEC(".maps");

