// The policy compiler end to end on the socket hooks (sys_connect with a
// sockaddr, NetworkPolicy) and on the syscall tracepoints.
#include <algorithm>

#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using model::Task;
using namespace test;

constexpr std::uint16_t kTcp = 6, kUdp = 17;

// A policy on sys_connect(int fd, struct sockaddr *addr) whose one selector
// holds `matchers` (lines of "matchArgs:" on index 1, the address).
std::string connect_policy(const std::string& name, const std::string& matchers,
                           const std::string& action = "Post")
{
    return tracing_policy(name, "  kprobes:\n"
                                "  - call: sys_connect\n"
                                "    args: [{index: 0, type: int}, {index: 1, type: sockaddr}]\n"
                                "    selectors:\n"
                                "    - matchArgs:\n" + matchers +
                                "      matchActions: [{action: " + action + "}]\n");
}

std::string daddr(const std::string& name, const std::string& op, const std::string& values,
                  const std::string& action = "Post")
{
    return connect_policy(name, "      - {index: 1, operator: " + op + ", values: " + values + "}\n", action);
}

Lines connect(Kernel& k, const std::string& addr, std::uint16_t port = 443, std::uint16_t protocol = kTcp,
              const Task& task = {})
{
    return summary(k.sock_addr(task, PL_HOOK_CONNECT, addr, port, protocol));
}

// ---------------------------------------------------------------------------
// sys_connect with a sockaddr: the cgroup connect hook

TEST(PolicyCompilerSockets, NestedV4CidrsAcrossPolicies)
{
    auto r = compile_ok(documents({daddr("ten", "DAddr", "[10.0.0.0/8]"),
                                   daddr("ten-one", "DAddr", "[10.1.0.0/16, 192.168.1.0/24]"),
                                   daddr("host", "DAddr", "[10.1.2.3]"),
                                   daddr("not-ten-one", "NotDAddr", "[10.1.0.0/16, 192.168.0.0/16]")}));
    ASSERT_EQ(r.tables.hooks.count(PL_HOOK_CONNECT), 1u);
    EXPECT_FALSE(r.tables.uses_syscall_entry());
    EXPECT_TRUE(r.tables.uses_cgroup_hooks());
    Kernel k(r.tables);
    EXPECT_EQ(connect(k, "10.1.2.3"), (Lines{"ten:0:post", "ten-one:0:post", "host:0:post"}));
    EXPECT_EQ(connect(k, "10.1.2.4"), (Lines{"ten:0:post", "ten-one:0:post"}));
    EXPECT_EQ(connect(k, "10.200.0.1"), (Lines{"ten:0:post", "not-ten-one:0:post"}));
    EXPECT_EQ(connect(k, "192.168.1.7"), Lines{"ten-one:0:post"});
    EXPECT_EQ(connect(k, "192.168.2.7"), Lines{});
    EXPECT_EQ(connect(k, "11.0.0.1"), Lines{"not-ten-one:0:post"});
    EXPECT_EQ(connect(k, "fd00::1"), Lines{"not-ten-one:0:post"});
}

TEST(PolicyCompilerSockets, V6CidrsAndTheV4Form)
{
    auto r = compile_ok(documents({daddr("ula", "DAddr", "[\"fd00::/8\"]"),
                                   daddr("ula-one", "DAddr", "[\"fd00:1::/32\"]"),
                                   daddr("loopback", "DAddr", "[\"::1\", 127.0.0.0/8]"),
                                   daddr("any-v4", "Equal", "[\"family:AF_INET,addr:0.0.0.0/0\"]")}));
    Kernel k(r.tables);
    EXPECT_EQ(connect(k, "fd00:1::5"), (Lines{"ula:0:post", "ula-one:0:post"}));
    EXPECT_EQ(connect(k, "fd12::1"), Lines{"ula:0:post"});
    EXPECT_EQ(connect(k, "fe80::1"), Lines{});
    EXPECT_EQ(connect(k, "::1"), Lines{"loopback:0:post"});
    EXPECT_EQ(connect(k, "::2"), Lines{});
    EXPECT_EQ(connect(k, "127.0.0.53"), (Lines{"loopback:0:post", "any-v4:0:post"}));
    EXPECT_EQ(connect(k, "8.8.8.8"), Lines{"any-v4:0:post"});
}

