#include "policy/hook_resolution.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace palisade::policy {
namespace {

struct SyscallNumber {
    const char* name;
    std::uint32_t nr;
};
constexpr SyscallNumber kSyscalls[] = {
#include "policy/syscall_numbers_x86_64.inc"
};

// Syscalls whose string argument is a file path, and the directory fd a
// relative one is resolved against (none = the cwd).
struct PathArg {
    const char* syscall;
    std::uint8_t path_arg;
    std::uint8_t dirfd_arg;
};
constexpr PathArg kPathArgs[] = {
    {"execve", 0, PL_POL_NO_ARG},   {"execveat", 1, 0},       {"open", 0, PL_POL_NO_ARG},
    {"openat", 1, 0},               {"openat2", 1, 0},        {"creat", 0, PL_POL_NO_ARG},
    {"unlink", 0, PL_POL_NO_ARG},   {"unlinkat", 1, 0},       {"mkdir", 0, PL_POL_NO_ARG},
    {"mkdirat", 1, 0},              {"rmdir", 0, PL_POL_NO_ARG}, {"rename", 0, PL_POL_NO_ARG},
    {"renameat", 1, 0},             {"renameat2", 1, 0},      {"chmod", 0, PL_POL_NO_ARG},
    {"fchmodat", 1, 0},             {"chown", 0, PL_POL_NO_ARG}, {"lchown", 0, PL_POL_NO_ARG},
    {"fchownat", 1, 0},             {"link", 0, PL_POL_NO_ARG}, {"linkat", 1, 0},
    {"symlink", 1, PL_POL_NO_ARG},  {"symlinkat", 2, 1},      {"truncate", 0, PL_POL_NO_ARG},
    {"chdir", 0, PL_POL_NO_ARG},    {"chroot", 0, PL_POL_NO_ARG}, {"mknod", 0, PL_POL_NO_ARG},
    {"mknodat", 1, 0},              {"utimensat", 1, 0},      {"faccessat", 1, 0},
    {"access", 0, PL_POL_NO_ARG},   {"stat", 0, PL_POL_NO_ARG}, {"lstat", 0, PL_POL_NO_ARG},
    {"newfstatat", 1, 0},           {"statx", 1, 0},          {"readlink", 0, PL_POL_NO_ARG},
    {"readlinkat", 1, 0},           {"setxattr", 0, PL_POL_NO_ARG}, {"removexattr", 0, PL_POL_NO_ARG},
};

const PathArg* path_arg_of(std::string_view syscall)
{
    for (const auto& p : kPathArgs)
        if (syscall == p.syscall)
            return &p;
    return nullptr;
}

std::string_view strip_syscall_prefix(std::string_view name)
{
    for (std::string_view prefix : {"__x64_sys_", "__arm64_sys_", "__se_sys_", "sys_"})
        if (name.starts_with(prefix))
            return name.substr(prefix.size());
    return name;
}

bool is_int_type(ArgType t) { return t == ArgType::Int || t == ArgType::Fd || t == ArgType::Nop; }

bool is_32bit(const Arg& arg)
{
    const std::string& n = arg.type_name;
    return arg.type == ArgType::Fd || n == "int" || n == "int32" || n == "uint32" || n == "uint" || n == "s32" ||
           n == "u32";
}

bool is_unsigned(const Arg& arg)
{
    const std::string& n = arg.type_name;
    return arg.type != ArgType::Fd && ((!n.empty() && n[0] == 'u') || n == "size_t");
}

ArgBinding unavailable(std::string reason)
{
    ArgBinding b;
    b.unavailable_reason = std::move(reason);
    return b;
}

// Binds a syscall's declared arguments at its entry.
void bind_syscall_args(const Hook& hook, std::string_view syscall, HookResolution& out, HookTarget& target)
{
    const PathArg* path = path_arg_of(syscall);
    for (const Arg& arg : hook.args) {
        if (arg.index < 0 || arg.index > 5) {
            out.args.push_back(unavailable(fmt::format("syscalls have arguments 0 to 5, not {}", arg.index)));
        } else if (arg.type == ArgType::String) {
            if (target.str_arg != PL_POL_NO_ARG && target.str_arg != arg.index) {
                out.args.push_back(unavailable("only one string argument per hook is matched in the kernel"));
                continue;
            }
            target.str_arg = static_cast<std::uint8_t>(arg.index);
            if (path && path->path_arg == arg.index) {
                target.str_is_path = true;
                target.dirfd_arg = path->dirfd_arg;
            }
            out.args.push_back({.source = ArgSource::String});
        } else if (is_int_type(arg.type)) {
            out.args.push_back({.source = ArgSource::SyscallInt, .syscall_arg = arg.index, .is32 = is_32bit(arg),
                                .is_unsigned = is_unsigned(arg), .is_fd = arg.type == ArgType::Fd});
        } else {
            out.args.push_back(unavailable(fmt::format("a '{}' argument of {} is not read at syscall entry",
                                                       arg.type_name, syscall)));
        }
    }
}

// The socket syscalls whose sockaddr the cgroup hooks see before anything is sent.
std::optional<std::uint32_t> socket_hook_of(std::string_view syscall)
{
    if (syscall == "connect")
        return PL_HOOK_CONNECT;
    if (syscall == "bind")
        return PL_HOOK_BIND;
    if (syscall == "sendto" || syscall == "sendmsg")
        return PL_HOOK_SENDMSG;
    return std::nullopt;
}

void bind_socket_args(const Hook& hook, HookResolution& out)
{
    for (const Arg& arg : hook.args) {
        if (arg.type == ArgType::Sockaddr || arg.type == ArgType::Sock)
            out.args.push_back({.source = ArgSource::Socket});
        else
            out.args.push_back(unavailable(fmt::format(
                "a '{}' argument is not known where the socket hook runs (only the address is)", arg.type_name)));
    }
}

// File and exec kernel functions, served by the syscalls that reach them.
HookResolution file_open_substitute(const Hook& hook, std::string_view what)
{
    HookResolution out;
    out.is_substitute = true;
    out.note = fmt::format(
        "{} is served at the entry of open, openat, openat2 and creat on the path as the caller wrote it, made "
        "absolute (symlinks are not followed); Override becomes a SIGKILL before the open runs",
        what);
    for (const char* sc : {"open", "openat", "openat2", "creat"}) {
        auto nr = syscall_number(sc);
        if (!nr)
            continue;
        const PathArg* p = path_arg_of(sc);
        out.targets.push_back({.id = *nr, .str_arg = p->path_arg, .dirfd_arg = p->dirfd_arg, .str_is_path = true});
    }
    for (const Arg& arg : hook.args) {
        if (arg.type == ArgType::File)
            out.args.push_back({.source = ArgSource::String});
        else
            out.args.push_back(unavailable(
                fmt::format("a '{}' argument of {} is not known before the open runs", arg.type_name, what)));
    }
    return out;
}

HookResolution exec_substitute(const Hook& hook, std::string_view what)
{
    HookResolution out;
    out.is_substitute = true;
    out.note = fmt::format(
        "{} is served at the entry of execve and execveat on the file name as the caller wrote it, made absolute; "
        "a SIGKILL there stops the program before its first instruction; Override becomes that SIGKILL",
        what);
    for (const char* sc : {"execve", "execveat"}) {
        const PathArg* p = path_arg_of(sc);
        out.targets.push_back(
            {.id = *syscall_number(sc), .str_arg = p->path_arg, .dirfd_arg = p->dirfd_arg, .str_is_path = true});
    }
    for (const Arg& arg : hook.args) {
        if (arg.type == ArgType::LinuxBinprm || arg.type == ArgType::File || arg.type == ArgType::String)
            out.args.push_back({.source = ArgSource::String});
        else
            out.args.push_back(unavailable(fmt::format("a '{}' argument of {} is not read", arg.type_name, what)));
    }
    return out;
}

// What Sigkill and Signal do at the cgroup socket hooks: before 6.13 cgroup
// programs cannot send signals, so there Sigkill only refuses the call.
std::string_view cgroup_kill_note(const KernelCaps& caps)
{
    return caps.cgroup_signal ? "; Sigkill also kills the caller"
                              : "; the caller lives: this kernel's cgroup programs cannot send signals, so Sigkill "
                                "does not kill it and Signal sends nothing";
}

HookResolution connect_substitute(const Hook& hook, std::string_view what, const KernelCaps& caps)
{
    HookResolution out;
    out.is_substitute = true;
    out.note = fmt::format(
        "{} is served by the cgroup connect4/connect6 hooks, which run inside connect() before any packet "
        "leaves: Override and Sigkill refuse the call with EPERM{}",
        what, cgroup_kill_note(caps));
    out.targets.push_back({.id = PL_HOOK_CONNECT});
    bind_socket_args(hook, out);
    return out;
}

// Binds a kernel function's or LSM hook's arguments by their declared types:
// integers from the registers, one string (a path, for files) and one socket.
HookResolution bind_kernel_args(const Hook& hook, HookTarget target, std::string_view what)
{
    HookResolution out;
    out.in_kernel = true;
    auto pointer_arg = [&](std::uint8_t& slot, const Arg& arg, const char* role) -> std::optional<ArgBinding> {
        if (slot != PL_POL_NO_ARG && slot != arg.index)
            return unavailable(fmt::format("only one {} argument per hook is matched in the kernel", role));
        slot = static_cast<std::uint8_t>(arg.index);
        return std::nullopt;
    };
    for (const Arg& arg : hook.args) {
        if (arg.index < 0 || arg.index > 5) {
            out.args.push_back(unavailable(fmt::format("{}: arguments 0 to 5 are read, not {}", what, arg.index)));
            continue;
        }
        const std::string& t = arg.type_name;
        std::uint8_t str_kind = PL_STR_USER;
        std::uint8_t sock_kind = PL_SOCK_NONE;
        if (arg.type == ArgType::File && t != "dentry")
            str_kind = t == "path" ? PL_STR_PATH : PL_STR_FILE;
        else if (arg.type == ArgType::LinuxBinprm)
            str_kind = PL_STR_BPRM;
        else if (arg.type == ArgType::String)
            str_kind = PL_STR_KERNEL;
        else if (arg.type == ArgType::NetDev)
            str_kind = PL_STR_NETDEV;
        else if (arg.type == ArgType::Sock)
            sock_kind = t == "socket" ? PL_SOCK_SOCKET : PL_SOCK_SOCK;
        if (str_kind != PL_STR_USER) {
            if (auto clash = pointer_arg(target.str_arg, arg, "string or file")) {
                out.args.push_back(*clash);
                continue;
            }
            target.str_kind = str_kind;
            out.args.push_back({.source = ArgSource::String});
        } else if (arg.type == ArgType::Sockaddr) {
            if (auto clash = pointer_arg(target.sockaddr_arg, arg, "sockaddr")) {
                out.args.push_back(*clash);
                continue;
            }
            out.args.push_back({.source = ArgSource::Socket});
        } else if (sock_kind != PL_SOCK_NONE) {
            if (auto clash = pointer_arg(target.sock_arg, arg, "socket")) {
                out.args.push_back(*clash);
                continue;
            }
            target.sock_kind = sock_kind;
            out.args.push_back({.source = ArgSource::Socket});
        } else if (arg.type == ArgType::Skb) {
            if (auto clash = pointer_arg(target.skb_arg, arg, "skb")) {
                out.args.push_back(*clash);
                continue;
            }
            out.args.push_back({.source = ArgSource::Socket, .is_skb = true});
        } else if (arg.type == ArgType::Cred) {
            if (auto clash = pointer_arg(target.cred_arg, arg, "cred")) {
                out.args.push_back(*clash);
                continue;
            }
            out.args.push_back({.source = ArgSource::Cred});
        } else if (arg.type == ArgType::CapSet) {
            // Tetragon reads the kernel_cap_t the argument points to: a 64-bit set, compared unsigned.
            target.cap_args |= static_cast<std::uint8_t>(1u << arg.index);
            out.args.push_back(
                {.source = ArgSource::SyscallInt, .syscall_arg = arg.index, .is_unsigned = true, .is_cap_set = true});
        } else if (is_int_type(arg.type)) {
            out.args.push_back({.source = ArgSource::SyscallInt, .syscall_arg = arg.index, .is32 = is_32bit(arg)});
        } else {
            out.args.push_back(unavailable(fmt::format("a '{}' argument of {} is not read in the kernel yet", t, what)));
        }
    }
    // A packet's addresses fill the values the socket matchers see: with an
    // skb in the hook, a sock or sockaddr beside it is not what is matched.
    if (target.skb_arg != PL_POL_NO_ARG)
        for (std::size_t i = 0; i < hook.args.size(); ++i)
            if (out.args[i].source == ArgSource::Socket && !out.args[i].is_skb)
                out.args[i] = unavailable(fmt::format(
                    "{}: the skb argument (index {}) is the one whose addresses, ports and protocol are matched; "
                    "match those on the skb",
                    what, target.skb_arg));
    out.targets.push_back(std::move(target));
    return out;
}

bool has_override(const Hook& hook)
{
    for (const Selector& sel : hook.selectors)
        for (const Action& a : sel.actions)
            if (a.kind == ActionKind::Override)
                return true;
    return false;
}

std::optional<KernelFunctionInfo> function_info(const KernelCaps& caps, std::string_view function)
{
    return caps.kernel_function ? caps.kernel_function(function) : std::nullopt;
}

// Why Override cannot make `function` fail on this kernel; empty when it can.
std::string override_blocker(const KernelCaps& caps, std::string_view function)
{
    if (!caps.kprobes)
        return "the kernel has no kprobes";
    if (!caps.kprobe_override)
        return "the kernel has no bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE)";
    auto info = function_info(caps, function);
    if (!info)
        return fmt::format("{} is not a function of this kernel", function);
    if (!info->error_injectable)
        return fmt::format("{} is not on the kernel's error-injection list", function);
    return {};
}

// Why an fmod_ret program cannot override `function`; empty when it can. The
// kernel allows it on security_* functions and the error-injection list.
std::string fmod_ret_blocker(const KernelCaps& caps, const std::optional<KernelFunctionInfo>& info,
                             std::string_view function)
{
    if (!caps.fmod_ret)
        return "the kernel has no fmod_ret programs";
    if (!info || !info->in_btf)
        return fmt::format("{} is not in the kernel's BTF", function);
    if (!info->fentry_args)
        return "an argument or its result does not fit a register";
    if (!function.starts_with("security_") && !info->error_injectable)
        return fmt::format("{} is neither a security_* function nor on the error-injection list", function);
    return {};
}

// A kernel function, where the kernel can probe it: fentry/fexit where its
// BTF types the arguments, a kprobe where Override can fail it or fentry
// cannot serve; nullopt when neither can.
std::optional<HookResolution> kernel_function_hook(const Hook& hook, const KernelCaps& caps)
{
    const bool ret = hook.is_return || hook.return_arg;
    const auto info = function_info(caps, hook.call);
    std::vector<std::string> notes;
    std::string override_fallback;
    KernelMechanism mechanism = KernelMechanism::Kprobe;
    bool chosen = false;
    if (has_override(hook) && !ret) {
        if (std::string blocker = override_blocker(caps, hook.call); blocker.empty()) {
            mechanism = KernelMechanism::KprobeOverride;
            chosen = true;
            notes.push_back(fmt::format("Override makes {} return the policy's errno before it runs (a kprobe with "
                                        "bpf_override_return: the function is on the error-injection list)",
                                        hook.call));
        } else if (std::string fmod_blocker = fmod_ret_blocker(caps, info, hook.call); fmod_blocker.empty()) {
            mechanism = KernelMechanism::FmodRet;
            chosen = true;
            notes.push_back(fmt::format("Override makes {} return the policy's errno without running it (fmod_ret)",
                                        hook.call));
        } else {
            override_fallback =
                fmt::format("Override cannot make {} fail: kprobe override: {}; fmod_ret: {}; the caller is killed in "
                            "the function instead",
                            hook.call, blocker, fmod_blocker);
        }
    }
    if (!chosen && caps.fentry && info && info->in_btf && info->fentry_args) {
        mechanism = KernelMechanism::Fentry;
        chosen = true;
        if (ret)
            notes.push_back(fmt::format("{} is served by fexit: its arguments are read when it returns", hook.call));
    }
    if (!chosen) {
        if (!caps.kprobes)
            return std::nullopt;
        if (caps.fentry)
            notes.push_back(fmt::format("{} is served by a kprobe, not fentry: {}", hook.call,
                                        !info || !info->in_btf ? "it is not in the kernel's BTF"
                                                               : "an argument or its result does not fit a register"));
    }
    HookTarget target{.id = PL_HOOK_KPROBE_FIRST, .kernel_function = hook.call, .kernel_return = ret,
                      .mechanism = mechanism};
    HookResolution out = bind_kernel_args(hook, std::move(target), hook.call);
    if (ret) {
        // The arguments are read at entry (fexit: at return) and matched with the result at return.
        ArgBinding result{.source = ArgSource::SyscallInt, .syscall_arg = 6, .is32 = true};
        if (hook.return_arg)
            result.is32 = is_32bit(*hook.return_arg);
        out.return_binding = result;
    }
    out.note = fmt::format("{}", fmt::join(notes, "; "));
    out.override_fallback = std::move(override_fallback);
    return out;
}

// The BPF LSM programs Palisade carries, by hook name.
std::optional<std::uint32_t> lsm_program_of(std::string_view hook)
{
    if (hook == "file_open")
        return PL_HOOK_LSM_FILE_OPEN;
    if (hook == "bprm_check_security")
        return PL_HOOK_LSM_BPRM_CHECK;
    if (hook == "socket_connect")
        return PL_HOOK_LSM_SOCKET_CONNECT;
    return std::nullopt;
}

HookResolution needs(const char* feature, const Hook& hook)
{
    HookResolution out;
    out.support = Support::NeedsKernel;
    const char* what = hook.kind == HookKind::Lsm      ? "LSM hook"
                       : hook.kind == HookKind::Uprobe ? "uprobe on"
                       : hook.kind == HookKind::Usdt   ? "USDT probe in"
                                                       : "kernel function";
    out.reason = fmt::format("{} '{}' needs {}, which this kernel lacks, and has no syscall-level equivalent", what,
                             hook.call, feature);
    return out;
}

HookResolution unsupported(std::string reason)
{
    HookResolution out;
    out.support = Support::Unsupported;
    out.reason = std::move(reason);
    return out;
}

// A `syscall: true` kprobe with Override, where the kernel can override:
// served as Tetragon does, by a kprobe on the syscall's __x64_sys_* function
// that returns the errno, so the syscall never runs. The reason when not.
std::variant<HookResolution, std::string> syscall_override_kprobe(const Hook& hook, const KernelCaps& caps)
{
    if (hook.is_return || hook.return_arg)
        return std::string("Override at a syscall's return cannot stop it");
    if (!hook.list_type.empty() && hook.list_type != "syscalls")
        return fmt::format("lists of type '{}' are served at syscall entry", hook.list_type);
    HookResolution out;
    out.in_kernel = true;
    std::vector<std::string> functions;
    for (const auto& call : hook.list_calls.empty() ? std::vector<std::string>{hook.call} : hook.list_calls) {
        const std::string_view name = strip_syscall_prefix(call);
        if (!syscall_number(name))
            return fmt::format("'{}' is not a syscall of this architecture", call);
        const bool socket_args = std::any_of(hook.args.begin(), hook.args.end(), [](const Arg& a) {
            return a.type == ArgType::Sockaddr || a.type == ArgType::Sock;
        });
        if (socket_hook_of(name) && socket_args)
            return std::string("socket syscalls are refused by the cgroup socket hooks");
        const std::string function = fmt::format("__x64_sys_{}", name);
        if (std::string blocker = override_blocker(caps, function); !blocker.empty())
            return blocker;
        HookTarget target{.id = PL_HOOK_KPROBE_FIRST, .kernel_function = function,
                          .mechanism = KernelMechanism::KprobeOverride, .syscall_regs = true};
        out.args.clear();
        bind_syscall_args(hook, name, out, target);
        out.targets.push_back(std::move(target));
        functions.push_back(function);
    }
    out.note = fmt::format(
        "served by a kprobe on {}: Override returns the policy's errno and the syscall never runs; string "
        "arguments are matched as the caller wrote them",
        fmt::join(functions, ", "));
    return out;
}

HookResolution resolve_syscall_kprobe(const Hook& hook, const KernelCaps& caps)
{
    HookResolution out;
    std::vector<std::string> calls = hook.list_calls.empty() ? std::vector<std::string>{hook.call} : hook.list_calls;
    if (hook.list_type == "generated_syscalls") {
        calls.clear();  // every syscall of this architecture
        for (const auto& s : kSyscalls)
            calls.emplace_back(s.name);
    }
    std::vector<std::string> compat;
    for (const auto& call : calls) {
        if (std::string_view(call).starts_with("__ia32_") || std::string_view(call).starts_with("__x32_")) {
            compat.push_back(call);  // the 64-bit entry of the same list is served
            continue;
        }
        std::string_view name = strip_syscall_prefix(call);
        auto nr = syscall_number(name);
        if (!nr)
            return unsupported(fmt::format("'{}' is not a syscall of this architecture", call));
        bool has_socket_arg = std::any_of(hook.args.begin(), hook.args.end(), [](const Arg& a) {
            return a.type == ArgType::Sockaddr || a.type == ArgType::Sock;
        });
        if (auto socket_hook = socket_hook_of(name); socket_hook && has_socket_arg) {
            if (calls.size() > 1)
                return unsupported("a list mixing socket syscalls with others is not served");
            out.targets.push_back({.id = *socket_hook});
            out.note = fmt::format(
                "sys_{} with a socket address is served by the cgroup socket hooks (IPv4 and IPv6), which run "
                "before any packet leaves: Override and Sigkill refuse the call with EPERM{}",
                name, cgroup_kill_note(caps));
            bind_socket_args(hook, out);
            return out;
        }
        HookTarget target{.id = *nr};
        out.args.clear();
        bind_syscall_args(hook, name, out, target);
        out.targets.push_back(target);
    }
    if (out.targets.empty())
        return unsupported(fmt::format("'{}': 32-bit compat syscalls are not watched", hook.call));
    if (!compat.empty())
        out.note = fmt::format("32-bit compat syscalls are not watched: {} left out", fmt::join(compat, ", "));
    return out;
}

// A return probe on a syscall: served at sys_exit, where the arguments are
// still in the saved registers and the result is known.
HookResolution syscall_return_probe(const Hook& hook, HookResolution out)
{
    for (auto& target : out.targets) {
        if (target.id >= PL_SYSCALL_MAX)
            return unsupported("return probes on socket hooks are not served yet");
        target.id += PL_HOOK_EXIT_FIRST;
    }
    ArgBinding ret{.source = ArgSource::SyscallInt, .syscall_arg = 6, .is32 = true};
    if (hook.return_arg) {
        ret.is32 = is_32bit(*hook.return_arg);
        ret.is_unsigned = is_unsigned(*hook.return_arg);
    }
    out.return_binding = ret;
    return out;
}

HookResolution resolve_tracepoint(const Hook& hook)
{
    HookResolution out;
    if (hook.call == "raw_syscalls/sys_enter") {
        // Fields: 4 = the syscall id, 5 = the argument array.
        for (std::size_t i = 0; i < hook.args.size(); ++i) {
            if (hook.args[i].index == 4) {
                out.syscall_id_arg = static_cast<int>(i);
                out.args.push_back({.source = ArgSource::SyscallNr});
            } else {
                out.args.push_back(unavailable("raw_syscalls/sys_enter: only the syscall id (index 4) is matched"));
            }
        }
        return out;  // targets chosen per selector from the id values
    }
    if (hook.call.starts_with("syscalls/sys_enter_")) {
        std::string name = hook.call.substr(std::string_view("syscalls/sys_enter_").size());
        auto nr = syscall_number(name);
        if (!nr)
            return unsupported(fmt::format("tracepoint '{}' names no syscall of this architecture", hook.call));
        // Fields: 0-3 common, 4 = __syscall_nr, 5.. = the arguments.
        Hook shifted = hook;
        for (auto& arg : shifted.args)
            arg.index -= 5;
        HookTarget target{.id = *nr};
        bind_syscall_args(shifted, name, out, target);
        out.targets.push_back(target);
        return out;
    }
    if (hook.call == "sched/sched_process_exec") {
        // Served where the sensor sees every exec: the new image, resolved, before it runs.
        out.targets.push_back({.id = PL_HOOK_EXEC});
        for (const Arg& arg : hook.args) {
            if (arg.type == ArgType::LinuxBinprm || arg.type == ArgType::String || arg.type == ArgType::File)
                out.args.push_back({.source = ArgSource::String});
            else
                out.args.push_back(unavailable(fmt::format(
                    "sched_process_exec: only the binary (linux_binprm, file or string) is matched, not '{}'",
                    arg.type_name)));
        }
        return out;
    }
    return unsupported(fmt::format(
        "tracepoint '{}': Palisade serves the syscall tracepoints (raw_syscalls/sys_enter, syscalls/sys_enter_*) "
        "and not yet other tracepoints",
        hook.call));
}

HookResolution resolve_hook_kind(const Hook& hook, const KernelCaps& caps);

}  // namespace

