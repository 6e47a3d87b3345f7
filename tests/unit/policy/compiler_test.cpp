// The policy compiler end to end: policy text -> KernelTables -> the kernel's
// evaluation (kernel_model.h) -> which policy, selector and action fire.
// Strings, integer arguments, selector order and actions.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using model::Task;
using namespace test;

// ---------------------------------------------------------------------------
// The model itself: the lookups behave as the kernel's maps do.

TEST(PolicyKernelModel, LpmAnswersWithTheLongestStoredPrefixOnly)
{
    auto key = [](std::uint32_t hook, const std::string& s) {
        pl_pol_lpm_str_key k{};
        k.hook = hook;
        std::memcpy(k.str, s.data(), s.size());
        k.prefixlen = 32 + 8 * static_cast<std::uint32_t>(s.size());
        return k;
    };
    pl_pol_hit a{}, b{};
    a.pos.w[0] = 1;
    b.pos.w[0] = 2;
    std::vector<std::pair<pl_pol_lpm_str_key, pl_pol_hit>> entries{{key(7, "/etc"), a}, {key(7, "/etc/shadow"), b}};
    ASSERT_NE(model::lpm_lookup(entries, key(7, "/etc/shadow-")), nullptr);
    EXPECT_EQ(model::lpm_lookup(entries, key(7, "/etc/shadow-"))->pos.w[0], 2u);  // not 1|2: no closure here
    EXPECT_EQ(model::lpm_lookup(entries, key(7, "/etc/passwd"))->pos.w[0], 1u);
    EXPECT_EQ(model::lpm_lookup(entries, key(7, "/et")), nullptr);
    EXPECT_EQ(model::lpm_lookup(entries, key(8, "/etc/shadow")), nullptr);  // the hook is part of the key
}

TEST(PolicyKernelModel, SyscallNumbersOfTheTests)
{
    EXPECT_EQ(syscall_number("openat"), kOpenat);
    EXPECT_EQ(syscall_number("open"), kOpen);
    EXPECT_EQ(syscall_number("openat2"), kOpenat2);
    EXPECT_EQ(syscall_number("creat"), kCreat);
    EXPECT_EQ(syscall_number("execve"), kExecve);
    EXPECT_EQ(syscall_number("execveat"), kExecveat);
    EXPECT_EQ(syscall_number("connect"), kConnect);
    EXPECT_EQ(syscall_number("bind"), kBind);
    EXPECT_EQ(syscall_number("kill"), kKill);
    EXPECT_EQ(syscall_number("write"), kWrite);
    EXPECT_EQ(syscall_number("lseek"), kLseek);
    EXPECT_EQ(syscall_number("setuid"), kSetuid);
}

// ---------------------------------------------------------------------------
// String arguments

