/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The kernel/user ABI of Palisade: every record the BPF programs write to the
 * ring buffer and every map value user space reads or writes is defined here,
 * once, for both the BPF C and the C++ side.
 *
 * Record layout: a fixed struct (which starts with pl_event_header) followed by
 * a variable-length tail. The fixed struct names the length of each tail field
 * (bytes, trailing NUL included, 0 = absent); tail fields follow one another in
 * the order the struct lists their lengths. hdr.size covers fixed part + tail.
 * Bump PL_ABI_VERSION whenever a layout changes: recorded files carry it.
 */
#ifndef PALISADE_ABI_H
#define PALISADE_ABI_H

#if defined(__bpf__)
/* vmlinux.h provides the __u* types in BPF builds. */
#else
#include <linux/types.h>
#endif

#define PL_ABI_VERSION 2

/* Bounds chosen so one record fits the per-CPU scratch buffer. */
#define PL_PATH_MAX 4096      /* one resolved or user path, NUL included */
#define PL_PATH_DEPTH 48      /* dentry components walked in the kernel */
#define PL_ARGV_MAX 2048      /* argv bytes kept, NUL-separated */
#define PL_NAME_MAX 256       /* short strings: memfd names, module names */
#define PL_SOCKADDR_MAX 112   /* sizeof(struct sockaddr_un) rounded up */
#define PL_EVENT_MAX 16384    /* largest record; power of two (masking) */
#define PL_COMM_LEN 16
#define PL_SYSCALL_MAX 512    /* syscall numbers dispatched (x86_64 < 512) */
#define PL_CGROUP_PATH_MAX 512 /* cgroup path below its hierarchy's root, NUL included */
#define PL_CGROUP_DEPTH 12     /* cgroup levels walked upwards from the task's cgroup */

enum pl_event_type {
    PL_EV_EXEC = 1,
    PL_EV_FORK = 2,
    PL_EV_EXIT = 3,
    PL_EV_OPEN = 4,
    PL_EV_FILE_OP = 5,
    PL_EV_NET = 6,
    PL_EV_SYSCALL = 7, /* privilege / tampering syscalls with raw args */
    PL_EV_POLICY = 8,  /* a policy selector matched; what was done about it */
    PL_EV_TYPE_MAX = 9,
};

/* pl_event_header.flags */
enum pl_header_flags {
    PL_HDR_SNAPSHOT = 1 << 0, /* synthesised from /proc at start, not seen live */
};

struct pl_event_header {
    __u64 ts_ns; /* CLOCK_BOOTTIME */
    __u32 size;  /* whole record, tail included */
    __u16 type;  /* enum pl_event_type */
    __u16 flags; /* enum pl_header_flags */
    __u32 tgid;
    __u32 tid;
};

/*
 * A process image is named by (start_ns, pid): start_ns is the boot-clock time
 * of the fork or exec that created the image. Processes that predate the
 * sensor use their start time from /proc, rounded to clock ticks, which the
 * kernel side reproduces exactly (see pl_exec_id_fallback).
 */
struct pl_exec_id {
    __u64 start_ns;
    __u32 pid;
    __u32 pad;
};

/* Value of the in-kernel process map (key: tgid). */
struct pl_proc_state {
    struct pl_exec_id exec_id;
    struct pl_exec_id parent_exec_id;
};

struct pl_namespaces {
    __u32 pid;
    __u32 mnt;
    __u32 net;
    __u32 user;
    __u32 uts;
    __u32 ipc;
    __u32 cgroup;
    __u32 pad;
};

struct pl_creds {
    __u32 uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
    __u32 loginuid;
    __u32 pad;
    __u64 cap_effective;
    __u64 cap_permitted;
};

/* pl_exec_event.flags */
enum pl_exec_flags {
    PL_EXEC_ARGV_TRUNCATED = 1 << 0,
    PL_EXEC_MEMFD = 1 << 1,        /* binary is a memfd (fileless exec) */
    PL_EXEC_DELETED = 1 << 2,      /* binary has no link left on disk */
    PL_EXEC_PATH_TRUNCATED = 1 << 3,
    PL_EXEC_SETUID = 1 << 4,       /* euid differs from uid after exec */
    PL_EXEC_CGROUP_TRUNCATED = 1 << 5, /* levels nearest the root were left out */
};

