// The policy parser: kprobes, tracepoints, LSM hooks, uprobes and USDTs,
// their arguments, and spec.lists.
#include <gtest/gtest.h>

#include "unit/policy/policy_test_util.h"

namespace palisade::policy {
namespace {

using test::located;
using test::parse;
using test::parse_one;
using test::rendered;
using Lines = std::vector<std::string>;
using test::kTracingHeader;

// ---------------------------------------------------------------------------
// Hooks and their arguments

TEST(PolicyHooks, KprobeFields)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  kprobes:\n"
                                                            "  - call: sk_alloc\n"
                                                            "    syscall: false\n"
                                                            "    return: true\n"
                                                            "    message: \"socket allocated\"\n"
                                                            "    tags: [network, observability]\n"
                                                            "    args:\n"
                                                            "    - index: 1\n"
                                                            "      type: int\n"
                                                            "    returnArg:\n"
                                                            "      index: 0\n"
                                                            "      type: sock\n"
                                                            "    returnArgAction: TrackSock\n"
                                                            "    ignore:\n"
                                                            "      callNotFound: true\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    const Hook& hook = policy.hooks[0];
    EXPECT_EQ(hook.kind, HookKind::Kprobe);
    EXPECT_EQ(hook.call, "sk_alloc");
    EXPECT_FALSE(hook.syscall);
    EXPECT_TRUE(hook.is_return);
    EXPECT_EQ(hook.message, "socket allocated");
    EXPECT_EQ(hook.tags, (std::vector<std::string>{"network", "observability"}));
    ASSERT_EQ(hook.args.size(), 1u);
    EXPECT_EQ(hook.args[0].index, 1);
    EXPECT_EQ(hook.args[0].type, ArgType::Int);
    EXPECT_EQ(hook.args[0].loc.line, 13);
    EXPECT_EQ(hook.args[0].loc.column, 7);
    ASSERT_TRUE(hook.return_arg.has_value());
    EXPECT_EQ(hook.return_arg->type, ArgType::Sock);
    EXPECT_EQ(hook.return_arg_action, "TrackSock");
    EXPECT_TRUE(hook.ignore_call_not_found);
    EXPECT_TRUE(hook.selectors.empty());
    EXPECT_TRUE(hook.list_calls.empty());
    EXPECT_EQ(hook.loc.line, 7);
    EXPECT_EQ(hook.loc.column, 5);
}

TEST(PolicyHooks, KprobeIsASyscallUnlessItSaysOtherwiseAsInTetragon)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: sys_execve\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    EXPECT_TRUE(policy.hooks[0].syscall);
    EXPECT_FALSE(policy.hooks[0].is_return);
}

TEST(PolicyHooks, ArgumentTypesMapToTheModel)
{
    const std::pair<const char*, ArgType> cases[] = {
        {"int", ArgType::Int},
        {"int32", ArgType::Int},
        {"int64", ArgType::Int},
        {"uint32", ArgType::Int},
        {"uint64", ArgType::Int},
        {"uint", ArgType::Int},
        {"long", ArgType::Int},
        {"size_t", ArgType::Int},
        {"syscall64", ArgType::Int},
        {"string", ArgType::String},
        {"char_buf", ArgType::CharBuf},
        {"char_iovec", ArgType::CharBuf},
        {"fd", ArgType::Fd},
        {"file", ArgType::File},
        {"path", ArgType::File},
        {"dentry", ArgType::File},
        {"sockaddr", ArgType::Sockaddr},
        {"sock", ArgType::Sock},
        {"socket", ArgType::Sock},
        {"skb", ArgType::Skb},
        {"net_device", ArgType::NetDev},
        {"linux_binprm", ArgType::LinuxBinprm},
        {"cred", ArgType::Cred},
        {"capability", ArgType::Capability},
        {"cap_effective", ArgType::CapSet},
        {"cap_permitted", ArgType::CapSet},
        {"cap_inheritable", ArgType::CapSet},
        {"kernel_cap_t", ArgType::CapSet},
        {"nop", ArgType::Nop},
        {"bpf_attr", ArgType::Unsupported},
        {"kiocb", ArgType::Unsupported},
        {"String", ArgType::Unsupported},
    };
    for (const auto& [name, type] : cases) {
        Policy policy = parse_one(std::string(kTracingHeader) +
                                  "spec:\n  kprobes:\n  - call: f\n    args:\n    - index: 0\n"
                                  "      type: " +
                                  name + "\n");
        ASSERT_EQ(policy.hooks.size(), 1u) << name;
        EXPECT_EQ(policy.hooks[0].args[0].type, type) << name;
        EXPECT_EQ(policy.hooks[0].args[0].type_name, name);
    }
}

