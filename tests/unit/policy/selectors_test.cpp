// Selectors: every filter kind, operators, namespaces, capabilities, actions.
#include <linux/capability.h>

#include <gtest/gtest.h>

#include "unit/policy/policy_test_util.h"

namespace palisade::policy {
namespace {

using test::kprobe_with_selectors;
using test::located;
using test::parse;
using test::parse_selector;
using test::selector_errors;
using Lines = std::vector<std::string>;

// ---------------------------------------------------------------------------
// matchPIDs

TEST(PolicySelectors, MatchPids)
{
    Selector selector = parse_selector("    - matchPIDs:\n"
                                       "      - operator: NotIn\n"
                                       "        followForks: true\n"
                                       "        isNamespacePID: true\n"
                                       "        values: [0, 1, \"4294967295\"]\n"
                                       "      - {operator: In, values: [42]}\n");
    ASSERT_EQ(selector.pids.size(), 2u);
    EXPECT_EQ(selector.pids[0].op, SetOp::NotIn);
    EXPECT_TRUE(selector.pids[0].follow_forks);
    EXPECT_TRUE(selector.pids[0].is_namespace_pid);
    EXPECT_EQ(selector.pids[0].values, (std::vector<std::uint32_t>{0, 1, 4294967295u}));
    EXPECT_EQ(selector.pids[0].loc.line, 14);
    EXPECT_EQ(selector.pids[0].loc.column, 9);
    EXPECT_EQ(selector.pids[1].op, SetOp::In);
    EXPECT_FALSE(selector.pids[1].follow_forks);
    EXPECT_FALSE(selector.pids[1].is_namespace_pid);
    EXPECT_EQ(selector.loc.line, 13);
    EXPECT_EQ(selector.loc.column, 7);
}

TEST(PolicySelectors, MatchPidsErrors)
{
    EXPECT_EQ(selector_errors("    - matchPIDs:\n      - {operator: In, values: [1, init]}\n"),
              Lines({"14:36: each item of 'values' must be an integer, not 'init'"}));
    EXPECT_EQ(selector_errors("    - matchPIDs:\n      - {operator: In, values: [4294967296]}\n"),
              Lines({"14:33: each item of 'values' must be between 0 and 4294967295, not 4294967296"}));
    EXPECT_EQ(selector_errors("    - matchPIDs:\n      - {operator: Equal, values: [1]}\n"),
              Lines({"14:20: matchPIDs operator 'Equal' is not valid; valid operators: In, NotIn"}));
    EXPECT_EQ(selector_errors("    - matchPIDs:\n      - {values: [1]}\n"),
              Lines({"14:9: a matchPIDs entry is missing the required key 'operator'"}));
}

// ---------------------------------------------------------------------------
// matchArgs and matchReturnArgs

TEST(PolicySelectors, MatchArgsKeepsValuesAsWritten)
{
    Selector selector = parse_selector("    - matchArgs:\n"
                                       "      - index: 1\n"
                                       "        operator: Equal\n"
                                       "        values: [5, \"0x10\", five, -3, true]\n"
                                       "      - {index: 0, operator: Mask}\n"
                                       "      matchReturnArgs:\n"
                                       "      - {index: 0, operator: LT, values: [\"0\"]}\n");
    ASSERT_EQ(selector.args.size(), 2u);
    EXPECT_EQ(selector.args[0].index, 1);
    EXPECT_EQ(selector.args[0].op, ArgOp::Equal);
    EXPECT_EQ(selector.args[0].values, (std::vector<std::string>{"5", "0x10", "five", "-3", "true"}));
    EXPECT_EQ(selector.args[0].loc.line, 14);
    EXPECT_EQ(selector.args[1].op, ArgOp::Mask);
    EXPECT_TRUE(selector.args[1].values.empty());
    ASSERT_EQ(selector.return_args.size(), 1u);
    EXPECT_EQ(selector.return_args[0].op, ArgOp::LT);
    EXPECT_EQ(selector.return_args[0].values, std::vector<std::string>{"0"});
}

TEST(PolicySelectors, MatchArgsListFormIsOneMatchPerArgument)
{
    Selector selector = parse_selector("    - matchArgs:\n"
                                       "      - args: [0, 2]\n"
                                       "        operator: Prefix\n"
                                       "        values: [/etc/]\n");
    ASSERT_EQ(selector.args.size(), 2u);
    EXPECT_EQ(selector.args[0].index, 0);
    EXPECT_EQ(selector.args[1].index, 2);
    for (const ArgMatch& match : selector.args) {
        EXPECT_EQ(match.op, ArgOp::Prefix);
        EXPECT_EQ(match.values, std::vector<std::string>{"/etc/"});
    }
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 0, args: [1], operator: Equal}\n"),
              Lines({"14:20: a matchArgs entry takes 'index' or 'args', not both"}));
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {args: [], operator: Equal}\n"),
              Lines({"14:16: 'args' must list at least one argument index"}));
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {operator: Equal, values: [x]}\n"),
              Lines({"14:9: a matchArgs entry is missing the required key 'index'"}));
}

