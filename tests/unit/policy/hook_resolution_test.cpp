// How each hook a policy names is served: hook points, argument sources,
// and what is refused on which kernel.
#include <set>

#include <gtest/gtest.h>

#include "policy/hook_resolution.h"
#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using test::Lines;
using namespace test;  // syscall numbers

Arg arg(int index, ArgType type, const std::string& type_name)
{
    Arg a;
    a.index = index;
    a.type = type;
    a.type_name = type_name;
    return a;
}

Hook hook(HookKind kind, const std::string& call, std::vector<Arg> args = {}, bool syscall = true)
{
    Hook h;
    h.kind = kind;
    h.call = call;
    h.args = std::move(args);
    h.syscall = syscall;
    return h;
}

Hook kprobe(const std::string& call, std::vector<Arg> args = {}, bool syscall = true)
{
    return hook(HookKind::Kprobe, call, std::move(args), syscall);
}

// "id str_arg dirfd_arg path|-" per target
Lines targets(const HookResolution& r)
{
    Lines out;
    auto arg_text = [](std::uint8_t a) { return a == PL_POL_NO_ARG ? std::string("none") : std::to_string(a); };
    for (const HookTarget& t : r.targets)
        out.push_back(hook_display_name(t.id) + " str=" + arg_text(t.str_arg) + " dirfd=" + arg_text(t.dirfd_arg) +
                      (t.str_is_path ? " path" : ""));
    return out;
}

// "string", "int N", "int32 N", "nr", "socket" or "unavailable: reason" per declared argument
Lines bindings(const HookResolution& r)
{
    Lines out;
    for (const ArgBinding& b : r.args) {
        switch (b.source) {
        case ArgSource::String: out.push_back("string"); break;
        case ArgSource::SyscallInt:
            out.push_back((b.is32 ? "int32 " : "int ") + std::to_string(b.syscall_arg));
            break;
        case ArgSource::SyscallNr: out.push_back("nr"); break;
        case ArgSource::Socket: out.push_back(b.is_skb ? "skb" : "socket"); break;
        case ArgSource::Cred: out.push_back("cred"); break;
        case ArgSource::Unavailable: out.push_back("unavailable: " + b.unavailable_reason); break;
        }
    }
    return out;
}

const Lines kOpenTargets{"sys_open str=0 dirfd=none path", "sys_openat str=1 dirfd=0 path",
                         "sys_openat2 str=1 dirfd=0 path", "sys_creat str=0 dirfd=none path"};

TEST(PolicyHookResolution, FileOpenIsServedByTheOpenSyscalls)
{
    const std::vector<Arg> args{arg(0, ArgType::Int, "int"), arg(1, ArgType::File, "file")};
    // A kernel without kprobes and BPF LSM (with them, see KernelHooksWhereTheKernelHasThem).
    for (const KernelCaps caps : {KernelCaps{}, KernelCaps{.fentry = true}}) {
        for (const Hook& h : {kprobe("fd_install", args, false), kprobe("security_file_open", args, false),
                              hook(HookKind::Lsm, "file_open", args)}) {
            SCOPED_TRACE(h.call);
            HookResolution r = resolve_hook(h, caps);
            EXPECT_EQ(r.support, Support::Loads);
            EXPECT_TRUE(r.is_substitute);
            EXPECT_EQ(targets(r), kOpenTargets);
            const std::string what = h.kind == HookKind::Lsm ? "lsm/file_open" : h.call;
            EXPECT_EQ(bindings(r), (Lines{"unavailable: a 'int' argument of " + what + " is not known before the "
                                                                                       "open runs",
                                          "string"}));
            EXPECT_EQ(r.note, what + " is served at the entry of open, openat, openat2 and creat on the path as the "
                                     "caller wrote it, made absolute (symlinks are not followed); Override becomes "
                                     "a SIGKILL before the open runs");
        }
    }
}

