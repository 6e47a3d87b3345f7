/* SPDX-License-Identifier: GPL-2.0-only */
/* Absolute paths resolved in the kernel by walking dentries and mounts. */
#pragma once

#include "lib/event.h"

/*
 * Writes the path of `path` backwards into s->path, ending at PL_PATH_MAX - 1
 * (the NUL), crossing mount points up to the root of the task's mount tree.
 * Returns the offset where the string starts. A pseudo file (memfd, pipe) has
 * no parent: its own name is all there is, as in /proc/PID/exe.
 * The write offset lives in the scratch map, read through a volatile: the
 * verifier then sees the same unknown offset on every iteration and prunes,
 * instead of tracking each precise offset range into millions of states.
 */
static __always_inline __u32 pl_path_build(struct pl_scratch *s, const struct path *path, int *truncated)
{
    struct dentry *dentry = BPF_CORE_READ(path, dentry);
    struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
    struct mount *mnt = pl_container_of(vfsmnt, struct mount, mnt);
    volatile __u32 *offp = &s->path_off;
    *offp = PL_PATH_MAX - 1;
    s->path[PL_PATH_MAX - 1] = 0;
    *truncated = 1;

    for (int i = 0; i < PL_PATH_DEPTH; i++) {
        struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
        if (dentry == mnt_root) {
            struct mount *parent_mnt = BPF_CORE_READ(mnt, mnt_parent);
            if (mnt == parent_mnt) {
                *truncated = 0;
                break;
            }
            dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
            mnt = parent_mnt;
            vfsmnt = (struct vfsmount *)((void *)mnt + bpf_core_field_offset(struct mount, mnt));
            continue;
        }
        __u32 off = *offp & (PL_PATH_MAX - 1);
        __u32 len = BPF_CORE_READ(dentry, d_name.len);
        const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
        if (len > PL_NAME_MAX - 1)
            len = PL_NAME_MAX - 1;
        if (len + 1 > off)
            break;
        off -= len;
        bpf_probe_read_kernel(&s->path[off & (PL_PATH_MAX - 1)], len & (PL_NAME_MAX - 1), name);
        off -= 1;
        s->path[off & (PL_PATH_MAX - 1)] = '/';
        *offp = off;
        struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
        if (dentry == parent) {
            *truncated = 0;
            break;
        }
        dentry = parent;
    }
    __u32 off = *offp & (PL_PATH_MAX - 1);
    if (off == PL_PATH_MAX - 1) {
        off -= 1;
        s->path[off] = '/';
    }
    return off;
}

/* Appends the resolved absolute path of `path`; returns its stored length. */
static __always_inline __u16 pl_put_path(struct pl_record *r, const struct path *path, int *truncated)
{
    if (!path)
        return 0;
    __u32 off = pl_path_build(r->s, path, truncated);
    __u32 len = PL_PATH_MAX - (off & (PL_PATH_MAX - 1));
    if (r->pos > PL_EVENT_MAX - PL_PATH_MAX)
        return 0;
    if (bpf_probe_read_kernel(&r->s->event[r->pos & (PL_EVENT_MAX - 1)], len & (PL_PATH_MAX - 1),
                              &r->s->path[off & (PL_PATH_MAX - 1)]) < 0)
        return 0;
    r->pos += len;
    return len;
}

static __always_inline struct file *pl_fd_file(struct task_struct *task, int fd)
{
    if (fd < 0)
        return NULL;
    struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
    unsigned int max_fds = BPF_CORE_READ(task, files, fdt, max_fds);
    if ((unsigned int)fd >= max_fds)
        return NULL;
    struct file *file = NULL;
    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
    return file;
}

/* Appends the directory a relative path is resolved against: the cwd for
 * AT_FDCWD, else the directory open at dirfd. */
static __always_inline __u16 pl_put_dir(struct pl_record *r, int dirfd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    int truncated;
    if (dirfd == PL_AT_FDCWD) {
        struct fs_struct *fs = BPF_CORE_READ(task, fs);
        return pl_put_path(r, fs ? &fs->pwd : NULL, &truncated);
    }
    struct file *file = pl_fd_file(task, dirfd);
    return pl_put_path(r, file ? &file->f_path : NULL, &truncated);
}

/* Whether the string just appended at `at` is a relative path: read from
 * the record, not user memory again. */
static __always_inline int pl_appended_path_relative(struct pl_record *r, __u32 at, __u16 len)
{
    char first = r->s->event[at & (PL_EVENT_MAX - 1)];
    return len > 1 && first != '/';
}