/* The cgroup hierarchy exec records name the task's cgroup in (pl_config).
 * Container runtimes make a cgroup per container in every hierarchy they
 * use; user space picks one that exists on this host (see
 * choose_cgroup_hierarchy). v1 controllers are resolved to the running
 * kernel's subsystem ids by CO-RE. */
enum pl_cgroup_hierarchy {
    PL_CGROUP_UNIFIED = 0, /* the default (v2) hierarchy */
    PL_CGROUP_MEMORY = 1,
    PL_CGROUP_PIDS = 2,
    PL_CGROUP_CPU = 3,
    PL_CGROUP_CPUSET = 4,
};

struct pl_exec_event {
    struct pl_event_header hdr;
    struct pl_exec_id exec_id;
    struct pl_exec_id parent_exec_id;
    __u32 ppid;
    __u32 flags; /* enum pl_exec_flags */
    __u64 cgroup_id;
    __u64 start_boottime_ns; /* task start (fork) time */
    struct pl_creds creds;
    struct pl_namespaces ns;
    __u32 tty;   /* controlling tty as /proc/PID/stat tty_nr encodes it, 0 = none */
    __u32 sessionid;
    char comm[PL_COMM_LEN];
    __u16 filename_len; /* string given to execve (bprm->filename) */
    __u16 path_len;     /* binary path resolved from bprm->file */
    __u16 argv_len;     /* NUL-separated arguments */
    __u16 cwd_len;
    __u16 cgroup_len;   /* cgroup path in pl_config.cgroup_hierarchy, e.g. "/libpod_parent/libpod-<id>" */
    __u16 pad[3];
    /* tail: filename, path, argv, cwd, cgroup */
};

/* pl_fork_event.flags */
enum pl_fork_flags {
    PL_FORK_THREAD = 1 << 0,
};

struct pl_fork_event {
    struct pl_event_header hdr; /* tgid/tid: the child */
    struct pl_exec_id exec_id;        /* child's (== parent's image for threads) */
    struct pl_exec_id parent_exec_id;
    __u32 parent_tgid;
    __u32 parent_tid;
    __u32 flags; /* enum pl_fork_flags */
    __u32 pad;
};

struct pl_exit_event {
    struct pl_event_header hdr;
    struct pl_exec_id exec_id;
    __s32 exit_code; /* as in wait(2): (code << 8) | signal */
    __u32 pad;
};

struct pl_open_event {
    struct pl_event_header hdr;
    __s64 ret; /* fd or -errno */
    __u32 syscall_nr;
    __s32 dirfd;
    __u32 flags;
    __u32 mode;
    __u16 path_len; /* as the caller gave it */
    __u16 dir_len;  /* resolved dirfd/cwd, only when path is relative */
    __u32 pad;
    /* tail: path, dir */
};

/* Filesystem changes: unlink, rename, link, symlink, chmod, chown, mkdir,
 * memfd_create. Unused numeric fields are zero. */
struct pl_file_op_event {
    struct pl_event_header hdr;
    __s64 ret;
    __u32 syscall_nr;
    __s32 fd;     /* fd operand for f* variants, -1 otherwise */
    __u32 flags;  /* *at flags, rename flags, memfd flags */
    __u32 mode;
    __u32 uid;
    __u32 gid;
    __u16 path_len;  /* first path operand (symlink: the link target) */
    __u16 path2_len; /* second path operand (new name), memfd name */
    __u16 dir_len;   /* dirfd/cwd resolved when an operand is relative */
    __u16 pad;
    /* tail: path, path2, dir */
};

enum pl_net_op {
    PL_NET_CONNECT = 1,
    PL_NET_ACCEPT = 2,
    PL_NET_BIND = 3,
    PL_NET_LISTEN = 4,
    PL_NET_SENDTO = 5,
    PL_NET_SOCKET = 6, /* socket(): family/type/protocol as asked, ret = fd */
    PL_NET_DUP = 7,    /* dup*(): fd = old fd, ret = new fd; endpoints if a socket */
};

