#include "event/capabilities.h"

#include <iterator>

#include <fmt/format.h>

namespace palisade {
namespace {

// The name's position is the capability's number.
constexpr std::string_view kCapabilities[] = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(std::size(kCapabilities) == 41);

constexpr std::string_view kSecureBits[] = {
    "SecBitNoRoot",         "SecBitNoRootLocked",  "SecBitNoSetUidFixup",     "SecBitNoSetUidFixupLocked",
    "SecBitKeepCaps",       "SecBitKeepCapsLocked", "SecBitNoCapAmbientRaise", "SecBitNoCapAmbientRaiseLocked",
};

}  // namespace

std::string_view known_capability_name(int cap)
{
    return cap >= 0 && static_cast<std::size_t>(cap) < std::size(kCapabilities) ? kCapabilities[cap] : "";
}

std::string capability_name(int cap)
{
    if (cap >= 0 && static_cast<std::size_t>(cap) < std::size(kCapabilities))
        return std::string(kCapabilities[cap]);
    return fmt::format("CAP_{}", cap);
}

std::vector<std::string> capability_names(std::uint64_t set)
{
    std::vector<std::string> out;
    for (int cap = 0; cap < 64; ++cap)
        if (set >> cap & 1)
            out.push_back(capability_name(cap));
    return out;
}

std::vector<std::string> securebits_names(std::uint32_t bits)
{
    std::vector<std::string> out;
    for (std::size_t bit = 0; bit < std::size(kSecureBits); ++bit)
        if (bits >> bit & 1)
            out.emplace_back(kSecureBits[bit]);
    return out;
}

}  // namespace palisade
