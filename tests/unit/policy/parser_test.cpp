// The policy parser: documents, kinds, metadata, options, hooks, arguments,
// lists, YAML and type errors, diagnostics, files and directories, durations.
#include "policy/parser.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "unit/policy/policy_test_util.h"

namespace palisade::policy {
namespace {

using test::located;
using test::parse;
using test::parse_one;
using test::rendered;
using Lines = std::vector<std::string>;

constexpr const char* kHeader = "apiVersion: cilium.io/v1alpha1\n"
                                "kind: TracingPolicy\n"
                                "metadata:\n"
                                "  name: test\n";

// ---------------------------------------------------------------------------
// Documents and kinds

TEST(PolicyDocument, MinimalTracingPolicy)
{
    Policy policy = parse_one(std::string(kHeader) + "spec: {}\n");
    EXPECT_EQ(policy.kind, PolicyKind::TracingPolicy);
    EXPECT_EQ(policy.name, "test");
    EXPECT_EQ(policy.namespace_, "");
    EXPECT_EQ(policy.mode, Mode::Enforce);
    EXPECT_FALSE(policy.mode_set);
    EXPECT_TRUE(policy.hooks.empty());
    EXPECT_TRUE(policy.pod_selector.empty());
    EXPECT_EQ(policy.loc.file, "test.yaml");
    EXPECT_EQ(policy.loc.line, 1);
    EXPECT_EQ(policy.loc.column, 1);
}

TEST(PolicyDocument, SeveralDocumentsInOrderAndEmptyOnesSkipped)
{
    ParseResult result = parse("---\n"
                               "# nothing here\n"
                               "---\n"
                               "apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: first}\n"
                               "spec: {}\n"
                               "---\n"
                               "---\n"
                               "apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: second}\n"
                               "spec: {}\n"
                               "...\n");
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    ASSERT_EQ(result.policies.size(), 2u);
    EXPECT_EQ(result.policies[0].name, "first");
    EXPECT_EQ(result.policies[0].loc.line, 4);
    EXPECT_EQ(result.policies[1].name, "second");
    EXPECT_EQ(result.policies[1].loc.line, 10);
}

TEST(PolicyDocument, EmptyTextHasNoPoliciesAndNoErrors)
{
    for (const char* text : {"", "# only a comment\n", "---\n---\n"}) {
        ParseResult result = parse(text);
        EXPECT_TRUE(result.policies.empty()) << text;
        EXPECT_TRUE(result.errors.empty()) << text;
    }
}

TEST(PolicyDocument, ADocumentWithErrorsIsLeftOutAndTheOthersStillLoad)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: broken}\n"
                               "spec:\n"
                               "  kprobes: {call: x}\n"
                               "---\n"
                               "apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: fine}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"5:12: 'kprobes' must be a sequence, not a mapping"}));
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].name, "fine");
}

TEST(PolicyDocument, TracingPolicyNamespacedKeepsItsNamespace)
{
    Policy policy = parse_one("apiVersion: cilium.io/v1alpha1\n"
                              "kind: TracingPolicyNamespaced\n"
                              "metadata:\n"
                              "  name: test\n"
                              "  namespace: build-runners\n"
                              "spec: {}\n");
    EXPECT_EQ(policy.kind, PolicyKind::TracingPolicyNamespaced);
    EXPECT_EQ(policy.namespace_, "build-runners");
}

TEST(PolicyDocument, TracingPolicyNamespacedWithoutNamespaceIsAnError)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicyNamespaced\n"
                               "metadata:\n"
                               "  name: test\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"4:3: a TracingPolicyNamespaced needs metadata.namespace"}));
    EXPECT_TRUE(result.policies.empty());
}

TEST(PolicyDocument, NamespaceOnAClusterWidePolicyIsAWarning)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: test\n"
                               "  namespace: default\n"
                               "spec: {}\n");
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(located(result.warnings), Lines({"5:3: metadata.namespace has no effect on a cluster-wide policy (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyDocument, UnknownKindIsNamed)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicies\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"2:7: unknown kind 'TracingPolicies' for apiVersion cilium.io/v1alpha1; expected "
                            "TracingPolicy or TracingPolicyNamespaced"}));
}

TEST(PolicyDocument, KindOfTheOtherApiVersionIsAnError)
{
    ParseResult result = parse("apiVersion: palisade.dev/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"2:7: unknown kind 'TracingPolicy' for apiVersion palisade.dev/v1alpha1; expected "
                            "NetworkPolicy"}));
}

