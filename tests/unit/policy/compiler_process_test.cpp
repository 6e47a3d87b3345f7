// The policy compiler end to end, for the matchers checked one by one after
// the table lookups: binaries, pids, namespaces, capabilities.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using model::Task;
using namespace test;

// A process running `binary`, its sets decided as the agent seeds running processes.
Task running(const CompileResult& r, const std::string& binary)
{
    Task task;
    task.binaries = r.tables.binary_sets(binary);
    return task;
}

std::string with_binaries(const std::string& name, const std::string& op, const std::string& values,
                          const std::string& extra = "")
{
    return openat_policy(name, "    - matchBinaries:\n"
                               "      - {operator: " + op + ", values: " + values + extra + "}\n");
}

std::vector<int> set_bits(const pl_pol_binaries& b)
{
    std::vector<int> out;
    for (int i = 0; i < PL_POL_BINARY_SETS; ++i)
        if ((b.sets[i / 64] >> (i % 64)) & 1)
            out.push_back(i);
    return out;
}

// ---------------------------------------------------------------------------
// matchBinaries

TEST(PolicyCompilerBinaries, InAndNotIn)
{
    auto r = compile_ok(documents({with_binaries("cats", "In", "[/usr/bin/cat, /usr/bin/tac]"),
                                   with_binaries("not-cats", "NotIn", "[/usr/bin/cat, /usr/bin/tac]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/cat"))), Lines{"cats:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/tac"))), Lines{"cats:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/catt"))), Lines{"not-cats:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/ca"))), Lines{"not-cats:0:post"});
    // In and NotIn of the same values share one set
    EXPECT_EQ(set_bits(r.tables.binary_sets("/usr/bin/cat")), std::vector<int>{0});
    // a process the kernel has no record of is in no set
    Task unknown;
    unknown.has_binaries = false;
    EXPECT_EQ(summary(openat(k, "/x", 0, unknown)), Lines{"not-cats:0:post"});
}

TEST(PolicyCompilerBinaries, PrefixAndPostfixOverlapAcrossSets)
{
    auto r = compile_ok(documents({with_binaries("usr", "Prefix", "[/usr/]"),
                                   with_binaries("local", "Prefix", "[/usr/local/bin/, /opt/]"),
                                   with_binaries("pythons", "Postfix", "[/python3, /python3.12]"),
                                   with_binaries("not-sh", "NotPostfix", "[sh]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/local/bin/python3"))),
              (Lines{"usr:0:post", "local:0:post", "pythons:0:post", "not-sh:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/bash"))), Lines{"usr:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/opt/app/python3.12"))),
              (Lines{"local:0:post", "pythons:0:post", "not-sh:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/bin/sh"))), Lines{});
}

// What the agent seeds for running processes equals what the kernel decides at exec.
TEST(PolicyCompilerBinaries, SeededSetsEqualTheKernelsAtExec)
{
    auto r = compile_ok(documents({with_binaries("a", "In", "[/usr/bin/cat, /bin/sh]"),
                                   with_binaries("b", "Prefix", "[/usr/, /usr/local/, /usr/local/bin/]"),
                                   with_binaries("c", "NotPostfix", "[/sh, bash, /usr/bin/cat]"),
                                   with_binaries("d", "Prefix", "[/usr/local/]")}));
    Kernel k(r.tables);
    const std::vector<std::string> paths{"/usr/bin/cat", "/bin/sh",       "/bin/bash", "/usr/local/bin/x",
                                         "/usr/local/x", "/usr",          "/usr/",     "/",
                                         "/opt/sh",      "/usr/bin/cat2", std::string(255, 'a')};
    for (const std::string& path : paths) {
        SCOPED_TRACE(path);
        EXPECT_EQ(set_bits(k.exec(path)), set_bits(r.tables.binary_sets(path)));
    }
    EXPECT_EQ(set_bits(k.exec("/usr/local/bin/x")), (std::vector<int>{1, 3}));
}

