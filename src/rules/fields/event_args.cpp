#include "rules/fields/event_args.h"

#include <sys/socket.h>

#include <array>

#include "event/syscalls.h"
#include "rules/fields/fd_view.h"
#include "rules/fields/field_spec.h"
#include "rules/fields/user_db.h"
#include "rules/fields/value_names.h"

namespace palisade::rules::fields {

// Where an argument's value comes from in Palisade's event, and how Falco
// renders it. One enumerator per source keeps the schemas below pure data.
enum class ArgValue : std::uint8_t {
    Missing,  // Falco has the parameter, Palisade does not record it: <NA>
    Result,   // return value: number, or errno name when negative
    ResultFd, // returned fd: number, or "<f>/path" describing it
    // OpenData
    OpenDirfd,
    OpenPath,  // raw: as given; resolved: absolute
    OpenFlags,
    OpenMode,
    // FileOpData
    FilePath,
    FilePath2,
    FileFd,
    FileFlags,  // through ArgSpec::names
    FileMode,   // through ArgSpec::names when set, octal otherwise
    FileUid,
    FileGid,
    // NetData
    NetFd,
    NetNewFd,
    NetTuple,
    NetLocalAddr,
    NetRemoteAddr,
    NetBacklog,
    NetFamily,
    NetSockType,
    NetProtocol,
    // SyscallData: raw argument ArgSpec::slot, or the captured strings
    SysArgInt,
    SysArgSize,
    SysArgHex,
    SysArgNames,
    SysArgUser,
    SysArgGroup,
    SysArgSignal,
    SysMountFlags,
    SysStr,
    SysStr2,
    SysFileFd,
    SysCapEffective,
    // The process image (execve, clone)
    ProcExe,
    ProcArgs,
    ProcCwd,
    ProcComm,
    ProcTty,
    ProcLoginuid,
    ProcExecFlags,
    ProcCapPermitted,
    ProcCapEffective,
    ProcUid,
    ProcGid,
    ProcExePath,
    ProcFilename,
    ProcParentPid,
    EventTid,
    EventPid,
    // ExitData
    ExitStatus,
    ExitCode,
    ExitSignal,
    ExitCore,
};

struct ArgSpec {
    const char* name;
    ArgValue value;
    std::uint8_t slot = 0;             // raw syscall argument index, for SysArg* values
    const NameTable* names = nullptr;  // Falco's names for flags and enumerations
};

namespace {

using enum ArgValue;

struct ArgSchema {
    const char* event;  // Falco's event name, as falco_event_type() gives it
    std::span<const ArgSpec> args;
};

// Schemas, one per Falco event name. Order is Falco's (exit parameters, then
// enter-only parameters), so evt.arg[N] means what it means in Falco.
constexpr ArgSpec kOpenArgs[] = {{"fd", ResultFd}, {"name", OpenPath}, {"flags", OpenFlags},
                                 {"mode", OpenMode}, {"dev", Missing}, {"ino", Missing}};
constexpr ArgSpec kCreatArgs[] = {{"fd", ResultFd}, {"name", OpenPath}, {"mode", OpenMode},
                                  {"dev", Missing}, {"ino", Missing}};
constexpr ArgSpec kOpenatArgs[] = {{"fd", ResultFd}, {"dirfd", OpenDirfd}, {"name", OpenPath}, {"flags", OpenFlags},
                                   {"mode", OpenMode}, {"dev", Missing}, {"ino", Missing}};
constexpr ArgSpec kOpenat2Args[] = {{"fd", ResultFd}, {"dirfd", OpenDirfd}, {"name", OpenPath},
                                    {"flags", OpenFlags}, {"mode", OpenMode}, {"resolve", Missing}};

constexpr ArgSpec kUnlinkArgs[] = {{"res", Result}, {"path", FilePath}};
constexpr ArgSpec kUnlinkatArgs[] = {{"res", Result}, {"dirfd", Missing}, {"name", FilePath},
                                     {"flags", FileFlags, 0, &kUnlinkatFlagNames}};
constexpr ArgSpec kRenameArgs[] = {{"res", Result}, {"oldpath", FilePath}, {"newpath", FilePath2}};
constexpr ArgSpec kRenameatArgs[] = {{"res", Result}, {"olddirfd", Missing}, {"oldpath", FilePath},
                                     {"newdirfd", Missing}, {"newpath", FilePath2}};
constexpr ArgSpec kRenameat2Args[] = {{"res", Result},        {"olddirfd", Missing}, {"oldpath", FilePath},
                                      {"newdirfd", Missing},  {"newpath", FilePath2},
                                      {"flags", FileFlags, 0, &kRenameat2FlagNames}};
constexpr ArgSpec kLinkArgs[] = {{"res", Result}, {"oldpath", FilePath}, {"newpath", FilePath2}};
constexpr ArgSpec kLinkatArgs[] = {{"res", Result},      {"olddir", Missing},   {"oldpath", FilePath},
                                   {"newdir", Missing},  {"newpath", FilePath2},
                                   {"flags", FileFlags, 0, &kLinkatFlagNames}};
constexpr ArgSpec kSymlinkArgs[] = {{"res", Result}, {"target", FilePath}, {"linkpath", FilePath2}};
constexpr ArgSpec kSymlinkatArgs[] = {{"res", Result}, {"target", FilePath}, {"linkdirfd", Missing},
                                      {"linkpath", FilePath2}};
constexpr ArgSpec kChmodArgs[] = {{"res", Result}, {"filename", FilePath}, {"mode", FileMode, 0, &kFileModeNames}};
constexpr ArgSpec kFchmodArgs[] = {{"res", Result}, {"fd", FileFd}, {"mode", FileMode, 0, &kFileModeNames}};
constexpr ArgSpec kFchmodatArgs[] = {{"res", Result}, {"dirfd", Missing}, {"filename", FilePath},
                                     {"mode", FileMode, 0, &kFileModeNames}};
constexpr ArgSpec kChownArgs[] = {{"res", Result}, {"path", FilePath}, {"uid", FileUid}, {"gid", FileGid}};
constexpr ArgSpec kFchownArgs[] = {{"res", Result}, {"fd", FileFd}, {"uid", FileUid}, {"gid", FileGid}};
constexpr ArgSpec kFchownatArgs[] = {{"res", Result}, {"dirfd", Missing}, {"pathname", FilePath},
                                     {"uid", FileUid}, {"gid", FileGid},
                                     {"flags", FileFlags, 0, &kFchownatFlagNames}};
constexpr ArgSpec kMkdirArgs[] = {{"res", Result}, {"path", FilePath}, {"mode", FileMode}};
constexpr ArgSpec kMkdiratArgs[] = {{"res", Result}, {"dirfd", Missing}, {"path", FilePath}, {"mode", FileMode}};
constexpr ArgSpec kMemfdCreateArgs[] = {{"fd", ResultFd}, {"name", FilePath2},
                                        {"flags", FileFlags, 0, &kMemfdFlagNames}};

constexpr ArgSpec kConnectArgs[] = {{"res", Result}, {"tuple", NetTuple}, {"fd", NetFd}, {"addr", NetRemoteAddr}};
constexpr ArgSpec kAcceptArgs[] = {{"fd", ResultFd}, {"tuple", NetTuple}, {"queuepct", Missing},
                                   {"queuelen", Missing}, {"queuemax", Missing}};
constexpr ArgSpec kAccept4Args[] = {{"fd", ResultFd},       {"tuple", NetTuple},    {"queuepct", Missing},
                                    {"queuelen", Missing},  {"queuemax", Missing},  {"flags", Missing}};
constexpr ArgSpec kBindArgs[] = {{"res", Result}, {"addr", NetLocalAddr}, {"fd", NetFd}};
constexpr ArgSpec kListenArgs[] = {{"res", Result}, {"fd", NetFd}, {"backlog", NetBacklog}};
constexpr ArgSpec kSendArgs[] = {{"res", Result}, {"data", Missing}, {"fd", NetFd}, {"size", Missing},
                                 {"tuple", NetTuple}};
constexpr ArgSpec kSocketArgs[] = {{"fd", ResultFd}, {"domain", NetFamily}, {"type", NetSockType},
                                   {"proto", NetProtocol}};
// Falco's dup exit events name the old fd "oldfd"; "fd" is its enter-event name.
constexpr ArgSpec kDupArgs[] = {{"res", ResultFd}, {"oldfd", NetFd}, {"fd", NetFd}};
constexpr ArgSpec kDup2Args[] = {{"res", ResultFd}, {"oldfd", NetFd}, {"newfd", NetNewFd}, {"fd", NetFd}};
constexpr ArgSpec kDup3Args[] = {{"res", ResultFd}, {"oldfd", NetFd}, {"newfd", NetNewFd}, {"flags", Missing},
                                 {"fd", NetFd}};

constexpr ArgSpec kSetuidArgs[] = {{"res", Result}, {"uid", SysArgUser, 0}};
constexpr ArgSpec kSetreuidArgs[] = {{"res", Result}, {"ruid", SysArgUser, 0}, {"euid", SysArgUser, 1}};
constexpr ArgSpec kSetresuidArgs[] = {{"res", Result}, {"ruid", SysArgUser, 0}, {"euid", SysArgUser, 1},
                                      {"suid", SysArgUser, 2}};
constexpr ArgSpec kSetgidArgs[] = {{"res", Result}, {"gid", SysArgGroup, 0}};
constexpr ArgSpec kSetregidArgs[] = {{"res", Result}, {"rgid", SysArgGroup, 0}, {"egid", SysArgGroup, 1}};
constexpr ArgSpec kSetresgidArgs[] = {{"res", Result}, {"rgid", SysArgGroup, 0}, {"egid", SysArgGroup, 1},
                                      {"sgid", SysArgGroup, 2}};
constexpr ArgSpec kCapsetArgs[] = {{"res", Result}, {"cap_inheritable", Missing}, {"cap_permitted", Missing},
                                   {"cap_effective", SysCapEffective}};
constexpr ArgSpec kPtraceArgs[] = {{"res", Result}, {"addr", SysArgHex, 2}, {"data", SysArgHex, 3},
                                   {"request", SysArgNames, 0, &kPtraceRequestNames}, {"pid", SysArgInt, 1}};
constexpr ArgSpec kKillArgs[] = {{"res", Result}, {"pid", SysArgInt, 0}, {"sig", SysArgSignal, 1}};
constexpr ArgSpec kTkillArgs[] = {{"res", Result}, {"tid", SysArgInt, 0}, {"sig", SysArgSignal, 1}};
constexpr ArgSpec kTgkillArgs[] = {{"res", Result}, {"pid", SysArgInt, 0}, {"tid", SysArgInt, 1},
                                   {"sig", SysArgSignal, 2}};
constexpr ArgSpec kMountArgs[] = {{"res", Result}, {"dev", SysStr}, {"dir", SysStr2}, {"type", Missing},
                                  {"flags", SysMountFlags, 3}};
constexpr ArgSpec kUmount2Args[] = {{"res", Result}, {"name", SysStr}, {"flags", SysArgNames, 1, &kUmountFlagNames}};
constexpr ArgSpec kInitModuleArgs[] = {{"res", Result}, {"img", Missing}, {"length", SysArgSize, 1},
                                       {"uargs", SysStr}};
constexpr ArgSpec kFinitModuleArgs[] = {{"res", Result}, {"fd", SysFileFd, 0}, {"uargs", SysStr},
                                        {"flags", SysArgInt, 2}};
// Falco reports delete_module as a generic syscall without parameters;
// Palisade records the module name, so it offers it.
constexpr ArgSpec kDeleteModuleArgs[] = {{"res", Result}, {"name", SysStr}, {"flags", SysArgInt, 1}};
constexpr ArgSpec kBpfArgs[] = {{"fd", ResultFd}, {"cmd", SysArgInt, 0}};
constexpr ArgSpec kUnshareArgs[] = {{"res", Result}, {"flags", SysArgNames, 0, &kCloneFlagNames}};
constexpr ArgSpec kSetnsArgs[] = {{"res", Result}, {"fd", SysArgInt, 0}, {"nstype", SysArgNames, 1, &kCloneFlagNames}};
constexpr ArgSpec kPrctlArgs[] = {{"res", Result}, {"option", SysArgNames, 0, &kPrctlOptionNames},
                                  {"arg2_str", SysStr}, {"arg2_int", SysArgSize, 1}};
constexpr ArgSpec kMprotectArgs[] = {{"res", Result}, {"addr", SysArgHex, 0}, {"length", SysArgSize, 1},
                                     {"prot", SysArgNames, 2, &kProtFlagNames}};
constexpr ArgSpec kMmapArgs[] = {{"res", Result},         {"vm_size", Missing},  {"vm_rss", Missing},
                                 {"vm_swap", Missing},    {"addr", SysArgHex, 0}, {"length", SysArgSize, 1},
                                 {"prot", SysArgNames, 2, &kProtFlagNames},
                                 {"flags", SysArgNames, 3, &kMmapFlagNames},
                                 {"fd", SysArgInt, 4},    {"offset", SysArgSize, 5}};

constexpr ArgSpec kExecveArgs[] = {
    {"res", Result},           {"exe", ProcExe},          {"args", ProcArgs},
    {"tid", EventTid},         {"pid", EventPid},         {"ptid", ProcParentPid},
    {"cwd", ProcCwd},          {"fdlimit", Missing},      {"pgft_maj", Missing},
    {"pgft_min", Missing},     {"vm_size", Missing},      {"vm_rss", Missing},
    {"vm_swap", Missing},      {"comm", ProcComm},        {"cgroups", Missing},
    {"env", Missing},          {"tty", ProcTty},          {"pgid", Missing},
    {"loginuid", ProcLoginuid}, {"flags", ProcExecFlags}, {"cap_inheritable", Missing},
    {"cap_permitted", ProcCapPermitted}, {"cap_effective", ProcCapEffective}, {"exe_ino", Missing},
    {"exe_ino_ctime", Missing}, {"exe_ino_mtime", Missing}, {"uid", ProcUid},
    {"trusted_exepath", ProcExePath}, {"filename", ProcFilename},
};
constexpr ArgSpec kCloneArgs[] = {
    {"res", Result},       {"exe", ProcExe},        {"args", ProcArgs},      {"tid", EventTid},
    {"pid", EventPid},     {"ptid", ProcParentPid}, {"cwd", ProcCwd},        {"fdlimit", Missing},
    {"pgft_maj", Missing}, {"pgft_min", Missing},   {"vm_size", Missing},    {"vm_rss", Missing},
    {"vm_swap", Missing},  {"comm", ProcComm},      {"cgroups", Missing},    {"flags", Missing},
    {"uid", ProcUid},      {"gid", ProcGid},        {"vtid", Missing},       {"vpid", Missing},
    {"pidns_init_start_ts", Missing},
};
constexpr ArgSpec kProcexitArgs[] = {{"status", ExitStatus}, {"ret", ExitCode}, {"sig", ExitSignal},
                                     {"core", ExitCore}, {"reaper_tid", Missing}};

constexpr ArgSchema kSchemas[] = {
    {"open", kOpenArgs},          {"creat", kCreatArgs},          {"openat", kOpenatArgs},
    {"openat2", kOpenat2Args},    {"unlink", kUnlinkArgs},        {"unlinkat", kUnlinkatArgs},
    {"rename", kRenameArgs},      {"renameat", kRenameatArgs},    {"renameat2", kRenameat2Args},
    {"link", kLinkArgs},          {"linkat", kLinkatArgs},        {"symlink", kSymlinkArgs},
    {"symlinkat", kSymlinkatArgs}, {"chmod", kChmodArgs},         {"fchmod", kFchmodArgs},
    {"fchmodat", kFchmodatArgs},  {"chown", kChownArgs},          {"lchown", kChownArgs},
    {"fchown", kFchownArgs},      {"fchownat", kFchownatArgs},    {"mkdir", kMkdirArgs},
    {"mkdirat", kMkdiratArgs},    {"memfd_create", kMemfdCreateArgs},
    {"connect", kConnectArgs},    {"accept", kAcceptArgs},        {"accept4", kAccept4Args},
    {"bind", kBindArgs},          {"listen", kListenArgs},        {"sendto", kSendArgs},
    {"sendmsg", kSendArgs},       {"socket", kSocketArgs},        {"dup", kDupArgs},
    {"dup2", kDup2Args},          {"dup3", kDup3Args},
    {"setuid", kSetuidArgs},      {"setreuid", kSetreuidArgs},    {"setresuid", kSetresuidArgs},
    {"setfsuid", kSetuidArgs},    {"setgid", kSetgidArgs},        {"setregid", kSetregidArgs},
    {"setresgid", kSetresgidArgs}, {"setfsgid", kSetgidArgs},     {"capset", kCapsetArgs},
    {"ptrace", kPtraceArgs},      {"kill", kKillArgs},            {"tkill", kTkillArgs},
    {"tgkill", kTgkillArgs},      {"mount", kMountArgs},          {"umount2", kUmount2Args},
    {"init_module", kInitModuleArgs}, {"finit_module", kFinitModuleArgs},
    {"delete_module", kDeleteModuleArgs}, {"bpf", kBpfArgs},      {"unshare", kUnshareArgs},
    {"setns", kSetnsArgs},        {"prctl", kPrctlArgs},          {"mprotect", kMprotectArgs},
    {"mmap", kMmapArgs},          {"execve", kExecveArgs},        {"clone", kCloneArgs},
    {"procexit", kProcexitArgs},
};

std::span<const ArgSpec> schema_named(std::string_view event) {
    for (const ArgSchema& schema : kSchemas)
        if (event == schema.event) return schema.args;
    return {};
}

// Syscall number to schema, built once from the host's syscall table so the
// extraction path does an array index instead of a name search.
const std::array<std::span<const ArgSpec>, PL_SYSCALL_MAX>& schemas_by_syscall() {
    static const auto table = [] {
        std::array<std::span<const ArgSpec>, PL_SYSCALL_MAX> by_nr{};
        for (const SyscallInfo& syscall : watched_syscalls())
            if (syscall.nr < PL_SYSCALL_MAX) by_nr[syscall.nr] = schema_named(syscall.name);
        return by_nr;
    }();
    return table;
}

constexpr std::uint32_t kUnsetId = UINT32_MAX;  // -1 as a uid/gid argument: "leave unchanged"
constexpr std::int64_t kAtFdcwd = -100;

bool append_result(std::int64_t result, ArgForm form, std::string& out) {
    if (form == ArgForm::Display && result < 0) {
        if (const std::string_view name = errno_name(result); !name.empty()) {
            out += name;
            return true;
        }
    }
    append_decimal(result, out);
    return true;
}

bool append_named(std::uint64_t value, const NameTable* names, ArgForm form, std::string& out) {
    if (form == ArgForm::Display && names && append_names(*names, value, out)) return true;
    append_unsigned(value, out);
    return true;
}

template <class NameOf>
bool append_id(std::uint32_t id, ArgForm form, std::string& out, NameOf&& name_of) {
    if (id == kUnsetId)
        out += "-1";
    else if (form == ArgForm::Display)
        out += name_of(id);
    else
        append_unsigned(id, out);
    return true;
}

bool append_text(std::string_view text, std::string& out) {
    if (text.empty()) return false;
    out += text;
    return true;
}

// Falco's description of an fd argument: "<f>/etc/passwd", "<4t>1.2.3.4:80->...".
bool append_fd_description(const FdView& fd, std::string& out) {
    const char type = fd_type_char(fd);
    if (type == 0) return false;
    const std::size_t start = out.size();
    out += '<';
    out += type;
    if (is_ip_socket(fd.kind)) {
        const std::string_view proto = fd_l4proto(fd);
        if (proto == "tcp" || proto == "udp" || proto == "raw" || proto == "icmp") out += proto.front();
    }
    out += '>';
    if (!append_fd_name(fd, out)) {
        out.resize(start);
        return false;
    }
    return true;
}

bool append_fd_arg(std::int64_t fd_number, const Event& event, ArgForm form, std::string& out) {
    if (form == ArgForm::Display && append_fd_description(describe_fd(event), out)) return true;
    append_decimal(fd_number, out);
    return true;
}

bool append_endpoint_arg(const NetData& net, bool local, std::string& out) {
    if (net.family == AF_UNIX) return append_text(net.unix_path, out);
    const std::string& addr = local ? net.local_addr : net.remote_addr;
    if (addr.empty()) return false;
    out += addr;
    out += ':';
    append_unsigned(local ? net.local_port : net.remote_port, out);
    return true;
}

bool append_open_arg(const ArgSpec& arg, const OpenData& open, const Event& event, ArgForm form, std::string& out) {
    switch (arg.value) {
        case ResultFd: {
            if (open.ret >= 0) return append_fd_arg(open.ret, event, form, out);
            return append_result(open.ret, form, out);
        }
        case OpenDirfd:
            if (form == ArgForm::Display && open.dirfd == kAtFdcwd) {
                out += "AT_FDCWD";
                return true;
            }
            append_decimal(open.dirfd, out);
            return true;
        case OpenPath:
            return append_text(form == ArgForm::Display ? open.path : open.raw_path, out);
        case OpenFlags:
            return append_named(open.flags, &kOpenFlagNames, form, out);
        case OpenMode:
            append_octal(open.mode, out);
            return true;
        default:
            return false;
    }
}

bool append_file_op_arg(const ArgSpec& arg, const FileOpData& op, const Event& event, ArgForm form,
                        std::string& out) {
    switch (arg.value) {
        case ResultFd:
            if (op.ret >= 0) return append_fd_arg(op.ret, event, form, out);
            return append_result(op.ret, form, out);
        case FilePath:
            return append_text(op.path, out);
        case FilePath2:
            return append_text(op.path2, out);
        case FileFd:
            append_decimal(op.fd, out);
            return true;
        case FileFlags:
            return append_named(op.flags, arg.names, form, out);
        case FileMode:
            if (form == ArgForm::Display && arg.names && append_names(*arg.names, op.mode, out)) return true;
            append_octal(op.mode, out);
            return true;
        case FileUid:
            append_unsigned(op.uid, out);
            return true;
        case FileGid:
            append_unsigned(op.gid, out);
            return true;
        default:
            return false;
    }
}

bool append_net_arg(const ArgSpec& arg, const NetData& net, const Event& event, ArgForm form, std::string& out) {
    switch (arg.value) {
        case ResultFd:
            if (net.ret >= 0) return append_fd_arg(net.ret, event, form, out);
            return append_result(net.ret, form, out);
        case NetFd:
            return append_fd_arg(net.fd, event, form, out);
        case NetNewFd:
            if (net.ret < 0) return false;
            append_decimal(net.ret, out);
            return true;
        case NetTuple:
            return append_fd_name(describe_fd(event), out);
        case NetLocalAddr:
            return append_endpoint_arg(net, true, out);
        case NetRemoteAddr:
            return append_endpoint_arg(net, false, out);
        case NetBacklog:
            append_unsigned(net.backlog, out);
            return true;
        case NetFamily:
            return append_named(net.family, &kSocketFamilyNames, form, out);
        case NetSockType:
            append_unsigned(net.sock_type, out);
            return true;
        case NetProtocol:
            append_unsigned(net.protocol, out);
            return true;
        default:
            return false;
    }
}

// The kernel ignores a mount flags argument's upper half when it carries
// the historical magic number, and so does Falco's driver.
std::uint64_t effective_mount_flags(std::uint64_t flags) {
    constexpr std::uint64_t kMagicMask = 0xffff0000;
    constexpr std::uint64_t kMagicValue = 0xc0ed0000;
    return (flags & kMagicMask) == kMagicValue ? flags & ~kMagicMask : flags;
}

bool append_syscall_arg(const ArgSpec& arg, const SyscallData& syscall, const Event& event, ArgForm form,
                        std::string& out) {
    const std::uint64_t raw = arg.slot < std::size(syscall.args) ? syscall.args[arg.slot] : 0;
    switch (arg.value) {
        case ResultFd:
            return append_result(syscall.ret, form, out);
        case SysArgInt:
            append_decimal(static_cast<std::int32_t>(raw), out);
            return true;
        case SysArgSize:
            append_unsigned(raw, out);
            return true;
        case SysArgHex:
            append_hex(raw, out);
            return true;
        case SysArgNames:
            return append_named(static_cast<std::uint32_t>(raw), arg.names, form, out);
        case SysMountFlags:
            return append_named(effective_mount_flags(static_cast<std::uint32_t>(raw)), &kMountFlagNames, form, out);
        case SysArgUser:
            return append_id(static_cast<std::uint32_t>(raw), form, out,
                             [](std::uint32_t id) { return UserDb::host().user_name(id); });
        case SysArgGroup:
            return append_id(static_cast<std::uint32_t>(raw), form, out,
                             [](std::uint32_t id) { return UserDb::host().group_name(id); });
        case SysArgSignal:
            if (form == ArgForm::Display && append_signal_name(static_cast<std::int32_t>(raw), out)) return true;
            append_decimal(static_cast<std::int32_t>(raw), out);
            return true;
        case SysStr:
            return append_text(syscall.str, out);
        case SysStr2:
            return append_text(syscall.str2, out);
        case SysFileFd:
            return append_fd_arg(static_cast<std::int32_t>(raw), event, form, out);
        case SysCapEffective:
            append_hex(syscall.aux, out);
            return true;
        default:
            return false;
    }
}

bool append_process_arg(const ArgSpec& arg, const Process& process, ArgForm form, std::string& out) {
    switch (arg.value) {
        case ProcExe:
            return append_text(process.argv.empty() ? process.filename : process.argv.front(), out);
        case ProcArgs:
            for (std::size_t i = 1; i < process.argv.size(); ++i) {
                if (i > 1) out += ' ';
                out += process.argv[i];
            }
            return true;
        case ProcCwd:
            return append_text(process.cwd, out);
        case ProcComm:
            return append_text(process.comm, out);
        case ProcTty:
            append_unsigned(process.tty, out);
            return true;
        case ProcLoginuid:
            return append_id(process.creds.loginuid, form, out,
                             [](std::uint32_t id) { return UserDb::host().user_name(id); });
        case ProcExecFlags:
            return append_named(process.exec_flags, &kExecFlagNames, form, out);
        case ProcCapPermitted:
            append_hex(process.creds.cap_permitted, out);
            return true;
        case ProcCapEffective:
            append_hex(process.creds.cap_effective, out);
            return true;
        case ProcUid:
            return append_id(process.creds.euid, form, out,
                             [](std::uint32_t id) { return UserDb::host().user_name(id); });
        case ProcGid:
            append_unsigned(process.creds.egid, out);
            return true;
        case ProcExePath:
            return append_text(process.exe, out);
        case ProcFilename:
            return append_text(process.filename, out);
        case ProcParentPid:
            append_unsigned(process.ppid, out);
            return true;
        default:
            return false;
    }
}

bool append_exit_arg(const ArgSpec& arg, const ExitData& exit, ArgForm form, std::string& out) {
    switch (arg.value) {
        case ExitStatus:
            append_decimal(exit.status, out);
            return true;
        case ExitCode:
            append_decimal(exit.code(), out);
            return true;
        case ExitSignal:
            if (form == ArgForm::Display && append_signal_name(exit.signal(), out)) return true;
            append_decimal(exit.signal(), out);
            return true;
        case ExitCore:
            append_decimal((exit.status & 0x80) ? 1 : 0, out);
            return true;
        default:
            return false;
    }
}

}  // namespace

std::span<const ArgSpec> event_args(const Event& event) {
    if (payload<ExecData>(event)) return kExecveArgs;
    if (payload<ForkData>(event)) return kCloneArgs;
    if (payload<ExitData>(event)) return kProcexitArgs;
    const auto nr = syscall_number(event);
    if (!nr || *nr >= PL_SYSCALL_MAX) return {};
    return schemas_by_syscall()[*nr];
}

std::string_view arg_name(const ArgSpec& arg) { return arg.name; }

const ArgSpec* find_arg(std::span<const ArgSpec> args, std::string_view name) {
    for (const ArgSpec& arg : args)
        if (name == arg.name) return &arg;
    return nullptr;
}

const ArgSpec* arg_at(std::span<const ArgSpec> args, std::int64_t position) {
    if (position < 0 || static_cast<std::size_t>(position) >= args.size()) return nullptr;
    return &args[static_cast<std::size_t>(position)];
}

bool is_known_arg_name(std::string_view name) {
    for (const ArgSchema& schema : kSchemas)
        if (find_arg(schema.args, name)) return true;
    return false;
}

bool append_arg(const ArgSpec& arg, const EvalContext& ctx, ArgForm form, std::string& out) {
    const Event& event = ctx.event;
    switch (arg.value) {
        case Missing:
            return false;
        case Result: {
            const auto result = event_result(event);
            return result && append_result(*result, form, out);
        }
        case EventTid:
            append_unsigned(event.tid, out);
            return true;
        case EventPid:
            append_unsigned(event.tgid, out);
            return true;
        default:
            break;
    }
    if (const auto* open = payload<OpenData>(event)) return append_open_arg(arg, *open, event, form, out);
    if (const auto* op = payload<FileOpData>(event)) return append_file_op_arg(arg, *op, event, form, out);
    if (const auto* net = payload<NetData>(event)) return append_net_arg(arg, *net, event, form, out);
    if (const auto* syscall = payload<SyscallData>(event)) return append_syscall_arg(arg, *syscall, event, form, out);
    if (const auto* exit = payload<ExitData>(event)) return append_exit_arg(arg, *exit, form, out);
    if (ctx.process) return append_process_arg(arg, *ctx.process, form, out);
    return false;
}

void append_all_args(const EvalContext& ctx, std::string& out, std::string& spare) {
    for (const ArgSpec& arg : event_args(ctx.event)) {
        const std::size_t start = out.size();
        if (start != 0) out += ' ';
        out += arg.name;
        out += '=';
        const std::size_t raw_start = out.size();
        if (!append_arg(arg, ctx, ArgForm::Raw, out)) {
            out.resize(start);
            continue;
        }
        spare.clear();
        if (append_arg(arg, ctx, ArgForm::Display, spare) && std::string_view(out).substr(raw_start) != spare) {
            out += '(';
            out += spare;
            out += ')';
        }
    }
}

void prepare_arg_rendering() {
    UserDb::host();
    schemas_by_syscall();
}

}  // namespace palisade::rules::fields