TEST(PolicyHooks, ArgumentWithoutTypeIsAutoAsInTetragon)
{
    Policy policy =
        parse_one(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: f\n    args:\n    - index: 2\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    EXPECT_EQ(policy.hooks[0].args[0].type, ArgType::Unsupported);
    EXPECT_EQ(policy.hooks[0].args[0].type_name, "auto");
}

TEST(PolicyHooks, ArgumentFields)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  kprobes:\n"
                                                            "  - call: sys_read\n"
                                                            "    args:\n"
                                                            "    - index: 1\n"
                                                            "      type: char_buf\n"
                                                            "      sizeArgIndex: 3\n"
                                                            "      returnCopy: true\n"
                                                            "      maxData: true\n"
                                                            "      label: buffer\n"
                                                            "    - index: 0\n"
                                                            "      type: string\n"
                                                            "      resolve: mm.owner.comm\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    const Arg& buffer = policy.hooks[0].args[0];
    EXPECT_EQ(buffer.type, ArgType::CharBuf);
    EXPECT_EQ(buffer.size_arg_index, 3);
    EXPECT_TRUE(buffer.return_copy);
    EXPECT_NE(buffer.max_data, 0);
    EXPECT_EQ(buffer.label, "buffer");
    EXPECT_EQ(buffer.resolve, "");
    const Arg& name = policy.hooks[0].args[1];
    EXPECT_EQ(name.size_arg_index, 0);
    EXPECT_FALSE(name.return_copy);
    EXPECT_EQ(name.max_data, 0);
    EXPECT_EQ(name.resolve, "mm.owner.comm");
}

TEST(PolicyHooks, Tracepoint)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  tracepoints:\n"
                                                            "  - subsystem: raw_syscalls\n"
                                                            "    event: sys_enter\n"
                                                            "    message: any syscall\n"
                                                            "    tags: [syscalls]\n"
                                                            "    args:\n"
                                                            "    - index: 4\n"
                                                            "      type: syscall64\n"
                                                            "    selectors:\n"
                                                            "    - matchArgs:\n"
                                                            "      - {index: 4, operator: Equal, values: [59]}\n"
                                                            "  - subsystem: sched\n"
                                                            "    event: sched_process_exec\n"
                                                            "    raw: true\n");
    ASSERT_EQ(policy.hooks.size(), 2u);
    const Hook& enter = policy.hooks[0];
    EXPECT_EQ(enter.kind, HookKind::Tracepoint);
    EXPECT_EQ(enter.call, "raw_syscalls/sys_enter");
    EXPECT_FALSE(enter.syscall);
    EXPECT_FALSE(enter.raw_tracepoint);
    EXPECT_EQ(enter.message, "any syscall");
    EXPECT_EQ(enter.tags, std::vector<std::string>{"syscalls"});
    ASSERT_EQ(enter.args.size(), 1u);
    EXPECT_EQ(enter.args[0].index, 4);
    ASSERT_EQ(enter.selectors.size(), 1u);
    EXPECT_EQ(enter.selectors[0].args[0].values, std::vector<std::string>{"59"});
    EXPECT_EQ(policy.hooks[1].call, "sched/sched_process_exec");
    EXPECT_TRUE(policy.hooks[1].raw_tracepoint);
}

TEST(PolicyHooks, LsmHook)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  lsmhooks:\n"
                                                            "  - hook: file_open\n"
                                                            "    message: opened\n"
                                                            "    args:\n"
                                                            "    - {index: 0, type: file}\n"
                                                            "    selectors:\n"
                                                            "    - matchActions: [{action: Override, argError: -1}]\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    EXPECT_EQ(policy.hooks[0].kind, HookKind::Lsm);
    EXPECT_EQ(policy.hooks[0].call, "file_open");
    EXPECT_EQ(policy.hooks[0].message, "opened");
    EXPECT_EQ(policy.hooks[0].args[0].type, ArgType::File);
    EXPECT_EQ(policy.hooks[0].selectors[0].actions[0].kind, ActionKind::Override);
}

TEST(PolicyHooks, UprobesAndUsdtsAreKeptLooselyToBeRejectedLater)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  uprobes:\n"
                                                            "  - path: /bin/bash\n"
                                                            "    symbols: [readline]\n"
                                                            "    selectors:\n"
                                                            "    - matchPIDs: [{operator: In, values: [1]}]\n"
                                                            "    whatever: 1\n"
                                                            "  usdts:\n"
                                                            "  - path: /usr/bin/tester\n"
                                                            "    provider: tetragon\n"
                                                            "    name: test_4B\n");
    ASSERT_EQ(policy.hooks.size(), 2u);
    EXPECT_EQ(policy.hooks[0].kind, HookKind::Uprobe);
    EXPECT_EQ(policy.hooks[0].call, "/bin/bash");
    EXPECT_EQ(policy.hooks[0].list_calls, std::vector<std::string>{"readline"});
    EXPECT_EQ(policy.hooks[1].kind, HookKind::Usdt);
    EXPECT_EQ(policy.hooks[1].call, "/usr/bin/tester");
    EXPECT_EQ(policy.hooks[1].list_calls, std::vector<std::string>{"tetragon:test_4B"});
}