TEST(PolicySelectors, EveryArgOperatorAndTetragonsOtherSpellings)
{
    const std::pair<const char*, ArgOp> cases[] = {
        {"Equal", ArgOp::Equal},
        {"NotEqual", ArgOp::NotEqual},
        {"Prefix", ArgOp::Prefix},
        {"NotPrefix", ArgOp::NotPrefix},
        {"Postfix", ArgOp::Postfix},
        {"NotPostfix", ArgOp::NotPostfix},
        {"Mask", ArgOp::Mask},
        {"GT", ArgOp::GT},
        {"LT", ArgOp::LT},
        {"SAddr", ArgOp::SAddr},
        {"DAddr", ArgOp::DAddr},
        {"NotSAddr", ArgOp::NotSAddr},
        {"NotDAddr", ArgOp::NotDAddr},
        {"SPort", ArgOp::SPort},
        {"DPort", ArgOp::DPort},
        {"NotSPort", ArgOp::NotSPort},
        {"NotDPort", ArgOp::NotDPort},
        {"SPortPriv", ArgOp::SPortPriv},
        {"DPortPriv", ArgOp::DPortPriv},
        {"NotSPortPriv", ArgOp::NotSPortPriv},
        {"NotDPortPriv", ArgOp::NotDPortPriv},
        {"Protocol", ArgOp::Protocol},
        {"Family", ArgOp::Family},
        {"State", ArgOp::State},
        {"InMap", ArgOp::InMap},
        {"NotInMap", ArgOp::NotInMap},
        // Spellings Tetragon's SelectorOp() also accepts.
        {"eq", ArgOp::Equal},
        {"neq", ArgOp::NotEqual},
        {"GreaterThan", ArgOp::GT},
        {"gt", ArgOp::GT},
        {"LessThan", ArgOp::LT},
        {"lt", ArgOp::LT},
        {"prefix", ArgOp::Prefix},
        {"notpostfix", ArgOp::NotPostfix},
        {"mask", ArgOp::Mask},
        {"Saddr", ArgOp::SAddr},
        {"notdaddr", ArgOp::NotDAddr},
        {"Dport", ArgOp::DPort},
        {"NotSportPriv", ArgOp::NotSPortPriv},
        {"protocol", ArgOp::Protocol},
        {"family", ArgOp::Family},
        {"state", ArgOp::State},
    };
    for (const auto& [name, op] : cases) {
        Selector selector =
            parse_selector(std::string("    - matchArgs:\n      - {index: 1, operator: ") + name + "}\n");
        ASSERT_EQ(selector.args.size(), 1u) << name;
        EXPECT_EQ(selector.args[0].op, op) << name;
    }
}

