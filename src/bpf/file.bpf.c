// SPDX-License-Identifier: GPL-2.0-only
/* Files: opens, and the calls that change the filesystem. */
#include "lib/path.h"
#include "lib/prefilter.h"
#include "lib/syscall.h"

char LICENSE[] SEC("license") = "GPL";

struct pl_open_how {
    __u64 flags;
    __u64 mode;
    __u64 resolve;
};

SEC("tp_btf/sys_exit")
int pl_sys_open(struct bpf_raw_tracepoint_args *ctx)
{
    struct pl_syscall sc;
    if (!pl_syscall_read(ctx, &sc))
        return 0;
    int dirfd = PL_AT_FDCWD;
    const void *upath;
    __u64 flags, mode;
    switch (sc.kind) {
    case PL_SC_OPEN:
        upath = (const void *)sc.args[0], flags = sc.args[1], mode = sc.args[2];
        break;
    case PL_SC_CREAT:
        upath = (const void *)sc.args[0], flags = 01 | 0100 | 01000 /* O_WRONLY | O_CREAT | O_TRUNC */,
        mode = sc.args[1];
        break;
    case PL_SC_OPENAT2: {
        struct pl_open_how how = {};
        bpf_probe_read_user(&how, sizeof(how), (const void *)sc.args[2]);
        dirfd = sc.args[0], upath = (const void *)sc.args[1], flags = how.flags, mode = how.mode;
        break;
    }
    default:
        dirfd = sc.args[0], upath = (const void *)sc.args[1], flags = sc.args[2], mode = sc.args[3];
        break;
    }
    /* Before anything is written: most opens end here when a rule set is
     * loaded (the agent's own among them: they are counted, never recorded). */
    if (pl_open_filtered(sc.kind, flags, sc.ret, upath)) {
        pl_count_filtered(PL_EV_OPEN);
        return 0;
    }

    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_OPEN, sizeof(struct pl_open_event)))
        return 0;
    struct pl_open_event *ev = pl_record_fixed(&r);
    ev->ret = sc.ret;
    ev->syscall_nr = sc.nr;
    ev->dirfd = dirfd;
    ev->flags = flags;
    ev->mode = mode;
    __u32 path_at = r.pos;
    __u16 path_len = pl_put_user_str(&r, upath, PL_PATH_MAX);
    ev->path_len = path_len;
    if (pl_appended_path_relative(&r, path_at, path_len)) {
        __u16 dir_len = pl_put_dir(&r, dirfd);
        ev = pl_record_fixed(&r);
        ev->dir_len = dir_len;
    }
    pl_record_emit(&r);
    return 0;
}

/* Where each file-changing syscall keeps its operands. */
struct pl_file_operands {
    int dirfd;      /* directory the relative operand resolves against */
    int path_arg;   /* index of the first path, -1 if none */
    int path2_arg;  /* index of the second path, -1 if none */
    int dir_for_path2; /* symlink*: the relative operand is the link */
};

static __always_inline void pl_file_operands(struct pl_syscall *sc, struct pl_file_op_event *ev,
                                             struct pl_file_operands *op)
{
    op->dirfd = PL_AT_FDCWD;
    op->path_arg = 0;
    op->path2_arg = -1;
    op->dir_for_path2 = 0;
    ev->fd = -1;
    switch (sc->kind) {
    case PL_SC_UNLINKAT:
        op->dirfd = sc->args[0], op->path_arg = 1, ev->flags = sc->args[2];
        break;
    case PL_SC_RENAME:
    case PL_SC_LINK:
        op->path2_arg = 1;
        break;
    case PL_SC_RENAMEAT:
    case PL_SC_RENAMEAT2:
    case PL_SC_LINKAT:
        op->dirfd = sc->args[0], op->path_arg = 1, op->path2_arg = 3, ev->flags = sc->args[4];
        break;
    case PL_SC_SYMLINK:
        op->path2_arg = 1, op->dir_for_path2 = 1;
        break;
    case PL_SC_SYMLINKAT:
        op->dirfd = sc->args[1], op->path2_arg = 2, op->dir_for_path2 = 1;
        break;
    case PL_SC_CHMOD:
    case PL_SC_MKDIR:
        ev->mode = sc->args[1];
        break;
    case PL_SC_FCHMOD:
        op->path_arg = -1, ev->fd = sc->args[0], ev->mode = sc->args[1];
        break;
    case PL_SC_FCHMODAT:
    case PL_SC_MKDIRAT:
        op->dirfd = sc->args[0], op->path_arg = 1, ev->mode = sc->args[2];
        break;
    case PL_SC_CHOWN:
    case PL_SC_LCHOWN:
        ev->uid = sc->args[1], ev->gid = sc->args[2];
        break;
    case PL_SC_FCHOWN:
        op->path_arg = -1, ev->fd = sc->args[0], ev->uid = sc->args[1], ev->gid = sc->args[2];
        break;
    case PL_SC_FCHOWNAT:
        op->dirfd = sc->args[0], op->path_arg = 1, ev->uid = sc->args[2], ev->gid = sc->args[3],
        ev->flags = sc->args[4];
        break;
    case PL_SC_MEMFD_CREATE:
        /* The memfd name goes in path2; there is no filesystem path. */
        op->path_arg = -1, op->path2_arg = 0, ev->flags = sc->args[1];
        break;
    default: /* PL_SC_UNLINK */
        break;
    }
}

static __always_inline const void *pl_arg_ptr(struct pl_syscall *sc, int index)
{
    if (index < 0 || index > 5)
        return NULL;
    return (const void *)sc->args[index];
}

SEC("tp_btf/sys_exit")
int pl_sys_file_op(struct bpf_raw_tracepoint_args *ctx)
{
    struct pl_syscall sc;
    if (!pl_syscall_read(ctx, &sc))
        return 0;
    struct pl_record r;
    if (!pl_record_begin(&r, PL_EV_FILE_OP, sizeof(struct pl_file_op_event)))
        return 0;
    struct pl_file_op_event *ev = pl_record_fixed(&r);
    ev->ret = sc.ret;
    ev->syscall_nr = sc.nr;
    struct pl_file_operands op;
    pl_file_operands(&sc, ev, &op);

    const void *path = pl_arg_ptr(&sc, op.path_arg);
    const void *path2 = pl_arg_ptr(&sc, op.path2_arg);
    __u32 path_at = r.pos;
    __u16 path_len = pl_put_user_str(&r, path, PL_PATH_MAX);
    __u32 path2_at = r.pos;
    __u16 path2_len = pl_put_user_str(&r, path2, PL_PATH_MAX);
    __u16 dir_len = 0;
    int relative = op.dir_for_path2 ? pl_appended_path_relative(&r, path2_at, path2_len)
                                    : pl_appended_path_relative(&r, path_at, path_len);
    if (sc.kind != PL_SC_MEMFD_CREATE && relative)
        dir_len = pl_put_dir(&r, op.dirfd);
    ev = pl_record_fixed(&r);
    ev->path_len = path_len;
    ev->path2_len = path2_len;
    ev->dir_len = dir_len;
    pl_record_emit(&r);
    return 0;
}