TEST(PolicyHooks, TooManyTagsIsAnError)
{
    std::string tags = "[";
    for (int i = 0; i < 17; ++i)
        tags += (i ? ", t" : "t") + std::to_string(i);
    ParseResult result =
        parse(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: f\n    tags: " + tags + "]\n");
    EXPECT_EQ(located(result.errors), Lines({"8:11: at most 16 tags are allowed, not 17"}));
}

TEST(PolicyHooks, UnknownHookKeyIsAWarningWithItsLocation)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: f\n    colour: red\n"
                                                             "  loader: true\n  fentries: []\n");
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    EXPECT_EQ(located(result.warnings), Lines({"10:3: unknown key 'fentries' in 'spec' (ignored)",
                                               "9:3: 'loader' in 'spec' is not supported by Palisade (ignored)",
                                               "8:5: unknown key 'colour' in a kprobe (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyHooks, EachHookReportsItsOwnFirstError)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n"
                                                             "  kprobes:\n"
                                                             "  - call: [a, b]\n"
                                                             "  - call: g\n"
                                                             "    args:\n"
                                                             "    - index: first\n"
                                                             "  - call: fine\n");
    EXPECT_EQ(located(result.errors), Lines({"7:11: 'call' must be a string, not a sequence",
                                             "10:14: 'index' must be an integer, not 'first'"}));
    EXPECT_TRUE(result.policies.empty());
}

// ---------------------------------------------------------------------------
// spec.lists

TEST(PolicyLists, SyscallsListExpandsIntoTheKprobe)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
                                                            "  kprobes:\n"
                                                            "  - call: \"list:dups\"\n"
                                                            "    syscall: false\n"
                                                            "  lists:\n"
                                                            "  - name: dups\n"
                                                            "    type: syscalls\n"
                                                            "    values: [sys_dup, sys_dup2]\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    const Hook& hook = policy.hooks[0];
    EXPECT_EQ(hook.call, "list:dups");
    EXPECT_EQ(hook.list_calls, (std::vector<std::string>{"sys_dup", "sys_dup2"}));
    EXPECT_EQ(hook.list_type, "syscalls");
    EXPECT_TRUE(hook.syscall);
    ASSERT_EQ(policy.lists.size(), 1u);
    EXPECT_EQ(policy.lists[0].name, "dups");
    EXPECT_EQ(policy.lists[0].values, hook.list_calls);
    EXPECT_EQ(policy.lists[0].loc.line, 10);
}

TEST(PolicyLists, GeneratedListsAreKeptAsWritten)
{
    Policy policy =
        parse_one(std::string(kTracingHeader) + "spec:\n"
                                                "  lists:\n"
                                                "  - {name: ksys, type: generated_ftrace, pattern: \"^ksys_*\"}\n"
                                                "  - {name: all, type: generated_syscalls}\n"
                                                "  kprobes:\n"
                                                "  - {call: \"list:ksys\", syscall: false}\n"
                                                "  - {call: \"list:all\", syscall: false}\n");
    ASSERT_EQ(policy.hooks.size(), 2u);
    EXPECT_EQ(policy.hooks[0].list_type, "generated_ftrace");
    EXPECT_EQ(policy.hooks[0].list_calls, std::vector<std::string>{"^ksys_*"});
    EXPECT_FALSE(policy.hooks[0].syscall);
    EXPECT_EQ(policy.hooks[1].list_type, "generated_syscalls");
    EXPECT_TRUE(policy.hooks[1].list_calls.empty());
    EXPECT_EQ(policy.lists[0].pattern, "^ksys_*");
}

TEST(PolicyLists, UnknownListIsAnErrorAtTheCall)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n"
                                                             "  lists:\n"
                                                             "  - {name: dups, type: syscalls, values: [sys_dup]}\n"
                                                             "  kprobes:\n"
                                                             "  - call: \"list:dup\"\n");
    EXPECT_EQ(located(result.errors), Lines({"9:11: unknown list 'dup' (spec.lists has: dups)"}));
}

TEST(PolicyLists, BadTypeAndDuplicateNameAreErrors)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n"
                                                             "  lists:\n"
                                                             "  - {name: a, type: functions}\n"
                                                             "  - {name: b, values: [x]}\n"
                                                             "  - {name: b, values: [y]}\n");
    EXPECT_EQ(located(result.errors),
              Lines({"7:21: unknown list type 'functions'; valid types: syscalls, generated_syscalls, "
                     "generated_ftrace",
                     "9:12: duplicate list 'b' (first at line 8, column 5)"}));
}

}  // namespace
}  // namespace palisade::policy
