// A TracingPolicy as written: Tetragon's cilium.io/v1alpha1 TracingPolicy and
// TracingPolicyNamespaced, plus Palisade's own network policy kind, parsed
// into typed values that remember where in the file each part came from.
// Nothing here knows about the kernel: policy/hook_resolution.h decides how each hook
// is served on a given kernel, policy/compiler.h turns it into map data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace palisade::policy {

struct Location {
    std::string file;
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based
};

enum class Mode { Enforce, Monitor };

// Argument types Tetragon names in `args[].type` and `returnArg.type`; Palisade
// reads the ones listed before Unsupported, and rejects the rest by name.
enum class ArgType {
    Int,       // int, int32, int64, uint32, uint64, size_t, uint, long, syscall64
    String,    // string: a NUL-terminated user string
    CharBuf,   // char_buf: a user buffer whose size is another argument
    Fd,        // fd: an int that names a file
    File,      // file / path / dentry: a file's path
    Sockaddr,  // sockaddr: struct sockaddr * (family, address, port)
    Sock,      // sock / socket: a socket (protocol, addresses, ports)
    Skb,       // skb: a packet (its IP and TCP/UDP headers' addresses, ports, protocol)
    NetDev,    // net_device: a network interface, by name
    LinuxBinprm,
    Cred,      // cred: ids, capability sets and user namespace, for the event
    Capability,
    CapSet,    // cap_effective / cap_permitted / cap_inheritable / kernel_cap_t: a kernel_cap_t *
    Nop,       // nop: present but not read
    Unsupported,
};

struct Arg {
    int index = 0;
    ArgType type = ArgType::Int;
    std::string type_name;          // as written, for messages
    bool return_copy = false;
    int size_arg_index = 0;         // 0 = none (Tetragon counts from 1)
    int max_data = 0;               // maxData: nonzero = read as much as the kernel allows (Tetragon's is a bool)
    std::string label;
    std::string resolve;            // resolve: a path into the argument's struct; empty = the argument itself
    Location loc;
};

// matchArgs / matchReturnArgs operator, as written in Tetragon.
enum class ArgOp {
    Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, Mask, GT, LT,
    SAddr, DAddr, NotSAddr, NotDAddr, SPort, DPort, NotSPort, NotDPort,
    SPortPriv, DPortPriv, NotSPortPriv, NotDPortPriv, Protocol, Family, State,
    InMap, NotInMap,
};

struct ArgMatch {
    int index = 0;                     // the arg's `index`, as written
    ArgOp op = ArgOp::Equal;
    std::vector<std::string> values;   // as written; the compiler parses them
    Location loc;
};

enum class BinaryOp { In, NotIn, Prefix, NotPrefix, Postfix, NotPostfix };
struct BinaryMatch {
    BinaryOp op = BinaryOp::In;
    std::vector<std::string> values;
    bool follow_children = false;
    Location loc;
};

enum class SetOp { In, NotIn };

struct PidMatch {
    SetOp op = SetOp::In;
    std::vector<std::uint32_t> values;
    bool follow_forks = false;
    bool is_namespace_pid = false;
    Location loc;
};

enum class NamespaceKind { Uts, Ipc, Mnt, Pid, PidForChildren, Net, Time, TimeForChildren, Cgroup, User };
struct NamespaceMatch {
    NamespaceKind ns = NamespaceKind::Pid;
    SetOp op = SetOp::In;
    bool host_ns = false;                 // the value "host_ns": the agent's own namespace
    std::vector<std::uint32_t> values;    // inode numbers
    Location loc;
};

enum class CapSetKind { Effective, Inheritable, Permitted };
struct CapabilityMatch {
    CapSetKind set = CapSetKind::Effective;
    SetOp op = SetOp::In;
    bool is_namespace_capability = false;
    std::vector<int> caps;                // CAP_* numbers
    Location loc;
};

struct NamespaceChangeMatch {
    SetOp op = SetOp::In;
    std::vector<NamespaceKind> namespaces;
    Location loc;
};

struct CapabilityChangeMatch {
    CapSetKind set = CapSetKind::Effective;
    SetOp op = SetOp::In;
    bool is_namespace_capability = false;
    std::vector<int> caps;
    Location loc;
};

enum class ActionKind {
    Post, NoPost, Sigkill, Signal, Override,
    // Parsed so that policies using them are named precisely; not executed.
    FollowFD, UnfollowFD, CopyFD, GetUrl, DnsLookup, TrackSock, UntrackSock,
    NotifyEnforcer, Set, Unsupported,
};