TEST(PolicyDocument, UnknownApiVersionIsNamed)
{
    ParseResult result = parse("apiVersion: networking.k8s.io/v1\n"
                               "kind: NetworkPolicy\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"1:13: unknown apiVersion 'networking.k8s.io/v1' (kind 'NetworkPolicy'); expected "
                            "cilium.io/v1alpha1 (TracingPolicy, TracingPolicyNamespaced) or palisade.dev/v1alpha1 "
                            "(NetworkPolicy)"}));
}

TEST(PolicyDocument, MissingKindNameOrSpecIsAnError)
{
    EXPECT_EQ(located(parse("apiVersion: cilium.io/v1alpha1\nmetadata: {name: t}\nspec: {}\n").errors), Lines({"1:1: a policy document is missing the required key 'kind'"}));
    EXPECT_EQ(located(parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {}\nspec: {}\n").errors), Lines({"3:11: 'metadata' is missing the required key 'name'"}));
    EXPECT_EQ(located(parse(kHeader).errors), Lines({"1:1: a policy document is missing the required key 'spec'"}));
}

TEST(PolicyDocument, NameMustBeAKubernetesName)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: Block_Miners\n"
                               "spec: {}\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.line, 4);
    EXPECT_EQ(result.errors[0].loc.column, 9);
    EXPECT_TRUE(result.errors[0].message.starts_with("metadata.name 'Block_Miners' is not a valid name"))
        << result.errors[0].message;
}

TEST(PolicyDocument, DocumentMustBeAMapping)
{
    EXPECT_EQ(located(parse("- a\n- b\n").errors), Lines({"1:1: a policy document must be a mapping, not a sequence"}));
}

TEST(PolicyDocument, UnknownTopLevelAndMetadataKeysAreWarnings)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: test\n"
                               "  annotations: {description: x}\n"
                               "  colour: blue\n"
                               "status: {}\n"
                               "spec: {}\n");
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    EXPECT_EQ(located(result.warnings), Lines({"7:1: unknown key 'status' in a policy document (ignored)",
                            "6:3: unknown key 'colour' in 'metadata' (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyDocument, DuplicateKeyIsAnError)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: test\n"
                               "  name: other\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors), Lines({"5:3: duplicate key 'name' in 'metadata' (first at line 4, column 3)"}));
}

// ---------------------------------------------------------------------------
// spec.options and the pod / container selectors

TEST(PolicyOptions, PolicyModeSetsTheMode)
{
    Policy monitor = parse_one(std::string(kHeader) + "spec:\n  options:\n  - name: policy-mode\n    value: monitor\n");
    EXPECT_EQ(monitor.mode, Mode::Monitor);
    EXPECT_TRUE(monitor.mode_set);
    Policy enforce = parse_one(std::string(kHeader) + "spec:\n  options: [{name: policy-mode, value: enforce}]\n");
    EXPECT_EQ(enforce.mode, Mode::Enforce);
    EXPECT_TRUE(enforce.mode_set);
}

TEST(PolicyOptions, InvalidPolicyModeIsAnError)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n  options:\n  - name: policy-mode\n    value: audit\n");
    EXPECT_EQ(located(result.errors), Lines({"8:12: policy-mode must be one of: enforce, monitor; not 'audit'"}));
}

TEST(PolicyOptions, UnknownOptionIsAWarning)
{
    ParseResult result = parse(std::string(kHeader) +
                               "spec:\n  options:\n  - name: disable-kprobe-multi\n    value: \"1\"\n");
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(located(result.warnings), Lines({"7:11: unknown option 'disable-kprobe-multi' (ignored)"}));
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_FALSE(result.policies[0].mode_set);
}

TEST(PolicyLabelSelectors, PodAndContainerSelectorsAreRead)
{
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
                                                     "  podSelector:\n"
                                                     "    matchLabels:\n"
                                                     "      app: runner\n"
                                                     "      tier: \"2\"\n"
                                                     "    matchExpressions:\n"
                                                     "    - key: team\n"
                                                     "      operator: In\n"
                                                     "      values: [ci, build]\n"
                                                     "    - {key: canary, operator: DoesNotExist}\n"
                                                     "  containerSelector:\n"
                                                     "    matchLabels: {name: main}\n");
    EXPECT_EQ(policy.pod_selector.match_labels, (std::map<std::string, std::string>{{"app", "runner"}, {"tier", "2"}}));
    ASSERT_EQ(policy.pod_selector.match_expressions.size(), 2u);
    EXPECT_EQ(policy.pod_selector.match_expressions[0].key, "team");
    EXPECT_EQ(policy.pod_selector.match_expressions[0].op, "In");
    EXPECT_EQ(policy.pod_selector.match_expressions[0].values, (std::vector<std::string>{"ci", "build"}));
    EXPECT_EQ(policy.pod_selector.match_expressions[1].op, "DoesNotExist");
    EXPECT_EQ(policy.container_selector.match_labels.at("name"), "main");
    EXPECT_TRUE(policy.container_selector.match_expressions.empty());
}

