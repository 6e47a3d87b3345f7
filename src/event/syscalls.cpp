#include "event/syscalls.h"

#include <sys/syscall.h>

#include <array>
#include <string>
#include <vector>

namespace palisade {
namespace {

using H = SyscallHandler;

// Syscalls that only some architectures have are listed under #ifdef.
const std::vector<SyscallInfo>& table()
{
    static const std::vector<SyscallInfo> syscalls = {
#ifdef SYS_open
        {"open", SYS_open, PL_SC_OPEN, H::Open, "open"},
#endif
#ifdef SYS_creat
        {"creat", SYS_creat, PL_SC_CREAT, H::Open, "open"},
#endif
        {"openat", SYS_openat, PL_SC_OPENAT, H::Open, "open"},
        {"openat2", SYS_openat2, PL_SC_OPENAT2, H::Open, "open"},
#ifdef SYS_unlink
        {"unlink", SYS_unlink, PL_SC_UNLINK, H::FileOp, "file"},
        {"rename", SYS_rename, PL_SC_RENAME, H::FileOp, "file"},
        {"link", SYS_link, PL_SC_LINK, H::FileOp, "file"},
        {"symlink", SYS_symlink, PL_SC_SYMLINK, H::FileOp, "file"},
        {"chmod", SYS_chmod, PL_SC_CHMOD, H::FileOp, "file"},
        {"chown", SYS_chown, PL_SC_CHOWN, H::FileOp, "file"},
        {"lchown", SYS_lchown, PL_SC_LCHOWN, H::FileOp, "file"},
        {"mkdir", SYS_mkdir, PL_SC_MKDIR, H::FileOp, "file"},
#endif
        {"unlinkat", SYS_unlinkat, PL_SC_UNLINKAT, H::FileOp, "file"},
#ifdef SYS_renameat
        {"renameat", SYS_renameat, PL_SC_RENAMEAT, H::FileOp, "file"},
#endif
        {"renameat2", SYS_renameat2, PL_SC_RENAMEAT2, H::FileOp, "file"},
        {"linkat", SYS_linkat, PL_SC_LINKAT, H::FileOp, "file"},
        {"symlinkat", SYS_symlinkat, PL_SC_SYMLINKAT, H::FileOp, "file"},
        {"fchmod", SYS_fchmod, PL_SC_FCHMOD, H::FileOp, "file"},
        {"fchmodat", SYS_fchmodat, PL_SC_FCHMODAT, H::FileOp, "file"},
        {"fchown", SYS_fchown, PL_SC_FCHOWN, H::FileOp, "file"},
        {"fchownat", SYS_fchownat, PL_SC_FCHOWNAT, H::FileOp, "file"},
        {"mkdirat", SYS_mkdirat, PL_SC_MKDIRAT, H::FileOp, "file"},
        {"memfd_create", SYS_memfd_create, PL_SC_MEMFD_CREATE, H::FileOp, "memfd"},
        {"connect", SYS_connect, PL_SC_CONNECT, H::Net, "connect"},
#ifdef SYS_accept
        {"accept", SYS_accept, PL_SC_ACCEPT, H::Net, "accept"},
#endif
        {"accept4", SYS_accept4, PL_SC_ACCEPT4, H::Net, "accept"},
        {"bind", SYS_bind, PL_SC_BIND, H::Net, "bind"},
        {"listen", SYS_listen, PL_SC_LISTEN, H::Net, "listen"},
        {"sendto", SYS_sendto, PL_SC_SENDTO, H::Net, "sendto"},
        {"sendmsg", SYS_sendmsg, PL_SC_SENDMSG, H::Net, "sendto"},
        {"socket", SYS_socket, PL_SC_SOCKET, H::Net, "socket"},
        {"dup", SYS_dup, PL_SC_DUP, H::Net, "dup"},
#ifdef SYS_dup2
        {"dup2", SYS_dup2, PL_SC_DUP2, H::Net, "dup"},
#endif
        {"dup3", SYS_dup3, PL_SC_DUP3, H::Net, "dup"},
        {"setuid", SYS_setuid, PL_SC_SETUID, H::Priv, "setuid"},
        {"setreuid", SYS_setreuid, PL_SC_SETUID, H::Priv, "setuid"},
        {"setresuid", SYS_setresuid, PL_SC_SETUID, H::Priv, "setuid"},
        {"setfsuid", SYS_setfsuid, PL_SC_SETUID, H::Priv, "setuid"},
        {"setgid", SYS_setgid, PL_SC_SETGID, H::Priv, "setuid"},
        {"setregid", SYS_setregid, PL_SC_SETGID, H::Priv, "setuid"},
        {"setresgid", SYS_setresgid, PL_SC_SETGID, H::Priv, "setuid"},
        {"setfsgid", SYS_setfsgid, PL_SC_SETGID, H::Priv, "setuid"},
        {"capset", SYS_capset, PL_SC_CAPSET, H::Priv, "capset"},
        {"ptrace", SYS_ptrace, PL_SC_PTRACE, H::Priv, "ptrace"},
        {"kill", SYS_kill, PL_SC_KILL, H::Priv, "kill"},
        {"tkill", SYS_tkill, PL_SC_KILL, H::Priv, "kill"},
        {"tgkill", SYS_tgkill, PL_SC_KILL, H::Priv, "kill"},
        {"mount", SYS_mount, PL_SC_MOUNT, H::Priv, "mount"},
        {"umount2", SYS_umount2, PL_SC_UMOUNT, H::Priv, "mount"},
        {"init_module", SYS_init_module, PL_SC_INIT_MODULE, H::Priv, "module"},
        {"finit_module", SYS_finit_module, PL_SC_FINIT_MODULE, H::Priv, "module"},
        {"delete_module", SYS_delete_module, PL_SC_DELETE_MODULE, H::Priv, "module"},
        {"bpf", SYS_bpf, PL_SC_BPF, H::Priv, "bpf"},
        {"unshare", SYS_unshare, PL_SC_UNSHARE, H::Priv, "namespace"},
        {"setns", SYS_setns, PL_SC_SETNS, H::Priv, "namespace"},
        {"prctl", SYS_prctl, PL_SC_PRCTL, H::Priv, "prctl"},
        {"mprotect", SYS_mprotect, PL_SC_MPROTECT, H::Priv, "mprotect"},
        {"mmap", SYS_mmap, PL_SC_MMAP, H::Priv, "mprotect"},
    };
    return syscalls;
}

const std::array<const SyscallInfo*, PL_SYSCALL_MAX>& by_nr()
{
    static const auto index = [] {
        std::array<const SyscallInfo*, PL_SYSCALL_MAX> idx{};
        for (const auto& sc : table())
            if (sc.nr < PL_SYSCALL_MAX)
                idx[sc.nr] = &sc;
        return idx;
    }();
    return index;
}

}  // namespace

std::span<const SyscallInfo> watched_syscalls() { return table(); }

const SyscallInfo* syscall_by_nr(std::uint32_t nr)
{
    return nr < PL_SYSCALL_MAX ? by_nr()[nr] : nullptr;
}

std::string_view syscall_name(std::uint32_t nr)
{
    if (const auto* sc = syscall_by_nr(nr))
        return sc->name;
    static thread_local std::string unknown;
    unknown = "syscall_" + std::to_string(nr);
    return unknown;
}

}  // namespace palisade