struct pl_net_event {
    struct pl_event_header hdr;
    __s64 ret;
    __u32 syscall_nr;
    __u16 op;     /* enum pl_net_op */
    __u16 family; /* AF_INET, AF_INET6, AF_UNIX */
    __u16 sock_type;
    __u16 protocol;
    __s32 fd;
    __u16 local_port;  /* host byte order */
    __u16 remote_port; /* host byte order */
    __u32 backlog;
    __u8 local_addr[16];  /* v4 in the first 4 bytes, network order */
    __u8 remote_addr[16];
    __u16 unix_path_len;
    __u16 pad[3];
    /* tail: unix path (abstract names start with '@') */
};

/* Privilege and tampering syscalls. args are the raw syscall arguments;
 * str holds the one string operand that matters (mount target, module name
 * or file, prctl name); aux holds a value read in the kernel after the call
 * (capset: the new effective capabilities; setuid family: new euid). */
struct pl_syscall_event {
    struct pl_event_header hdr;
    __s64 ret;
    __u32 syscall_nr;
    __u32 pad;
    __u64 args[6];
    __u64 aux;
    __u16 str_len;
    __u16 str2_len;
    __u32 pad2;
    /* tail: str, str2 */
};

/*
 * What a syscall's raw arguments mean. User space fills pl_syscall_kinds[nr]
 * from the host's syscall table, so the BPF side never hard-codes syscall
 * numbers and serves every architecture the same way.
 */
enum pl_syscall_kind {
    PL_SC_NONE = 0,
    /* PL_EV_OPEN */
    PL_SC_OPEN, PL_SC_OPENAT, PL_SC_OPENAT2, PL_SC_CREAT,
    /* PL_EV_FILE_OP */
    PL_SC_UNLINK, PL_SC_UNLINKAT, PL_SC_RENAME, PL_SC_RENAMEAT, PL_SC_RENAMEAT2,
    PL_SC_LINK, PL_SC_LINKAT, PL_SC_SYMLINK, PL_SC_SYMLINKAT,
    PL_SC_CHMOD, PL_SC_FCHMOD, PL_SC_FCHMODAT, PL_SC_CHOWN, PL_SC_LCHOWN, PL_SC_FCHOWN,
    PL_SC_FCHOWNAT, PL_SC_MKDIR, PL_SC_MKDIRAT, PL_SC_MEMFD_CREATE,
    /* PL_EV_NET */
    PL_SC_CONNECT, PL_SC_ACCEPT, PL_SC_ACCEPT4, PL_SC_BIND, PL_SC_LISTEN, PL_SC_SENDTO, PL_SC_SENDMSG,
    PL_SC_SOCKET, PL_SC_DUP, PL_SC_DUP2, PL_SC_DUP3,
    /* PL_EV_SYSCALL */
    PL_SC_SETUID, PL_SC_SETGID, PL_SC_CAPSET, PL_SC_PTRACE, PL_SC_KILL, PL_SC_MOUNT, PL_SC_UMOUNT,
    PL_SC_INIT_MODULE, PL_SC_FINIT_MODULE, PL_SC_DELETE_MODULE, PL_SC_BPF, PL_SC_UNSHARE,
    PL_SC_SETNS, PL_SC_PRCTL, PL_SC_MPROTECT, PL_SC_MMAP,
    PL_SC_KIND_MAX
};

/* ---- Policy enforcement: TracingPolicy and NetworkPolicy compiled to maps ----
 *
 * One program set serves every policy. A hook (a syscall number, or one of
 * the cgroup socket hooks below) has up to PL_POL_SELECTORS selectors from all
 * loaded policies, one bit each. An event's argument values are looked up once
 * per table (string equal / prefix / postfix, integer argument equal, address
 * CIDR, port, family, protocol); each lookup answers with the selectors whose
 * matcher holds, so the cost does not grow with the number of policies. The
 * few matchers that are not set lookups (binaries, pids, namespaces,
 * capabilities, masks, ranges, cgroups) are checked afterwards, only for the
 * selectors still standing. The first selector of a policy that matches
 * decides that policy's action.
 */