const char* mechanism_name(KernelMechanism m, bool with_return)
{
    switch (m) {
    case KernelMechanism::Fentry: return with_return ? "fexit" : "fentry";
    case KernelMechanism::KprobeOverride: return "kprobe+override";
    case KernelMechanism::FmodRet: return "fmod_ret";
    case KernelMechanism::Kprobe: break;
    }
    return with_return ? "kprobe+kretprobe" : "kprobe";
}

std::optional<std::uint32_t> syscall_number(std::string_view name)
{
    name = strip_syscall_prefix(name);
    for (const auto& s : kSyscalls)
        if (name == s.name)
            return s.nr;
    return std::nullopt;
}

std::string_view syscall_name_of(std::uint32_t nr)
{
    for (const auto& s : kSyscalls)
        if (s.nr == nr)
            return s.name;
    return {};
}

std::string hook_display_name(std::uint32_t id)
{
    switch (id) {
    case PL_HOOK_CONNECT: return "cgroup/connect";
    case PL_HOOK_EXEC: return "sched/sched_process_exec";
    }
    if (id >= PL_HOOK_EXIT_FIRST && id < PL_HOOK_MAX)
        return hook_display_name(id - PL_HOOK_EXIT_FIRST) + " (return)";
    switch (id) {
    case PL_HOOK_LSM_FILE_OPEN: return "lsm/file_open";
    case PL_HOOK_LSM_BPRM_CHECK: return "lsm/bprm_check_security";
    case PL_HOOK_LSM_SOCKET_CONNECT: return "lsm/socket_connect";
    }
    if (id >= PL_HOOK_KPROBE_FIRST && id < PL_HOOK_LSM_FIRST)
        return fmt::format("kprobe#{}", id - PL_HOOK_KPROBE_FIRST);
    if (id >= PL_HOOK_UPROBE_FIRST && id < PL_HOOK_KPROBE_FIRST)
        return fmt::format("uprobe#{}", id - PL_HOOK_UPROBE_FIRST);
    switch (id) {
    case PL_HOOK_SENDMSG: return "cgroup/sendmsg";
    case PL_HOOK_BIND: return "cgroup/bind";
    }
    auto name = syscall_name_of(id);
    return name.empty() ? fmt::format("syscall_{}", id) : fmt::format("sys_{}", name);
}

