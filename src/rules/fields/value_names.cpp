#include "rules/fields/value_names.h"

#include "event/capabilities.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <array>
#include <charconv>

#include "palisade/abi.h"

namespace palisade::rules::fields {
namespace {

constexpr std::uint64_t kAllBits = ~std::uint64_t{0};

constexpr NamedBits flag(const char* name, std::uint64_t bit) { return {name, bit, bit}; }
constexpr NamedBits choice(const char* name, std::uint64_t mask, std::uint64_t bits) { return {name, mask, bits}; }
constexpr NamedBits value(const char* name, std::uint64_t v) { return {name, kAllBits, v}; }

// glibc defines O_LARGEFILE as 0 on 64-bit targets because it is implied
// there, but callers may still pass the kernel bit, and Falco names it.
#if defined(__aarch64__)
constexpr std::uint64_t kKernelLargefile = 0400000;
#else
constexpr std::uint64_t kKernelLargefile = 0100000;
#endif

// Falco's file_flags order. The access mode is a two-bit field whose
// O_RDONLY value is 0, so the three modes are values of O_ACCMODE.
constexpr NamedBits kOpenFlags[] = {
    flag("O_LARGEFILE", kKernelLargefile),
    flag("O_DIRECTORY", O_DIRECTORY),
    flag("O_DIRECT", O_DIRECT),
    flag("O_TRUNC", O_TRUNC),
    flag("O_SYNC", O_SYNC),
    flag("O_NONBLOCK", O_NONBLOCK),
    flag("O_EXCL", O_EXCL),
    flag("O_DSYNC", O_DSYNC),
    flag("O_APPEND", O_APPEND),
    flag("O_CREAT", O_CREAT),
    choice("O_RDWR", O_ACCMODE, O_RDWR),
    choice("O_WRONLY", O_ACCMODE, O_WRONLY),
    choice("O_RDONLY", O_ACCMODE, O_RDONLY),
    flag("O_CLOEXEC", O_CLOEXEC),
    flag("O_TMPFILE", O_TMPFILE),
};

// Falco's chmod_mode order.
constexpr NamedBits kFileModes[] = {
    flag("S_IXOTH", 01),    flag("S_IWOTH", 02),    flag("S_IROTH", 04),
    flag("S_IXGRP", 010),   flag("S_IWGRP", 020),   flag("S_IRGRP", 040),
    flag("S_IXUSR", 0100),  flag("S_IWUSR", 0200),  flag("S_IRUSR", 0400),
    flag("S_ISVTX", 01000), flag("S_ISGID", 02000), flag("S_ISUID", 04000),
};

constexpr NamedBits kMemfdFlags[] = {
    flag("MFD_CLOEXEC", 1),
    flag("MFD_ALLOW_SEALING", 2),
    flag("MFD_HUGETLB", 4),
};

// Falco's socket_families order; aliases (AF_LOCAL/AF_UNIX, AF_ROUTE/AF_NETLINK)
// both apply, as in Falco.
constexpr NamedBits kSocketFamilies[] = {
    value("AF_NFC", AF_NFC),
    value("AF_ALG", AF_ALG),
    value("AF_CAIF", AF_CAIF),
    value("AF_IEEE802154", AF_IEEE802154),
    value("AF_PHONET", AF_PHONET),
    value("AF_ISDN", AF_ISDN),
    value("AF_RXRPC", AF_RXRPC),
    value("AF_IUCV", AF_IUCV),
    value("AF_BLUETOOTH", AF_BLUETOOTH),
    value("AF_TIPC", AF_TIPC),
    value("AF_CAN", AF_CAN),
    value("AF_LLC", AF_LLC),
    value("AF_WANPIPE", AF_WANPIPE),
    value("AF_PPPOX", AF_PPPOX),
    value("AF_IRDA", AF_IRDA),
    value("AF_SNA", AF_SNA),
    value("AF_RDS", AF_RDS),
    value("AF_ATMSVC", AF_ATMSVC),
    value("AF_ECONET", AF_ECONET),
    value("AF_ASH", AF_ASH),
    value("AF_PACKET", AF_PACKET),
    value("AF_ROUTE", AF_ROUTE),
    value("AF_NETLINK", AF_NETLINK),
    value("AF_KEY", AF_KEY),
    value("AF_SECURITY", AF_SECURITY),
    value("AF_NETBEUI", AF_NETBEUI),
    value("AF_DECnet", AF_DECnet),
    value("AF_ROSE", AF_ROSE),
    value("AF_INET6", AF_INET6),
    value("AF_X25", AF_X25),
    value("AF_ATMPVC", AF_ATMPVC),
    value("AF_BRIDGE", AF_BRIDGE),
    value("AF_NETROM", AF_NETROM),
    value("AF_APPLETALK", AF_APPLETALK),
    value("AF_IPX", AF_IPX),
    value("AF_AX25", AF_AX25),
    value("AF_INET", AF_INET),
    value("AF_LOCAL", AF_LOCAL),
    value("AF_UNIX", AF_UNIX),
    value("AF_UNSPEC", AF_UNSPEC),
};

// Request numbers from include/uapi/linux/ptrace.h; the x86 ones exist only there.
constexpr NamedBits kPtraceRequests[] = {
#if defined(__x86_64__) || defined(__i386__)
    value("PTRACE_SINGLEBLOCK", 33),
    value("PTRACE_SYSEMU_SINGLESTEP", 32),
    value("PTRACE_SYSEMU", 31),
    value("PTRACE_ARCH_PRCTL", 30),
    value("PTRACE_SET_THREAD_AREA", 26),
    value("PTRACE_GET_THREAD_AREA", 25),
    value("PTRACE_OLDSETOPTIONS", 21),
    value("PTRACE_SETFPXREGS", 19),
    value("PTRACE_GETFPXREGS", 18),
    value("PTRACE_SETFPREGS", 15),
    value("PTRACE_GETFPREGS", 14),
    value("PTRACE_SETREGS", 13),
    value("PTRACE_GETREGS", 12),
#endif
    value("PTRACE_SETSIGMASK", 0x420b),
    value("PTRACE_GETSIGMASK", 0x420a),
    value("PTRACE_PEEKSIGINFO", 0x4209),
    value("PTRACE_LISTEN", 0x4208),
    value("PTRACE_INTERRUPT", 0x4207),
    value("PTRACE_SEIZE", 0x4206),
    value("PTRACE_SETREGSET", 0x4205),
    value("PTRACE_GETREGSET", 0x4204),
    value("PTRACE_SETSIGINFO", 0x4203),
    value("PTRACE_GETSIGINFO", 0x4202),
    value("PTRACE_GETEVENTMSG", 0x4201),
    value("PTRACE_SETOPTIONS", 0x4200),
    value("PTRACE_SYSCALL", 24),
    value("PTRACE_DETACH", 17),
    value("PTRACE_ATTACH", 16),
    value("PTRACE_SINGLESTEP", 9),
    value("PTRACE_KILL", 8),
    value("PTRACE_CONT", 7),
    value("PTRACE_POKEUSR", 6),
    value("PTRACE_POKEDATA", 5),
    value("PTRACE_POKETEXT", 4),
    value("PTRACE_PEEKUSR", 3),
    value("PTRACE_PEEKDATA", 2),
    value("PTRACE_PEEKTEXT", 1),
    value("PTRACE_TRACEME", 0),
};

constexpr NamedBits kPrctlOptions[] = {
    value("PR_GET_DUMPABLE", PR_GET_DUMPABLE),
    value("PR_SET_DUMPABLE", PR_SET_DUMPABLE),
    value("PR_GET_KEEPCAPS", PR_GET_KEEPCAPS),
    value("PR_SET_KEEPCAPS", PR_SET_KEEPCAPS),
    value("PR_SET_NAME", PR_SET_NAME),
    value("PR_GET_NAME", PR_GET_NAME),
    value("PR_GET_SECCOMP", PR_GET_SECCOMP),
    value("PR_SET_SECCOMP", PR_SET_SECCOMP),
    value("PR_CAPBSET_READ", PR_CAPBSET_READ),
    value("PR_CAPBSET_DROP", PR_CAPBSET_DROP),
    value("PR_GET_SECUREBITS", PR_GET_SECUREBITS),
    value("PR_SET_SECUREBITS", PR_SET_SECUREBITS),
    value("PR_MCE_KILL", PR_MCE_KILL),
    value("PR_SET_MM", PR_SET_MM),
    value("PR_SET_CHILD_SUBREAPER", PR_SET_CHILD_SUBREAPER),
    value("PR_GET_CHILD_SUBREAPER", PR_GET_CHILD_SUBREAPER),
    value("PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS),
    value("PR_GET_NO_NEW_PRIVS", PR_GET_NO_NEW_PRIVS),
    value("PR_GET_TID_ADDRESS", PR_GET_TID_ADDRESS),
    value("PR_SET_THP_DISABLE", PR_SET_THP_DISABLE),
    value("PR_GET_THP_DISABLE", PR_GET_THP_DISABLE),
    value("PR_CAP_AMBIENT", PR_CAP_AMBIENT),
};

// Falco's clone_flags order, without its driver-internal pseudo flags.
constexpr NamedBits kCloneFlags[] = {
    flag("CLONE_FILES", CLONE_FILES),
    flag("CLONE_FS", CLONE_FS),
    flag("CLONE_IO", CLONE_IO),
    flag("CLONE_NEWIPC", CLONE_NEWIPC),
    flag("CLONE_NEWNET", CLONE_NEWNET),
    flag("CLONE_NEWNS", CLONE_NEWNS),
    flag("CLONE_NEWPID", CLONE_NEWPID),
    flag("CLONE_NEWUTS", CLONE_NEWUTS),
    flag("CLONE_PARENT", CLONE_PARENT),
    flag("CLONE_PARENT_SETTID", CLONE_PARENT_SETTID),
    flag("CLONE_PTRACE", CLONE_PTRACE),
    flag("CLONE_SIGHAND", CLONE_SIGHAND),
    flag("CLONE_SYSVSEM", CLONE_SYSVSEM),
    flag("CLONE_THREAD", CLONE_THREAD),
    flag("CLONE_UNTRACED", CLONE_UNTRACED),
    flag("CLONE_VM", CLONE_VM),
    flag("CLONE_NEWUSER", CLONE_NEWUSER),
    flag("CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID),
    flag("CLONE_CHILD_SETTID", CLONE_CHILD_SETTID),
    flag("CLONE_SETTLS", CLONE_SETTLS),
    flag("CLONE_VFORK", CLONE_VFORK),
    flag("CLONE_NEWCGROUP", CLONE_NEWCGROUP),
};

// include/uapi/linux/mount.h, Falco's names (without the MS_ prefix).
constexpr NamedBits kMountFlags[] = {
    flag("RDONLY", 1u << 0),      flag("NOSUID", 1u << 1),       flag("NODEV", 1u << 2),
    flag("NOEXEC", 1u << 3),      flag("SYNCHRONOUS", 1u << 4),  flag("REMOUNT", 1u << 5),
    flag("MANDLOCK", 1u << 6),    flag("DIRSYNC", 1u << 7),      flag("NOATIME", 1u << 10),
    flag("NODIRATIME", 1u << 11), flag("BIND", 1u << 12),        flag("MOVE", 1u << 13),
    flag("REC", 1u << 14),        flag("SILENT", 1u << 15),      flag("POSIXACL", 1u << 16),
    flag("UNBINDABLE", 1u << 17), flag("PRIVATE", 1u << 18),     flag("SLAVE", 1u << 19),
    flag("SHARED", 1u << 20),     flag("RELATIME", 1u << 21),    flag("KERNMOUNT", 1u << 22),
    flag("I_VERSION", 1u << 23),  flag("STRICTATIME", 1u << 24), flag("LAZYTIME", 1u << 25),
    flag("NOSEC", 1u << 28),      flag("BORN", 1u << 29),        flag("ACTIVE", 1u << 30),
    flag("NOUSER", 1u << 31),
};

constexpr NamedBits kUmountFlags[] = {
    flag("FORCE", MNT_FORCE),
    flag("DETACH", MNT_DETACH),
    flag("EXPIRE", MNT_EXPIRE),
    flag("NOFOLLOW", UMOUNT_NOFOLLOW),
};

constexpr NamedBits kUnlinkatFlags[] = {flag("AT_REMOVEDIR", AT_REMOVEDIR)};

constexpr NamedBits kLinkatFlags[] = {
    flag("AT_SYMLINK_FOLLOW", AT_SYMLINK_FOLLOW),
    flag("AT_EMPTY_PATH", AT_EMPTY_PATH),
};

constexpr NamedBits kFchownatFlags[] = {
    flag("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW),
    flag("AT_EMPTY_PATH", AT_EMPTY_PATH),
};

constexpr NamedBits kRenameat2Flags[] = {
    flag("RENAME_NOREPLACE", 1),
    flag("RENAME_EXCHANGE", 2),
    flag("RENAME_WHITEOUT", 4),
};

constexpr NamedBits kProtFlags[] = {
    flag("PROT_READ", PROT_READ),
    flag("PROT_WRITE", PROT_WRITE),
    flag("PROT_EXEC", PROT_EXEC),
    flag("PROT_SEM", 0x8),
    flag("PROT_GROWSDOWN", PROT_GROWSDOWN),
    flag("PROT_GROWSUP", PROT_GROWSUP),
    value("PROT_NONE", PROT_NONE),
};

constexpr NamedBits kMmapFlags[] = {
    flag("MAP_SHARED", MAP_SHARED),
    flag("MAP_PRIVATE", MAP_PRIVATE),
    flag("MAP_FIXED", MAP_FIXED),
    flag("MAP_ANONYMOUS", MAP_ANONYMOUS),
#ifdef MAP_32BIT
    flag("MAP_32BIT", MAP_32BIT),
#endif
    flag("MAP_NORESERVE", MAP_NORESERVE),
    flag("MAP_POPULATE", MAP_POPULATE),
    flag("MAP_NONBLOCK", MAP_NONBLOCK),
    flag("MAP_GROWSDOWN", MAP_GROWSDOWN),
    flag("MAP_DENYWRITE", MAP_DENYWRITE),
    flag("MAP_EXECUTABLE", MAP_EXECUTABLE),
    flag("MAP_LOCKED", MAP_LOCKED),
};

// Falco's execve flags, from what Palisade's exec record knows: it cannot
// tell whether the binary is writable or on an overlay upper layer.
constexpr NamedBits kExecFlags[] = {
    flag("EXE_FROM_MEMFD", PL_EXEC_MEMFD),
};

template <class Int>
void append_number(Int value, std::string& out, int base = 10) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof(digits), value, base);
    out.append(digits, result.ptr);
}

}  // namespace

const NameTable kOpenFlagNames{kOpenFlags};
const NameTable kFileModeNames{kFileModes};
const NameTable kMemfdFlagNames{kMemfdFlags};
const NameTable kSocketFamilyNames{kSocketFamilies};
const NameTable kPtraceRequestNames{kPtraceRequests};
const NameTable kPrctlOptionNames{kPrctlOptions};
const NameTable kCloneFlagNames{kCloneFlags};
const NameTable kMountFlagNames{kMountFlags};
const NameTable kUmountFlagNames{kUmountFlags};
const NameTable kUnlinkatFlagNames{kUnlinkatFlags};
const NameTable kLinkatFlagNames{kLinkatFlags};
const NameTable kFchownatFlagNames{kFchownatFlags};
const NameTable kRenameat2FlagNames{kRenameat2Flags};
const NameTable kProtFlagNames{kProtFlags};
const NameTable kMmapFlagNames{kMmapFlags};
const NameTable kExecFlagNames{kExecFlags};

bool append_names(NameTable table, std::uint64_t value, std::string& out) {
    bool any = false;
    for (const NamedBits& entry : table) {
        if ((value & entry.mask) != entry.bits) continue;
        if (any) out += '|';
        out += entry.name;
        any = true;
    }
    return any;
}

std::string_view errno_name(std::int64_t error) {
    if (error < 0) error = -error;
    if (error == 0 || error > 4095) return {};
    const char* name = strerrorname_np(static_cast<int>(error));
    return name ? std::string_view(name) : std::string_view();
}

bool append_signal_name(std::int64_t signal, std::string& out) {
    if (signal <= 0 || signal >= NSIG) return false;
    const char* abbreviation = sigabbrev_np(static_cast<int>(signal));
    if (!abbreviation) return false;
    out += "SIG";
    out += abbreviation;
    return true;
}

// As sinsp_utils::caps_to_string: the names of the known bits set.
void append_capabilities(std::uint64_t caps, std::string& out) {
    bool first = true;
    for (int bit = 0; bit < 64; ++bit) {
        const std::string_view name = known_capability_name(bit);
        if (!(caps & (std::uint64_t{1} << bit)) || name.empty()) continue;
        if (!first) out += ' ';
        out += name;
        first = false;
    }
}

void append_decimal(std::int64_t value, std::string& out) { append_number(value, out); }
void append_unsigned(std::uint64_t value, std::string& out) { append_number(value, out); }

void append_hex(std::uint64_t value, std::string& out) {
    out += "0x";
    append_number(value, out, 16);
}

void append_octal(std::uint64_t value, std::string& out) {
    if (value != 0) out += '0';
    append_number(value, out, 8);
}

}  // namespace palisade::rules::fields