TEST(PolicyHookResolution, ExecChecksAreServedByExecveAndExecveat)
{
    for (const Hook& h : {kprobe("security_bprm_check", {arg(0, ArgType::LinuxBinprm, "linux_binprm")}, false),
                          hook(HookKind::Lsm, "bprm_check_security",
                               {arg(0, ArgType::LinuxBinprm, "linux_binprm"), arg(1, ArgType::Cred, "cred")})}) {
        SCOPED_TRACE(h.call);
        HookResolution r = resolve_hook(h, {});
        EXPECT_EQ(r.support, Support::Loads);
        EXPECT_TRUE(r.is_substitute);
        EXPECT_EQ(targets(r), (Lines{"sys_execve str=0 dirfd=none path", "sys_execveat str=1 dirfd=0 path"}));
        EXPECT_EQ(bindings(r).at(0), "string");
        EXPECT_TRUE(r.note.ends_with("Override becomes that SIGKILL")) << r.note;
    }
    const std::vector<Arg> args{arg(0, ArgType::LinuxBinprm, "linux_binprm"), arg(1, ArgType::Cred, "cred")};
    HookResolution lsm = resolve_hook(hook(HookKind::Lsm, "bprm_check_security", args), {});
    EXPECT_EQ(bindings(lsm).at(1), "unavailable: a 'cred' argument of lsm/bprm_check_security is not read");
}

TEST(PolicyHookResolution, ConnectsAreServedByTheCgroupConnectHook)
{
    const std::vector<Arg> args{arg(0, ArgType::Sock, "sock")};
    for (const Hook& h : {kprobe("tcp_connect", args, false), kprobe("security_socket_connect", args, false),
                          hook(HookKind::Lsm, "socket_connect", args)}) {
        SCOPED_TRACE(h.call);
        HookResolution r = resolve_hook(h, {});
        EXPECT_EQ(r.support, Support::Loads);
        EXPECT_TRUE(r.is_substitute);
        EXPECT_EQ(targets(r), Lines{"cgroup/connect str=none dirfd=none"});
        EXPECT_EQ(bindings(r), Lines{"socket"});
        // Before 6.13 the cgroup programs cannot signal: the note must not promise a kill.
        EXPECT_TRUE(r.note.ends_with("refuse the call with EPERM; the caller lives: this kernel's cgroup programs "
                                     "cannot send signals, so Sigkill does not kill it and Signal sends nothing"))
            << r.note;
        HookResolution signals = resolve_hook(h, {.cgroup_signal = true});
        EXPECT_TRUE(signals.note.ends_with("refuse the call with EPERM; Sigkill also kills the caller")) << signals.note;
    }
}

TEST(PolicyHookResolution, SocketSyscallsWithAnAddressUseTheCgroupHooks)
{
    const std::vector<Arg> with_addr{arg(0, ArgType::Int, "int"), arg(1, ArgType::Sockaddr, "sockaddr")};
    HookResolution connect = resolve_hook(kprobe("sys_connect", with_addr), {});
    EXPECT_EQ(connect.support, Support::Loads);
    EXPECT_FALSE(connect.is_substitute);
    EXPECT_EQ(targets(connect), Lines{"cgroup/connect str=none dirfd=none"});
    EXPECT_EQ(bindings(connect), (Lines{"unavailable: a 'int' argument is not known where the socket hook runs (only "
                                        "the address is)",
                                        "socket"}));
    EXPECT_EQ(connect.note, "sys_connect with a socket address is served by the cgroup socket hooks (IPv4 and IPv6), "
                            "which run before any packet leaves: Override and Sigkill refuse the call with EPERM; "
                            "the caller lives: this kernel's cgroup programs cannot send signals, so Sigkill does not "
                            "kill it and Signal sends nothing");
    EXPECT_EQ(targets(resolve_hook(kprobe("__x64_sys_connect", with_addr), {})),
              Lines{"cgroup/connect str=none dirfd=none"});
    EXPECT_EQ(targets(resolve_hook(kprobe("sys_bind", with_addr), {})), Lines{"cgroup/bind str=none dirfd=none"});
    EXPECT_EQ(targets(resolve_hook(kprobe("sys_sendto", with_addr), {})), Lines{"cgroup/sendmsg str=none dirfd=none"});
    // without an address argument, the syscall itself
    HookResolution plain = resolve_hook(kprobe("sys_connect", {arg(0, ArgType::Int, "int")}), {});
    EXPECT_EQ(targets(plain), Lines{"sys_connect str=none dirfd=none"});
    EXPECT_EQ(bindings(plain), Lines{"int32 0"});
    Hook mixed = kprobe("list:net", with_addr);
    mixed.list_calls = {"sys_connect", "sys_openat"};
    HookResolution m = resolve_hook(mixed, {});
    EXPECT_EQ(m.support, Support::Unsupported);
    EXPECT_EQ(m.reason, "a list mixing socket syscalls with others is not served");
}

