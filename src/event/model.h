// The user-space event model: what a decoded ABI record means, independent of
// where it came from (live ring buffer, recorded file, a test).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "palisade/abi.h"

namespace palisade {

// Names one process image for the whole boot; see pl_exec_id in abi.h.
struct ExecId {
    std::uint64_t start_ns = 0;
    std::uint32_t pid = 0;

    bool valid() const { return pid != 0; }
    bool operator==(const ExecId&) const = default;
    // "pid:start_ns", stable across the agent's outputs.
    std::string str() const;
};

struct ExecIdHash {
    std::size_t operator()(const ExecId& id) const noexcept {
        return std::hash<std::uint64_t>{}(id.start_ns ^ (std::uint64_t{id.pid} << 40) ^ id.pid);
    }
};

struct Creds {
    std::uint32_t uid = 0, gid = 0, euid = 0, egid = 0, suid = 0, sgid = 0, fsuid = 0, fsgid = 0;
    std::uint32_t loginuid = UINT32_MAX;
    std::uint64_t cap_effective = 0, cap_permitted = 0;
};

struct Namespaces {
    std::uint32_t pid = 0, mnt = 0, net = 0, user = 0, uts = 0, ipc = 0, cgroup = 0;
};

struct ExecData {
    ExecId exec_id;
    ExecId parent_exec_id;
    std::uint32_t ppid = 0;
    std::uint32_t flags = 0;  // pl_exec_flags
    std::uint64_t cgroup_id = 0;
    std::uint64_t start_boottime_ns = 0;
    Creds creds;
    Namespaces ns;
    std::uint32_t tty = 0;
    std::uint32_t sessionid = 0;
    std::string comm;
    std::string filename;  // as given to execve
    std::string path;      // resolved in the kernel
    std::vector<std::string> argv;
    std::string cwd;
    std::string cgroup;  // path in the hierarchy the sensor was configured with; empty if unknown
};

struct ForkData {
    ExecId exec_id;
    ExecId parent_exec_id;
    std::uint32_t parent_tgid = 0;
    std::uint32_t parent_tid = 0;
    bool thread = false;
};

struct ExitData {
    ExecId exec_id;
    std::int32_t status = 0;  // wait(2) status
    int code() const { return (status >> 8) & 0xff; }
    int signal() const { return status & 0x7f; }
};

struct OpenData {
    std::int64_t ret = 0;
    std::uint32_t syscall_nr = 0;
    std::int32_t dirfd = 0;
    std::uint32_t flags = 0;
    std::uint32_t mode = 0;
    std::string path;      // absolute when it could be made so
    std::string raw_path;  // exactly as the caller gave it
};

struct FileOpData {
    std::int64_t ret = 0;
    std::uint32_t syscall_nr = 0;
    std::int32_t fd = -1;
    std::uint32_t flags = 0;
    std::uint32_t mode = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string path;   // absolute when it could be made so
    std::string path2;  // new name (rename/link/symlink) or memfd name
};

struct NetData {
    std::int64_t ret = 0;
    std::uint32_t syscall_nr = 0;
    std::uint16_t op = 0;  // pl_net_op
    std::uint16_t family = 0;
    std::uint16_t sock_type = 0;
    std::uint16_t protocol = 0;
    std::int32_t fd = -1;
    std::uint32_t backlog = 0;
    std::string local_addr;  // printable; empty when unknown
    std::uint16_t local_port = 0;
    std::string remote_addr;
    std::uint16_t remote_port = 0;
    std::string unix_path;
};

struct SyscallData {
    std::int64_t ret = 0;
    std::uint32_t syscall_nr = 0;
    std::uint64_t args[6] = {};
    std::uint64_t aux = 0;
    std::string str;
    std::string str2;
};

// A kernel function's struct sk_buff argument (Tetragon's skb_arg).
struct SkbArg {
    std::uint32_t hash = 0, len = 0, priority = 0, mark = 0;
    std::uint16_t family = 0, protocol = 0, sport = 0, dport = 0;
    std::string saddr, daddr;  // printable; empty when the packet is not IP
};

// A kernel function's struct cred argument (Tetragon's process_credentials_arg).
struct CredArg {
    std::uint32_t uid = 0, gid = 0, suid = 0, sgid = 0, euid = 0, egid = 0, fsuid = 0, fsgid = 0;
    std::uint32_t securebits = 0;
    std::uint64_t cap_permitted = 0, cap_effective = 0, cap_inheritable = 0;
    std::int32_t user_ns_level = 0;
    std::uint32_t user_ns_uid = 0, user_ns_gid = 0, user_ns_inum = 0;
};

// A declared argument of the hook that matched, as the policy names it.
struct PolicyArgView {
    int index = 0;
    int slot = -1;  // integers and capability sets: which of `args` holds the value
    std::string type, label;
    bool read = false;
};

// A policy selector matched: which one, what was done, and the values it saw.
struct PolicyData {
    ExecId exec_id;
    std::uint32_t policy = 0;  // id in the loaded policy set
    std::uint8_t bank = 0;     // which loaded set: the kernel keeps two while one replaces the other
    std::uint32_t hook = 0;    // syscall number or PL_HOOK_*
    std::uint16_t selector_index = 0;
    std::uint16_t hook_index = 0;
    std::uint8_t action = 0;   // pl_pol_action
    std::uint16_t flags = 0;   // pl_policy_flags
    std::int32_t error = 0;
    std::uint32_t signal = 0;
    std::uint64_t args[6] = {};
    std::uint16_t family = 0, protocol = 0;
    std::string daddr, saddr;  // printable; empty when the hook has no address
    std::uint16_t dport = 0, sport = 0;
    std::uint64_t cgroup_id = 0;
    std::string str;           // the string argument as matched
    std::optional<SkbArg> skb;   // kernel functions' struct arguments, when read
    std::optional<CredArg> cred;
    // Filled in by the agent from the loaded policy set, not by the decoder.
    std::string policy_name, hook_name, message;
    std::vector<PolicyArgView> arg_views;  // kernel functions and LSM hooks: the declared arguments
    // The container the kernel saw the task in (by cgroup id), which can be
    // ahead of the process cache: runc's init joins the cgroup before it execs.
    std::string container_id, container_name, pod_name, pod_namespace;
};

enum class EventType : std::uint16_t {
    Exec = PL_EV_EXEC,
    Fork = PL_EV_FORK,
    Exit = PL_EV_EXIT,
    Open = PL_EV_OPEN,
    FileOp = PL_EV_FILE_OP,
    Net = PL_EV_NET,
    Syscall = PL_EV_SYSCALL,
    Policy = PL_EV_POLICY,
};

struct Event {
    EventType type = EventType::Exec;
    std::uint16_t flags = 0;  // pl_header_flags
    std::uint64_t ts_ns = 0;  // CLOCK_BOOTTIME
    std::uint32_t tgid = 0;
    std::uint32_t tid = 0;
    std::variant<ExecData, ForkData, ExitData, OpenData, FileOpData, NetData, SyscallData, PolicyData> data;

    bool snapshot() const { return flags & PL_HDR_SNAPSHOT; }
    template <class T> const T& as() const { return std::get<T>(data); }
};

const char* event_type_name(EventType type);

}  // namespace palisade