#define PL_POL_STR_MAX 256      /* bytes of a string argument the kernel matches */
#define PL_POL_LPM_STR_MAX 252  /* prefix/postfix bytes: LPM trie keys hold 256 bytes, hook included */
#define PL_POL_MASK_WORDS 4
#define PL_POL_SELECTORS (64 * PL_POL_MASK_WORDS) /* per hook, all policies together */
#define PL_POL_SLOW_MAX 64      /* non-table matchers per hook */
#define PL_POL_POLICIES 4096
#define PL_POL_BINARY_SETS 256  /* distinct matchBinaries value sets */
#define PL_POL_TABLE_ENTRIES 16384   /* entries of each value table and of the selector map */
#define PL_POL_SLOW_ENTRIES 8192     /* non-table matchers over all hooks */
#define PL_POL_CGROUP_ENTRIES 65536  /* cgroup set members */

enum pl_pol_hook_id {
    /* 0 .. PL_SYSCALL_MAX-1: the syscall of that number, at entry */
    PL_HOOK_CONNECT = PL_SYSCALL_MAX, /* cgroup connect4/6: before any packet leaves */
    PL_HOOK_SENDMSG,                  /* cgroup sendmsg4/6: unconnected UDP */
    PL_HOOK_BIND,                     /* cgroup bind4/6 */
    PL_HOOK_EXEC,                     /* sched_process_exec: the new image, before its first instruction */
    PL_HOOK_UPROBE_FIRST,             /* uprobes: one id per attached symbol (the BPF cookie) */
    /* kprobes on kernel functions: one id per attached function (the BPF cookie) */
    PL_HOOK_KPROBE_FIRST = PL_HOOK_UPROBE_FIRST + 64,
    /* BPF LSM hooks: one program each; Override and Sigkill make the hook refuse */
    PL_HOOK_LSM_FIRST = PL_HOOK_KPROBE_FIRST + 64,
    PL_HOOK_LSM_FILE_OPEN = PL_HOOK_LSM_FIRST,
    PL_HOOK_LSM_BPRM_CHECK,
    PL_HOOK_LSM_SOCKET_CONNECT,
    PL_HOOK_LSM_LAST = PL_HOOK_LSM_SOCKET_CONNECT,
    /* return probes on syscalls: PL_HOOK_EXIT_FIRST + syscall number, at sys_exit */
    PL_HOOK_EXIT_FIRST = PL_HOOK_LSM_FIRST + 8,
    PL_HOOK_MAX = PL_HOOK_EXIT_FIRST + PL_SYSCALL_MAX,
    /* Not a hook: the key space of the tables that match a new binary's path
     * against every matchBinaries set at exec. */
    PL_HOOK_BINARIES = PL_HOOK_MAX,
};

/* Two banks of every table: a reload writes the bank not in use, then flips
 * pl_pol_state.bank in one store, so a call sees either the old policy set or
 * the new one and never a mix or nothing. A hook id in a map key is banked:
 * bank * PL_POL_HOOK_SPAN + hook (PL_HOOK_BINARIES included). */
#define PL_POL_BANKS 2
#define PL_POL_HOOK_SPAN (PL_HOOK_BINARIES + 1)

struct pl_pol_state {
    __u32 bank;  /* the bank programs read */
    __u32 flags; /* enum pl_pol_state_flags */
};

enum pl_pol_state_flags {
    /* a policy matches changes since exec: exec records creds and namespaces */
    PL_POL_TRACK_CHANGES = 1 << 0,
};

enum pl_pol_table {
    PL_T_STR_EQ,      /* the hook's string argument */
    PL_T_STR_PREFIX,
    PL_T_STR_POSTFIX,
    PL_T_ARG0, PL_T_ARG1, PL_T_ARG2, PL_T_ARG3, PL_T_ARG4, PL_T_ARG5, /* integer args, equality */
    PL_T_DADDR,       /* remote address, CIDR */
    PL_T_SADDR,
    PL_T_DPORT,
    PL_T_SPORT,
    PL_T_FAMILY,
    PL_T_PROTOCOL,
    PL_T_RET,         /* the syscall's return value (return probes) */
    PL_T_COUNT,
};

struct pl_pol_mask {
    __u64 w[PL_POL_MASK_WORDS];
};

/* Key of pl_pol_str_eq; the string is NUL-padded to its full size. */
struct pl_pol_str_key {
    __u32 hook;
    __u32 pad;
    char str[PL_POL_STR_MAX];
};

/* Key of the LPM tries: prefix and (reversed) postfix strings, and CIDRs. */
struct pl_pol_lpm_str_key {
    __u32 prefixlen; /* bits, the hook included */
    __u32 hook;
    char str[PL_POL_LPM_STR_MAX];
};