TEST(PolicyHookResolution, SyscallArgumentsAtEntry)
{
    const std::vector<Arg> args{arg(0, ArgType::Int, "int"),          arg(1, ArgType::String, "string"),
                                arg(2, ArgType::Int, "uint32"),       arg(3, ArgType::Int, "uint64"),
                                arg(6, ArgType::Int, "int"),          arg(2, ArgType::String, "string"),
                                arg(1, ArgType::CharBuf, "char_buf"), arg(0, ArgType::Fd, "fd"),
                                arg(3, ArgType::Int, "long")};
    HookResolution r = resolve_hook(kprobe("sys_openat", args), {});
    EXPECT_EQ(r.support, Support::Loads);
    EXPECT_FALSE(r.is_substitute);
    EXPECT_EQ(targets(r), Lines{"sys_openat str=1 dirfd=0 path"});
    EXPECT_EQ(bindings(r), (Lines{"int32 0", "string", "int32 2", "int 3",
                                  "unavailable: syscalls have arguments 0 to 5, not 6",
                                  "unavailable: only one string argument per hook is matched in the kernel",
                                  "unavailable: a 'char_buf' argument of openat is not read at syscall entry",
                                  "int32 0", "int 3"}));
    // a string that is no path is matched as it is
    EXPECT_EQ(targets(resolve_hook(kprobe("sys_sethostname", {arg(0, ArgType::String, "string")}), {})),
              Lines{"sys_sethostname str=0 dirfd=none"});
    EXPECT_EQ(targets(resolve_hook(kprobe("__x64_sys_execve", {arg(0, ArgType::String, "string")}), {})),
              Lines{"sys_execve str=0 dirfd=none path"});
    EXPECT_EQ(targets(resolve_hook(kprobe("sys_symlinkat", {arg(2, ArgType::String, "string")}), {})),
              Lines{"sys_symlinkat str=2 dirfd=1 path"});
}

TEST(PolicyHookResolution, SyscallListsServeEachSyscall)
{
    Hook h = kprobe("list:opens", {arg(0, ArgType::String, "string")});
    h.list_calls = {"sys_open", "sys_creat", "__x64_sys_unlink"};
    HookResolution r = resolve_hook(h, {});
    EXPECT_EQ(r.support, Support::Loads);
    EXPECT_EQ(targets(r), (Lines{"sys_open str=0 dirfd=none path", "sys_creat str=0 dirfd=none path",
                                 "sys_unlink str=0 dirfd=none path"}));
    EXPECT_EQ(bindings(r), Lines{"string"});
}