TEST(PolicyCompilerSockets, PortsFamilyAndProtocol)
{
    auto r = compile_ok(documents({daddr("https", "DPort", "[443, 8443]"), daddr("not-dns", "NotDPort", "[53]"),
                                   daddr("v6", "Family", "[AF_INET6]"), daddr("udp", "Protocol", "[IPPROTO_UDP]"),
                                   connect_policy("priv", "      - {index: 1, operator: DPortPriv}\n")}));
    Kernel k(r.tables);
    EXPECT_EQ(connect(k, "1.1.1.1", 443), (Lines{"https:0:post", "not-dns:0:post", "priv:0:post"}));
    EXPECT_EQ(connect(k, "1.1.1.1", 8443), (Lines{"https:0:post", "not-dns:0:post"}));
    EXPECT_EQ(connect(k, "1.1.1.1", 53, kUdp), (Lines{"udp:0:post", "priv:0:post"}));
    EXPECT_EQ(connect(k, "::1", 8080), (Lines{"not-dns:0:post", "v6:0:post"}));
    EXPECT_EQ(connect(k, "::1", 1023), (Lines{"not-dns:0:post", "v6:0:post", "priv:0:post"}));
    EXPECT_EQ(connect(k, "::1", 1024), (Lines{"not-dns:0:post", "v6:0:post"}));
}

TEST(PolicyCompilerSockets, SigkillAndOverrideRefuseTheConnect)
{
    auto r = compile_ok(documents({daddr("kill", "DAddr", "[1.1.1.1]", "Sigkill"),
                                   daddr("refuse", "DAddr", "[2.2.2.2]", "Override, argError: -1")}));
    // the hook's note only: Override is no kill at a cgroup hook
    ASSERT_EQ(r.tables.info.at(1).notes.size(), 1u);
    EXPECT_TRUE(r.tables.info.at(1).notes[0].starts_with(
        "test.yaml:20: sys_connect with a socket address is served by the cgroup socket hooks"))
        << r.tables.info.at(1).notes[0];
    Kernel k(r.tables);
    auto killed = k.sock_addr({}, PL_HOOK_CONNECT, "1.1.1.1", 80, kTcp);
    EXPECT_EQ(summary(killed), Lines{"kill:0:sigkill"});
    EXPECT_TRUE(killed.denied);
    EXPECT_EQ(killed.sent, std::vector<std::uint32_t>{9});
    auto refused = k.sock_addr({}, PL_HOOK_CONNECT, "2.2.2.2", 80, kTcp);
    EXPECT_EQ(summary(refused), Lines{"refuse:0:override"});
    EXPECT_TRUE(refused.denied);
    EXPECT_TRUE(refused.sent.empty());
}

TEST(PolicyCompilerSockets, TheReverseShellExample)
{
    ParseResult parsed = parse_policy_file(std::string(PALISADE_SOURCE_DIR) +
                                           "/policies/examples/block-reverse-shell.yaml");
    ASSERT_TRUE(parsed.errors.empty());
    CompileResult r = compile_policies(parsed.policies, {});
    ASSERT_TRUE(r.errors.empty()) << r.errors.front().render();
    model::expect_well_formed(r.tables);
    Kernel k(r.tables);
    Task bash;
    bash.binaries = r.tables.binary_sets("/bin/bash");
    Task python;
    python.binaries = r.tables.binary_sets("/usr/bin/python3");
    auto out = k.sock_addr(bash, PL_HOOK_CONNECT, "203.0.113.9", 4444, kTcp);
    EXPECT_EQ(summary(out), Lines{"block-reverse-shell:0:sigkill"});
    EXPECT_TRUE(out.denied);
    EXPECT_EQ(connect(k, "10.20.30.40", 4444, kTcp, bash), Lines{});
    EXPECT_EQ(connect(k, "172.31.0.1", 4444, kTcp, bash), Lines{});
    EXPECT_EQ(connect(k, "172.32.0.1", 4444, kTcp, bash), Lines{"block-reverse-shell:0:sigkill"});
    EXPECT_EQ(connect(k, "203.0.113.9", 4444, kTcp, python), Lines{});
}