TEST(PolicySelectors, UnknownOperatorIsNamedWithTheValidOnes)
{
    const std::string valid = "valid operators: Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, Mask, GT, "
                              "LT, SAddr, DAddr, NotSAddr, NotDAddr, SPort, DPort, NotSPort, NotDPort, SPortPriv, "
                              "DPortPriv, NotSPortPriv, NotDPortPriv, Protocol, Family, State, InMap, NotInMap";
    EXPECT_EQ(selector_errors("    - matchArgs:\n"
                              "      - index: 1\n"
                              "        operator: Equals\n"),
              Lines({"15:19: matchArgs operator 'Equals' is not valid; " + valid}));
    // Case-sensitive, as in Tetragon.
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 1, operator: equal}\n"),
              Lines({"14:30: matchArgs operator 'equal' is not valid; " + valid}));
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 1, operator: In}\n"),
              Lines({"14:30: matchArgs operator 'In' is not valid; " + valid}));
    EXPECT_EQ(selector_errors("    - matchReturnArgs:\n      - {index: 1, operator: SubString, values: [x]}\n"),
              Lines({"14:30: matchReturnArgs operator 'SubString' is not supported by Palisade; " + valid}));
}

// ---------------------------------------------------------------------------
// matchBinaries

TEST(PolicySelectors, MatchBinaries)
{
    const std::pair<const char*, BinaryOp> cases[] = {
        {"In", BinaryOp::In},           {"NotIn", BinaryOp::NotIn},
        {"Prefix", BinaryOp::Prefix},   {"NotPrefix", BinaryOp::NotPrefix},
        {"Postfix", BinaryOp::Postfix}, {"NotPostfix", BinaryOp::NotPostfix},
        {"prefix", BinaryOp::Prefix},
    };
    for (const auto& [name, op] : cases) {
        Selector selector = parse_selector(std::string("    - matchBinaries:\n      - operator: ") + name +
                                           "\n        values: [/usr/bin/curl, /bin/]\n");
        ASSERT_EQ(selector.binaries.size(), 1u) << name;
        EXPECT_EQ(selector.binaries[0].op, op) << name;
        EXPECT_EQ(selector.binaries[0].values, (std::vector<std::string>{"/usr/bin/curl", "/bin/"}));
        EXPECT_FALSE(selector.binaries[0].follow_children);
    }
    Selector children = parse_selector("    - matchBinaries:\n"
                                       "      - {operator: In, values: [/usr/bin/sshd], followChildren: true}\n");
    EXPECT_TRUE(children.binaries[0].follow_children);
    EXPECT_EQ(selector_errors("    - matchBinaries:\n      - {operator: Contains, values: [sh]}\n"),
              Lines({"14:20: matchBinaries operator 'Contains' is not valid; valid operators: In, NotIn, Prefix, "
                     "NotPrefix, Postfix, NotPostfix"}));
}

// ---------------------------------------------------------------------------
// matchNamespaces and matchNamespaceChanges

TEST(PolicySelectors, MatchNamespacesAllKindsAndHostNs)
{
    const std::pair<const char*, NamespaceKind> cases[] = {
        {"Uts", NamespaceKind::Uts},
        {"Ipc", NamespaceKind::Ipc},
        {"Mnt", NamespaceKind::Mnt},
        {"Pid", NamespaceKind::Pid},
        {"PidForChildren", NamespaceKind::PidForChildren},
        {"Net", NamespaceKind::Net},
        {"Time", NamespaceKind::Time},
        {"TimeForChildren", NamespaceKind::TimeForChildren},
        {"Cgroup", NamespaceKind::Cgroup},
        {"User", NamespaceKind::User},
        {"pidforchildren", NamespaceKind::PidForChildren},
        {"NET", NamespaceKind::Net},
    };
    for (const auto& [name, kind] : cases) {
        Selector selector = parse_selector(std::string("    - matchNamespaces:\n      - namespace: ") + name +
                                           "\n        operator: NotIn\n        values: [host_ns, 4026531836]\n");
        ASSERT_EQ(selector.namespaces.size(), 1u) << name;
        EXPECT_EQ(selector.namespaces[0].ns, kind) << name;
        EXPECT_EQ(selector.namespaces[0].op, SetOp::NotIn);
        EXPECT_TRUE(selector.namespaces[0].host_ns);
        EXPECT_EQ(selector.namespaces[0].values, std::vector<std::uint32_t>{4026531836u});
    }
    Selector only_inodes = parse_selector("    - matchNamespaces:\n"
                                          "      - {namespace: Mnt, operator: In, values: [\"4026531840\"]}\n");
    EXPECT_FALSE(only_inodes.namespaces[0].host_ns);
    EXPECT_EQ(only_inodes.namespaces[0].values, std::vector<std::uint32_t>{4026531840u});
}