TEST(PolicyHookResolution, KernelHooksWhereTheKernelHasThem)
{
    const KernelCaps caps{.kprobes = true, .fentry = true, .bpf_lsm = true};
    HookResolution fd = resolve_hook(
        kprobe("fd_install", {arg(0, ArgType::Int, "int"), arg(1, ArgType::File, "file")}, false), caps);
    EXPECT_EQ(fd.support, Support::Loads);
    EXPECT_TRUE(fd.in_kernel);
    EXPECT_FALSE(fd.is_substitute);
    ASSERT_EQ(fd.targets.size(), 1u);
    EXPECT_EQ(fd.targets[0].id, PL_HOOK_KPROBE_FIRST);
    EXPECT_EQ(fd.targets[0].kernel_function, "fd_install");
    EXPECT_EQ(fd.targets[0].str_arg, 1);
    EXPECT_EQ(fd.targets[0].str_kind, PL_STR_FILE);
    EXPECT_EQ(bindings(fd), (Lines{"int32 0", "string"}));

    HookResolution connect = resolve_hook(
        kprobe("security_socket_connect",
               {arg(0, ArgType::Sock, "socket"), arg(1, ArgType::Sockaddr, "sockaddr"), arg(2, ArgType::Int, "int")},
               false),
        caps);
    ASSERT_EQ(connect.targets.size(), 1u);
    EXPECT_EQ(connect.targets[0].sock_arg, 0);
    EXPECT_EQ(connect.targets[0].sock_kind, PL_SOCK_SOCKET);
    EXPECT_EQ(connect.targets[0].sockaddr_arg, 1);

    HookResolution open = resolve_hook(hook(HookKind::Lsm, "file_open", {arg(0, ArgType::File, "file")}), caps);
    ASSERT_EQ(open.targets.size(), 1u);
    EXPECT_EQ(open.targets[0].id, PL_HOOK_LSM_FILE_OPEN);
    EXPECT_EQ(open.targets[0].str_kind, PL_STR_FILE);
    HookResolution exec =
        resolve_hook(hook(HookKind::Lsm, "bprm_check_security", {arg(0, ArgType::LinuxBinprm, "linux_binprm")}),
                     caps);
    ASSERT_EQ(exec.targets.size(), 1u);
    EXPECT_EQ(exec.targets[0].id, PL_HOOK_LSM_BPRM_CHECK);
    EXPECT_EQ(exec.targets[0].str_kind, PL_STR_BPRM);
    // A return probe: the arguments read at entry, the result matched at return.
    Hook creds = kprobe("commit_creds", {arg(0, ArgType::Cred, "cred")}, false);
    creds.is_return = true;
    HookResolution ret = resolve_hook(creds, caps);
    EXPECT_EQ(ret.support, Support::Loads);
    ASSERT_EQ(ret.targets.size(), 1u);
    EXPECT_TRUE(ret.targets[0].kernel_return);
    ASSERT_TRUE(ret.return_binding.has_value());
    EXPECT_EQ(ret.return_binding->syscall_arg, 6);
    // Kernel functions' arguments Palisade does not read yet are named as such.
    HookResolution dentry = resolve_hook(kprobe("vfs_unlink", {arg(2, ArgType::File, "dentry")}, false), caps);
    EXPECT_EQ(bindings(dentry),
              (Lines{"unavailable: a 'dentry' argument of vfs_unlink is not read in the kernel yet"}));
}

// Tetragon's skb, net_device, cred and capability-set types on kernel functions.
TEST(PolicyHookResolution, KernelStructArguments)
{
    const KernelCaps caps{.kprobes = true, .bpf_lsm = true};
    // ip_output(net, sk, skb): the packet's headers are what the socket matchers see.
    HookResolution ip = resolve_hook(
        kprobe("ip_output", {arg(1, ArgType::Sock, "sock"), arg(2, ArgType::Skb, "skb")}, false), caps);
    EXPECT_EQ(ip.support, Support::Loads);
    ASSERT_EQ(ip.targets.size(), 1u);
    EXPECT_EQ(ip.targets[0].skb_arg, 2);
    EXPECT_EQ(ip.targets[0].sock_arg, 1);
    EXPECT_EQ(bindings(ip), (Lines{"unavailable: ip_output: the skb argument (index 2) is the one whose addresses, "
                                   "ports and protocol are matched; match those on the skb",
                                   "skb"}));
    HookResolution two = resolve_hook(
        kprobe("f", {arg(0, ArgType::Skb, "skb"), arg(1, ArgType::Skb, "skb")}, false), caps);
    EXPECT_EQ(bindings(two), (Lines{"skb", "unavailable: only one skb argument per hook is matched in the kernel"}));

    // dev_hard_start_xmit(skb, dev, ...): the interface name is the hook's string.
    HookResolution dev = resolve_hook(kprobe("dev_hard_start_xmit", {arg(1, ArgType::NetDev, "net_device")}, false),
                                      caps);
    ASSERT_EQ(dev.targets.size(), 1u);
    EXPECT_EQ(dev.targets[0].str_arg, 1);
    EXPECT_EQ(dev.targets[0].str_kind, PL_STR_NETDEV);
    EXPECT_EQ(bindings(dev), Lines{"string"});

    // security_capset(new, old, effective, inheritable, permitted): the sets the pointers name.
    HookResolution capset = resolve_hook(
        kprobe("security_capset", {arg(0, ArgType::Nop, "nop"), arg(1, ArgType::Cred, "cred"),
                                   arg(2, ArgType::CapSet, "cap_effective"), arg(3, ArgType::CapSet, "cap_inheritable"),
                                   arg(4, ArgType::CapSet, "cap_permitted")},
               false),
        caps);
    EXPECT_EQ(capset.support, Support::Loads);
    ASSERT_EQ(capset.targets.size(), 1u);
    EXPECT_EQ(capset.targets[0].cred_arg, 1);
    EXPECT_EQ(capset.targets[0].cap_args, 0b11100);
    EXPECT_EQ(bindings(capset), (Lines{"int 0", "cred", "int 2", "int 3", "int 4"}));
    EXPECT_TRUE(capset.args[2].is_cap_set);
    EXPECT_TRUE(capset.args[2].is_unsigned);
    EXPECT_FALSE(capset.args[0].is_cap_set);

    // commit_creds(new) on a kretprobe: the cred is read at entry.
    Hook creds = kprobe("commit_creds", {arg(0, ArgType::Cred, "cred")}, false);
    creds.is_return = true;
    HookResolution ret = resolve_hook(creds, caps);
    ASSERT_EQ(ret.targets.size(), 1u);
    EXPECT_EQ(ret.targets[0].cred_arg, 0);
    EXPECT_TRUE(ret.targets[0].kernel_return);

    // Where no kprobe reads them they stay unread, with the reason.
    HookResolution lsm = resolve_hook(hook(HookKind::Lsm, "file_open", {arg(0, ArgType::Skb, "skb")}), {});
    EXPECT_EQ(bindings(lsm), Lines{"unavailable: a 'skb' argument of lsm/file_open is not known before the open runs"});
}