// ---------------------------------------------------------------------------
// NetworkPolicy

constexpr const char* kRunnerPolicy = "apiVersion: palisade.dev/v1alpha1\n"
                                      "kind: NetworkPolicy\n"
                                      "metadata: {name: runner}\n"
                                      "spec:\n"
                                      "  cgroups: [/ci/runner]\n"
                                      "  egress:\n"
                                      "    default: deny\n"
                                      "    allow:\n"
                                      "      - {cidrs: [10.0.0.0/8], ports: [443], protocol: TCP}\n"
                                      "      - {cidrs: [127.0.0.0/8, \"::1\"]}\n"
                                      "    deny:\n"
                                      "      - {cidrs: [10.0.0.99/32]}\n"
                                      "  bind:\n"
                                      "    deny: [{ports: [22]}, {cidrs: [0.0.0.0/32], ports: [80]}]\n";

CompileEnv cgroups_env()
{
    CompileEnv env;
    env.cgroup_id = [](const std::string& path) -> std::optional<std::uint64_t> {
        if (path == "/ci/runner")
            return 555;
        if (path == "/ci/other")
            return 777;
        return std::nullopt;
    };
    return env;
}

Task in_cgroup(std::uint64_t id, std::vector<std::uint64_t> ancestors = {})
{
    Task t;
    t.cgroup_id = id;
    t.ancestors = std::move(ancestors);
    return t;
}

TEST(PolicyCompilerNetwork, DenyRulesThenAllowRulesThenTheDefault)
{
    auto r = compile_ok(kRunnerPolicy, cgroups_env());
    EXPECT_EQ(r.tables.info.at(0).hook_names, (Lines{"egress", "bind"}));
    Kernel k(r.tables);
    const Task runner = in_cgroup(555);
    for (std::uint32_t hook : {PL_HOOK_CONNECT, PL_HOOK_SENDMSG}) {
        SCOPED_TRACE(hook_display_name(hook));
        auto sock = [&](const std::string& addr, std::uint16_t port, std::uint16_t proto) {
            return k.sock_addr(runner, hook, addr, port, proto);
        };
        auto denied = sock("10.0.0.99", 443, kTcp);
        EXPECT_EQ(summary(denied), Lines{"runner:0:deny"});
        EXPECT_TRUE(denied.denied);
        ASSERT_EQ(denied.acted.size(), 1u);
        EXPECT_EQ(denied.acted[0].flags, PL_POLF_AT_ENTRY | PL_POLF_ENFORCED);
        auto allowed = sock("10.1.1.1", 443, kTcp);
        EXPECT_EQ(summary(allowed), Lines{"runner:1:allow (silent)"});
        EXPECT_FALSE(allowed.denied);
        EXPECT_EQ(summary(sock("10.1.1.1", 80, kTcp)), Lines{"runner:3:deny"});
        EXPECT_EQ(summary(sock("10.1.1.1", 443, kUdp)), Lines{"runner:3:deny"});
        EXPECT_EQ(summary(sock("127.0.0.1", 8080, kUdp)), Lines{"runner:2:allow (silent)"});
        EXPECT_EQ(summary(sock("::1", 8080, kTcp)), Lines{"runner:2:allow (silent)"});
        EXPECT_EQ(summary(sock("8.8.8.8", 443, kTcp)), Lines{"runner:3:deny"});
        EXPECT_TRUE(sock("8.8.8.8", 443, kTcp).denied);
    }
}

