// Kernel functions' struct arguments (Tetragon's skb, net_device, cred and
// capability-set types): what the compiler writes for the kernel to read,
// which matchArgs operators each takes, and the refusals, named by policy,
// hook, selector and operator. Also the check that a kernel function exists.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using namespace test;

CompileEnv kernel_env()
{
    CompileEnv env;
    env.caps = {.kprobes = true, .bpf_lsm = true};
    return env;
}

// One kprobe on a kernel function declaring `args`; selectors from line 11 on.
std::string function_policy(const std::string& call, const std::string& args, const std::string& selectors,
                            const std::string& name = "k")
{
    return tracing_policy(name, "  kprobes:\n"                    // 6
                                "  - call: " + call + "\n"        // 7
                                "    syscall: false\n"            // 8
                                "    args: " + args + "\n"        // 9
                                "    selectors:\n" + selectors);  // 10
}

const std::string kIpOutput = "[{index: 1, type: sock}, {index: 2, type: skb, label: datagram}]";

const pl_pol_hook& only_hook(const CompileResult& r)
{
    EXPECT_EQ(r.tables.hooks.size(), 1u);
    return r.tables.hooks.begin()->second;
}

bool has_value(const CompileResult& r, int table, std::uint64_t value, bool negated)
{
    for (const auto& [key, hit] : r.tables.values)
        if (key.table == static_cast<std::uint32_t>(table) && key.value == value)
            return (negated ? hit.neg.w[0] : hit.pos.w[0]) != 0;
    return false;
}

TEST(PolicyKernelArgs, SkbIsMatchedByItsPacketsAddressesPortsAndProtocol)
{
    // The corpus's dns-only-specified-servers: UDP or TCP to port 53 anywhere but the local resolver.
    auto r = compile_ok(function_policy("ip_output", kIpOutput,
                                        "    - matchArgs:\n"
                                        "      - {index: 2, operator: Protocol, values: [IPPROTO_TCP, IPPROTO_UDP]}\n"
                                        "      - {index: 2, operator: DPort, values: [\"53\"]}\n"
                                        "      - {index: 2, operator: NotDAddr, values: [127.0.0.53]}\n"
                                        "      matchActions: [{action: Sigkill}]\n"),
                        kernel_env());
    const pl_pol_hook& h = only_hook(r);
    EXPECT_EQ(h.skb_arg, 2);
    EXPECT_EQ(h.sock_arg, 1);  // read too, but the skb's values are the ones matched
    EXPECT_EQ(h.cred_arg, PL_POL_NO_ARG);
    EXPECT_EQ(h.tables, (1u << PL_T_PROTOCOL) | (1u << PL_T_DPORT) | (1u << PL_T_DADDR));
    EXPECT_TRUE(has_value(r, PL_T_PROTOCOL, 6, false));
    EXPECT_TRUE(has_value(r, PL_T_PROTOCOL, 17, false));
    EXPECT_TRUE(has_value(r, PL_T_DPORT, 53, false));
    ASSERT_EQ(r.tables.addrs.size(), 1u);
    EXPECT_EQ(r.tables.addrs[0].first.table, static_cast<std::uint32_t>(PL_T_DADDR));
    EXPECT_NE(r.tables.addrs[0].second.neg.w[0], 0u);
    // The event names the declared arguments and which are read.
    ASSERT_EQ(r.tables.info.size(), 1u);
    ASSERT_EQ(r.tables.info[0].args.size(), 1u);
    const auto& views = r.tables.info[0].args[0];
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].type, "sock");
    EXPECT_FALSE(views[0].read);
    EXPECT_EQ(views[1].type, "skb");
    EXPECT_EQ(views[1].label, "datagram");
    EXPECT_TRUE(views[1].read);
}

