// Syscall lists: generated ones, 32-bit compat entries, and Tetragon's
// enforcer (NotifyEnforcer) acting on the syscall the selector matched.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using namespace test;

TEST(PolicyCompilerLists, GeneratedSyscallsListCoversEverySyscall)
{
    const auto r = compile_ok(tracing_policy("all", "  lists:\n  - {name: every, type: generated_syscalls}\n"
                                                    "  kprobes:\n  - call: \"list:every\"\n"));
    EXPECT_GT(r.tables.hooks.size(), 300u);
    EXPECT_TRUE(r.tables.hooks.count(kOpenat));
    EXPECT_TRUE(r.tables.hooks.count(kExecve));
}

TEST(PolicyCompilerLists, CompatEntriesAreLeftOutWithANote)
{
    const auto r = compile_ok(tracing_policy("dups", "  lists:\n  - name: dups\n    type: syscalls\n"
                                                     "    values: [sys_dup, sys_dup2, __ia32_sys_dup]\n"
                                                     "  kprobes:\n  - call: \"list:dups\"\n"));
    EXPECT_EQ(r.tables.hooks.size(), 2u);
    ASSERT_EQ(r.tables.info.at(0).notes.size(), 1u);
    EXPECT_NE(r.tables.info[0].notes[0].find("__ia32_sys_dup left out"), std::string::npos);
}

TEST(PolicyCompilerLists, NotifyEnforcerActsOnTheMatchedSyscall)
{
    const auto r = compile_ok(tracing_policy(
        "killer", "  lists:\n  - name: dups\n    type: syscalls\n    values: [sys_dup, sys_dup2, __ia32_sys_dup]\n"
                  "  tracepoints:\n  - subsystem: raw_syscalls\n    event: sys_enter\n"
                  "    args: [{index: 4, type: syscall64}]\n"
                  "    selectors:\n    - matchArgs: [{index: 0, operator: InMap, values: [\"list:dups\"]}]\n"
                  "      matchActions: [{action: NotifyEnforcer, argError: -1, argSig: 9}]\n"));
    Kernel k(r.tables);
    EXPECT_EQ(summary(k.syscall({}, 32 /* dup */, {3})), (Lines{"killer:0:sigkill"}));
    EXPECT_EQ(summary(k.syscall({}, kRead, {3})), Lines{});
}

}  // namespace
}  // namespace palisade::policy