TEST(PolicySelectors, MatchNamespacesErrors)
{
    EXPECT_EQ(selector_errors("    - matchNamespaces:\n      - {namespace: Network, operator: In, values: [1]}\n"),
              Lines({"14:21: unknown namespace 'Network'; valid namespaces: Uts, Ipc, Mnt, Pid, PidForChildren, Net, "
                     "Time, TimeForChildren, Cgroup, User"}));
    EXPECT_EQ(selector_errors("    - matchNamespaces:\n      - {namespace: Pid, operator: In, values: [host]}\n"),
              Lines({"14:49: a namespace inode number or \"host_ns\" must be an integer, not 'host'"}));
}

TEST(PolicySelectors, MatchNamespaceChanges)
{
    Selector selector = parse_selector("    - matchNamespaceChanges:\n"
                                       "      - operator: In\n"
                                       "        values: [Mnt, user]\n");
    ASSERT_EQ(selector.namespace_changes.size(), 1u);
    EXPECT_EQ(selector.namespace_changes[0].op, SetOp::In);
    EXPECT_EQ(selector.namespace_changes[0].namespaces,
              (std::vector<NamespaceKind>{NamespaceKind::Mnt, NamespaceKind::User}));
    EXPECT_EQ(selector_errors("    - matchNamespaceChanges:\n      - {operator: In, values: [Mnt, Disk]}\n"),
              Lines({"14:38: unknown namespace 'Disk'; valid namespaces: Uts, Ipc, Mnt, Pid, PidForChildren, Net, "
                     "Time, TimeForChildren, Cgroup, User"}));
}

// ---------------------------------------------------------------------------
// matchCapabilities and matchCapabilityChanges

TEST(PolicySelectors, CapabilityNamesAreLinuxNumbers)
{
#define CAPABILITY(name)                                                                                               \
    {                                                                                                                  \
#name, name                                                                                                    \
    }
    const std::pair<const char*, int> capabilities[] = {
        CAPABILITY(CAP_CHOWN),
        CAPABILITY(CAP_DAC_OVERRIDE),
        CAPABILITY(CAP_DAC_READ_SEARCH),
        CAPABILITY(CAP_FOWNER),
        CAPABILITY(CAP_FSETID),
        CAPABILITY(CAP_KILL),
        CAPABILITY(CAP_SETGID),
        CAPABILITY(CAP_SETUID),
        CAPABILITY(CAP_SETPCAP),
        CAPABILITY(CAP_LINUX_IMMUTABLE),
        CAPABILITY(CAP_NET_BIND_SERVICE),
        CAPABILITY(CAP_NET_BROADCAST),
        CAPABILITY(CAP_NET_ADMIN),
        CAPABILITY(CAP_NET_RAW),
        CAPABILITY(CAP_IPC_LOCK),
        CAPABILITY(CAP_IPC_OWNER),
        CAPABILITY(CAP_SYS_MODULE),
        CAPABILITY(CAP_SYS_RAWIO),
        CAPABILITY(CAP_SYS_CHROOT),
        CAPABILITY(CAP_SYS_PTRACE),
        CAPABILITY(CAP_SYS_PACCT),
        CAPABILITY(CAP_SYS_ADMIN),
        CAPABILITY(CAP_SYS_BOOT),
        CAPABILITY(CAP_SYS_NICE),
        CAPABILITY(CAP_SYS_RESOURCE),
        CAPABILITY(CAP_SYS_TIME),
        CAPABILITY(CAP_SYS_TTY_CONFIG),
        CAPABILITY(CAP_MKNOD),
        CAPABILITY(CAP_LEASE),
        CAPABILITY(CAP_AUDIT_WRITE),
        CAPABILITY(CAP_AUDIT_CONTROL),
        CAPABILITY(CAP_SETFCAP),
        CAPABILITY(CAP_MAC_OVERRIDE),
        CAPABILITY(CAP_MAC_ADMIN),
        CAPABILITY(CAP_SYSLOG),
        CAPABILITY(CAP_WAKE_ALARM),
        CAPABILITY(CAP_BLOCK_SUSPEND),
        CAPABILITY(CAP_AUDIT_READ),
        CAPABILITY(CAP_PERFMON),
        CAPABILITY(CAP_BPF),
        CAPABILITY(CAP_CHECKPOINT_RESTORE),
    };
#undef CAPABILITY
    static_assert(std::size(capabilities) == CAP_LAST_CAP + 1);
    std::string values;
    std::vector<int> expected;
    for (const auto& [name, number] : capabilities) {
        values += values.empty() ? name : std::string(", ") + name;
        expected.push_back(number);
    }
    Selector selector = parse_selector("    - matchCapabilities:\n"
                                       "      - operator: In\n"
                                       "        values: [" +
                                       values + "]\n");
    ASSERT_EQ(selector.capabilities.size(), 1u);
    EXPECT_EQ(selector.capabilities[0].caps, expected);
    EXPECT_EQ(selector.capabilities[0].caps[39], 39);  // CAP_BPF
    EXPECT_EQ(selector.capabilities[0].set, CapSetKind::Effective);
    EXPECT_FALSE(selector.capabilities[0].is_namespace_capability);
}