struct pl_pol_lpm_addr_key {
    __u32 prefixlen; /* bits, hook and table included */
    __u32 hook;
    __u32 table;     /* PL_T_DADDR or PL_T_SADDR */
    __u8 addr[16];   /* IPv4 as ::ffff:a.b.c.d */
};

/* Key of pl_pol_cgroup_sets: the cgroups (v2 ids) a scoped policy or a
 * network policy applies to, their descendants included. */
struct pl_pol_cgroup_key {
    __u32 set;
    __u32 bank;
    __u64 cgroup_id;
};

/* Key of pl_pol_values: integer equality tables (args, ports, family, protocol). */
struct pl_pol_value_key {
    __u32 hook;
    __u32 table;
    __u64 value;
};

/* What a table lookup answers: selectors whose positive matcher holds for
 * this value, and selectors whose negated matcher (NotEqual, NotPrefix, ...)
 * names it. */
struct pl_pol_hit {
    struct pl_pol_mask pos;
    struct pl_pol_mask neg;
};

/* Per hook: which selectors exist and which tables they use. */
struct pl_pol_hook {
    struct pl_pol_mask all;
    struct pl_pol_mask has_pos[PL_T_COUNT];
    struct pl_pol_mask has_neg[PL_T_COUNT];
    __u32 tables;     /* bit per pl_pol_table in use */
    __u32 slow_count; /* entries of pl_pol_slow for this hook */
    __u16 flags;      /* enum pl_pol_hook_flags */
    __u8 str_arg;     /* syscall argument holding the user string; PL_POL_NO_ARG = none */
    __u8 dirfd_arg;   /* argument a relative path is resolved against; PL_POL_NO_ARG = cwd */
    __u8 arg32;       /* bit per argument (bit 6: the return value) of a 32-bit C type: sign-extended */
    __u8 str_kind;    /* enum pl_pol_str_kind: what str_arg points to */
    __u8 sock_arg;    /* kernel functions: the argument holding a socket or address; PL_POL_NO_ARG = none */
    __u8 sock_kind;   /* enum pl_pol_sock_kind */
    __u8 sockaddr_arg; /* kernel functions: a struct sockaddr * argument, read after sock_arg; PL_POL_NO_ARG = none */
    __u8 skb_arg;     /* kernel functions: a struct sk_buff *, read after sock_arg and sockaddr_arg; PL_POL_NO_ARG = none */
    __u8 cred_arg;    /* kernel functions: a struct cred *, read for the event; PL_POL_NO_ARG = none */
    __u8 cap_args;    /* bit per argument that points to a kernel_cap_t: the argument becomes the set's bits */
};
#define PL_POL_NO_ARG 0xff

/* What a hook's string argument is read from. */
enum pl_pol_str_kind {
    PL_STR_USER = 0, /* a user string (syscalls, uprobes) */
    PL_STR_FILE,     /* struct file *: its path */
    PL_STR_PATH,     /* struct path *: the path */
    PL_STR_BPRM,     /* struct linux_binprm *: the executable's path */
    PL_STR_KERNEL,   /* a kernel string */
    PL_STR_NETDEV,   /* struct net_device *: its name */
};

/* What a kernel function's socket argument is. */
enum pl_pol_sock_kind {
    PL_SOCK_NONE = 0,
    PL_SOCK_SOCK,     /* struct sock * */
    PL_SOCK_SOCKET,   /* struct socket * */
};

enum pl_pol_hook_flags {
    PL_HOOKF_STR_IS_PATH = 1 << 0, /* a file path: relative ones are made absolute */
    PL_HOOKF_STR_IS_FD = 1 << 1,   /* str_arg is a descriptor: the string is its file's path */
    PL_HOOKF_RETURN = 1 << 2,      /* a kernel function's return probe: entry saves the values, return matches */
    PL_HOOKF_OVERRIDE = 1 << 3,    /* kprobe (error injection) or fmod_ret: Override makes the function return the errno */
    PL_HOOKF_SYSCALL_REGS = 1 << 4, /* a kprobe on __x64_sys_*: the arguments are in the pt_regs its first one points to */
};

