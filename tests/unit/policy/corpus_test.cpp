// Every TracingPolicy of Tetragon's examples (the shared corpus) parses, and so
// does every policy of policies/examples.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/parser.h"

namespace palisade::policy {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(PALISADE_CORPUS_DIR) + "/tetragon-policies";
const std::string kExamples = std::string(PALISADE_SOURCE_DIR) + "/policies/examples";

std::vector<std::string> corpus_files()
{
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(kCorpus))
        if (entry.is_regular_file() && (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml"))
            files.push_back(entry.path().string());
    std::ranges::sort(files);
    return files;
}

TEST(PolicyCorpus, EveryTetragonExampleParses)
{
    std::vector<std::string> files = corpus_files();
    ASSERT_FALSE(files.empty()) << "no corpus under " << kCorpus;
    std::size_t policies = 0, hooks = 0, warnings = 0;
    for (const std::string& file : files) {
        ParseResult result = parse_policy_file(file);
        for (const auto& error : result.errors)
            ADD_FAILURE() << error.render();
        for (const auto& warning : result.warnings)
            std::cout << warning.render() << "\n";
        EXPECT_FALSE(result.policies.empty()) << file;
        policies += result.policies.size();
        warnings += result.warnings.size();
        for (const Policy& policy : result.policies)
            hooks += policy.hooks.size();
    }
    std::cout << "[ corpus   ] " << files.size() << " files, " << policies << " policies, " << hooks << " hooks, "
              << warnings << " warnings, 0 errors\n";
}

// Half-written files (every prefix, cut at a line or mid-line) give
// diagnostics, never an exception or a crash.
TEST(PolicyCorpus, TruncatedFilesNeverThrow)
{
    for (const std::string& file : corpus_files()) {
        std::ifstream in(file);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (std::size_t cut = 0; cut < text.size(); cut += 23)
            EXPECT_NO_THROW(parse_policy_text(text.substr(0, cut), file)) << file << " cut at " << cut;
    }
}

TEST(PolicyCorpus, DirectoryParseMatchesFileByFile)
{
    ParseResult result = parse_policy_path(kCorpus);
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(result.policies.size(), corpus_files().size());
}

const Policy* find_policy(const ParseResult& result, const std::string& name)
{
    for (const Policy& policy : result.policies)
        if (policy.name == name)
            return &policy;
    return nullptr;
}

TEST(PolicyCorpus, SampledPoliciesReadAsTetragonMeansThem)
{
    ParseResult lists = parse_policy_file(kCorpus + "/tracingpolicy/list-syscalls.yaml");
    const Policy* list_syscalls = find_policy(lists, "list-syscalls");
    ASSERT_NE(list_syscalls, nullptr);
    ASSERT_EQ(list_syscalls->hooks.size(), 1u);
    EXPECT_EQ(list_syscalls->hooks[0].list_calls, (std::vector<std::string>{"sys_dup", "sys_dup2"}));
    EXPECT_TRUE(list_syscalls->hooks[0].syscall);

    ParseResult dns = parse_policy_file(kCorpus + "/tracingpolicy/dns-only-specified-servers.yaml");
    ASSERT_EQ(dns.policies.size(), 1u);
    const Selector& selector = dns.policies[0].hooks.at(0).selectors.at(0);
    ASSERT_EQ(selector.args.size(), 3u);
    EXPECT_EQ(selector.args[0].op, ArgOp::Protocol);
    EXPECT_EQ(selector.args[1].op, ArgOp::DPort);
    EXPECT_EQ(selector.args[2].op, ArgOp::NotDAddr);
    EXPECT_EQ(selector.args[2].values, std::vector<std::string>{"127.0.0.53"});
    EXPECT_EQ(selector.actions.at(0).kind, ActionKind::Sigkill);

    ParseResult host_ns = parse_policy_file(kCorpus + "/tracingpolicy/fd_install_ns_host.yaml");
    ASSERT_EQ(host_ns.policies.size(), 1u);
    const NamespaceMatch& ns = host_ns.policies[0].hooks.at(0).selectors.at(0).namespaces.at(0);
    EXPECT_EQ(ns.ns, NamespaceKind::Pid);
    EXPECT_TRUE(ns.host_ns);
}

TEST(PolicyExamples, EveryExampleParsesWithoutErrorsOrWarnings)
{
    ParseResult result = parse_policy_path(kExamples);
    for (const auto& error : result.errors)
        ADD_FAILURE() << error.render();
    for (const auto& warning : result.warnings)
        ADD_FAILURE() << warning.render();
    std::vector<std::string> names;
    for (const Policy& policy : result.policies)
        names.push_back(policy.name);
    EXPECT_EQ(names, (std::vector<std::string>{"block-crypto-mining", "block-reverse-shell", "build-runner-egress",
                                               "deny-package-managers", "process-execution",
                                               "protect-ssh-authorized-keys", "sensitive-file-access"}));
}

TEST(PolicyExamples, SensitiveFileAccessKillsOnlyOnTheListedFiles)
{
    ParseResult result = parse_policy_file(kExamples + "/sensitive-file-access.yaml");
    ASSERT_EQ(result.policies.size(), 1u);
    const Hook& hook = result.policies[0].hooks.at(0);
    EXPECT_EQ(hook.call, "fd_install");
    EXPECT_FALSE(hook.syscall);
    ASSERT_EQ(hook.selectors.size(), 1u);
    EXPECT_EQ(hook.selectors[0].args.at(0).op, ArgOp::Prefix);
    EXPECT_EQ(hook.selectors[0].args.at(0).values.size(), 3u);
    EXPECT_EQ(hook.selectors[0].actions.at(0).kind, ActionKind::Sigkill);
}

TEST(PolicyExamples, BuildRunnerEgressIsADefaultDenyAllowList)
{
    ParseResult result = parse_policy_file(kExamples + "/build-runner-egress.yaml");
    ASSERT_EQ(result.policies.size(), 1u);
    const Policy& policy = result.policies[0];
    EXPECT_EQ(policy.kind, PolicyKind::NetworkPolicy);
    EXPECT_TRUE(policy.mode_set);
    EXPECT_EQ(policy.mode, Mode::Enforce);
    EXPECT_EQ(policy.network.cgroup_paths, std::vector<std::string>{"/palisade-test/runner"});
    EXPECT_TRUE(policy.network.egress.default_deny);
    EXPECT_FALSE(policy.network.egress.allow.empty());
    EXPECT_FALSE(policy.network.egress.deny.empty());
}

}  // namespace
}  // namespace palisade::policy