struct Action {
    ActionKind kind = ActionKind::Post;
    std::string name;              // as written
    std::optional<int> arg_error;  // Override: the errno returned (negative)
    std::optional<int> arg_sig;    // Signal
    std::string arg_url;           // GetUrl: fetched by the agent when the selector matches
    std::string arg_fqdn;          // DnsLookup: resolved by the agent when the selector matches
    std::uint64_t rate_limit_ns = 0;   // rateLimit "1m", "10s", "500ms"; 0 = none
    std::string rate_limit_scope;      // "thread" (default), "process", "global"
    Location loc;
};

struct Selector {
    std::vector<PidMatch> pids;
    std::vector<ArgMatch> args;
    std::vector<ArgMatch> return_args;
    std::vector<BinaryMatch> binaries;
    std::vector<NamespaceMatch> namespaces;
    std::vector<CapabilityMatch> capabilities;
    std::vector<NamespaceChangeMatch> namespace_changes;
    std::vector<CapabilityChangeMatch> capability_changes;
    std::vector<Action> actions;         // empty = Post
    std::vector<Action> return_actions;
    Location loc;
};

enum class HookKind { Kprobe, Tracepoint, Lsm, Uprobe, Usdt };

// One entry of spec.kprobes / spec.tracepoints / spec.lsmhooks (uprobes and
// usdts are kept only to be named when rejected).
struct Hook {
    HookKind kind = HookKind::Kprobe;
    std::string call;          // kprobe: function or syscall; lsm: hook; tracepoint: "subsystem/event";
                               // uprobe / usdt: the binary's path
    bool syscall = false;      // kprobe `syscall` (Tetragon's default when absent: true)
    bool is_return = false;    // kprobe `return: true`
    std::vector<Arg> args;
    std::optional<Arg> return_arg;
    std::string return_arg_action;  // kprobe returnArgAction, as written ("Post", "TrackSock", ...)
    std::vector<Selector> selectors;
    std::string message;
    std::vector<std::string> tags;
    std::vector<std::string> list_calls;  // call: "list:NAME" expanded from spec.lists;
                                          // uprobe: its symbols; usdt: "provider:name"
    std::string list_type;     // the list's type when call is "list:NAME" ("syscalls", "generated_ftrace", ...)
    bool raw_tracepoint = false;        // tracepoint `raw: true`: args index the raw tracepoint's arguments
    bool ignore_call_not_found = false; // kprobe `ignore: {callNotFound: true}`
    Location loc;
};

// One entry of spec.lists: kprobe calls ("list:NAME") and InMap values name them.
struct NamedList {
    std::string name;
    std::string type;                  // "", "syscalls", "generated_syscalls", "generated_ftrace"
    std::vector<std::string> values;
    std::string pattern;               // generated_ftrace: a regular expression over function names
    Location loc;
};

// Label selector as Kubernetes writes it.
struct LabelSelector {
    std::map<std::string, std::string> match_labels;
    struct Expression {
        std::string key;
        std::string op;  // In, NotIn, Exists, DoesNotExist
        std::vector<std::string> values;
    };
    std::vector<Expression> match_expressions;
    bool empty() const { return match_labels.empty() && match_expressions.empty(); }
};

// Palisade's network policy: allow/deny lists for a cgroup's sockets,
// enforced by cgroup sock_addr hooks (connect, sendmsg, bind).
struct NetRule {
    std::vector<std::string> cidrs;   // "10.0.0.0/8", "::1/128"; empty = any address
    std::vector<std::uint16_t> ports; // empty = any port
    std::string protocol;             // "", "TCP", "UDP"
    Location loc;
};

struct NetDirection {
    bool default_deny = false;        // true: only `allow` passes
    std::vector<NetRule> allow;
    std::vector<NetRule> deny;        // checked first
    bool present = false;
};

struct NetworkSpec {
    std::vector<std::string> cgroup_paths;  // cgroup v2 paths the policy applies to; empty = every cgroup in scope
    NetDirection egress;   // connect / sendmsg
    NetDirection bind;     // bind: which local addresses and ports may be bound
};

enum class PolicyKind { TracingPolicy, TracingPolicyNamespaced, NetworkPolicy };

struct Policy {
    PolicyKind kind = PolicyKind::TracingPolicy;
    std::string name;
    std::string namespace_;      // TracingPolicyNamespaced: metadata.namespace
    Mode mode = Mode::Enforce;   // spec.options policy-mode, or the agent default
    bool mode_set = false;       // whether the file chose the mode
    LabelSelector pod_selector;
    LabelSelector container_selector;
    std::vector<Hook> hooks;
    std::vector<NamedList> lists;  // spec.lists, for InMap / NotInMap values "list:NAME"
    NetworkSpec network;         // NetworkPolicy only
    Location loc;                // the document's start
};

}  // namespace palisade::policy