TEST(PolicyLabelSelectors, EmptyMatchLabelsIsTheEmptySelector)
{
    Policy policy = parse_one(std::string(kHeader) + "spec:\n  podSelector:\n    matchLabels: {}\n");
    EXPECT_TRUE(policy.pod_selector.empty());
}

TEST(PolicyLabelSelectors, MistakesAreErrorsBecauseAnEmptySelectorSelectsEverything)
{
    std::string spec = std::string(kHeader) + "spec:\n  podSelector:\n";
    EXPECT_EQ(located(parse(spec + "    matchLabel: {app: x}\n").errors), Lines({"7:5: unknown key 'matchLabel' in 'podSelector'; expected one of: matchLabels, "
                            "matchExpressions"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: Equals, values: [b]}\n").errors), Lines({"8:26: unknown matchExpressions operator 'Equals'; valid operators: In, NotIn, Exists, "
                            "DoesNotExist"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: In}\n").errors), Lines({"8:7: operator In needs at least one value"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: Exists, values: [b]}\n").errors), Lines({"8:42: operator Exists takes no values"}));
}

// ---------------------------------------------------------------------------
// Hooks and their arguments

TEST(PolicyHooks, KprobeFields)
{
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n  kprobes:\n  - call: sys_execve\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    EXPECT_TRUE(policy.hooks[0].syscall);
    EXPECT_FALSE(policy.hooks[0].is_return);
}

TEST(PolicyHooks, ArgumentTypesMapToTheModel)
{
    const std::pair<const char*, ArgType> cases[] = {
        {"int", ArgType::Int},           {"int32", ArgType::Int},         {"int64", ArgType::Int},
        {"uint32", ArgType::Int},        {"uint64", ArgType::Int},        {"uint", ArgType::Int},
        {"long", ArgType::Int},          {"size_t", ArgType::Int},        {"syscall64", ArgType::Int},
        {"string", ArgType::String},     {"char_buf", ArgType::CharBuf},  {"char_iovec", ArgType::CharBuf},
        {"fd", ArgType::Fd},             {"file", ArgType::File},         {"path", ArgType::File},
        {"dentry", ArgType::File},       {"sockaddr", ArgType::Sockaddr}, {"sock", ArgType::Sock},
        {"socket", ArgType::Sock},       {"skb", ArgType::Sock},          {"linux_binprm", ArgType::LinuxBinprm},
        {"cred", ArgType::Cred},         {"capability", ArgType::Capability},
        {"cap_effective", ArgType::CapSet}, {"cap_permitted", ArgType::CapSet},
        {"cap_inheritable", ArgType::CapSet}, {"kernel_cap_t", ArgType::CapSet}, {"nop", ArgType::Nop},
        {"bpf_attr", ArgType::Unsupported},   {"kiocb", ArgType::Unsupported},  {"String", ArgType::Unsupported},
    };
    for (const auto& [name, type] : cases) {
        Policy policy = parse_one(std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n    args:\n    - index: 0\n"
                                                         "      type: " + name + "\n");
        ASSERT_EQ(policy.hooks.size(), 1u) << name;
        EXPECT_EQ(policy.hooks[0].args[0].type, type) << name;
        EXPECT_EQ(policy.hooks[0].args[0].type_name, name);
    }
}