// A kernel that knows its functions: which are in BTF (fentry fits) and on
// the error-injection list, as the loader's KernelSymbols::function_info says.
KernelCaps kernel_with(KernelCaps caps, std::set<std::string> btf, std::set<std::string> injectable,
                       std::set<std::string> wide = {})
{
    caps.kernel_function = [btf, injectable, wide](std::string_view name) -> std::optional<KernelFunctionInfo> {
        const std::string n(name);
        return KernelFunctionInfo{.in_btf = btf.count(n) != 0,
                                  .fentry_args = btf.count(n) != 0 && wide.count(n) == 0,
                                  .error_injectable = injectable.count(n) != 0};
    };
    return caps;
}

Hook with_action(Hook h, ActionKind kind)
{
    Selector sel;
    Action a;
    a.kind = kind;
    a.arg_error = -2;
    sel.actions.push_back(a);
    h.selectors.push_back(sel);
    return h;
}

const KernelMechanism* mechanism_of(const HookResolution& r)
{
    return r.targets.size() == 1 ? &r.targets[0].mechanism : nullptr;
}

TEST(PolicyHookResolution, FentryServesKernelFunctionsInBtf)
{
    const KernelCaps caps = kernel_with({.kprobes = true, .fentry = true}, {"fd_install", "security_file_open"},
                                        {}, {"security_file_open"});
    const std::vector<Arg> args{arg(0, ArgType::Int, "int"), arg(1, ArgType::File, "file")};
    HookResolution fd = resolve_hook(kprobe("fd_install", args, false), caps);
    ASSERT_NE(mechanism_of(fd), nullptr);
    EXPECT_EQ(*mechanism_of(fd), KernelMechanism::Fentry);
    EXPECT_EQ(mechanism_name(fd.targets[0].mechanism, fd.targets[0].kernel_return), std::string("fentry"));
    EXPECT_EQ(bindings(fd), (Lines{"int32 0", "string"}));  // the same argument reading as a kprobe
    EXPECT_EQ(fd.note, "");

    // A return probe: fexit, which has the arguments and the result.
    Hook ret = kprobe("fd_install", args, false);
    ret.is_return = true;
    HookResolution fexit = resolve_hook(ret, caps);
    ASSERT_NE(mechanism_of(fexit), nullptr);
    EXPECT_EQ(*mechanism_of(fexit), KernelMechanism::Fentry);
    EXPECT_TRUE(fexit.targets[0].kernel_return);
    EXPECT_EQ(mechanism_name(KernelMechanism::Fentry, true), std::string("fexit"));
    EXPECT_EQ(fexit.note, "fd_install is served by fexit: its arguments are read when it returns");

    // Not in BTF, or an argument wider than a register: a kprobe, and the note says why.
    HookResolution tcp = resolve_hook(kprobe("tcp_connect", {arg(0, ArgType::Sock, "sock")}, false), caps);
    ASSERT_NE(mechanism_of(tcp), nullptr);
    EXPECT_EQ(*mechanism_of(tcp), KernelMechanism::Kprobe);
    EXPECT_EQ(tcp.note, "tcp_connect is served by a kprobe, not fentry: it is not in the kernel's BTF");
    HookResolution wide = resolve_hook(kprobe("security_file_open", {arg(0, ArgType::File, "file")}, false), caps);
    EXPECT_EQ(wide.note, "security_file_open is served by a kprobe, not fentry: an argument or its result does not "
                         "fit a register");

    // fentry without kprobes: what fentry cannot serve falls back to the syscall substitute.
    const KernelCaps fentry_only = kernel_with({.fentry = true}, {"fd_install"}, {});
    EXPECT_EQ(*mechanism_of(resolve_hook(kprobe("fd_install", args, false), fentry_only)), KernelMechanism::Fentry);
    HookResolution substitute = resolve_hook(kprobe("security_file_open", args, false), fentry_only);
    EXPECT_TRUE(substitute.is_substitute);
    EXPECT_EQ(targets(substitute), kOpenTargets);
}