int HookResolution::position_of(int match_index) const
{
    if (match_by_position)
        return match_index >= 0 && static_cast<std::size_t>(match_index) < args.size() ? match_index : -1;
    for (std::size_t i = 0; i < declared_index.size() && i < args.size(); ++i)
        if (declared_index[i] == match_index)
            return static_cast<int>(i);
    return -1;
}

HookResolution resolve_hook(const Hook& hook, const KernelCaps& caps)
{
    HookResolution out = resolve_hook_kind(hook, caps);
    out.match_by_position = hook.kind == HookKind::Tracepoint;
    for (const Arg& arg : hook.args)
        out.declared_index.push_back(arg.index);
    return out;
}

namespace {
HookResolution resolve_hook_kind(const Hook& hook, const KernelCaps& caps)
{
    switch (hook.kind) {
    case HookKind::Usdt:
    case HookKind::Uprobe: {
        if (!caps.uprobes)
            return needs("uprobes", hook);
        if (hook.list_calls.empty())
            return unsupported("a uprobe needs at least one symbol");
        // One hook point per symbol (a USDT is one); the compiler numbers them
        // across policies. A USDT's arguments are its probe's operands.
        HookResolution out;
        HookTarget target{.id = PL_HOOK_UPROBE_FIRST};
        bind_syscall_args(hook, "", out, target);
        for (std::size_t i = 0; i < hook.list_calls.size(); ++i) {
            out.targets.push_back(target);
            out.targets.back().id = PL_HOOK_UPROBE_FIRST + static_cast<std::uint32_t>(i);
        }
        return out;
    }
    case HookKind::Tracepoint:
        return resolve_tracepoint(hook);
    case HookKind::Kprobe:
        if (hook.list_type == "generated_ftrace")
            return caps.kprobes ? unsupported("generated_ftrace lists (kernel functions by pattern) are not served yet")
                                : needs("kprobes", hook);
        if ((caps.kprobes || caps.fentry) && hook.list_calls.empty() && !hook.call.starts_with("__x64_sys_") &&
            !hook.call.starts_with("sys_") && !syscall_number(hook.call))
            if (auto served = kernel_function_hook(hook, caps))
                return std::move(*served);
        // Tetragon's `syscall` defaults to true: known kernel functions are recognised first.
        if (hook.call == "fd_install" || hook.call == "security_file_open")
            return file_open_substitute(hook, hook.call);
        if (hook.call == "security_bprm_check")
            return exec_substitute(hook, hook.call);
        if (hook.call == "tcp_connect" || hook.call == "security_socket_connect")
            return connect_substitute(hook, hook.call, caps);
        if (!hook.syscall && !hook.call.starts_with("__x64_sys_") && !hook.call.starts_with("sys_") &&
            !caps.kprobes)
            return needs("kprobes", hook);
        if (hook.syscall || hook.call.starts_with("__x64_sys_") || hook.call.starts_with("sys_")) {
            std::string override_blocker;
            if (has_override(hook)) {
                auto served = syscall_override_kprobe(hook, caps);
                if (auto* res = std::get_if<HookResolution>(&served))
                    return std::move(*res);
                override_blocker = std::get<std::string>(served);
            }
            HookResolution out = resolve_syscall_kprobe(hook, caps);
            if (!override_blocker.empty())
                out.override_fallback = fmt::format(
                    "Override cannot make the syscall fail ({}): the caller is killed at syscall entry instead",
                    override_blocker);
            if (out.support != Support::Loads || !(hook.is_return || hook.return_arg))
                return out;
            return syscall_return_probe(hook, std::move(out));
        }
        if (hook.is_return || hook.return_arg)
            return unsupported("return probes on kernel functions are not served yet");
        return unsupported(fmt::format("kprobes on kernel function '{}' are not served yet", hook.call));
    case HookKind::Lsm:
        if (auto program = lsm_program_of(hook.call); program && caps.bpf_lsm)
            return bind_kernel_args(hook, HookTarget{.id = *program}, "lsm/" + hook.call);
        if (hook.call == "file_open")
            return file_open_substitute(hook, "lsm/file_open");
        if (hook.call == "bprm_check_security")
            return exec_substitute(hook, "lsm/bprm_check_security");
        if (hook.call == "socket_connect")
            return connect_substitute(hook, "lsm/socket_connect", caps);
        if (!caps.bpf_lsm)
            return needs("BPF LSM", hook);
        return unsupported(fmt::format(
            "LSM hook '{}' is not served yet (BPF LSM programs: file_open, bprm_check_security, socket_connect)",
            hook.call));
    }
    return unsupported("unknown hook kind");
}
}  // namespace

}  // namespace palisade::policy
