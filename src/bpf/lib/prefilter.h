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

/* The two lookup keys, too large for the BPF stack together. The path is
 * read into prefix.path; the reversed copy reads words that end at its first
 * byte, whose first bytes are `before` (and the prefix length). */
struct pl_pf_keys {
    __u64 before;
    struct pl_pf_path_key prefix;
    struct pl_pf_path_key postfix;
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

/* The path is scanned eight bytes at a time: per byte, 0x80 where it is a '/'
 * or a '.', and patterns are found by shifting those flags against each other. */
#define PL_PF_ONES 0x0101010101010101ULL
#define PL_PF_LOW7 0x7f7f7f7f7f7f7f7fULL

/* 0x80 in every byte of `w` equal to `c`, 0 elsewhere (no carry crosses a byte). */
static __always_inline __u64 pl_pf_bytes_equal(__u64 w, __u64 c)
{
    __u64 x = w ^ (c * PL_PF_ONES);
    return ~(((x & PL_PF_LOW7) + PL_PF_LOW7) | x | PL_PF_LOW7);
}

/* The flags of the byte `k` places further on, at each byte (k in 1..3). */
static __always_inline __u64 pl_pf_ahead(__u64 here, __u64 next, int k)
{
    return here >> (8 * k) | next << (64 - 8 * k);
}

/* Eight bytes at any address, in one instruction: clang splits an access it
 * cannot prove aligned into eight byte accesses, while the verifier and the
 * JIT (x86-64, arm64) take unaligned ones. */
static __always_inline __u64 pl_pf_load8(const void *at)
{
    __u64 value;
    asm volatile("%[value] = *(u64 *)(%[at] + 0)" : [value] "=r"(value) : [at] "r"(at));
    return value;
}

static __always_inline void pl_pf_store8(void *at, __u64 value)
{
    asm volatile("*(u64 *)(%[at] + 0) = %[value]" : : [at] "r"(at), [value] "r"(value) : "memory");
}

#define PL_O_ACCMODE 03
#define PL_O_RDONLY 00
#define PL_O_WRONLY 01
#define PL_O_RDWR 02
#define PL_O_CREAT 0100
#define PL_O_TRUNC 01000

/*
 * Whether an open of the user-space path `upath` can be dropped: decided
 * before anything is written to the record, from the flags, the result and
 * the path read straight into the lookup key. Mirrors kernel_passes() in
 * src/rules/prefilter/open_prefilter.cpp, which the kernel tests hold it to.
 */
static __always_inline int pl_open_filtered(__u32 kind, __u64 flags, __s64 ret, const void *upath)
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

    /* The path, NUL included; a read that fills the key may have been cut
     * short, so judged paths are shorter than that. */
    long n = bpf_probe_read_user_str(k->prefix.path, PL_PF_PATH_MAX, upath);
    __u32 len = n > 0 ? n - 1 : 0;
    const __u8 *path = k->prefix.path;

    /* One pass over the path, eight bytes at a time: look for "../", and for
     * what lexical normalisation in user space would change: an empty, "."
     * or ".." component, i.e. "//", "/./", "/../" or a path ending in "/",
     * "/." or "/.." (then the path is not judged: every path bit); write the
     * reversed key when a suffix can still decide. */
    __u64 unjudged = !(len >= 1 && len + 2 <= PL_PF_PATH_MAX) || path[0] != '/';
    __u64 dotdot = len + 2 > PL_PF_PATH_MAX; /* maybe not read to its end */
    if (len + 2 <= PL_PF_PATH_MAX) {
        __u32 end = len;
        barrier_var(end);
        char last = path[(end - 1) & 0xff], second = path[(end - 2) & 0xff], third = path[(end - 3) & 0xff];
        if (len > 1 && (last == '/' || (last == '.' && (second == '/' || (second == '.' && third == '/')))))
            unjudged = 1;
        __u64 word = pl_pf_load8(path);
        __u64 slash = pl_pf_bytes_equal(word, '/'), dot = pl_pf_bytes_equal(word, '.');
        for (__u32 o = 0; o < PL_PF_PATH_MAX; o += 8) {
            if (o >= len)
                break;
            /* past the path's end: its NUL and leftovers, never matched below */
            __u64 next = pl_pf_load8(path + o + 8);
            __u64 next_slash = pl_pf_bytes_equal(next, '/'), next_dot = pl_pf_bytes_equal(next, '.');
            if (want_reversed) {
                /* the word that ends at byte len - 1 - o; it starts as far back as
                 * `before`, the offset kept non-negative for the verifier */
                __u32 left = len - o; /* 1..PL_PF_PATH_MAX - 2: the mask only tells the verifier */
                barrier_var(left);
                const __u8 *word_end = (const __u8 *)k + __builtin_offsetof(struct pl_pf_keys, prefix.path) + (left & 0xff);
                pl_pf_store8(&k->postfix.path[o], __builtin_bswap64(pl_pf_load8(word_end - 8)));
            }
            /* patterns that start in the path */
            __u64 in_path = len - o >= 8 ? ~0ULL : (1ULL << (8 * (len - o))) - 1;
            __u64 slash1 = pl_pf_ahead(slash, next_slash, 1), dot1 = pl_pf_ahead(dot, next_dot, 1);
            /* Most words have no '/' before a '/' or a '.', and no "..": done with them. */
            if (((slash & (slash1 | dot1)) | (dot & dot1)) & in_path) {
                __u64 slash2 = pl_pf_ahead(slash, next_slash, 2), slash3 = pl_pf_ahead(slash, next_slash, 3);
                __u64 dot2 = pl_pf_ahead(dot, next_dot, 2);
                unjudged |= slash & (slash1 | (dot1 & slash2) | (dot1 & dot2 & slash3)) & in_path;
                dotdot |= dot & dot1 & slash2 & in_path;
            }
            word = next, slash = next_slash, dot = next_dot;
        }
    }
    if (!dotdot)
        alive &= ~pf->needs[PL_OF_DOTDOT];
    if (!alive)
        return 1;
    if (unjudged)
        return 0; /* every path bit */

    __u64 paths = pf->any_path;
    {
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