TEST(PolicyHookResolution, OverrideOnKernelFunctionsWhereTheKernelCanOverride)
{
    const std::vector<Arg> file{arg(0, ArgType::File, "file")};
    const Hook open = with_action(kprobe("security_file_open", file, false), ActionKind::Override);
    const Hook alloc = with_action(kprobe("should_failslab", {}, false), ActionKind::Override);
    const Hook fd = with_action(kprobe("fd_install", {}, false), ActionKind::Override);
    const std::set<std::string> btf{"security_file_open", "should_failslab", "fd_install"};

    // Error injection by kprobe: only functions on the list.
    const KernelCaps injecting =
        kernel_with({.kprobes = true, .fentry = true, .kprobe_override = true, .fmod_ret = true}, btf,
                    {"should_failslab"});
    EXPECT_EQ(*mechanism_of(resolve_hook(alloc, injecting)), KernelMechanism::KprobeOverride);
    // security_* functions: fmod_ret, where the kprobe cannot.
    EXPECT_EQ(*mechanism_of(resolve_hook(open, injecting)), KernelMechanism::FmodRet);
    // Neither: served (by fentry), and Override kills, saying why.
    HookResolution none = resolve_hook(fd, injecting);
    EXPECT_EQ(*mechanism_of(none), KernelMechanism::Fentry);
    EXPECT_EQ(none.override_fallback,
              "Override cannot make fd_install fail: kprobe override: fd_install is not on the kernel's "
              "error-injection list; fmod_ret: fd_install is neither a security_* function nor on the "
              "error-injection list; the caller is killed in the function instead");

    // Debian's kernels: no bpf_override_return, fmod_ret on security_* only.
    const KernelCaps debian = kernel_with({.kprobes = true, .fentry = true, .fmod_ret = true}, btf, {});
    EXPECT_EQ(*mechanism_of(resolve_hook(open, debian)), KernelMechanism::FmodRet);
    EXPECT_NE(resolve_hook(alloc, debian).override_fallback.find("the kernel has no bpf_override_return"),
              std::string::npos);
    // A Sigkill policy on the same function is not forced onto an overriding program.
    EXPECT_EQ(*mechanism_of(resolve_hook(with_action(kprobe("security_file_open", file, false), ActionKind::Sigkill),
                                         debian)),
              KernelMechanism::Fentry);
}

