// How each hook a policy names is served on this kernel: which Palisade hook
// points (syscall entries, cgroup socket hooks) carry it, and what each of the
// policy's arguments is read from there. Decided from the kernel's features,
// never by version number; where a kernel function or LSM hook is served by a
// syscall-level hook instead, `note` says what differs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "palisade/abi.h"
#include "policy/model.h"

namespace palisade::policy {

// What the kernel says about one of its functions (vmlinux BTF, the
// error-injection list); looked up by the loader, decided on here.
struct KernelFunctionInfo {
    bool in_btf = false;          // a BTF FUNC of that name
    bool fentry_args = false;     // at most 6 arguments and a result, each in one register
    bool error_injectable = false;  // on /sys/kernel/debug/error_injection/list
};

struct KernelCaps {
    bool kprobes = false;
    bool fentry = false;           // fentry/fexit with attach cookies and bpf_get_func_arg
    bool bpf_lsm = false;
    bool uprobes = false;
    bool cgroup_signal = false;  // cgroup socket programs may send signals (6.13+)
    bool kprobe_override = false;  // bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE)
    bool fmod_ret = false;         // fmod_ret programs (security_* and error-injectable functions)
    // Empty, or nullopt: nothing known (no BTF): kprobes serve, without Override.
    std::function<std::optional<KernelFunctionInfo>(std::string_view)> kernel_function;
};

// What serves a kernel function.
enum class KernelMechanism : std::uint8_t {
    Kprobe,          // kprobe, and kretprobe for return probes
    KprobeOverride,  // kprobe whose Override makes the function return the errno (error injection)
    Fentry,          // fentry, or fexit for return probes (arguments read at exit)
    FmodRet,         // fmod_ret: Override makes the function return the errno without running
};
const char* mechanism_name(KernelMechanism m, bool with_return);

// What a policy argument is read from at the hook point.
enum class ArgSource {
    Unavailable,  // cannot be matched here; `unavailable_reason` says why
    String,       // the hook's string (a path made absolute, for paths)
    SyscallInt,   // a raw syscall argument
    SyscallNr,    // raw_syscalls/sys_enter's id
    Socket,       // addresses, ports, family, protocol of the socket call
    Cred,         // a struct cred, read for the event; not matched (Tetragon neither)
};

struct ArgBinding {
    ArgSource source = ArgSource::Unavailable;
    int syscall_arg = 0;  // SyscallInt
    bool is32 = false;    // a 32-bit C type: compared sign-extended
    bool is_unsigned = false;  // GT/LT compare unsigned (uint32, uint64, size_t, ...)
    bool is_fd = false;        // a descriptor: values that are not numbers name its file's path
    bool is_skb = false;       // Socket: a packet's headers (the network operators only)
    bool is_cap_set = false;   // SyscallInt: the kernel_cap_t the argument points to
    std::string unavailable_reason;
};

// One Palisade hook point serving the policy hook.
struct HookTarget {
    std::uint32_t id = 0;                  // syscall number or PL_HOOK_*
    std::uint8_t str_arg = PL_POL_NO_ARG;  // syscall argument holding the string
    std::uint8_t dirfd_arg = PL_POL_NO_ARG;
    bool str_is_path = false;
    std::uint8_t str_kind = PL_STR_USER;   // what str_arg points to (kernel functions, LSM hooks)
    std::uint8_t sock_arg = PL_POL_NO_ARG;  // kernel functions: the socket or address argument
    std::uint8_t sock_kind = PL_SOCK_NONE;
    std::uint8_t sockaddr_arg = PL_POL_NO_ARG;  // kernel functions: a struct sockaddr * argument
    std::uint8_t skb_arg = PL_POL_NO_ARG;   // kernel functions: a struct sk_buff * argument
    std::uint8_t cred_arg = PL_POL_NO_ARG;  // kernel functions: a struct cred * argument
    std::uint8_t cap_args = 0;              // kernel functions: bit per kernel_cap_t * argument
    // A kprobe: the kernel function to attach to; the compiler numbers the id.
    std::string kernel_function;
    bool kernel_return = false;  // a kprobe's return probe: matched when the function returns
    KernelMechanism mechanism = KernelMechanism::Kprobe;
    bool syscall_regs = false;   // a __x64_sys_* wrapper: the syscall's arguments behind its pt_regs
};

enum class Support {
    Loads,        // served on this kernel
    NeedsKernel,  // needs kprobes, fentry or BPF LSM, which this kernel lacks
    Unsupported,  // Palisade does not serve it
};

struct HookResolution {
    Support support = Support::Loads;
    std::string reason;                 // why not Loads
    std::string note;                   // semantic difference of a substitute hook
    std::vector<HookTarget> targets;
    std::vector<ArgBinding> args;       // by position in Hook::args
    // What a matchArgs index names: kprobes and LSM hooks name an argument by
    // its `index` (declared_index), tracepoints by its position in `args`.
    bool match_by_position = false;
    std::vector<int> declared_index;    // Hook::args[i].index
    // The position a matchArgs index names, -1 for none.
    int position_of(int match_index) const;
    // raw_syscalls/sys_enter: the position of the syscall id argument, -1 = none.
    int syscall_id_arg = -1;
    bool is_substitute = false;         // a kernel function served by a syscall hook
    bool in_kernel = false;             // served by a kprobe or BPF LSM program
    // Where Override cannot fail the call: what it becomes and why (empty: the compiler's default).
    std::string override_fallback;
    // Return probes: what matchReturnArgs reads (the syscall's result).
    std::optional<ArgBinding> return_binding;
};

HookResolution resolve_hook(const Hook& hook, const KernelCaps& caps);

// x86-64 syscall table: "openat", "sys_openat", "__x64_sys_openat" all work.
std::optional<std::uint32_t> syscall_number(std::string_view name);
std::string_view syscall_name_of(std::uint32_t nr);

// A hook id as people say it: "sys_openat", "cgroup/connect".
std::string hook_display_name(std::uint32_t id);

}  // namespace palisade::policy