TEST(PolicySelectors, MatchCapabilitiesFields)
{
    Selector selector = parse_selector("    - matchCapabilities:\n"
                                       "      - type: Permitted\n"
                                       "        operator: NotIn\n"
                                       "        isNamespaceCapability: true\n"
                                       "        values: [\"cap_net_raw\", CAP_PERFMON]\n"
                                       "      - {type: inheritable, operator: In, values: [CAP_CHECKPOINT_RESTORE]}\n"
                                       "      matchCapabilityChanges:\n"
                                       "      - {type: Effective, operator: In, isNamespaceCapability: true,\n"
                                       "         values: [CAP_SYS_ADMIN, CAP_BPF]}\n");
    ASSERT_EQ(selector.capabilities.size(), 2u);
    EXPECT_EQ(selector.capabilities[0].set, CapSetKind::Permitted);
    EXPECT_EQ(selector.capabilities[0].op, SetOp::NotIn);
    EXPECT_TRUE(selector.capabilities[0].is_namespace_capability);
    EXPECT_EQ(selector.capabilities[0].caps, (std::vector<int>{13, 38}));
    EXPECT_EQ(selector.capabilities[1].set, CapSetKind::Inheritable);
    EXPECT_EQ(selector.capabilities[1].caps, std::vector<int>{40});
    ASSERT_EQ(selector.capability_changes.size(), 1u);
    EXPECT_EQ(selector.capability_changes[0].set, CapSetKind::Effective);
    EXPECT_TRUE(selector.capability_changes[0].is_namespace_capability);
    EXPECT_EQ(selector.capability_changes[0].caps, (std::vector<int>{21, 39}));
}

TEST(PolicySelectors, MatchCapabilitiesErrors)
{
    EXPECT_EQ(selector_errors("    - matchCapabilities:\n      - {operator: In, values: [CAP_SYS_ADMIN, CAP_ROOT]}\n"),
              Lines({"14:48: unknown capability 'CAP_ROOT' (expected a CAP_* name, e.g. CAP_SYS_ADMIN)"}));
    EXPECT_EQ(selector_errors("    - matchCapabilities:\n      - {type: Bounding, operator: In, values: [CAP_BPF]}\n"),
              Lines({"14:16: unknown capability set 'Bounding'; valid sets: Effective, Inheritable, Permitted"}));
    EXPECT_EQ(selector_errors("    - matchCapabilityChanges:\n      - {operator: Gained, values: [CAP_BPF]}\n"),
              Lines({"14:20: matchCapabilityChanges operator 'Gained' is not valid; valid operators: In, NotIn"}));
}

// ---------------------------------------------------------------------------
// matchActions and matchReturnActions

