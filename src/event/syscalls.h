// The host's syscall table as Palisade uses it: which syscalls it watches,
// what their arguments mean (pl_syscall_kind) and which handler records them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "palisade/abi.h"

namespace palisade {

// The BPF program that records a syscall at sys_exit.
enum class SyscallHandler { Open, FileOp, Net, Priv };

struct SyscallInfo {
    const char* name;
    std::uint32_t nr;
    pl_syscall_kind kind;
    SyscallHandler handler;
    const char* group;  // the --events name that selects it
};

// Every watched syscall that exists on this architecture.
std::span<const SyscallInfo> watched_syscalls();

const SyscallInfo* syscall_by_nr(std::uint32_t nr);

// The syscall's name, or "syscall_<nr>" for one Palisade does not watch.
std::string_view syscall_name(std::uint32_t nr);

}  // namespace palisade