TEST(PolicyKernelArgs, OperatorsThatDoNotApplyAreRefusedByName)
{
    EXPECT_EQ(compile_error(function_policy("ip_output", kIpOutput,
                                            "    - matchArgs: [{index: 2, operator: DPort, values: [\"53\"]}]\n"
                                            "    - matchArgs: [{index: 2, operator: Equal, values: [\"10.0.0.1\"]}]\n",
                                            "skb-equal"),
                            kernel_env()),
              "test.yaml:12:19: policy 'skb-equal': hook 'ip_output', selector 1: matchArgs index 2 is an skb: "
              "operator Equal does not apply (an skb is matched with SAddr, DAddr, NotSAddr, NotDAddr, SPort, "
              "DPort, NotSPort, NotDPort, SPortPriv, DPortPriv, NotSPortPriv, NotDPortPriv, Protocol, Family)");
    // With an skb in the hook the sock beside it is not what the kernel matches.
    EXPECT_EQ(compile_error(function_policy("ip_output", kIpOutput,
                                            "    - matchArgs: [{index: 1, operator: DPort, values: [\"53\"]}]\n"),
                            kernel_env()),
              "test.yaml:11:19: policy 'k': matchArgs index 1: ip_output: the skb argument (index 2) is the one "
              "whose addresses, ports and protocol are matched; match those on the skb");
    EXPECT_EQ(compile_error(function_policy("commit_creds", "[{index: 0, type: cred}]",
                                            "    - matchArgs: [{index: 0, operator: Equal, values: [\"0\"]}]\n",
                                            "cred-match"),
                            kernel_env()),
              "test.yaml:11:19: policy 'cred-match': hook 'commit_creds', selector 0: matchArgs index 0 is a cred: "
              "operator Equal does not apply (a cred is read for the event; match the caller's credentials with "
              "matchCapabilities)");
    EXPECT_EQ(compile_error(function_policy("security_capset", "[{index: 2, type: cap_effective}]",
                                            "    - matchArgs: [{index: 2, operator: Prefix, values: [\"1\"]}]\n",
                                            "cap-prefix"),
                            kernel_env()),
              "test.yaml:11:19: policy 'cap-prefix': hook 'security_capset', selector 0: matchArgs index 2 is a "
              "capability set: operator Prefix does not apply (a capability set is matched as a 64-bit number with "
              "Equal, NotEqual, InMap, NotInMap, Mask, GT, LT)");
    EXPECT_EQ(compile_error(function_policy("dev_hard_start_xmit", "[{index: 1, type: net_device}]",
                                            "    - matchArgs: [{index: 1, operator: DPort, values: [\"53\"]}]\n"),
                            kernel_env()),
              "test.yaml:11:19: policy 'k': hook 'dev_hard_start_xmit', selector 0: operator DPort does not apply to a "
              "string or path");
}

TEST(PolicyKernelArgs, NetDeviceIsMatchedByName)
{
    auto r = compile_ok(function_policy("dev_hard_start_xmit", "[{index: 1, type: net_device}]",
                                        "    - matchArgs: [{index: 1, operator: Equal, values: [lo]}]\n"
                                        "    - matchArgs: [{index: 1, operator: Prefix, values: [veth]}]\n"),
                        kernel_env());
    const pl_pol_hook& h = only_hook(r);
    EXPECT_EQ(h.str_arg, 1);
    EXPECT_EQ(h.str_kind, PL_STR_NETDEV);
    EXPECT_EQ(h.flags & PL_HOOKF_STR_IS_PATH, 0);
    ASSERT_EQ(r.tables.str_eq.size(), 1u);
    EXPECT_STREQ(r.tables.str_eq[0].first.str, "lo");
    ASSERT_EQ(r.tables.str_prefix.size(), 1u);
}

TEST(PolicyKernelArgs, CapabilitySetsAreSixtyFourBitNumbers)
{
    // The corpus's privileges-raise: security_capset with a set that is not empty.
    auto r = compile_ok(function_policy("security_capset",
                                        "[{index: 0, type: nop}, {index: 1, type: cred}, {index: 2, type: "
                                        "cap_effective}, {index: 3, type: cap_inheritable}, {index: 4, type: "
                                        "cap_permitted}]",
                                        "    - matchArgs: [{index: 2, operator: NotEqual, values: [\"0\"]}]\n"
                                        "    - matchArgs: [{index: 4, operator: Mask, values: [\"0x200000\"]}]\n"
                                        "    - matchArgs: [{index: 3, operator: GT, values: [\"0xffffffff\"]}]\n"),
                        kernel_env());
    const pl_pol_hook& h = only_hook(r);
    EXPECT_EQ(h.cap_args, 0b11100);
    EXPECT_EQ(h.cred_arg, 1);
    EXPECT_EQ(h.arg32 & 0b11100, 0);  // 64-bit, never sign-extended
    EXPECT_TRUE(has_value(r, PL_T_ARG2, 0, true));
    bool mask = false, gt = false;
    for (const auto& [key, slow] : r.tables.slow) {
        mask = mask || (slow.kind == PL_SLOW_ARG_MASK && slow.arg == 4 && slow.value == 0x200000);
        gt = gt || (slow.kind == PL_SLOW_ARG_GT && slow.arg == 3 && slow.value == 0xffffffffULL &&
                    slow.unsigned_bits == 64);
    }
    EXPECT_TRUE(mask);
    EXPECT_TRUE(gt);
    const auto& views = r.tables.info[0].args[0];
    ASSERT_EQ(views.size(), 5u);
    EXPECT_FALSE(views[0].read);  // nop
    EXPECT_EQ(views[2].type, "cap_effective");
    EXPECT_EQ(views[2].slot, 2);
    EXPECT_TRUE(views[1].read);
}

