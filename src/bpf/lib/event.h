/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Record assembly: a handler begins a record in the CPU's scratch slot, fills
 * the fixed struct, appends tail fields, and emits it to the ring buffer.
 * Every failure to emit is counted, never silent.
 */
#pragma once

#include "lib/maps.h"

struct pl_record {
    struct pl_scratch *s;
    __u32 pos; /* end of what has been written so far */
};

static __always_inline struct pl_config *pl_config(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&pl_config_map, &zero);
}

static __always_inline int pl_is_self(__u32 tgid)
{
    struct pl_config *cfg = pl_config();
    return cfg && cfg->self_tgid == tgid;
}

/* Starts a record of `fixed_size` bytes (zeroed) for the current task.
 * Returns 0 when nothing should be recorded (the agent itself, no scratch). */
static __always_inline int pl_record_begin(struct pl_record *r, __u16 type, __u32 fixed_size)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u32 tgid = pid_tgid >> 32;
    if (pl_is_self(tgid))
        return 0;
    __u32 cpu = bpf_get_smp_processor_id();
    r->s = bpf_map_lookup_elem(&pl_scratch_map, &cpu);
    if (!r->s)
        return 0;
    /* fixed_size is a constant once inlined: the zeroing unrolls to stores. */
    __builtin_memset(r->s->event, 0, fixed_size);
    struct pl_event_header *hdr = (void *)r->s->event;
    hdr->type = type;
    hdr->tgid = tgid;
    hdr->tid = (__u32)pid_tgid;
    r->pos = fixed_size;
    return 1;
}

static __always_inline void *pl_record_fixed(struct pl_record *r)
{
    return r->s->event;
}

/* Appends a user-space C string of at most `max` bytes; returns the bytes
 * stored (NUL included), 0 if absent or unreadable. */
static __always_inline __u16 pl_put_user_str(struct pl_record *r, const void *uptr, __u32 max)
{
    if (!uptr || r->pos > PL_EVENT_MAX - max)
        return 0;
    long n = bpf_probe_read_user_str(&r->s->event[r->pos & (PL_EVENT_MAX - 1)], max, uptr);
    if (n <= 0)
        return 0;
    r->pos += n;
    return n;
}

static __always_inline __u16 pl_put_kernel_str(struct pl_record *r, const void *kptr, __u32 max)
{
    if (!kptr || r->pos > PL_EVENT_MAX - max)
        return 0;
    long n = bpf_probe_read_kernel_str(&r->s->event[r->pos & (PL_EVENT_MAX - 1)], max, kptr);
    if (n <= 0)
        return 0;
    r->pos += n;
    return n;
}

/* Appends `len` raw bytes from user memory and a terminating NUL. */
static __always_inline __u16 pl_put_user_bytes(struct pl_record *r, const void *uptr, __u32 len, __u32 max)
{
    if (!uptr || len == 0 || r->pos > PL_EVENT_MAX - max)
        return 0;
    if (len > max - 1)
        len = max - 1;
    /* Keep the clamped value in a register the verifier can see bounded. */
    barrier_var(len);
    len &= PL_PATH_MAX - 1;
    __u32 at = r->pos & (PL_EVENT_MAX - 1);
    if (bpf_probe_read_user(&r->s->event[at], len, uptr) < 0)
        return 0;
    r->s->event[(at + len) & (2 * PL_EVENT_MAX - 1)] = 0;
    r->pos += len + 1;
    return len + 1;
}

static __always_inline void pl_count(__u16 type, int dropped)
{
    __u32 key = type;
    struct pl_type_stats *st = bpf_map_lookup_elem(&pl_stats, &key);
    if (!st)
        return;
    if (dropped)
        st->dropped++;
    else
        st->emitted++;
}

/*
 * Records are written without waking the reader: a wakeup costs the writing
 * CPU an irq_work and the reader a context switch per event. User space reads
 * on a short timer instead (20 ms, during which even 8M events/s of 100-byte
 * records fit the default 16 MiB buffer).
 */
static __always_inline void pl_record_emit(struct pl_record *r)
{
    struct pl_event_header *hdr = (void *)r->s->event;
    __u32 size = r->pos;
    if (size > PL_EVENT_MAX)
        size = PL_EVENT_MAX;
    hdr->size = size;
    /* Stamped here, not at the start: records a filter drops never read the clock. */
    hdr->ts_ns = bpf_ktime_get_boot_ns();
    __u16 type = hdr->type;
    long err = bpf_ringbuf_output(&pl_events, r->s->event, size, BPF_RB_NO_WAKEUP);
    pl_count(type < PL_EV_TYPE_MAX ? type : 0, err != 0);
}