TEST(PolicyCompiler, EqualMatchesOnlyTheExactStrings)
{
    auto r = compile_ok(openat_path_policy("shadow", "Equal", "[/etc/shadow, /etc/gshadow]", "Sigkill"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/shadow")), Lines{"shadow:0:sigkill"});
    EXPECT_EQ(summary(openat(k, "/etc/gshadow")), Lines{"shadow:0:sigkill"});
    EXPECT_EQ(summary(openat(k, "/etc/shadow-")), Lines{});
    EXPECT_EQ(summary(openat(k, "/etc/shado")), Lines{});
    EXPECT_EQ(openat(k, "/etc/shadow").sent, std::vector<std::uint32_t>{9});
    EXPECT_EQ(summary(k.syscall({}, kOpen, {}, "/etc/shadow")), Lines{});  // another syscall
}

TEST(PolicyCompiler, NotEqualMatchesEverythingElse)
{
    auto r = compile_ok(openat_path_policy("not-shadow", "NotEqual", "[/etc/shadow, /tmp/x]"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/passwd")), Lines{"not-shadow:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/shadow")), Lines{});
    EXPECT_EQ(summary(openat(k, "/tmp/x")), Lines{});
    EXPECT_EQ(summary(openat(k, "/tmp/xy")), Lines{"not-shadow:0:post"});
}

TEST(PolicyCompiler, OverlappingPrefixesAcrossPoliciesAllFire)
{
    auto r = compile_ok(documents({openat_path_policy("etc", "Prefix", "[/etc]"),
                                   openat_path_policy("shadow", "Prefix", "[/etc/shadow, /root]"),
                                   openat_path_policy("e", "Prefix", "[/e]")}));
    ASSERT_EQ(r.loaded, (Lines{"etc", "shadow", "e"}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/shadow")), (Lines{"etc:0:post", "shadow:0:post", "e:0:post"}));
    EXPECT_EQ(summary(openat(k, "/etc/passwd")), (Lines{"etc:0:post", "e:0:post"}));
    EXPECT_EQ(summary(openat(k, "/etcetera")), (Lines{"etc:0:post", "e:0:post"}));
    EXPECT_EQ(summary(openat(k, "/exe")), Lines{"e:0:post"});
    EXPECT_EQ(summary(openat(k, "/root/.ssh/id_rsa")), Lines{"shadow:0:post"});
    EXPECT_EQ(summary(openat(k, "/usr/bin/ls")), Lines{});
    EXPECT_EQ(summary(openat(k, "/")), Lines{});
}

TEST(PolicyCompiler, NotPrefixWithSeveralValuesExcludesEach)
{
    auto r = compile_ok(documents({openat_path_policy("outside", "NotPrefix", "[/etc, /usr/lib]"),
                                   openat_path_policy("ssh", "Prefix", "[/etc/ssh]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/tmp/x")), Lines{"outside:0:post"});
    EXPECT_EQ(summary(openat(k, "/usr/bin/ls")), Lines{"outside:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/hosts")), Lines{});
    EXPECT_EQ(summary(openat(k, "/usr/lib/libc.so")), Lines{});
    EXPECT_EQ(summary(openat(k, "/etc/ssh/sshd_config")), Lines{"ssh:0:post"});
}

TEST(PolicyCompiler, PostfixAndNotPostfix)
{
    auto r = compile_ok(documents({openat_path_policy("keys", "Postfix", "[/authorized_keys, .pem]"),
                                   openat_path_policy("any-keys", "Postfix", "[keys]"),
                                   openat_path_policy("not-logs", "NotPostfix", "[.log, .txt]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/root/.ssh/authorized_keys")),
              (Lines{"keys:0:post", "any-keys:0:post", "not-logs:0:post"}));
    EXPECT_EQ(summary(openat(k, "/etc/ssl/server.pem")), (Lines{"keys:0:post", "not-logs:0:post"}));
    EXPECT_EQ(summary(openat(k, "/tmp/monkeys")), (Lines{"any-keys:0:post", "not-logs:0:post"}));
    EXPECT_EQ(summary(openat(k, "/var/log/syslog.log")), Lines{});
    EXPECT_EQ(summary(openat(k, "/notes.txt")), Lines{});
    EXPECT_EQ(summary(openat(k, "/notes.txt.gz")), Lines{"not-logs:0:post"});
}

TEST(PolicyCompiler, PrefixAndNotPrefixInOneSelectorAreBothRequired)
{
    auto r = compile_ok(openat_policy("etc-but-ssl", "    - matchArgs:\n"
                                                     "      - {index: 1, operator: Prefix, values: [/etc/]}\n"
                                                     "      - {index: 1, operator: NotPrefix, values: [/etc/ssl/]}\n"
                                                     "      - {index: 1, operator: NotPostfix, values: [.bak]}\n"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/passwd")), Lines{"etc-but-ssl:0:post"});
    EXPECT_EQ(summary(openat(k, "/etc/ssl/certs/ca.pem")), Lines{});
    EXPECT_EQ(summary(openat(k, "/etc/passwd.bak")), Lines{});
    EXPECT_EQ(summary(openat(k, "/tmp/passwd")), Lines{});
}

TEST(PolicyCompiler, RelativePathsAreMatchedMadeAbsolute)
{
    auto r = compile_ok(openat_path_policy("shadow", "Equal", "[/etc/shadow]"));
    const pl_pol_hook& h = r.tables.hooks.at(kOpenat);
    EXPECT_EQ(h.str_arg, 1);
    EXPECT_EQ(h.dirfd_arg, 0);
    EXPECT_TRUE(h.flags & PL_HOOKF_STR_IS_PATH);
    Kernel k(r.tables);
    Task in_etc;
    in_etc.cwd = "/etc";
    in_etc.dirs[3] = "/etc";
    in_etc.dirs[4] = "/";
    EXPECT_EQ(summary(openat(k, "shadow", 0, in_etc)), Lines{"shadow:0:post"});
    EXPECT_EQ(summary(openat(k, "./shadow", 0, in_etc)), Lines{"shadow:0:post"});
    EXPECT_EQ(summary(k.syscall(in_etc, kOpenat, {3, 0, 0}, "shadow")), Lines{"shadow:0:post"});
    EXPECT_EQ(summary(k.syscall(in_etc, kOpenat, {4, 0, 0}, "etc/shadow")), Lines{"shadow:0:post"});
    EXPECT_EQ(summary(k.syscall(in_etc, kOpenat, {4, 0, 0}, "shadow")), Lines{});
}

// ---------------------------------------------------------------------------
// Integer arguments

TEST(PolicyCompiler, IntegerEqualAndNotEqual)
{
    auto flags_policy = [](const std::string& name, const std::string& op, const std::string& values) {
        return openat_policy(name, "    - matchArgs:\n"
                                   "      - {index: 2, operator: " + op + ", values: " + values + "}\n");
    };
    auto r = compile_ok(documents({flags_policy("creating", "Equal", "[\"0x241\", 578]"),
                                   flags_policy("unusual", "NotEqual", "[0, \"0x80000\", \"02000000\"]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/x", 0x241)), (Lines{"creating:0:post", "unusual:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 578)), (Lines{"creating:0:post", "unusual:0:post"}));
    EXPECT_EQ(summary(openat(k, "/x", 0)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0x80000)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 02000000)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 1)), Lines{"unusual:0:post"});
}

TEST(PolicyCompiler, MaskMatchesWhenAnyBitIsSet)
{
    auto r = compile_ok(openat_policy("writes", "    - matchArgs:\n"
                                                "      - {index: 2, operator: Mask, values: [1, 2]}\n"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/x", 0x241)), Lines{"writes:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 2)), Lines{"writes:0:post"});
    EXPECT_EQ(summary(openat(k, "/x", 0)), Lines{});
    EXPECT_EQ(summary(openat(k, "/x", 0x80000)), Lines{});
}

TEST(PolicyCompiler, GreaterAndLessThanCompareSigned)
{
    auto r = compile_ok(documents(
        {tracing_policy("big-writes", "  kprobes:\n"
                                      "  - call: sys_write\n"
                                      "    args: [{index: 0, type: int}, {index: 2, type: size_t}]\n"
                                      "    selectors:\n"
                                      "    - matchArgs: [{index: 2, operator: GT, values: [4096]}]\n"),
         tracing_policy("kill-groups", "  kprobes:\n"
                                       "  - call: sys_kill\n"
                                       "    args: [{index: 0, type: int}, {index: 1, type: int}]\n"
                                       "    selectors:\n"
                                       "    - matchArgs:\n"
                                       "      - {index: 0, operator: LT, values: [0]}\n"
                                       "      - {index: 1, operator: GT, values: [0]}\n")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(k.syscall({}, kWrite, {1, 0, 4097})), Lines{"big-writes:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kWrite, {1, 0, 4096})), Lines{});
    // kill(-1, SIGKILL): the pid register holds 0xffffffff, an int: -1 < 0
    EXPECT_EQ(summary(k.syscall({}, kKill, {reg32(-1), 9})), Lines{"kill-groups:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kKill, {reg32(-1), 0})), Lines{});
    EXPECT_EQ(summary(k.syscall({}, kKill, {reg32(1234), 9})), Lines{});
}

TEST(PolicyCompiler, UnsignedArgumentsCompareUnsigned)
{
    auto r = compile_ok(documents(
        {tracing_policy("high-uid", "  kprobes:\n"
                                    "  - call: sys_setuid\n"
                                    "    args: [{index: 0, type: uint32}]\n"
                                    "    selectors:\n"
                                    "    - matchArgs: [{index: 0, operator: GT, values: [1000]}]\n"),
         tracing_policy("huge-writes", "  kprobes:\n"
                                       "  - call: sys_write\n"
                                       "    args: [{index: 2, type: size_t}]\n"
                                       "    selectors:\n"
                                       "    - matchArgs: [{index: 2, operator: GT, values: [4096]}]\n")}));
    Kernel k(r.tables);
    // uid 4294967295 (-1 as an int) is above 1000 when read as the uint32 it is
    EXPECT_EQ(summary(k.syscall({}, kSetuid, {reg32(-1)})), Lines{"high-uid:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kSetuid, {1001})), Lines{"high-uid:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kSetuid, {1000})), Lines{});
    EXPECT_EQ(summary(k.syscall({}, kWrite, {1, 0, reg64(-1)})), Lines{"huge-writes:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kWrite, {1, 0, 4096})), Lines{});
}

TEST(PolicyCompiler, OneArgumentIsComparedInOneWidthAcrossPolicies)
{
    // The second policy compares openat's dfd as 64 bits, the first as a
    // 32-bit int: the kernel reads one width, so the second is refused.
    auto r = compile_text(documents(
        {openat_policy("cwd-relative", "    - matchArgs: [{index: 0, operator: Equal, values: [-100]}]\n"),
         tracing_policy("wide-dfd", "  kprobes:\n"
                                    "  - call: sys_openat\n"
                                    "    args: [{index: 0, type: uint64}]\n"
                                    "    selectors:\n"
                                    "    - matchArgs: [{index: 0, operator: Equal, values: [5]}]\n")}));
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].policy, "wide-dfd");
    EXPECT_NE(r.errors[0].message.find("argument 0 of sys_openat is compared as a 32-bit value by policy "
                                       "'cwd-relative' and declared 64-bit here"),
              std::string::npos)
        << r.errors[0].render();
    EXPECT_EQ(r.loaded, std::vector<std::string>{"cwd-relative"});

    // Declared but not compared: no conflict, and the compared width decides.
    auto shared = compile_ok(documents(
        {openat_policy("declares-flags", "    - matchArgs: [{index: 0, operator: Equal, values: [-100]}]\n"),
         tracing_policy("wide-flags", "  kprobes:\n"
                                      "  - call: sys_openat\n"
                                      "    args: [{index: 2, type: uint64}]\n"
                                      "    selectors:\n"
                                      "    - matchArgs: [{index: 2, operator: Equal, values: [\"4294967296\"]}]\n")}));
    EXPECT_EQ(shared.tables.hooks.at(kOpenat).arg32, 0b001);  // flags compared as 64 bits
    Kernel k(shared.tables);
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {3, 0, reg64(1LL << 32)}, "/x")), Lines{"wide-flags:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {3, 0, 0}, "/x")), Lines{});
}

// Tetragon's write-protection example: FollowFD at fd_install, the fd matched
// by name at sys_write, UnfollowFD at close. Palisade reads the descriptor's
// path at the write itself, so the bookkeeping actions are no-ops.
TEST(PolicyCompiler, DescriptorsAreMatchedByTheirFilesPath)
{
    auto r = compile_ok(tracing_policy("write-passwd",
                                       "  kprobes:\n"
                                       "  - call: fd_install\n"
                                       "    args: [{index: 0, type: int}, {index: 1, type: file}]\n"
                                       "    selectors:\n"
                                       "    - matchArgs: [{index: 1, operator: Equal, values: [/tmp/passwd]}]\n"
                                       "      matchActions: [{action: FollowFD, argFd: 0, argName: 1}]\n"
                                       "  - call: sys_write\n"
                                       "    syscall: true\n"
                                       "    args: [{index: 0, type: fd}, {index: 2, type: size_t}]\n"
                                       "    selectors:\n"
                                       "    - matchArgs: [{index: 0, operator: Prefix, values: [/tmp/passwd]}]\n"
                                       "      matchActions: [{action: Sigkill}]\n"
                                       "    - matchArgs: [{index: 0, operator: Equal, values: [1]}]\n"
                                       "  - call: sys_close\n"
                                       "    syscall: true\n"
                                       "    args: [{index: 0, type: int}]\n"
                                       "    selectors:\n"
                                       "    - matchActions: [{action: UnfollowFD, argFd: 0, argName: 0}]\n"));
    const pl_pol_hook& write = r.tables.hooks.at(kWrite);
    EXPECT_EQ(write.str_arg, 0);
    EXPECT_TRUE(write.flags & PL_HOOKF_STR_IS_FD);
    ASSERT_EQ(r.tables.info.size(), 1u);
    EXPECT_NE(r.tables.info[0].notes.size(), 0u);
    Kernel k(r.tables);
    Task task;
    task.dirs[3] = "/tmp/passwd";
    task.dirs[4] = "/tmp/other";
    EXPECT_EQ(summary(k.syscall(task, kWrite, {3, 0, 10})), Lines{"write-passwd:0:sigkill"});
    EXPECT_EQ(summary(k.syscall(task, kWrite, {4, 0, 10})), Lines{});
    EXPECT_EQ(summary(k.syscall(task, kWrite, {1, 0, 10})), Lines{"write-passwd:1:post"});  // by number
}

TEST(PolicyCompiler, ThirtyTwoBitArgumentsAreComparedSignExtended)
{
    auto r = compile_ok(documents(
        {openat_policy("cwd-relative", "    - matchArgs: [{index: 0, operator: Equal, values: [-100]}]\n"),
         openat_policy("cwd-unsigned", "    - matchArgs: [{index: 0, operator: Equal, values: [\"4294967196\"]}]\n"),
         tracing_policy("seek-back", "  kprobes:\n"
                                     "  - call: sys_lseek\n"
                                     "    args: [{index: 1, type: long}]\n"
                                     "    selectors:\n"
                                     "    - matchArgs: [{index: 1, operator: Equal, values: [-100]}]\n")}));
    EXPECT_EQ(r.tables.hooks.at(kOpenat).arg32, 0b101);  // dfd and flags are ints, the path is not
    EXPECT_EQ(r.tables.hooks.at(kLseek).arg32, 0);
    Kernel k(r.tables);
    const Lines both{"cwd-relative:0:post", "cwd-unsigned:0:post"};
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {reg32(-100), 0, 0}, "/x")), both);
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {reg64(-100), 0, 0}, "/x")), both);
    EXPECT_EQ(summary(k.syscall({}, kOpenat, {reg32(3), 0, 0}, "/x")), Lines{});
    // a long is all 64 bits: only the full -100 is -100
    EXPECT_EQ(summary(k.syscall({}, kLseek, {3, reg64(-100), 0})), Lines{"seek-back:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kLseek, {3, reg32(-100), 0})), Lines{});
}

// ---------------------------------------------------------------------------
// Selectors and policies

TEST(PolicyCompiler, FirstMatchingSelectorOfAPolicyDecides)
{
    auto r = compile_ok(openat_policy("layered", "    - matchArgs: [{index: 1, operator: Prefix, "
                                                 "values: [/etc/ssh/]}]\n"
                                                 "      matchActions: [{action: Sigkill}]\n"
                                                 "    - matchArgs: [{index: 1, operator: Prefix, values: [/etc/]}]\n"
                                                 "      matchActions: [{action: Signal, argSig: 19}]\n"
                                                 "    - matchActions: [{action: Post}]\n"));
    Kernel k(r.tables);
    auto ssh = openat(k, "/etc/ssh/sshd_config");
    EXPECT_EQ(summary(ssh), Lines{"layered:0:sigkill"});
    EXPECT_EQ(ssh.sent, std::vector<std::uint32_t>{9});
    auto passwd = openat(k, "/etc/passwd");
    EXPECT_EQ(summary(passwd), Lines{"layered:1:signal"});
    EXPECT_EQ(passwd.sent, std::vector<std::uint32_t>{19});
    EXPECT_EQ(summary(openat(k, "/tmp/x")), Lines{"layered:2:post"});
}

TEST(PolicyCompiler, TwoPoliciesMatchingOneEventBothActInLoadOrder)
{
    auto r = compile_ok(documents({openat_path_policy("watch", "Prefix", "[/etc/]"),
                                   openat_path_policy("kill", "Equal", "[/etc/shadow]", "Sigkill"),
                                   openat_path_policy("watch-too", "Postfix", "[shadow]")}));
    Kernel k(r.tables);
    auto out = openat(k, "/etc/shadow");
    EXPECT_EQ(summary(out), (Lines{"watch:0:post", "kill:0:sigkill", "watch-too:0:post"}));
    EXPECT_EQ(out.sent, std::vector<std::uint32_t>{9});
    ASSERT_EQ(out.acted.size(), 3u);
    EXPECT_EQ(out.acted[0].policy_id, 0u);
    EXPECT_EQ(out.acted[1].policy_id, 1u);
    EXPECT_EQ(out.acted[2].policy_id, 2u);
    EXPECT_EQ(r.tables.info.at(1).hook_names, Lines{"sys_openat"});
}

TEST(PolicyCompiler, HookWithoutSelectorsPostsEveryCall)
{
    auto r = compile_ok(tracing_policy("all-execs", "  kprobes:\n"
                                                    "  - call: sys_execve\n"
                                                    "    args: [{index: 0, type: string}]\n"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(k.syscall({}, kExecve, {}, "/bin/true")), Lines{"all-execs:0:post"});
    EXPECT_EQ(summary(k.syscall({}, kExecve, {}, std::nullopt)), Lines{"all-execs:0:post"});
}

// ---------------------------------------------------------------------------
// Actions

TEST(PolicyCompiler, SigkillIsEnforcedAtSyscallEntry)
{
    auto r = compile_ok(openat_path_policy("kill", "Equal", "[/etc/shadow]", "Sigkill"));
    Kernel k(r.tables);
    auto out = openat(k, "/etc/shadow");
    ASSERT_EQ(out.acted.size(), 1u);
    EXPECT_EQ(out.acted[0].flags, PL_POLF_AT_ENTRY | PL_POLF_ENFORCED);
    EXPECT_EQ(out.sent, std::vector<std::uint32_t>{9});
    EXPECT_FALSE(out.denied);
}

TEST(PolicyCompiler, MonitorModeReportsWithoutActing)
{
    CompileEnv env;
    env.default_mode = Mode::Monitor;
    auto r = compile_ok(documents({openat_path_policy("by-default", "Equal", "[/etc/shadow]", "Sigkill"),
                                   tracing_policy("enforced", "  options: [{name: policy-mode, value: enforce}]\n"
                                                              "  kprobes:\n"
                                                              "  - call: sys_openat\n"
                                                              "    args: [{index: 1, type: string}]\n"
                                                              "    selectors:\n"
                                                              "    - matchActions: [{action: Sigkill}]\n")}),
                        env);
    EXPECT_EQ(r.tables.policies.at(0).mode, PL_MODE_MONITOR);
    EXPECT_EQ(r.tables.policies.at(1).mode, PL_MODE_ENFORCE);
    EXPECT_EQ(r.tables.info.at(0).mode, Mode::Monitor);
    Kernel k(r.tables);
    auto out = openat(k, "/etc/shadow");
    EXPECT_EQ(summary(out), (Lines{"by-default:0:sigkill", "enforced:0:sigkill"}));
    EXPECT_EQ(out.acted[0].flags, PL_POLF_AT_ENTRY | PL_POLF_MONITOR);
    EXPECT_EQ(out.acted[1].flags, PL_POLF_AT_ENTRY | PL_POLF_ENFORCED);
    EXPECT_EQ(out.sent, std::vector<std::uint32_t>{9});  // only the enforced one
}

TEST(PolicyCompiler, SignalSendsArgSig)
{
    auto r = compile_ok(openat_policy("stop", "    - matchActions: [{action: Signal, argSig: 19}]\n"));
    const pl_pol_selector& sel = r.tables.selectors.at(kOpenat << 16 | 0);
    EXPECT_EQ(sel.action, PL_ACT_SIGNAL);
    EXPECT_EQ(sel.signal, 19);
    Kernel k(r.tables);
    EXPECT_EQ(openat(k, "/x").sent, std::vector<std::uint32_t>{19});
}

TEST(PolicyCompiler, OverrideAtSyscallEntryKillsAndSaysSoOnce)
{
    auto r = compile_ok(openat_path_policy("deny", "Equal", "[/etc/shadow]", "Override, argError: -1"));
    const pl_pol_selector& sel = r.tables.selectors.at(kOpenat << 16 | 0);
    EXPECT_EQ(sel.action, PL_ACT_OVERRIDE);
    EXPECT_EQ(sel.error, -1);
    EXPECT_EQ(r.tables.info.at(0).notes,
              Lines{"test.yaml:17: Override cannot make the syscall fail (the kernel has no kprobes): the caller is "
                    "killed at syscall entry instead"});
    Kernel k(r.tables);
    auto out = openat(k, "/etc/shadow");
    EXPECT_EQ(summary(out), Lines{"deny:0:override"});
    EXPECT_EQ(out.sent, std::vector<std::uint32_t>{9});
    EXPECT_FALSE(out.denied);
}

TEST(PolicyCompiler, SyscallOverrideOnAKprobeFailsTheCallWithTheErrno)
{
    CompileEnv env;
    env.caps = {.kprobes = true, .kprobe_override = true};
    env.caps.kernel_function = [](std::string_view name) -> std::optional<KernelFunctionInfo> {
        return KernelFunctionInfo{.in_btf = true, .fentry_args = true, .error_injectable = name == "__x64_sys_openat"};
    };
    auto r = compile_ok(documents({openat_path_policy("deny", "Equal", "[/etc/shadow]", "Override, argError: -2"),
                                   openat_path_policy("kill", "Equal", "[/etc/gshadow]", "Sigkill")}),
                        env);
    // The hook's note says how it is served; no note says Override kills.
    EXPECT_EQ(r.tables.info.at(0).notes,
              Lines{"test.yaml:7: served by a kprobe on __x64_sys_openat: Override returns the policy's errno and the "
                    "syscall never runs; string arguments are matched as the caller wrote them"});
    ASSERT_EQ(r.tables.kprobes.size(), 1u);  // Sigkill needs no override: the syscall tracepoint serves it
    EXPECT_EQ(r.tables.kprobes[0].function, "__x64_sys_openat");
    EXPECT_EQ(r.tables.kprobes[0].mechanism, KernelMechanism::KprobeOverride);
    const std::uint32_t hook = r.tables.kprobes[0].hook;
    EXPECT_EQ(r.tables.hooks.at(hook).flags & (PL_HOOKF_OVERRIDE | PL_HOOKF_SYSCALL_REGS),
              PL_HOOKF_OVERRIDE | PL_HOOKF_SYSCALL_REGS);
    EXPECT_EQ(r.tables.hooks.at(hook).str_arg, 1);
    Kernel k(r.tables);
    auto out = k.kernel_function({}, hook, {static_cast<std::uint64_t>(-100), 0, 0, 0, 0, 0}, "/etc/shadow");
    EXPECT_EQ(summary(out), Lines{"deny:0:override"});
    EXPECT_TRUE(out.denied);  // bpf_override_return with the errno: nobody is killed
    EXPECT_EQ(out.acted.at(0).error, -2);
    EXPECT_TRUE(out.sent.empty());
    EXPECT_TRUE(k.kernel_function({}, hook, {}, "/etc/passwd").acted.empty());
    // The Sigkill policy stays at syscall entry and kills.
    EXPECT_EQ(openat(k, "/etc/gshadow").sent, std::vector<std::uint32_t>{9});
}

TEST(PolicyCompiler, SigkillOnAnOverridingKprobeKillsWithoutFailingTheCall)
{
    CompileEnv env;
    env.caps = {.kprobes = true, .fentry = true, .fmod_ret = true};
    env.caps.kernel_function = [](std::string_view) -> std::optional<KernelFunctionInfo> {
        return KernelFunctionInfo{.in_btf = true, .fentry_args = true};
    };
    auto r = compile_ok(tracing_policy("guard", "  kprobes:\n"
                                                "  - call: security_file_open\n"
                                                "    syscall: false\n"
                                                "    args:\n"
                                                "    - {index: 0, type: file}\n"
                                                "    selectors:\n"
                                                "    - matchArgs:\n"
                                                "      - {index: 0, operator: Prefix, values: [/secret]}\n"
                                                "      matchActions:\n"
                                                "      - {action: Override, argError: -13}\n"
                                                "    - matchArgs:\n"
                                                "      - {index: 0, operator: Prefix, values: [/kill]}\n"
                                                "      matchActions:\n"
                                                "      - {action: Sigkill}\n"),
                        env);
    ASSERT_EQ(r.tables.kprobes.size(), 1u);
    EXPECT_EQ(r.tables.kprobes[0].mechanism, KernelMechanism::FmodRet);
    Kernel k(r.tables);
    const std::uint32_t hook = r.tables.kprobes[0].hook;
    auto denied = k.kernel_function({}, hook, {}, "/secret/key");
    EXPECT_TRUE(denied.denied);
    EXPECT_EQ(denied.acted.at(0).error, -13);
    EXPECT_TRUE(denied.sent.empty());
    auto killed = k.kernel_function({}, hook, {}, "/kill/me");
    EXPECT_FALSE(killed.denied);
    EXPECT_EQ(killed.sent, std::vector<std::uint32_t>{9});
}

TEST(PolicyCompiler, OverrideOnASubstituteHookIsNotedOncePerAction)
{
    // fd_install is served at four syscalls: one Override, one note (and the hook's own note).
    auto r = compile_ok(tracing_policy("deny", "  kprobes:\n"
                                               "  - call: fd_install\n"
                                               "    syscall: false\n"
                                               "    args: [{index: 0, type: int}, {index: 1, type: file}]\n"
                                               "    selectors:\n"
                                               "    - matchArgs: [{index: 1, operator: Equal, values: [/etc/shadow]}]\n"
                                               "      matchActions: [{action: Override, argError: -1}]\n"));
    const Lines& notes = r.tables.info.at(0).notes;
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_TRUE(notes[0].starts_with("test.yaml:7: fd_install is served at the entry of open, openat, openat2 and "
                                     "creat"))
        << notes[0];
    EXPECT_TRUE(notes[1].starts_with("test.yaml:12: Override needs BPF LSM")) << notes[1];
    Kernel k(r.tables);
    for (std::uint32_t nr : {kOpen, kCreat})
        EXPECT_EQ(summary(k.syscall({}, nr, {}, "/etc/shadow")), Lines{"deny:0:override"});
    EXPECT_EQ(summary(k.syscall({}, kOpenat2, {reg32(model::kAtFdcwd)}, "/etc/shadow")), Lines{"deny:0:override"});
}

TEST(PolicyCompiler, NoPostActsWithoutAnEvent)
{
    auto r = compile_ok(openat_policy("quiet", "    - matchArgs: [{index: 1, operator: Equal, values: [/a]}]\n"
                                               "      matchActions: [{action: Sigkill}, {action: NoPost}]\n"
                                               "    - matchArgs: [{index: 1, operator: Equal, values: [/b]}]\n"
                                               "      matchActions: [{action: NoPost}]\n"));
    Kernel k(r.tables);
    auto a = openat(k, "/a");
    EXPECT_EQ(summary(a), Lines{"quiet:0:sigkill (silent)"});
    EXPECT_EQ(a.sent, std::vector<std::uint32_t>{9});
    EXPECT_EQ(summary(openat(k, "/b")), Lines{"quiet:1:post (silent)"});
}

TEST(PolicyCompiler, PostRateLimitIsPerProcess)
{
    auto r = compile_ok(openat_policy("limited", "    - matchActions: [{action: Post, rateLimit: 1m}]\n"));
    EXPECT_EQ(r.tables.selectors.at(kOpenat << 16 | 0).rate_limit_ns, 60'000'000'000ull);
    Kernel k(r.tables);
    Task one, two;
    two.tgid = 7;
    const std::array<std::uint64_t, 6> args{reg32(model::kAtFdcwd)};
    const std::uint64_t t0 = 1'000'000'000'000ull;
    EXPECT_EQ(summary(k.syscall(one, kOpenat, args, "/x", t0)), Lines{"limited:0:post"});
    EXPECT_EQ(summary(k.syscall(one, kOpenat, args, "/x", t0 + 59'000'000'000ull)), Lines{"limited:0:post (silent)"});
    EXPECT_EQ(summary(k.syscall(two, kOpenat, args, "/x", t0 + 59'000'000'000ull)), Lines{"limited:0:post"});
    EXPECT_EQ(summary(k.syscall(one, kOpenat, args, "/x", t0 + 60'000'000'000ull)), Lines{"limited:0:post"});
}

}  // namespace
}  // namespace palisade::policy