TEST(PolicyHookResolution, SyscallOverrideUsesAKprobeOnTheSyscallWhereTheKernelCanOverride)
{
    const std::vector<Arg> args{arg(0, ArgType::Int, "int"), arg(1, ArgType::String, "string")};
    const Hook openat = with_action(kprobe("sys_openat", args), ActionKind::Override);
    const KernelCaps caps = kernel_with({.kprobes = true, .fentry = true, .kprobe_override = true},
                                        {"__x64_sys_openat"}, {"__x64_sys_openat"});
    HookResolution r = resolve_hook(openat, caps);
    EXPECT_EQ(r.support, Support::Loads);
    ASSERT_EQ(r.targets.size(), 1u);
    EXPECT_EQ(r.targets[0].kernel_function, "__x64_sys_openat");
    EXPECT_EQ(r.targets[0].mechanism, KernelMechanism::KprobeOverride);
    EXPECT_TRUE(r.targets[0].syscall_regs);
    EXPECT_EQ(r.targets[0].str_arg, 1);
    EXPECT_EQ(r.targets[0].str_kind, PL_STR_USER);
    EXPECT_EQ(bindings(r), (Lines{"int32 0", "string"}));
    EXPECT_EQ(r.note, "served by a kprobe on __x64_sys_openat: Override returns the policy's errno and the syscall "
                      "never runs; string arguments are matched as the caller wrote them");

    // Without Override the syscall tracepoint serves, as before.
    EXPECT_EQ(targets(resolve_hook(kprobe("sys_openat", args), caps)), Lines{"sys_openat str=1 dirfd=0 path"});
    // Where the kernel cannot override: the syscall entry, and why Override kills there.
    const KernelCaps no_override = kernel_with({.kprobes = true, .fentry = true}, {"__x64_sys_openat"}, {});
    HookResolution entry = resolve_hook(openat, no_override);
    EXPECT_EQ(targets(entry), Lines{"sys_openat str=1 dirfd=0 path"});
    EXPECT_EQ(entry.override_fallback, "Override cannot make the syscall fail (the kernel has no "
                                       "bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE)): the caller is killed at "
                                       "syscall entry instead");
    // On this host's kind of kernel (no kprobes) nothing changes.
    EXPECT_EQ(targets(resolve_hook(openat, {})), Lines{"sys_openat str=1 dirfd=0 path"});
    // connect with an address stays on the cgroup hook, which refuses by itself.
    const Hook connect =
        with_action(kprobe("sys_connect", {arg(1, ArgType::Sockaddr, "sockaddr")}), ActionKind::Override);
    EXPECT_EQ(targets(resolve_hook(connect, kernel_with(caps, {}, {"__x64_sys_connect"}))),
              Lines{"cgroup/connect str=none dirfd=none"});
}

TEST(PolicyHookResolution, RefusedHooks)
{
    auto refused = [](const Hook& h, const KernelCaps& caps) {
        HookResolution r = resolve_hook(h, caps);
        EXPECT_TRUE(r.targets.empty());
        return std::pair{r.support, r.reason};
    };
    using P = std::pair<Support, std::string>;
    const KernelCaps none{}, kprobes{.kprobes = true}, lsm{.bpf_lsm = true};
    EXPECT_EQ(refused(kprobe("security_file_permission", {}, false), none),
              (P{Support::NeedsKernel, "kernel function 'security_file_permission' needs kprobes, which this kernel "
                                       "lacks, and has no syscall-level equivalent"}));
    EXPECT_EQ(refused(kprobe("security_file_permission"), none),
              (P{Support::Unsupported, "'security_file_permission' is not a syscall of this architecture"}));
    EXPECT_EQ(refused(kprobe("sys_frobnicate"), none),
              (P{Support::Unsupported, "'sys_frobnicate' is not a syscall of this architecture"}));
    EXPECT_EQ(refused(kprobe("__ia32_sys_open"), none),
              (P{Support::Unsupported, "'__ia32_sys_open': 32-bit compat syscalls are not watched"}));
    EXPECT_EQ(refused(hook(HookKind::Uprobe, "/usr/bin/bash"), kprobes),
              (P{Support::NeedsKernel, "uprobe on '/usr/bin/bash' needs uprobes, which this kernel lacks, and has no "
                                       "syscall-level equivalent"}));
    EXPECT_EQ(refused(hook(HookKind::Usdt, "/usr/bin/python3"), kprobes),
              (P{Support::NeedsKernel, "USDT probe in '/usr/bin/python3' needs uprobes, which this kernel lacks, and "
                                       "has no syscall-level equivalent"}));
    EXPECT_EQ(refused(hook(HookKind::Lsm, "bprm_committed_creds"), kprobes),
              (P{Support::NeedsKernel, "LSM hook 'bprm_committed_creds' needs BPF LSM, which this kernel lacks, and "
                                       "has no syscall-level equivalent"}));
    EXPECT_EQ(refused(hook(HookKind::Lsm, "bprm_committed_creds"), lsm),
              (P{Support::Unsupported, "LSM hook 'bprm_committed_creds' is not served yet (BPF LSM programs: "
                                       "file_open, bprm_check_security, socket_connect)"}));
    EXPECT_EQ(refused(hook(HookKind::Tracepoint, "sched/sched_switch"), none),
              (P{Support::Unsupported, "tracepoint 'sched/sched_switch': Palisade serves the syscall "
                                       "tracepoints (raw_syscalls/sys_enter, syscalls/sys_enter_*) and not yet other "
                                       "tracepoints"}));
    EXPECT_EQ(refused(hook(HookKind::Tracepoint, "syscalls/sys_enter_frobnicate"), none),
              (P{Support::Unsupported, "tracepoint 'syscalls/sys_enter_frobnicate' names no syscall of this "
                                       "architecture"}));
}