TEST(PolicySelectors, ActionNamesAreCaseInsensitive)
{
    const std::pair<const char*, ActionKind> cases[] = {
        {"Post", ActionKind::Post},
        {"NoPost", ActionKind::NoPost},
        {"Sigkill", ActionKind::Sigkill},
        {"Signal", ActionKind::Signal},
        {"Override", ActionKind::Override},
        {"FollowFD", ActionKind::FollowFD},
        {"UnfollowFD", ActionKind::UnfollowFD},
        {"CopyFD", ActionKind::CopyFD},
        {"GetUrl", ActionKind::GetUrl},
        {"DnsLookup", ActionKind::DnsLookup},
        {"TrackSock", ActionKind::TrackSock},
        {"UntrackSock", ActionKind::UntrackSock},
        {"NotifyEnforcer", ActionKind::NotifyEnforcer},
        {"Set", ActionKind::Set},
        {"sigkill", ActionKind::Sigkill},
        {"SIGKILL", ActionKind::Sigkill},
        {"followfd", ActionKind::FollowFD},
        {"Frobnicate", ActionKind::Unsupported},
    };
    for (const auto& [name, kind] : cases) {
        Selector selector = parse_selector(std::string("    - matchActions:\n      - action: ") + name + "\n");
        ASSERT_EQ(selector.actions.size(), 1u) << name;
        EXPECT_EQ(selector.actions[0].kind, kind) << name;
        EXPECT_EQ(selector.actions[0].name, name);
    }
}