TEST(PolicyCompilerBinaries, RealPathsNameTheSameBinaries)
{
    std::vector<std::string> asked;
    CompileEnv env;
    env.real_path = [&](const std::string& path) -> std::string {
        asked.push_back(path);
        if (path == "/bin/bash")
            return "/usr/bin/bash";
        if (path == "/bin")
            return "/usr/bin";
        if (path == "/usr/bin/bash" || path == "/usr/bin")
            return path;
        return "";  // does not exist
    };
    auto r = compile_ok(documents({with_binaries("bash", "In", "[/bin/bash, /bin/gone]"),
                                   with_binaries("bin", "Prefix", "[/bin/]"),
                                   with_binaries("bash-end", "Postfix", "[/bin/bash]")}),
                        env);
    EXPECT_EQ(asked, (Lines{"/bin/bash", "/bin/gone", "/bin"}));  // a postfix names no file
    Kernel k(r.tables);
    const Lines all{"bash:0:post", "bin:0:post", "bash-end:0:post"};
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/bash"))), all);
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/bin/bash"))), all);
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/ls"))), Lines{"bin:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/bin/gone"))), (Lines{"bash:0:post", "bin:0:post"}));
}

TEST(PolicyCompilerBinaries, FollowChildrenKeepsTheSetAcrossExec)
{
    auto r = compile_ok(documents({with_binaries("under-make", "In", "[/usr/bin/make]", ", followChildren: true"),
                                   with_binaries("make-itself", "In", "[/usr/bin/make]")}));
    Kernel k(r.tables);
    const pl_pol_binaries make = k.exec("/usr/bin/make");
    EXPECT_EQ(set_bits(make), (std::vector<int>{0, 1}));
    EXPECT_EQ(set_bits(r.tables.follow_children), std::vector<int>{0});
    Task cc;
    cc.binaries = k.exec("/usr/bin/cc", &make);
    EXPECT_EQ(summary(openat(k, "/x", 0, cc)), Lines{"under-make:0:post"});
    Task grandchild;
    grandchild.binaries = k.exec("/usr/bin/as", &cc.binaries);
    EXPECT_EQ(summary(openat(k, "/x", 0, grandchild)), Lines{"under-make:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, running(r, "/usr/bin/cc"))), Lines{});
}

TEST(PolicyCompilerBinaries, SeveralMatchersAreAllRequired)
{
    auto r = compile_ok(openat_policy("shells", "    - matchBinaries:\n"
                                                "      - {operator: Prefix, values: [/usr/bin/, /bin/]}\n"
                                                "      - {operator: NotIn, values: [/usr/bin/dash]}\n"
                                                "      matchArgs: [{index: 1, operator: Prefix, values: [/etc/]}]\n"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, running(r, "/usr/bin/bash"))), Lines{"shells:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, running(r, "/usr/bin/dash"))), Lines{});
    EXPECT_EQ(summary(openat(k, "/tmp/x", 0, running(r, "/usr/bin/bash"))), Lines{});
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, running(r, "/opt/bash"))), Lines{});
}

// ---------------------------------------------------------------------------
// matchPIDs

TEST(PolicyCompilerProcess, MatchPidsInAndNotIn)
{
    auto r = compile_ok(documents(
        {openat_policy("some", "    - matchPIDs: [{operator: In, values: [100, 200]}]\n"),
         openat_policy("others", "    - matchPIDs: [{operator: NotIn, values: [1, 100]}]\n")}));
    Kernel k(r.tables);
    auto pid = [](std::uint32_t tgid) {
        Task t;
        t.tgid = tgid;
        return t;
    };
    EXPECT_EQ(summary(openat(k, "/x", 0, pid(100))), Lines{"some:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, pid(200))), (Lines{"some:0:post", "others:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, pid(1))), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0, pid(300))), Lines{"others:0:post"});
}

// ---------------------------------------------------------------------------
// matchNamespaces

constexpr std::uint32_t kHostPidNs = 4026531836, kHostMntNs = 4026531841, kHostUserNs = 4026531837;

CompileEnv host_env()
{
    CompileEnv env;
    env.host_namespace = [](NamespaceKind kind) -> std::uint32_t {
        switch (kind) {
        case NamespaceKind::Pid: return kHostPidNs;
        case NamespaceKind::Mnt: return kHostMntNs;
        case NamespaceKind::User: return kHostUserNs;
        default: return 1;
        }
    };
    return env;
}