TEST(PolicyHookResolution, SyscallTracepoints)
{
    HookResolution raw = resolve_hook(hook(HookKind::Tracepoint, "raw_syscalls/sys_enter",
                                           {arg(5, ArgType::Int, "uint64"), arg(4, ArgType::Int, "int64")}),
                                      {});
    EXPECT_EQ(raw.support, Support::Loads);
    EXPECT_EQ(raw.syscall_id_arg, 1);
    EXPECT_TRUE(raw.targets.empty());  // chosen per selector
    EXPECT_EQ(bindings(raw), (Lines{"unavailable: raw_syscalls/sys_enter: only the syscall id (index 4) is matched",
                                    "nr"}));
    HookResolution openat = resolve_hook(hook(HookKind::Tracepoint, "syscalls/sys_enter_openat",
                                              {arg(4, ArgType::Int, "int"), arg(5, ArgType::Int, "int"),
                                               arg(6, ArgType::String, "string"), arg(8, ArgType::Int, "uint32")}),
                                         {});
    EXPECT_EQ(openat.support, Support::Loads);
    EXPECT_EQ(openat.syscall_id_arg, -1);
    EXPECT_EQ(targets(openat), Lines{"sys_openat str=1 dirfd=0 path"});
    EXPECT_EQ(bindings(openat), (Lines{"unavailable: syscalls have arguments 0 to 5, not -1", "int32 0", "string",
                                       "int32 3"}));
}

TEST(PolicyHookResolution, SyscallNamesAndHookNames)
{
    EXPECT_EQ(syscall_number("openat"), kOpenat);
    EXPECT_EQ(syscall_number("sys_openat"), kOpenat);
    EXPECT_EQ(syscall_number("__x64_sys_openat"), kOpenat);
    EXPECT_EQ(syscall_number("__arm64_sys_openat"), kOpenat);  // the name, not the architecture's number
    EXPECT_EQ(syscall_number("openat3"), std::nullopt);
    EXPECT_EQ(syscall_number(""), std::nullopt);
    EXPECT_EQ(syscall_name_of(kExecve), "execve");
    EXPECT_EQ(syscall_name_of(PL_SYSCALL_MAX - 1), "");
    EXPECT_EQ(hook_display_name(kOpenat), "sys_openat");
    EXPECT_EQ(hook_display_name(PL_HOOK_CONNECT), "cgroup/connect");
    EXPECT_EQ(hook_display_name(PL_HOOK_SENDMSG), "cgroup/sendmsg");
    EXPECT_EQ(hook_display_name(PL_HOOK_BIND), "cgroup/bind");
    EXPECT_EQ(hook_display_name(PL_SYSCALL_MAX - 1), "syscall_511");
    // every named syscall is dispatched by the kernel's tables
    for (std::uint32_t nr = 0; nr < 1024; ++nr)
        if (!syscall_name_of(nr).empty()) {
            EXPECT_LT(nr, static_cast<std::uint32_t>(PL_SYSCALL_MAX)) << syscall_name_of(nr);
            EXPECT_EQ(syscall_number(syscall_name_of(nr)), nr);
        }
}

}  // namespace
}  // namespace palisade::policy
