// Falco's text forms of numeric values: flag sets ("O_RDONLY|O_CLOEXEC"),
// enumerations ("PTRACE_ATTACH", "AF_PACKET"), errno and signal names and
// capability sets. Rules match these strings (`evt.arg.flags contains O_TRUNC`,
// `thread.cap_effective icontains sys_admin`), so names and their order follow
// falcosecurity/libs (driver/flags_table.c, sinsp_utils::caps_to_string),
// while the values are the kernel's: Palisade sees raw syscall arguments,
// not the driver's PPM encoding.
//
// Every function appends to a caller-owned buffer so that extractors can
// reuse one scratch string across events without allocating.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace palisade::rules::fields {

// One name of a table. It applies to a value when (value & mask) == bits:
// a flag has mask == bits, an access mode such as O_RDONLY (bits 0) is one
// value of a multi-bit mask, and an enumeration value has a full mask.
struct NamedBits {
    const char* name;
    std::uint64_t mask;
    std::uint64_t bits;
};

using NameTable = std::span<const NamedBits>;

// Appends every name that applies to value, '|'-separated, in the table's
// order (which is Falco's). Returns false, appending nothing, when none applies.
bool append_names(NameTable table, std::uint64_t value, std::string& out);

// The tables, in the kernel's values.
extern const NameTable kOpenFlagNames;       // open/openat/openat2/creat flags
extern const NameTable kFileModeNames;       // chmod modes: S_IXOTH ... S_ISUID
extern const NameTable kMemfdFlagNames;
extern const NameTable kSocketFamilyNames;   // socket() domain
extern const NameTable kPtraceRequestNames;
extern const NameTable kPrctlOptionNames;
extern const NameTable kCloneFlagNames;      // unshare/setns namespace flags
extern const NameTable kMountFlagNames;
extern const NameTable kUmountFlagNames;
extern const NameTable kUnlinkatFlagNames;
extern const NameTable kLinkatFlagNames;
extern const NameTable kFchownatFlagNames;
extern const NameTable kRenameat2FlagNames;
extern const NameTable kProtFlagNames;
extern const NameTable kMmapFlagNames;
extern const NameTable kExecFlagNames;       // pl_exec_flags as Falco's execve "flags"

// "ENOENT" for an errno value (positive or negated); empty when unknown.
std::string_view errno_name(std::int64_t error);

// Appends "SIGKILL"; appends nothing and returns false for an unknown signal.
bool append_signal_name(std::int64_t signal, std::string& out);

// Appends a capability set as Falco does: "CAP_CHOWN CAP_SYS_ADMIN", names in
// bit order separated by single spaces, nothing for an empty set.
void append_capabilities(std::uint64_t caps, std::string& out);

void append_decimal(std::int64_t value, std::string& out);
void append_unsigned(std::uint64_t value, std::string& out);
void append_hex(std::uint64_t value, std::string& out);    // "0x1f"
void append_octal(std::uint64_t value, std::string& out);  // "0644", "0" for zero

}  // namespace palisade::rules::fields