TEST(PolicyCompilerProcess, MatchNamespacesWithHostNs)
{
    auto r = compile_ok(
        documents({openat_policy("host", "    - matchNamespaces: [{namespace: Pid, operator: In, "
                                         "values: [host_ns]}]\n"),
                   openat_policy("containers",
                                 "    - matchNamespaces: [{namespace: Pid, operator: NotIn, values: [host_ns]}]\n"),
                   openat_policy("mnt", "    - matchNamespaces:\n"
                                        "      - {namespace: Mnt, operator: In, values: [4026532000, host_ns]}\n")}),
        host_env());
    Kernel k(r.tables);
    Task host;
    host.ns[PL_NS_PID] = kHostPidNs;
    host.ns[PL_NS_MNT] = kHostMntNs;
    Task container;
    container.ns[PL_NS_PID] = 4026532100;
    container.ns[PL_NS_MNT] = 4026532000;
    Task other = container;
    other.ns[PL_NS_MNT] = 4026532001;
    EXPECT_EQ(summary(openat(k, "/x", 0, host)), (Lines{"host:0:post", "mnt:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, container)), (Lines{"containers:0:post", "mnt:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, other)), Lines{"containers:0:post"});
}

// ---------------------------------------------------------------------------
// matchCapabilities

TEST(PolicyCompilerProcess, MatchCapabilitiesInAndNotIn)
{
    auto r = compile_ok(documents(
        {openat_policy("admin", "    - matchCapabilities:\n"
                                "      - {type: Effective, operator: In, values: [CAP_SYS_ADMIN, CAP_NET_ADMIN]}\n"),
         openat_policy("unprivileged", "    - matchCapabilities:\n"
                                       "      - {type: Permitted, operator: NotIn, values: [CAP_SYS_ADMIN]}\n"),
         openat_policy("inheriting", "    - matchCapabilities:\n"
                                     "      - {type: Inheritable, operator: In, values: [CAP_CHOWN]}\n")}));
    Kernel k(r.tables);
    auto caps = [](std::uint64_t effective, std::uint64_t permitted, std::uint64_t inheritable = 0) {
        Task t;
        t.cap_effective = effective;
        t.cap_permitted = permitted;
        t.cap_inheritable = inheritable;
        return t;
    };
    const std::uint64_t sys_admin = 1ull << 21, net_admin = 1ull << 12, chown = 1ull << 0;
    EXPECT_EQ(summary(openat(k, "/x", 0, caps(sys_admin, sys_admin))), Lines{"admin:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, caps(net_admin, net_admin))), (Lines{"admin:0:post", "unprivileged:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0, caps(0, sys_admin))), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0, caps(0, 0, chown))), (Lines{"unprivileged:0:post", "inheriting:0:post"}));
}

// Tetragon: isNamespaceCapability matches only outside the host's user namespace.
TEST(PolicyCompilerProcess, NamespaceCapabilitiesMatchOnlyOutsideTheHostUserNamespace)
{
    auto r = compile_ok(openat_policy("ns-admin", "    - matchCapabilities:\n"
                                                  "      - {operator: In, isNamespaceCapability: true,\n"
                                                  "         values: [CAP_SYS_ADMIN]}\n"),
                        host_env());
    Kernel k(r.tables);
    Task host_root;
    host_root.cap_effective = 1ull << 21;
    host_root.ns[PL_NS_USER] = kHostUserNs;
    Task container_root = host_root;
    container_root.ns[PL_NS_USER] = 4026532200;
    Task container_user = container_root;
    container_user.cap_effective = 0;
    EXPECT_EQ(summary(openat(k, "/x", 0, host_root)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0, container_root)), Lines{"ns-admin:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, container_user)), Lines{});
}

// ---------------------------------------------------------------------------
// matchNamespaceChanges / matchCapabilityChanges: against the exec's record

TEST(PolicyCompilerProcess, NamespaceChangesCompareWithTheProcessAtExec)
{
    auto r = compile_ok(documents(
        {openat_policy("left-mnt", "    - matchNamespaceChanges: [{operator: In, values: [Mnt, Net]}]\n"),
         openat_policy("other-change", "    - matchNamespaceChanges: [{operator: NotIn, values: [Mnt]}]\n")}));
    EXPECT_TRUE(r.tables.tracks_changes);
    Kernel k(r.tables);
    Task same;
    same.ns[PL_NS_MNT] = 4026531841;
    same.ns[PL_NS_UTS] = 4026531838;
    same.at_exec = pl_pol_exec_state{};
    same.at_exec->ns[PL_NS_MNT] = 4026531841;
    same.at_exec->ns[PL_NS_UTS] = 4026531838;
    Task unshared_mnt = same;
    unshared_mnt.ns[PL_NS_MNT] = 4026532500;
    Task unshared_uts = same;
    unshared_uts.ns[PL_NS_UTS] = 4026532501;
    Task never_recorded = unshared_mnt;
    never_recorded.at_exec.reset();
    EXPECT_EQ(summary(openat(k, "/x", 0, same)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0, unshared_mnt)), Lines{"left-mnt:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, unshared_uts)), Lines{"other-change:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0, never_recorded)), Lines{});
}

