/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The open prefilter (see struct pl_open_prefilter in the ABI header): opens
 * no loaded rule could match are counted and dropped here, before the record
 * reaches the ring buffer. User space writes the maps from its analysis of the
 * rules (src/rules/prefilter); with `enabled` clear every open is emitted.
 */
#pragma once

#include "lib/event.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_open_prefilter);
} pl_pf_open_map __weak SEC(".maps");

/* Path prefixes and exact paths (stored with their NUL). */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 4096);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pf_path_key);
    __type(value, __u64);
} pl_pf_prefix __weak SEC(".maps");

/* Path suffixes, reversed: a suffix is a prefix of the reversed path. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 4096);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_pf_path_key);
    __type(value, __u64);
} pl_pf_postfix __weak SEC(".maps");

/* The two lookup keys (too large for the BPF stack together) and the state
 * of the scan over the path. The scan state lives in map memory, read
 * through volatiles: the verifier then sees the same unknown values on every
 * iteration and prunes, instead of tracking each combination of flags. */
struct pl_pf_keys {
    struct pl_pf_path_key prefix;
    struct pl_pf_path_key postfix;
    __u32 last_three; /* the three previous characters, the latest in the low byte */
    __u32 unjudged;   /* relative, or a "//", "/./", "/../" or trailing "/", "/.", "/.." */
    __u32 dotdot;   /* "../" seen */
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_pf_keys);
} pl_pf_keys_map __weak SEC(".maps");

static __always_inline void pl_count_filtered(__u16 type)
{
    __u32 key = type;
    struct pl_type_stats *st = bpf_map_lookup_elem(&pl_stats, &key);
    if (st)
        st->filtered++;
}

#define PL_PF_SLASH_DOT ('/' << 8 | '.')
#define PL_PF_DOT_DOT ('.' << 8 | '.')
#define PL_PF_SLASH_DOT_DOT ('/' << 16 | '.' << 8 | '.')

#define PL_O_ACCMODE 03
#define PL_O_RDONLY 00
#define PL_O_WRONLY 01
#define PL_O_RDWR 02
#define PL_O_CREAT 0100
#define PL_O_TRUNC 01000

/*
 * Whether the open whose raw path was just appended at `path_at` (`path_len`
 * bytes, NUL included) can be dropped. Mirrors kernel_passes() in
 * src/rules/prefilter/open_prefilter.cpp, which the unit tests check.
 */
static __always_inline int pl_open_filtered(struct pl_record *r, __u32 kind, __u64 flags, __s64 ret,
                                            __u32 path_at, __u16 path_len)
{
    __u32 zero = 0;
    struct pl_open_prefilter *pf = bpf_map_lookup_elem(&pl_pf_open_map, &zero);
    if (!pf || !pf->enabled)
        return 0;
    struct pl_pf_keys *k = bpf_map_lookup_elem(&pl_pf_keys_map, &zero);
    if (!k)
        return 0;

    __u32 facts = 0;
    __u32 access = flags & PL_O_ACCMODE;
    if (kind != PL_SC_CREAT) {
        if (access == PL_O_RDONLY || access == PL_O_RDWR)
            facts |= 1u << PL_OF_READ;
        if (access == PL_O_WRONLY || access == PL_O_RDWR)
            facts |= 1u << PL_OF_WRITE;
    }
    if (flags & PL_O_TRUNC)
        facts |= 1u << PL_OF_TRUNC;
    if (flags & PL_O_CREAT)
        facts |= 1u << PL_OF_CREAT;
    facts |= 1u << (ret >= 0 ? PL_OF_OK : PL_OF_FAILED);

    /* The alternatives the flags and the result allow: when none, the path
     * need not be looked at. */
    __u64 alive = ~0ULL;
    for (int f = 0; f < PL_OF_COUNT; f++)
        if (f != PL_OF_DOTDOT && !(facts & (1u << f)))
            alive &= ~pf->needs[f];
    if (!alive)
        return 1;

    /* Nothing left to learn from the path: it passes. */
    const __u64 path_alts = pf->prefix_alts | pf->suffix_alts;
    if (!(alive & (path_alts | pf->needs[PL_OF_DOTDOT])))
        return 0;
    const int want_reversed = (alive & pf->suffix_alts) != 0;

    /* One pass over the raw path: copy it into the keys (reversed only when
     * a suffix can still decide), look for "../", and for what lexical
     * normalisation in user space would change (then the path is not
     * judged: every path bit). */
    __u32 len = path_len ? path_len - 1 : 0;
    volatile __u32 *last = &k->last_three, *unjudged = &k->unjudged, *dotdot = &k->dotdot;
    *unjudged = !(len >= 1 && len + 1 <= PL_PF_PATH_MAX) || r->s->event[path_at & (PL_EVENT_MAX - 1)] != '/';
    *dotdot = len + 1 > PL_PF_PATH_MAX; /* not scanned to its end */
    *last = 0;
    if (len + 1 <= PL_PF_PATH_MAX) {
        for (__u32 i = 0; i < PL_PF_PATH_MAX; i++) {
            if (i >= len)
                break;
            char c = r->s->event[(path_at + i) & (PL_EVENT_MAX - 1)];
            k->prefix.path[i] = c;
            if (want_reversed)
                k->postfix.path[i] = r->s->event[(path_at + len - 1 - i) & (PL_EVENT_MAX - 1)];
            __u32 prev = *last;
            if (c == '/') {
                if ((prev & 0xff) == '/' || (prev & 0xffff) == PL_PF_SLASH_DOT || prev == PL_PF_SLASH_DOT_DOT)
                    *unjudged = 1;
                if ((prev & 0xffff) == PL_PF_DOT_DOT)
                    *dotdot = 1;
            }
            *last = (prev << 8 | (__u8)c) & 0xffffff;
        }
        __u32 tail = *last;
        if (len > 1 && ((tail & 0xff) == '/' || (tail & 0xffff) == PL_PF_SLASH_DOT || tail == PL_PF_SLASH_DOT_DOT))
            *unjudged = 1;
    }
    if (!*dotdot)
        alive &= ~pf->needs[PL_OF_DOTDOT];
    if (!alive)
        return 1;
    if (*unjudged)
        return 0; /* every path bit */

    __u64 paths = pf->any_path;
    if (len < PL_PF_PATH_MAX) {
        /* The compiler drops the check's bound; the barrier keeps the mask. */
        __u32 end = len;
        barrier_var(end);
        k->prefix.path[end & 0xff] = 0;
        k->prefix.prefixlen = 8 * (len + 1);
        k->postfix.prefixlen = 8 * len;
        __u64 *m;
        if (alive & pf->prefix_alts) {
            m = bpf_map_lookup_elem(&pl_pf_prefix, &k->prefix);
            if (m)
                paths |= *m;
        }
        if (want_reversed) {
            m = bpf_map_lookup_elem(&pl_pf_postfix, &k->postfix);
            if (m)
                paths |= *m;
        }
    }
    return (alive & paths) == 0;
}