enum pl_pol_slow_kind {
    PL_SLOW_BINARY = 1, /* value: binary set id; the process's exec matched it */
    PL_SLOW_PID,        /* value: pid; arg 1: the pid as the task's own pid namespace numbers it */
    PL_SLOW_NS,         /* arg: enum pl_pol_ns; value: inode */
    PL_SLOW_CAPS,       /* arg: 0 effective, 1 inheritable, 2 permitted; value: cap mask (any) */
    PL_SLOW_ARG_MASK,   /* arg: index; value: mask, any bit */
    PL_SLOW_ARG_GT,
    PL_SLOW_ARG_LT,
    PL_SLOW_CGROUP,     /* value: cgroup set id; the task's cgroup or an ancestor is in it */
    PL_SLOW_PORT_PRIV,  /* arg: PL_T_DPORT or PL_T_SPORT; port < 1024 */
    PL_SLOW_NS_CHANGED, /* value: bit per enum pl_pol_ns; one of them differs from the process's at exec */
    PL_SLOW_CAPS_GAINED,/* arg: cap set as PL_SLOW_CAPS; value: caps, one of them gained since exec */
};

enum pl_pol_ns {
    PL_NS_UTS, PL_NS_IPC, PL_NS_MNT, PL_NS_PID, PL_NS_PID_CHILDREN, PL_NS_NET, PL_NS_TIME,
    PL_NS_TIME_CHILDREN, PL_NS_CGROUP, PL_NS_USER, PL_NS_COUNT,
};

/* A matcher that is checked by itself; several for one selector are ANDed,
 * and `group` ORs those that came from one matcher's list of values. */
struct pl_pol_slow {
    __u16 selector;  /* bit */
    __u8 kind;       /* enum pl_pol_slow_kind */
    __u8 negate;
    __u32 arg;
    __u64 value;
    __u32 group;     /* matchers with equal (selector, group) are ORed */
    __u32 unsigned_bits; /* ARG_GT/ARG_LT: 0 compares signed; 32 or 64 unsigned, in that many low bits */
};

enum pl_pol_action {
    PL_ACT_POST = 0,
    PL_ACT_NOPOST,
    PL_ACT_SIGKILL,
    PL_ACT_SIGNAL,
    PL_ACT_OVERRIDE, /* cgroup hooks: the call fails with EPERM */
    PL_ACT_ALLOW,    /* NetworkPolicy allow rule: stop, let it pass, no event */
    PL_ACT_DENY,     /* NetworkPolicy deny: EPERM and an event */
};

/* Key of pl_pol_selectors: banked hook << 16 | bit. */
struct pl_pol_selector {
    __u32 policy;          /* index into pl_pol_policies */
    __u16 selector_index;  /* position in its hook in the policy file */
    __u16 hook_index;      /* which hook of the policy */
    __u8 action;           /* enum pl_pol_action */
    __u8 no_post;          /* act without an event */
    __u16 signal;          /* PL_ACT_SIGNAL */
    __s32 error;           /* PL_ACT_OVERRIDE: errno to return where the hook can */
    __u64 rate_limit_ns;   /* post at most once per this, per process; 0 = always */
    struct pl_pol_mask same_policy_later; /* selectors this one shadows when it matches */
};

enum pl_pol_mode {
    PL_MODE_DISABLED = 0,
    PL_MODE_MONITOR = 1, /* events only: kills and denials are reported, not done */
    PL_MODE_ENFORCE = 2,
};

struct pl_pol_policy {
    __u32 mode; /* enum pl_pol_mode */
    __u32 pad;
};

/* Per process: which matchBinaries sets its binary is in, and which
 * followForks pid sets it descends from (a set's pids and their children). */
struct pl_pol_binaries {
    __u64 sets[PL_POL_BINARY_SETS / 64];
};

/* Value of pl_pol_exec_states: a process's credentials and namespaces as
 * its exec left them, for matchCapabilityChanges / matchNamespaceChanges. */
struct pl_pol_exec_state {
    __u64 caps[3];           /* effective, inheritable, permitted (PL_SLOW_CAPS arg) */
    __u32 ns[PL_NS_COUNT];   /* inode per enum pl_pol_ns */
};

