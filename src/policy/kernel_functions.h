// What the compiler asks about a hook that runs inside the kernel: which
// kernel function it needs (looked up through CompileEnv, so this library
// stays kernel-free), and which declared arguments its events show.
#pragma once

#include <string>
#include <vector>

#include "policy/compiler.h"

namespace palisade::policy {

// The declared arguments and whether this hook reads them, for the event.
std::vector<ArgView> arg_views(const Hook& hook, const HookResolution& res);

// The kernel function a kprobe attaches to, or "bpf_lsm_<hook>" for an LSM
// hook; empty for hooks that are not kernel functions on this kernel.
std::string kernel_function_of(const Hook& hook, const HookResolution& res);

// False only when env's lookup says the kernel has no such function.
bool kernel_function_exists(const CompileEnv& env, const Hook& hook, const HookResolution& res);

// "kprobe 'f': kernel function 'f' does not exist on this kernel (...)".
std::string missing_function_message(const Hook& hook);

}  // namespace palisade::policy
