#include "policy/kernel_functions.h"

#include <algorithm>

#include <fmt/format.h>

namespace palisade::policy {

std::vector<ArgView> arg_views(const Hook& hook, const HookResolution& res)
{
    std::vector<ArgView> out;
    for (std::size_t i = 0; i < hook.args.size() && i < res.args.size(); ++i) {
        const ArgBinding& b = res.args[i];
        out.push_back({.index = hook.args[i].index,
                       .slot = b.source == ArgSource::SyscallInt ? b.syscall_arg : -1,
                       .type = hook.args[i].type_name,
                       .label = hook.args[i].label,
                       .read = b.source != ArgSource::Unavailable && hook.args[i].type != ArgType::Nop});
    }
    return out;
}

std::string kernel_function_of(const Hook& hook, const HookResolution& res)
{
    if (hook.kind == HookKind::Lsm)
        return "bpf_lsm_" + hook.call;
    if (hook.kind != HookKind::Kprobe || !hook.list_calls.empty() || !hook.list_type.empty())
        return {};
    const bool attaches = std::any_of(res.targets.begin(), res.targets.end(),
                                      [](const HookTarget& t) { return !t.kernel_function.empty(); });
    // Where the kernel lacks kprobes the function is still named: say so if it does not exist.
    const bool would_attach = res.support == Support::NeedsKernel;
    return attaches || would_attach ? hook.call : std::string();
}

// False only when the lookup says the kernel has no such function. An
// LSM hook is judged only on kernels built with BPF LSM (bpf_lsm_* exist).
bool kernel_function_exists(const CompileEnv& env, const Hook& hook, const HookResolution& res)
{
    if (!env.kernel_function_exists)
        return true;
    const std::string function = kernel_function_of(hook, res);
    if (function.empty())
        return true;
    if (env.kernel_function_exists(function).value_or(true))
        return true;
    return hook.kind == HookKind::Lsm && !env.kernel_function_exists("bpf_lsm_file_open").value_or(false);
}

std::string missing_function_message(const Hook& hook)
{
    if (hook.kind == HookKind::Lsm)
        return fmt::format("LSM hook '{}' does not exist on this kernel (no function bpf_lsm_{} in its BTF or "
                           "/proc/kallsyms)",
                           hook.call, hook.call);
    return fmt::format("kprobe '{}': kernel function '{}' does not exist on this kernel (not in its BTF or "
                       "/proc/kallsyms)",
                       hook.call, hook.call);
}

}  // namespace palisade::policy