/* Value of pl_pol_proc_binaries: the sets of each bank's policies. */
struct pl_pol_proc_sets {
    struct pl_pol_binaries bank[PL_POL_BANKS];
};

/* pl_policy_event.flags */
enum pl_policy_flags {
    PL_POLF_MONITOR = 1 << 0,   /* the policy is in monitor mode: nothing was done */
    PL_POLF_ENFORCED = 1 << 1,  /* the action was carried out */
    PL_POLF_AT_ENTRY = 1 << 2,  /* before the syscall ran */
    PL_POLF_STR_TRUNCATED = 1 << 3,
};

/* Kernel functions' struct arguments, read at the hook (Tetragon's skb and
 * cred types). They follow the string in a policy event's tail. */
struct pl_pol_skb {
    __u32 hash;
    __u32 len;
    __u32 priority;
    __u32 mark;
    __u16 family;      /* AF_INET / AF_INET6 from the IP header; 0: not IP */
    __u16 protocol;    /* IPPROTO_*: IPv4 protocol or IPv6 next header */
    __u16 sport;       /* TCP and UDP, host byte order */
    __u16 dport;
    __u8 saddr[16];    /* ::ffff:a.b.c.d for IPv4 */
    __u8 daddr[16];
};

struct pl_pol_cred {
    __u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
    __u32 securebits;
    __u32 user_ns_level;  /* 0: the initial user namespace */
    __u32 user_ns_uid;    /* the namespace's owner */
    __u32 user_ns_gid;
    __u32 user_ns_inum;
    __u32 pad;
    __u64 cap_permitted, cap_effective, cap_inheritable;
};

enum pl_pol_karg_flags {
    PL_KARG_SKB = 1 << 0,
    PL_KARG_CRED = 1 << 1,
};

struct pl_pol_kernel_args {
    __u32 present; /* enum pl_pol_karg_flags */
    __u32 pad;
    struct pl_pol_skb skb;
    struct pl_pol_cred cred;
};

struct pl_policy_event {
    struct pl_event_header hdr;
    struct pl_exec_id exec_id;
    __u32 policy;
    __u32 hook;            /* enum pl_pol_hook_id or syscall number */
    __u16 selector_index;
    __u16 hook_index;
    __u8 action;           /* enum pl_pol_action */
    __u8 bank;             /* the policy set `policy` indexes */
    __u16 flags;           /* enum pl_policy_flags */
    __s32 error;
    __u32 signal;
    __u64 args[6];         /* raw syscall arguments; cgroup hooks: zero */
    __u16 family;
    __u16 protocol;
    __u16 dport;           /* host byte order */
    __u16 sport;
    __u8 daddr[16];        /* ::ffff:a.b.c.d for IPv4 */
    __u8 saddr[16];
    __u64 cgroup_id;
    __u16 str_len;         /* the string argument as matched */
    __u16 kargs_len;       /* sizeof(struct pl_pol_kernel_args) when a kernel function's struct args were read */
    __u16 pad2[2];
    /* tail: str, then struct pl_pol_kernel_args when kargs_len != 0 */
};

/* Per-CPU counters, one slot per event type (index 0 = all). */
struct pl_type_stats {
    __u64 emitted;
    __u64 dropped;  /* ring buffer full */
    __u64 filtered; /* no loaded rule could match: the prefilter skipped it */
};

/*
 * The open prefilter: a necessary condition of the loaded rules, derived in
 * user space (src/rules/prefilter), that an open record must meet to reach
 * user space. It is a disjunction of at most PL_PF_ALTS alternatives; each
 * alternative is a set of facts the event must have plus, optionally, a set
 * of path patterns one of which the path must match. The kernel computes:
 *   alive  = prefix_trie(path) | postfix_trie(reversed path) | any_path
 *            (every bit when the path cannot be judged: relative, "//", "/.")
 *   for each fact the event lacks: alive &= ~needs[fact]
 * and emits the record only when alive != 0.
 */
#define PL_PF_ALTS 64
#define PL_PF_PATH_MAX 248 /* bytes of a path the tries look at; LPM keys hold 256 */

