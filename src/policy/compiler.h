// Policies compiled into the contents of the kernel's policy maps (the policy
// section of abi.h). Adding a policy changes map data, never BPF code. A policy
// that cannot be compiled is reported with its name, hook, selector and the
// limit or cause, and left out; the others still compile.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "palisade/abi.h"
#include "policy/hook_resolution.h"
#include "policy/model.h"
#include "policy/workload.h"

namespace palisade::policy {

// What compilation needs from the host, injectable for tests.
struct CompileEnv {
    KernelCaps caps;
    Mode default_mode = Mode::Enforce;
    // cgroup v2 path (relative to the cgroup2 mount) -> cgroup id.
    std::function<std::optional<std::uint64_t>(const std::string&)> cgroup_id;
    // The agent's own namespace inode, for matchNamespaces "host_ns".
    std::function<std::uint32_t(NamespaceKind)> host_namespace;
    // A path with its symlinks resolved (empty if it does not exist): the
    // kernel sees binaries by their real path, so on a merged-/usr system a
    // matchBinaries "/bin/bash" must also name /usr/bin/bash.
    std::function<std::string(const std::string&)> real_path;
    // The containers known now: namespaced and selector-scoped policies apply
    // to the cgroups of those they select, and to nothing else.
    std::vector<Workload> workloads;
    // Whether the running kernel has a function of this name (kprobes attach
    // to it; LSM hooks are "bpf_lsm_<hook>"); nullopt when it cannot tell.
    // Unset: not checked.
    std::function<std::optional<bool>(const std::string&)> kernel_function_exists;
};

// A declared argument of a hook, as the event shows it.
struct ArgView {
    int index = 0;          // as declared
    int slot = -1;          // integers: the raw argument slot the value is in (6 = return value)
    std::string type;       // the type as written ("skb", "cred", "int", ...)
    std::string label;
    bool read = false;      // false: declared but not read at this hook
};

struct CompileError {
    Location loc;
    std::string policy;
    std::string message;  // names the hook and selector where it applies
    Support support = Support::Unsupported;
    std::string render() const;  // "file:line:column: policy 'x': message"
};

// What the agent needs to describe a policy event in words.
struct PolicyInfo {
    std::string name;
    std::string file;
    Mode mode = Mode::Enforce;
    std::vector<std::string> hook_names;  // by hook_index
    std::vector<std::string> notes;       // semantic differences of substitute hooks
    std::vector<std::string> message;     // per hook_index: the hook's `message`
    std::vector<std::vector<ArgView>> args;  // per hook_index: kernel functions' and LSM hooks' declared args
    bool scoped = false;                  // namespaced or selector-scoped: follows the containers
    // Done by the agent when a selector's event arrives ("thin" alerting to
    // systems that only see HTTP or DNS): key hook_index << 16 | selector_index.
    struct Notify {
        std::string url;   // GetUrl
        std::string fqdn;  // DnsLookup
    };
    std::map<std::uint32_t, std::vector<Notify>> notify;
};

struct KernelTables {
    std::map<std::uint32_t, pl_pol_hook> hooks;
    std::map<std::uint32_t, pl_pol_selector> selectors;  // hook << 16 | bit
    std::map<std::uint32_t, pl_pol_slow> slow;           // hook << 16 | index
    std::vector<std::pair<pl_pol_str_key, pl_pol_hit>> str_eq;
    std::vector<std::pair<pl_pol_lpm_str_key, pl_pol_hit>> str_prefix;
    std::vector<std::pair<pl_pol_lpm_str_key, pl_pol_hit>> str_postfix;
    std::vector<std::pair<pl_pol_lpm_addr_key, pl_pol_hit>> addrs;
    std::vector<std::pair<pl_pol_value_key, pl_pol_hit>> values;
    std::vector<std::pair<pl_pol_cgroup_key, __u8>> cgroup_sets;
    std::vector<pl_pol_policy> policies;  // index = policy id
    pl_pol_binaries follow_children{};
    // matchPIDs followForks: a set's pids and every process descending from them.
    struct PidFollowSet {
        std::uint32_t set = 0;  // bit in pl_pol_binaries
        bool namespace_pids = false;
        std::vector<std::uint32_t> pids;
    };
    std::vector<PidFollowSet> pid_follow_sets;
    // Where the uprobe program is attached, its hook id passed as the BPF cookie.
    struct Uprobe {
        std::uint32_t hook = 0;
        std::string binary, symbol;
        std::string usdt_provider, usdt_name;  // a USDT probe (symbol empty)
    };
    std::vector<Uprobe> uprobes;
    // Where the kprobe program is attached, its hook id passed as the BPF cookie.
    struct Kprobe {
        std::uint32_t hook = 0;
        std::string function;
        bool with_return = false;  // also a kretprobe (fentry: fexit only): the hook matches at return
        KernelMechanism mechanism = KernelMechanism::Kprobe;
    };
    std::vector<Kprobe> kprobes;
    std::vector<PolicyInfo> info;         // index = policy id
    // A selector matches changes since exec: the kernel then records each
    // process's creds and namespaces at exec (PL_POL_TRACK_CHANGES).
    bool tracks_changes = false;

    bool uses_syscall_entry() const;
    bool uses_cgroup_hooks() const;
    bool uses_syscall_exit() const;
    bool uses_hook(std::uint32_t id) const { return hooks.count(id) != 0; }
    // Which matchBinaries sets a binary at `path` is in, as the kernel decides at exec.
    pl_pol_binaries binary_sets(const std::string& path) const;
};

struct CompileResult {
    KernelTables tables;
    std::vector<CompileError> errors;   // policies left out
    std::vector<std::string> loaded;    // names of the policies compiled in
};

CompileResult compile_policies(const std::vector<Policy>& policies, const CompileEnv& env);

}  // namespace palisade::policy