TEST(PolicySelectors, ActionArguments)
{
    Selector selector = parse_selector("    - matchActions:\n"
                                       "      - action: Override\n"
                                       "        argError: -1\n"
                                       "      - action: Signal\n"
                                       "        argSig: 9\n"
                                       "      - action: Post\n"
                                       "        rateLimit: 1m\n"
                                       "        rateLimitScope: Process\n"
                                       "      - {action: Post, rateLimit: 30}\n"
                                       "      - {action: FollowFD, argFd: 0, argName: 1}\n"
                                       "      matchReturnActions:\n"
                                       "      - {action: Post, rateLimit: 500ms}\n");
    ASSERT_EQ(selector.actions.size(), 5u);
    EXPECT_EQ(selector.actions[0].arg_error, -1);
    EXPECT_FALSE(selector.actions[0].arg_sig.has_value());
    EXPECT_EQ(selector.actions[0].rate_limit_ns, 0u);
    EXPECT_EQ(selector.actions[0].loc.line, 14);
    EXPECT_EQ(selector.actions[0].loc.column, 9);
    EXPECT_EQ(selector.actions[1].arg_sig, 9);
    EXPECT_FALSE(selector.actions[1].arg_error.has_value());
    EXPECT_EQ(selector.actions[2].rate_limit_ns, 60'000'000'000ull);
    EXPECT_EQ(selector.actions[2].rate_limit_scope, "process");
    EXPECT_EQ(selector.actions[3].rate_limit_ns, 30'000'000'000ull);
    EXPECT_EQ(selector.actions[3].rate_limit_scope, "");
    EXPECT_EQ(selector.actions[4].kind, ActionKind::FollowFD);
    ASSERT_EQ(selector.return_actions.size(), 1u);
    EXPECT_EQ(selector.return_actions[0].rate_limit_ns, 500'000'000ull);
}

TEST(PolicySelectors, ActionErrors)
{
    EXPECT_EQ(selector_errors("    - matchActions:\n      - {action: Post, rateLimit: soon}\n"),
              Lines({"14:35: rateLimit 'soon' is not a duration (e.g. \"500ms\", \"10s\", \"1m\", \"1h\", or "
                     "seconds)"}));
    EXPECT_EQ(selector_errors("    - matchActions:\n      - {action: Post, rateLimit: 1m, rateLimitScope: pod}\n"),
              Lines({"14:55: unknown rateLimitScope 'pod'; valid scopes: thread, process, global"}));
    EXPECT_EQ(selector_errors("    - matchActions:\n      - {action: Override, argError: EPERM}\n"),
              Lines({"14:38: 'argError' must be an integer, not 'EPERM'"}));
    EXPECT_EQ(selector_errors("    - matchActions:\n      - {action: Override, argEror: -1}\n"),
              Lines({"14:28: unknown key 'argEror' in a matchActions entry; expected one of: action, argError, "
                     "argSig, rateLimit, rateLimitScope, kernelStackTrace, userStackTrace, imaHash, argFd, argName, "
                     "argUrl, argFqdn, argSock, argIndex, argValue"}));
}

TEST(PolicySelectors, StackTracesAndImaHashAreWarnedAboutOnlyWhenAskedFor)
{
    ParseResult result = parse(kprobe_with_selectors("    - matchActions:\n"
                                                     "      - action: Post\n"
                                                     "        kernelStackTrace: true\n"
                                                     "        userStackTrace: false\n"
                                                     "        imaHash: true\n"));
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(located(result.warnings),
              Lines({"15:9: 'kernelStackTrace' in a matchActions entry is not supported by Palisade (ignored)",
                     "17:9: 'imaHash' in a matchActions entry is not supported by Palisade (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

// ---------------------------------------------------------------------------
// The selector itself

TEST(PolicySelectors, SeveralSelectorsEachWithSeveralFilters)
{
    Policy policy =
        test::parse_one(kprobe_with_selectors("    - matchArgs: [{index: 1, operator: Prefix, values: [/etc/]}]\n"
                                              "      matchBinaries: [{operator: In, values: [/bin/cat]}]\n"
                                              "      matchActions: [{action: Sigkill}]\n"
                                              "    - matchPIDs: [{operator: NotIn, values: [1]}]\n"));
    ASSERT_EQ(policy.hooks.size(), 1u);
    ASSERT_EQ(policy.hooks[0].selectors.size(), 2u);
    const Selector& first = policy.hooks[0].selectors[0];
    EXPECT_EQ(first.args.size(), 1u);
    EXPECT_EQ(first.binaries.size(), 1u);
    EXPECT_EQ(first.actions.size(), 1u);
    EXPECT_TRUE(first.pids.empty());
    EXPECT_EQ(policy.hooks[0].selectors[1].pids.size(), 1u);
    EXPECT_TRUE(policy.hooks[0].selectors[1].actions.empty());
    EXPECT_EQ(policy.hooks[0].selectors[1].loc.line, 16);
}

TEST(PolicySelectors, UnknownOrUnsupportedFilterIsAnErrorBecauseItWouldWidenTheSelector)
{
    EXPECT_EQ(selector_errors("    - matchBinary:\n      - {operator: In, values: [/bin/sh]}\n"
                              "      matchActions: [{action: Sigkill}]\n"),
              Lines({"13:7: unknown key 'matchBinary' in a selector; expected one of: matchPIDs, matchArgs, "
                     "matchReturnArgs, matchBinaries, matchNamespaces, matchCapabilities, matchNamespaceChanges, "
                     "matchCapabilityChanges, matchActions, matchReturnActions"}));
    EXPECT_EQ(selector_errors("    - matchParentBinaries:\n      - {operator: In, values: [/bin/sh]}\n"),
              Lines({"13:7: selector filter 'matchParentBinaries' is not supported by Palisade (ignoring it would "
                     "widen the selector)"}));
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 1, operator: Equal, value: [x]}\n"),
              Lines({"14:37: unknown key 'value' in a matchArgs entry; expected one of: index, args, operator, "
                     "values"}));
}

TEST(PolicySelectors, WrongTypesInsideSelectors)
{
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 1, operator: Equal, values: x}\n"),
              Lines({"14:45: 'values' must be a sequence, not a string"}));
    EXPECT_EQ(selector_errors("    - matchArgs:\n      - {index: 1, operator: Equal, values: [{a: b}]}\n"),
              Lines({"14:46: each item of 'values' must be a string or number, not a mapping"}));
    EXPECT_EQ(selector_errors("    - matchArgs: {index: 1}\n"),
              Lines({"13:18: 'matchArgs' must be a sequence, not a mapping"}));
    EXPECT_EQ(selector_errors("    - [matchArgs]\n"), Lines({"13:7: a selector must be a mapping, not a sequence"}));
}

}  // namespace
}  // namespace palisade::policy