TEST(PolicyCompilerNetwork, CgroupScopeIncludesDescendants)
{
    auto r = compile_ok(kRunnerPolicy, cgroups_env());
    Kernel k(r.tables);
    EXPECT_TRUE(k.sock_addr(in_cgroup(555), PL_HOOK_CONNECT, "8.8.8.8", 443, kTcp).denied);
    EXPECT_TRUE(k.sock_addr(in_cgroup(900, {1, 40, 555, 900}), PL_HOOK_CONNECT, "8.8.8.8", 443, kTcp).denied);
    EXPECT_EQ(summary(k.sock_addr(in_cgroup(900, {1, 40, 900}), PL_HOOK_CONNECT, "8.8.8.8", 443, kTcp)), Lines{});
    EXPECT_EQ(summary(k.sock_addr(in_cgroup(777), PL_HOOK_BIND, "0.0.0.0", 22, kTcp)), Lines{});
}

TEST(PolicyCompilerNetwork, BindMatchesTheLocalAddressAndPort)
{
    auto r = compile_ok(kRunnerPolicy, cgroups_env());
    const pl_pol_hook& bind = r.tables.hooks.at(PL_HOOK_BIND);
    EXPECT_TRUE(bind.tables & (1u << PL_T_SPORT));
    EXPECT_TRUE(bind.tables & (1u << PL_T_SADDR));
    EXPECT_FALSE(bind.tables & (1u << PL_T_DPORT));
    EXPECT_FALSE(bind.tables & (1u << PL_T_DADDR));
    Kernel k(r.tables);
    const Task runner = in_cgroup(555);
    EXPECT_EQ(summary(k.sock_addr(runner, PL_HOOK_BIND, "127.0.0.1", 22, kTcp)), Lines{"runner:0:deny"});
    EXPECT_EQ(summary(k.sock_addr(runner, PL_HOOK_BIND, "0.0.0.0", 80, kTcp)), Lines{"runner:1:deny"});
    EXPECT_EQ(summary(k.sock_addr(runner, PL_HOOK_BIND, "127.0.0.1", 80, kTcp)), Lines{});  // default allow
    EXPECT_EQ(summary(k.sock_addr(runner, PL_HOOK_BIND, "0.0.0.0", 8080, kTcp)), Lines{});
}

TEST(PolicyCompilerNetwork, EachPolicyDecidesForItselfAndMonitorOnlyReports)
{
    auto r = compile_ok(documents({"apiVersion: palisade.dev/v1alpha1\n"
                                   "kind: NetworkPolicy\n"
                                   "metadata: {name: open}\n"
                                   "spec:\n"
                                   "  egress: {allow: [{cidrs: [0.0.0.0/0]}]}\n",
                                   "apiVersion: palisade.dev/v1alpha1\n"
                                   "kind: NetworkPolicy\n"
                                   "metadata: {name: audit}\n"
                                   "spec:\n"
                                   "  options: [{name: policy-mode, value: monitor}]\n"
                                   "  egress: {deny: [{ports: [25]}]}\n",
                                   "apiVersion: palisade.dev/v1alpha1\n"
                                   "kind: NetworkPolicy\n"
                                   "metadata: {name: closed}\n"
                                   "spec:\n"
                                   "  egress: {default: deny, allow: [{ports: [443]}]}\n"}));
    Kernel k(r.tables);
    auto smtp = k.sock_addr({}, PL_HOOK_CONNECT, "1.2.3.4", 25, kTcp);
    EXPECT_EQ(summary(smtp), (Lines{"open:0:allow (silent)", "audit:0:deny", "closed:1:deny"}));
    EXPECT_TRUE(smtp.denied);
    ASSERT_EQ(smtp.acted.size(), 3u);
    EXPECT_EQ(smtp.acted[1].flags, PL_POLF_AT_ENTRY | PL_POLF_MONITOR);
    auto https = k.sock_addr({}, PL_HOOK_CONNECT, "1.2.3.4", 443, kTcp);
    EXPECT_EQ(summary(https), (Lines{"open:0:allow (silent)", "closed:0:allow (silent)"}));
    EXPECT_FALSE(https.denied);
}