enum pl_open_fact {
    PL_OF_READ = 0,   /* evt.is_open_read: O_RDONLY or O_RDWR, not creat() */
    PL_OF_WRITE,      /* evt.is_open_write: O_WRONLY or O_RDWR, not creat() */
    PL_OF_TRUNC,      /* O_TRUNC in the flags */
    PL_OF_CREAT,      /* O_CREAT in the flags */
    PL_OF_OK,         /* the open returned an fd */
    PL_OF_FAILED,     /* the open returned -errno */
    PL_OF_DOTDOT,     /* the raw path may contain "../" (or was not scanned to its end) */
    PL_OF_COUNT,
};

struct pl_open_prefilter {
    __u32 enabled;  /* 0: every open is emitted */
    __u32 pad;
    __u64 any_path; /* alternatives without a path condition */
    __u64 needs[PL_OF_COUNT]; /* per fact: the alternatives that need it */
    /* Alternatives with a prefix or exact path / a suffix: the kernel skips
     * the work of a trie no surviving alternative uses. */
    __u64 prefix_alts;
    __u64 suffix_alts;
};

/* Key of the prefilter's path tries: an exact path is stored with its NUL,
 * so only the whole string matches it. */
struct pl_pf_path_key {
    __u32 prefixlen; /* bits */
    __u8 path[PL_PF_PATH_MAX];
};

/* Sensor configuration written by user space before attach. */
struct pl_config {
    __u32 self_tgid;         /* the agent's own events are not reported */
    __u32 cgroup_hierarchy;  /* enum pl_cgroup_hierarchy */
};

/* Both sides read these structs byte for byte: pin the layout so a change on
 * one side cannot silently disagree with the other. */
#ifdef __cplusplus
#define PL_ABI_ASSERT(cond) static_assert(cond, #cond)
#else
#define PL_ABI_ASSERT(cond) _Static_assert(cond, #cond)
#endif
PL_ABI_ASSERT(sizeof(struct pl_event_header) == 24);
PL_ABI_ASSERT(sizeof(struct pl_exec_id) == 16);
PL_ABI_ASSERT(sizeof(struct pl_creds) == 56);
PL_ABI_ASSERT(sizeof(struct pl_namespaces) == 32);
PL_ABI_ASSERT(sizeof(struct pl_exec_event) == 208);
PL_ABI_ASSERT(sizeof(struct pl_fork_event) == 72);
PL_ABI_ASSERT(sizeof(struct pl_exit_event) == 48);
PL_ABI_ASSERT(sizeof(struct pl_open_event) == 56);
PL_ABI_ASSERT(sizeof(struct pl_file_op_event) == 64);
PL_ABI_ASSERT(sizeof(struct pl_net_event) == 96);
PL_ABI_ASSERT(sizeof(struct pl_syscall_event) == 104);
PL_ABI_ASSERT(sizeof(struct pl_policy_event) == 168);
PL_ABI_ASSERT(sizeof(struct pl_pol_selector) == 56);
PL_ABI_ASSERT(sizeof(struct pl_pol_slow) == 24);
PL_ABI_ASSERT(sizeof(struct pl_pol_skb) == 56);
PL_ABI_ASSERT(sizeof(struct pl_pol_cred) == 80);
PL_ABI_ASSERT(sizeof(struct pl_pol_kernel_args) == 144);
PL_ABI_ASSERT(sizeof(struct pl_pol_lpm_addr_key) == 28);
PL_ABI_ASSERT(PL_HOOK_MAX <= 1 << 16);
PL_ABI_ASSERT(PL_POL_BANKS * PL_POL_HOOK_SPAN <= 1 << 16); /* banked hook << 16 | bit fits 32 bits */
PL_ABI_ASSERT(sizeof(struct pl_pol_proc_sets) == 64);
PL_ABI_ASSERT(sizeof(struct pl_pol_exec_state) == 64);
PL_ABI_ASSERT(sizeof(struct pl_type_stats) == 24);
PL_ABI_ASSERT(sizeof(struct pl_open_prefilter) == 32 + 8 * PL_OF_COUNT);
PL_ABI_ASSERT(sizeof(struct pl_pf_path_key) == 252);
/* an exec record with every tail field at its bound fits the scratch buffer */
PL_ABI_ASSERT(PL_EVENT_MAX >= sizeof(struct pl_exec_event) + 3 * PL_PATH_MAX + PL_ARGV_MAX + PL_CGROUP_PATH_MAX);

#endif /* PALISADE_ABI_H */