TEST(PolicyKernelArgs, MissingKernelFunctionsAreUnsupportedOnThisKernel)
{
    CompileEnv env = kernel_env();
    env.kernel_function_exists = [](const std::string& name) -> std::optional<bool> {
        return name == "ip_output" || name == "bpf_lsm_file_open";
    };
    CompileResult missing = compile_text(function_policy("kfree_skb_reason", "[{index: 0, type: skb}]", ""), env);
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_EQ(missing.errors[0].support, Support::Unsupported);
    EXPECT_EQ(missing.errors[0].render(),
              "test.yaml:7:5: policy 'k': kprobe 'kfree_skb_reason': kernel function 'kfree_skb_reason' does not "
              "exist on this kernel (not in its BTF or /proc/kallsyms)");
    compile_ok(function_policy("ip_output", kIpOutput, ""), env);
    // Without kprobes the function is still looked up: a missing one is unsupported, not a feature to wait for.
    CompileEnv no_kprobes = env;
    no_kprobes.caps = {};
    CompileResult host = compile_text(function_policy("kfree_skb_reason", "[{index: 0, type: skb}]", ""), no_kprobes);
    ASSERT_EQ(host.errors.size(), 1u);
    EXPECT_EQ(host.errors[0].support, Support::Unsupported);
    CompileResult there = compile_text(function_policy("ip_output", kIpOutput, ""), no_kprobes);
    ASSERT_EQ(there.errors.size(), 1u);
    EXPECT_EQ(there.errors[0].support, Support::NeedsKernel);
    // Substitutes and syscalls are not kernel functions to look up.
    compile_ok(function_policy("fd_install", "[{index: 1, type: file}]", ""), no_kprobes);
    compile_ok(tracing_policy("sys", "  kprobes:\n  - call: sys_openat\n    args: [{index: 1, type: string}]\n"),
               env);
    // LSM hooks are looked up as their BPF LSM attach point.
    EXPECT_EQ(compile_error(tracing_policy("lsm", "  lsmhooks:\n  - hook: file_frobnicate\n"), env),
              "test.yaml:7:5: policy 'lsm': LSM hook 'file_frobnicate' does not exist on this kernel (no function "
              "bpf_lsm_file_frobnicate in its BTF or /proc/kallsyms)");
    // ignore: {callNotFound: true} leaves the hook out and says so.
    auto ignored = compile_ok(tracing_policy("opt", "  kprobes:\n"
                                                    "  - call: kfree_skb_reason\n"
                                                    "    syscall: false\n"
                                                    "    ignore: {callNotFound: true}\n"
                                                    "  - call: ip_output\n"
                                                    "    syscall: false\n"),
                              env);
    ASSERT_EQ(ignored.tables.info.size(), 1u);
    EXPECT_EQ(ignored.tables.kprobes.size(), 1u);
    EXPECT_EQ(ignored.tables.info[0].hook_names.size(), 2u);
    ASSERT_EQ(ignored.tables.info[0].notes.size(), 1u);
    EXPECT_NE(ignored.tables.info[0].notes[0].find("left out (ignore: callNotFound)"), std::string::npos);
    // A lookup that cannot tell checks nothing.
    CompileEnv unknown = kernel_env();
    unknown.kernel_function_exists = [](const std::string&) { return std::optional<bool>(); };
    compile_ok(function_policy("kfree_skb_reason", "[{index: 0, type: skb}]", ""), unknown);
}

// The corpus policies that use these types compile where kernel functions can be probed.
TEST(PolicyKernelArgs, CorpusPoliciesWithTheseTypesCompile)
{
    const std::string corpus = std::string(PALISADE_CORPUS_DIR) + "/tetragon-policies/";
    for (const char* file : {"policylibrary/privileges/privileges-raise.yaml",
                             "tracingpolicy/datagram-with-selectors.yaml", "tracingpolicy/dev_hard_start_xmit.yaml",
                             "tracingpolicy/dns-only-specified-servers.yaml",
                             "tracingpolicy/process-credentials/process-creds-changed.yaml",
                             "tracingpolicy/stack_traces.yaml"}) {
        SCOPED_TRACE(file);
        ParseResult parsed = parse_policy_file(corpus + file);
        ASSERT_TRUE(parsed.errors.empty()) << rendered(parsed.errors);
        CompileEnv env = kernel_env();
        env.host_namespace = [](NamespaceKind) { return 4026531836u; };
        CompileResult r = compile_policies(parsed.policies, env);
        EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front().render());
        model::expect_well_formed(r.tables);
    }
}

}  // namespace
}  // namespace palisade::policy
