/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel functions' struct arguments as Tetragon's types read them: sk_buff
 * (the packet's addresses, ports and protocol from its IP and TCP/UDP
 * headers), cred (ids, capability sets, user namespace), kernel_cap_t (the
 * set's bits) and net_device (its name, matched as the hook's string).
 */
#pragma once

#include "lib/policy.h"

#define PL_KARG_AF_INET 2
#define PL_KARG_AF_INET6 10
#define PL_KARG_IPPROTO_TCP 6
#define PL_KARG_IPPROTO_UDP 17
#define PL_KARG_NO_HEADER 0xffff /* skb->*_header when the header is not set */

static __always_inline void pl_karg_ipv4(__u8 addr[16], __u32 ip)
{
    __builtin_memset(addr, 0, 16);
    addr[10] = 0xff;
    addr[11] = 0xff;
    __builtin_memcpy(&addr[12], &ip, 4);
}

/* The packet's IP header, then the ports of a TCP or UDP header (both start
 * with them). IPv6 extension headers are not walked: the protocol is the
 * fixed header's next header. */
static __always_inline void pl_karg_skb(struct pl_pol_skb *out, struct sk_buff *skb)
{
    out->hash = BPF_CORE_READ(skb, hash);
    out->len = BPF_CORE_READ(skb, len);
    out->priority = BPF_CORE_READ(skb, priority);
    out->mark = BPF_CORE_READ(skb, mark);
    out->family = out->protocol = out->sport = out->dport = 0;
    __builtin_memset(out->saddr, 0, 16);
    __builtin_memset(out->daddr, 0, 16);
    unsigned char *head = BPF_CORE_READ(skb, head);
    __u16 l3 = BPF_CORE_READ(skb, network_header);
    __u16 l4 = BPF_CORE_READ(skb, transport_header);
    if (!head || l3 == PL_KARG_NO_HEADER)
        return;
    __u8 version = 0;
    if (bpf_probe_read_kernel(&version, 1, head + l3) < 0)
        return;
    version >>= 4;
    if (version == 4) {
        struct iphdr ip;
        if (bpf_probe_read_kernel(&ip, sizeof(ip), head + l3) < 0)
            return;
        out->family = PL_KARG_AF_INET;
        out->protocol = ip.protocol;
        pl_karg_ipv4(out->saddr, ip.saddr);
        pl_karg_ipv4(out->daddr, ip.daddr);
    } else if (version == 6) {
        struct ipv6hdr ip6;
        if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + l3) < 0)
            return;
        out->family = PL_KARG_AF_INET6;
        out->protocol = ip6.nexthdr;
        __builtin_memcpy(out->saddr, &ip6.saddr, 16);
        __builtin_memcpy(out->daddr, &ip6.daddr, 16);
    } else {
        return;
    }
    if ((out->protocol == PL_KARG_IPPROTO_TCP || out->protocol == PL_KARG_IPPROTO_UDP) && l4 != PL_KARG_NO_HEADER) {
        __be16 ports[2] = {};
        if (bpf_probe_read_kernel(ports, sizeof(ports), head + l4) == 0) {
            out->sport = bpf_ntohs(ports[0]);
            out->dport = bpf_ntohs(ports[1]);
        }
    }
}

static __always_inline void pl_karg_cred(struct pl_pol_cred *out, const struct cred *cred)
{
    out->uid = BPF_CORE_READ(cred, uid.val);
    out->gid = BPF_CORE_READ(cred, gid.val);
    out->suid = BPF_CORE_READ(cred, suid.val);
    out->sgid = BPF_CORE_READ(cred, sgid.val);
    out->euid = BPF_CORE_READ(cred, euid.val);
    out->egid = BPF_CORE_READ(cred, egid.val);
    out->fsuid = BPF_CORE_READ(cred, fsuid.val);
    out->fsgid = BPF_CORE_READ(cred, fsgid.val);
    out->securebits = BPF_CORE_READ(cred, securebits);
    /* kernel_cap_t is a u64 since 6.3 and u32[2] before: same 8 bytes. */
    bpf_probe_read_kernel(&out->cap_permitted, 8, &cred->cap_permitted);
    bpf_probe_read_kernel(&out->cap_effective, 8, &cred->cap_effective);
    bpf_probe_read_kernel(&out->cap_inheritable, 8, &cred->cap_inheritable);
    struct user_namespace *ns = BPF_CORE_READ(cred, user_ns);
    out->user_ns_level = BPF_CORE_READ(ns, level);
    out->user_ns_uid = BPF_CORE_READ(ns, owner.val);
    out->user_ns_gid = BPF_CORE_READ(ns, group.val);
    out->user_ns_inum = BPF_CORE_READ(ns, ns.inum);
    out->pad = 0;
}

/* A kernel_cap_t * argument becomes the set it points to (0 for NULL). */
static __always_inline void pl_karg_cap(struct pl_pol_scratch *s, __u8 cap_args, const int i)
{
    if (!(cap_args & (1 << i)))
        return;
    __u64 bits = 0;
    void *ptr = (void *)s->args[i];
    if (ptr)
        bpf_probe_read_kernel(&bits, sizeof(bits), ptr);
    s->args[i] = bits;
}

/* The hook's skb, cred and kernel_cap_t arguments (pointers in s->args). */
static __always_inline void pl_karg_read(struct pl_pol_scratch *s, const struct pl_pol_hook *h)
{
    const __u8 cap_args = h->cap_args;
    if (cap_args) {
        /* spelled out: older verifiers refuse the back-edge a loop here compiles to */
        pl_karg_cap(s, cap_args, 0);
        pl_karg_cap(s, cap_args, 1);
        pl_karg_cap(s, cap_args, 2);
        pl_karg_cap(s, cap_args, 3);
        pl_karg_cap(s, cap_args, 4);
        pl_karg_cap(s, cap_args, 5);
    }
    if (h->skb_arg < 6) {
        struct sk_buff *skb = (void *)pl_pol_arg(s, h->skb_arg);
        if (skb) {
            pl_karg_skb(&s->kargs.skb, skb);
            s->kargs.present |= PL_KARG_SKB;
            /* the packet's addresses are the ones matched (SAddr, DPort, Protocol, ...) */
            s->family = s->kargs.skb.family;
            s->protocol = s->kargs.skb.protocol;
            s->sport = s->kargs.skb.sport;
            s->dport = s->kargs.skb.dport;
            __builtin_memcpy(s->saddr, s->kargs.skb.saddr, 16);
            __builtin_memcpy(s->daddr, s->kargs.skb.daddr, 16);
        }
    }
    if (h->cred_arg < 6) {
        const struct cred *cred = (void *)pl_pol_arg(s, h->cred_arg);
        if (cred) {
            pl_karg_cred(&s->kargs.cred, cred);
            s->kargs.present |= PL_KARG_CRED;
        }
    }
}