TEST(PolicyHooks, ArgumentWithoutTypeIsAutoAsInTetragon)
{
    Policy policy = parse_one(std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n    args:\n    - index: 2\n");
    ASSERT_EQ(policy.hooks.size(), 1u);
    EXPECT_EQ(policy.hooks[0].args[0].type, ArgType::Unsupported);
    EXPECT_EQ(policy.hooks[0].args[0].type_name, "auto");
}

TEST(PolicyHooks, ArgumentFields)
{
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    ParseResult result = parse(std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n    tags: " + tags + "]\n");
    EXPECT_EQ(located(result.errors), Lines({"8:11: at most 16 tags are allowed, not 17"}));
}

TEST(PolicyHooks, UnknownHookKeyIsAWarningWithItsLocation)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n    colour: red\n"
                                                      "  loader: true\n  fentries: []\n");
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    EXPECT_EQ(located(result.warnings), Lines({"10:3: unknown key 'fentries' in 'spec' (ignored)",
                            "9:3: 'loader' in 'spec' is not supported by Palisade (ignored)",
                            "8:5: unknown key 'colour' in a kprobe (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyHooks, EachHookReportsItsOwnFirstError)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kHeader) + "spec:\n"
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
    ParseResult result = parse(std::string(kHeader) + "spec:\n"
                                                      "  lists:\n"
                                                      "  - {name: dups, type: syscalls, values: [sys_dup]}\n"
                                                      "  kprobes:\n"
                                                      "  - call: \"list:dup\"\n");
    EXPECT_EQ(located(result.errors), Lines({"9:11: unknown list 'dup' (spec.lists has: dups)"}));
}

TEST(PolicyLists, BadTypeAndDuplicateNameAreErrors)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n"
                                                      "  lists:\n"
                                                      "  - {name: a, type: functions}\n"
                                                      "  - {name: b, values: [x]}\n"
                                                      "  - {name: b, values: [y]}\n");
    EXPECT_EQ(located(result.errors), Lines({"7:21: unknown list type 'functions'; valid types: syscalls, generated_syscalls, "
                            "generated_ftrace",
                            "9:12: duplicate list 'b' (first at line 8, column 5)"}));
}

// ---------------------------------------------------------------------------
// YAML errors, wrong types, and how diagnostics render

TEST(PolicyDiagnostics, YamlSyntaxErrorIsOneLocatedError)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: x\n"
                               "    bad: 1\n");
    EXPECT_EQ(located(result.errors), Lines({"5:8: invalid YAML: illegal map value"}));
    EXPECT_EQ(result.errors[0].source_line, "    bad: 1");
    EXPECT_TRUE(result.policies.empty());
}

TEST(PolicyDiagnostics, WrongTypesNameTheExpectedType)
{
    std::string spec = std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n";
    EXPECT_EQ(located(parse(spec + "    selectors: {matchArgs: []}\n").errors), Lines({"8:16: 'selectors' must be a sequence, not a mapping"}));
    EXPECT_EQ(located(parse(spec + "    args: [[0]]\n").errors), Lines({"8:12: an argument must be a mapping, not a sequence"}));
    EXPECT_EQ(located(parse(spec + "    syscall: maybe\n").errors), Lines({"8:14: 'syscall' must be true or false, not 'maybe'"}));
    EXPECT_EQ(located(parse(spec + "    args:\n    - index: -1\n").errors), Lines({"9:14: 'index' must be between 0 and 2147483647, not -1"}));
    EXPECT_EQ(located(parse(spec + "    args:\n    - index: 1.5\n").errors), Lines({"9:14: 'index' must be an integer, not '1.5'"}));
    EXPECT_EQ(located(parse(spec + "    message: {text: hi}\n").errors), Lines({"8:14: 'message' must be a string, not a mapping"}));
    EXPECT_EQ(located(parse(std::string(kHeader) + "spec: [kprobes]\n").errors), Lines({"5:7: 'spec' must be a mapping, not a sequence"}));
}

TEST(PolicyDiagnostics, EmptyValueIsPlacedAtItsKey)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n  kprobes:\n  - call:\n    syscall: false\n");
    EXPECT_EQ(located(result.errors), Lines({"7:5: 'call' must be a string, not empty"}));
}

TEST(PolicyDiagnostics, RenderShowsTheLineAndACaretUnderTheColumn)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: Foo\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].render(),
              "test.yaml:2:7: error: unknown kind 'Foo' for apiVersion cilium.io/v1alpha1; expected TracingPolicy or "
              "TracingPolicyNamespaced\n"
              "  kind: Foo\n"
              "        ^");
}

TEST(PolicyDiagnostics, RenderOfAWarningSaysWarning)
{
    ParseResult result = parse(std::string(kHeader) + "spec:\n  kprobes:\n  - call: f\n    colour: red\n");
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0].render(),
              "test.yaml:8:5: warning: unknown key 'colour' in a kprobe (ignored)\n"
              "      colour: red\n"
              "      ^");
}

TEST(PolicyDiagnostics, RenderCopiesTabsAndLeavesOutWhatIsUnknown)
{
    PolicyDiagnostic tabbed{Location{"f.yaml", 3, 4}, "bad", "\t\tx: y"};
    EXPECT_EQ(tabbed.render(), "f.yaml:3:4: error: bad\n  \t\tx: y\n  \t\t ^");
    PolicyDiagnostic no_line{Location{"f.yaml", 3, 4}, "bad", ""};
    EXPECT_EQ(no_line.render(), "f.yaml:3:4: error: bad");
    PolicyDiagnostic no_position{Location{"f.yaml"}, "bad", "", PolicyDiagnostic::Severity::Warning};
    EXPECT_EQ(no_position.render(), "f.yaml: warning: bad");
}