// ---------------------------------------------------------------------------
// Syscall tracepoints

std::string sys_enter_policy(const std::string& name, const std::string& selectors)
{
    return tracing_policy(name, "  lists:\n"
                                "  - {name: privileged, type: syscalls, values: [sys_setuid, __x64_sys_kill]}\n"
                                "  tracepoints:\n"
                                "  - subsystem: raw_syscalls\n"
                                "    event: sys_enter\n"
                                "    args: [{index: 4, type: int64}]\n"
                                "    selectors:\n" + selectors);
}

std::vector<std::uint32_t> hook_ids(const KernelTables& t)
{
    std::vector<std::uint32_t> out;
    for (const auto& [id, h] : t.hooks)
        out.push_back(id);
    return out;
}

TEST(PolicyCompilerTracepoints, RawSysEnterInMapPicksTheSyscalls)
{
    auto r = compile_ok(sys_enter_policy("priv", "    - matchArgs: [{index: 0, operator: InMap, "
                                                 "values: [\"list:privileged\", sys_openat, \"59\"]}]\n"
                                                 "      matchActions: [{action: Sigkill}]\n"));
    EXPECT_EQ(hook_ids(r.tables), (std::vector<std::uint32_t>{kExecve, kKill, kSetuid, kOpenat}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(k.syscall({}, kSetuid, {0})), Lines{"priv:0:sigkill"});
    EXPECT_EQ(summary(k.syscall({}, kKill, {1, 9})), Lines{"priv:0:sigkill"});
    EXPECT_EQ(summary(k.syscall({}, kExecve, {})), Lines{"priv:0:sigkill"});
    EXPECT_EQ(summary(k.syscall({}, kRead, {})), Lines{});
}

TEST(PolicyCompilerTracepoints, RawSysEnterNotEqualAndUnconstrained)
{
    auto r = compile_ok(sys_enter_policy("not-read", "    - matchArgs: [{index: 0, operator: NotEqual, "
                                                     "values: [read, write]}]\n"));
    auto ids = hook_ids(r.tables);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), kRead), 0);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), kWrite), 0);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), kOpenat), 1);
    Kernel k(r.tables);
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {})), Lines{"not-read:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kWrite, {})), Lines{});

    auto all = compile_ok(sys_enter_policy("all", "    - matchActions: [{action: Post}]\n"));
    std::size_t named = 0;
    for (std::uint32_t nr = 0; nr < PL_SYSCALL_MAX; ++nr)
        named += !syscall_name_of(nr).empty();
    EXPECT_EQ(all.tables.hooks.size(), named);
}

TEST(PolicyCompilerTracepoints, SysEnterArgumentsStartAtFieldFive)
{
    auto r = compile_ok(tracing_policy("tp-open", "  tracepoints:\n"
                                                  "  - subsystem: syscalls\n"
                                                  "    event: sys_enter_openat\n"
                                                  "    args:\n"
                                                  "    - {index: 5, type: int}\n"
                                                  "    - {index: 6, type: string}\n"
                                                  "    - {index: 7, type: int}\n"
                                                  "    selectors:\n"
                                                  "    - matchArgs:\n"
                                                  "      - {index: 1, operator: Prefix, values: [/etc/]}\n"
                                                  "      - {index: 0, operator: Equal, values: [-100]}\n"
                                                  "      - {index: 2, operator: Mask, values: [64]}\n"));
    ASSERT_EQ(hook_ids(r.tables), std::vector<std::uint32_t>{kOpenat});
    const pl_pol_hook& h = r.tables.hooks.at(kOpenat);
    EXPECT_EQ(h.str_arg, 1);
    EXPECT_EQ(h.dirfd_arg, 0);
    EXPECT_EQ(h.arg32, 0b101);
    EXPECT_TRUE(h.flags & PL_HOOKF_STR_IS_PATH);
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/new", 0x41)), Lines{"tp-open:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/new", 0)), Lines{});
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {3, 0, 0x41}, "/etc/new")), Lines{});
}

}  // namespace
}  // namespace palisade::policy
