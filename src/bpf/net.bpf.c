// SPDX-License-Identifier: GPL-2.0-only
/* Network: connect, accept, bind, listen, and the destination of sendto /
 * sendmsg when the caller names one (unconnected UDP, e.g. DNS). */
#include "lib/path.h"
#include "lib/syscall.h"

char LICENSE[] SEC("license") = "GPL";

struct pl_sockaddr_any {
    __u16 family;
    __u8 data[PL_SOCKADDR_MAX - 2];
};

static __always_inline struct sock *pl_fd_sock(int fd)
{
    struct file *file = pl_fd_file((struct task_struct *)bpf_get_current_task(), fd);
    if (!file)
        return NULL;
    struct socket *sock = BPF_CORE_READ(file, private_data);
    return BPF_CORE_READ(sock, sk);
}

/* The socket behind fd, or NULL when fd is not a socket. */
static __always_inline struct sock *pl_fd_sock_if_socket(int fd)
{
    struct file *file = pl_fd_file((struct task_struct *)bpf_get_current_task(), fd);
    if (!file)
        return NULL;
    umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
    if ((mode & PL_S_IFMT) != PL_S_IFSOCK)
        return NULL;
    struct socket *sock = BPF_CORE_READ(file, private_data);
    return BPF_CORE_READ(sock, sk);
}

/* Fills family, type, protocol and both endpoints from a socket. */
static __always_inline void pl_sock_endpoints(struct sock *sk, struct pl_net_event *ev)
{
    if (!sk)
        return;
    ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    ev->sock_type = BPF_CORE_READ(sk, sk_type);
    ev->protocol = BPF_CORE_READ(sk, sk_protocol);
    ev->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
    ev->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (ev->family == PL_AF_INET) {
        bpf_core_read(ev->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
        bpf_core_read(ev->remote_addr, 4, &sk->__sk_common.skc_daddr);
    } else if (ev->family == PL_AF_INET6) {
        bpf_core_read(ev->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
        bpf_core_read(ev->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
    }
}

/* Fills one endpoint from a sockaddr the caller passed; a unix path goes to
 * the tail. Returns the family. */
static __always_inline __u16 pl_user_sockaddr(struct pl_record *r, const void *uaddr, __u32 addrlen,
                                               int remote)
{
    struct pl_net_event *ev = pl_record_fixed(r);
    if (!uaddr)
        return 0;
    __u16 family = 0;
    bpf_probe_read_user(&family, sizeof(family), uaddr);
    __u8 *addr = remote ? ev->remote_addr : ev->local_addr;
    __u16 port = 0;
    if (family == PL_AF_INET) {
        struct sockaddr_in sin = {};
        bpf_probe_read_user(&sin, sizeof(sin), uaddr);
        port = sin.sin_port;
        __builtin_memcpy(addr, &sin.sin_addr, 4);
    } else if (family == PL_AF_INET6) {
        struct sockaddr_in6 sin6 = {};
        bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
        port = sin6.sin6_port;
        __builtin_memcpy(addr, &sin6.sin6_addr, 16);
    } else if (family == PL_AF_UNIX && addrlen > 2) {
        __u32 len = addrlen - 2;
        const char *sun_path = (const char *)uaddr + 2;
        char first = 0;
        bpf_probe_read_user(&first, 1, sun_path);
        __u16 stored;
        if (first == 0 && len > 1) {
            /* Abstract socket: shown as '@name', as ss(8) does. */
            __u32 at = r->pos;
            stored = pl_put_user_bytes(r, sun_path, len, PL_SOCKADDR_MAX);
            if (stored)
                r->s->event[at & (PL_EVENT_MAX - 1)] = '@';
        } else {
            stored = pl_put_user_str(r, sun_path, PL_SOCKADDR_MAX);
        }
        ev = pl_record_fixed(r);
        ev->unix_path_len = stored;
    }
    port = __builtin_bswap16(port);
    ev = pl_record_fixed(r);
    if (remote)
        ev->remote_port = port;
    else
        ev->local_port = port;
    ev->family = family;
    return family;
}

SEC("tp_btf/sys_exit")
int pl_sys_net(struct bpf_raw_tracepoint_args *ctx)
{
    struct pl_syscall sc;
    if (!pl_syscall_read(ctx, &sc))
        return 0;

    /* Sends that name no destination are ordinary traffic, not events. */
    const void *dest = NULL;
    if (sc.kind == PL_SC_SENDTO) {
        dest = (const void *)sc.args[4];
        if (!dest)
            return 0;
    } else if (sc.kind == PL_SC_SENDMSG) {
        struct user_msghdr *msg = (struct user_msghdr *)sc.args[1];
        bpf_probe_read_user(&dest, sizeof(dest), &msg->msg_name);
        if (!dest)
            return 0;
    }

    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_NET, sizeof(struct pl_net_event)))
        return 0;
    struct pl_net_event *ev = pl_record_fixed(&r);
    ev->ret = sc.ret;
    ev->syscall_nr = sc.nr;
    ev->fd = sc.args[0];
    int ok = sc.ret >= 0;

    switch (sc.kind) {
    case PL_SC_CONNECT:
        ev->op = PL_NET_CONNECT;
        if (ok || sc.ret == -PL_EINPROGRESS)
            pl_sock_endpoints(pl_fd_sock(ev->fd), ev);
        pl_user_sockaddr(&r, (const void *)sc.args[1], sc.args[2], 1);
        break;
    case PL_SC_ACCEPT:
    case PL_SC_ACCEPT4:
        ev->op = PL_NET_ACCEPT;
        /* The accepted connection, or the listener when accept failed. */
        pl_sock_endpoints(pl_fd_sock(ok ? sc.ret : ev->fd), ev);
        break;
    case PL_SC_BIND:
        ev->op = PL_NET_BIND;
        if (ok)
            pl_sock_endpoints(pl_fd_sock(ev->fd), ev);
        pl_user_sockaddr(&r, (const void *)sc.args[1], sc.args[2], 0);
        break;
    case PL_SC_LISTEN:
        ev->op = PL_NET_LISTEN;
        ev->backlog = sc.args[1];
        pl_sock_endpoints(pl_fd_sock(ev->fd), ev);
        break;
    case PL_SC_SENDTO:
    case PL_SC_SENDMSG: {
        ev->op = PL_NET_SENDTO;
        __u32 addrlen = sc.args[5];
        if (sc.kind == PL_SC_SENDMSG) {
            struct user_msghdr *msg = (struct user_msghdr *)sc.args[1];
            bpf_probe_read_user(&addrlen, sizeof(addrlen), &msg->msg_namelen);
        }
        pl_sock_endpoints(pl_fd_sock(ev->fd), ev);
        pl_user_sockaddr(&r, dest, addrlen, 1);
        break;
    }
    case PL_SC_SOCKET:
        ev->op = PL_NET_SOCKET;
        ev->fd = -1;
        ev->family = sc.args[0];
        ev->sock_type = sc.args[1] & PL_SOCK_TYPE_MASK;
        ev->protocol = sc.args[2];
        break;
    case PL_SC_DUP:
    case PL_SC_DUP2:
    case PL_SC_DUP3:
        /* Shells redirect with dup2: a socket behind stdin/stdout is the
         * mark of a reverse shell, so say what the duplicated fd is. */
        ev->op = PL_NET_DUP;
        if (ok)
            pl_sock_endpoints(pl_fd_sock_if_socket(ev->fd), ev);
        break;
    default:
        return 0;
    }
    pl_record_emit(&r);
    return 0;
}