TEST(PolicyDiagnostics, CrlfAndByteOrderMarkDoNotShiftPositions)
{
    ParseResult result = parse("\xEF\xBB\xBF"
                               "apiVersion: cilium.io/v1alpha1\r\n"
                               "kind: Foo\r\n"
                               "metadata: {name: test}\r\n"
                               "spec: {}\r\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.line, 2);
    EXPECT_EQ(result.errors[0].loc.column, 7);
    EXPECT_EQ(result.errors[0].source_line, "kind: Foo");
}

// ---------------------------------------------------------------------------
// Files and directories

class PolicyFiles : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::temp_directory_path() /
               ("palisade-policy-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& relative, const std::string& content)
    {
        std::filesystem::path path = dir_ / relative;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << content;
        return path.string();
    }

    static std::string policy_named(const std::string& name)
    {
        return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: " + name + "}\nspec: {}\n";
    }

    std::filesystem::path dir_;
};

TEST_F(PolicyFiles, MissingFileCannotBeRead)
{
    std::string path = (dir_ / "absent.yaml").string();
    ParseResult result = parse_policy_file(path);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].render(), path + ": error: cannot read " + path + ": No such file or directory");
    EXPECT_EQ(parse_policy_path(path).errors.size(), 1u);
}

TEST_F(PolicyFiles, FileLocationsCarryTheFileName)
{
    std::string path = write("bad.yaml", "apiVersion: cilium.io/v1alpha1\nkind: Foo\nmetadata: {name: x}\nspec: {}\n");
    ParseResult result = parse_policy_file(path);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.file, path);
    EXPECT_TRUE(result.errors[0].render().starts_with(path + ":2:7: error: unknown kind 'Foo'"));
}

TEST_F(PolicyFiles, DirectoryIsReadRecursivelyInSortedOrder)
{
    write("b.yaml", policy_named("b"));
    write("a/z.yml", policy_named("az"));
    write("a/nested/c.yaml", policy_named("anc"));
    write("notes.txt", "not a policy");
    write("c.yaml.bak", "not a policy");
    ParseResult result = parse_policy_path(dir_.string());
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    std::vector<std::string> names;
    for (const Policy& policy : result.policies)
        names.push_back(policy.name);
    EXPECT_EQ(names, Lines({"anc", "az", "b"}));
}

TEST_F(PolicyFiles, SingleFilePathIsThatFile)
{
    std::string path = write("one.policy", policy_named("one"));
    ParseResult result = parse_policy_path(path);
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].name, "one");
    EXPECT_EQ(result.policies[0].loc.file, path);
}

TEST_F(PolicyFiles, ErrorsOfOneFileDoNotStopTheOthers)
{
    write("a.yaml", "kind: [\n");
    write("b.yaml", policy_named("b"));
    ParseResult result = parse_policy_path(dir_.string());
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.file, (dir_ / "a.yaml").string());
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].name, "b");
}

TEST_F(PolicyFiles, EmptyDirectoryIsAWarning)
{
    ParseResult result = parse_policy_path(dir_.string());
    EXPECT_TRUE(result.errors.empty());
    EXPECT_TRUE(result.policies.empty());
    EXPECT_EQ(result.warnings.size(), 1u);
}

// ---------------------------------------------------------------------------
// Durations (rateLimit)

TEST(PolicyDuration, UnitsAndBareSeconds)
{
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"1m", 60'000'000'000ull},  {"10s", 10'000'000'000ull}, {"500ms", 500'000'000ull},
        {"1h", 3'600'000'000'000ull}, {"30", 30'000'000'000ull}, {"0", 0},
        {"2M", 120'000'000'000ull}, {"5S", 5'000'000'000ull},
    };
    for (const auto& [text, ns] : cases) {
        bool ok = false;
        EXPECT_EQ(parse_duration_ns(text, &ok), ns) << text;
        EXPECT_TRUE(ok) << text;
    }
    EXPECT_EQ(parse_duration_ns("10s", nullptr), 10'000'000'000ull);
}

TEST(PolicyDuration, AnythingElseIsNotADuration)
{
    for (const char* text : {"", "s", "10x", "-1s", "1.5s", " 1s", "1s ", "1 s", "10d", "ms",
                             "99999999999999999999", "18446744073709551615s"}) {
        bool ok = true;
        EXPECT_EQ(parse_duration_ns(text, &ok), 0u) << text;
        EXPECT_FALSE(ok) << text;
    }
}

}  // namespace
}  // namespace palisade::policy