TEST(PolicyCompilerProcess, CapabilityChangesMatchCapabilitiesGainedSinceExec)
{
    auto r = compile_ok(openat_policy("gained-admin", "    - matchCapabilityChanges:\n"
                                                      "      - {type: Effective, operator: In,\n"
                                                      "         values: [CAP_SYS_ADMIN, CAP_NET_RAW]}\n"));
    EXPECT_TRUE(r.tables.tracks_changes);
    Kernel k(r.tables);
    const std::uint64_t sys_admin = 1ull << 21, chown = 1ull << 0;
    Task t;
    t.at_exec = pl_pol_exec_state{};
    t.at_exec->caps[0] = chown;
    t.cap_effective = chown;
    EXPECT_EQ(summary(openat(k, "/x", 0, t)), Lines{});
    t.cap_effective = chown | sys_admin;  // gained CAP_SYS_ADMIN
    EXPECT_EQ(summary(openat(k, "/x", 0, t)), Lines{"gained-admin:0:post"});
    t.at_exec->caps[0] = chown | sys_admin;  // had it at exec: no change
    EXPECT_EQ(summary(openat(k, "/x", 0, t)), Lines{});
    t.cap_effective = 0;  // dropping is not gaining
    EXPECT_EQ(summary(openat(k, "/x", 0, t)), Lines{});
    EXPECT_FALSE(compile_ok(openat_policy("plain", "    - matchArgs: [{index: 1, operator: Equal, values: [/x]}]\n"))
                     .tables.tracks_changes);
}

TEST(PolicyCompilerProcess, EveryKindOfMatcherInOneSelector)
{
    auto r = compile_ok(openat_policy("all", "    - matchPIDs: [{operator: NotIn, values: [1]}]\n"
                                             "      matchBinaries: [{operator: In, values: [/usr/bin/cat]}]\n"
                                             "      matchNamespaces: [{namespace: Pid, operator: NotIn, "
                                             "values: [host_ns]}]\n"
                                             "      matchCapabilities: [{operator: NotIn, values: [CAP_SYS_ADMIN]}]\n"
                                             "      matchArgs:\n"
                                             "      - {index: 1, operator: Prefix, values: [/etc/]}\n"
                                             "      - {index: 2, operator: Mask, values: [3]}\n"),
                        host_env());
    Kernel k(r.tables);
    Task t = running(r, "/usr/bin/cat");
    t.ns[PL_NS_PID] = 4026532100;
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 1, t)), Lines{"all:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, t)), Lines{});
    EXPECT_EQ(summary(openat(k, "/tmp/passwd", 1, t)), Lines{});
    Task variant = t;
    variant.tgid = 1;
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 1, variant)), Lines{});
    variant = t;
    variant.ns[PL_NS_PID] = kHostPidNs;
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 1, variant)), Lines{});
    variant = t;
    variant.cap_effective = 1ull << 21;
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 1, variant)), Lines{});
    variant = t;
    variant.binaries = {};
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 1, variant)), Lines{});
}

}  // namespace
}  // namespace palisade::policy
