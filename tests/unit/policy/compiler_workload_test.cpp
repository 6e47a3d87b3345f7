// Scoped policies (TracingPolicyNamespaced, podSelector, containerSelector)
// and matchPIDs followForks, compiled and evaluated by the kernel model.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using model::Task;
using namespace test;

CompileEnv with_workloads()
{
    CompileEnv env;
    env.workloads = {
        {.cgroup_id = 100, .pod_namespace = "shop", .pod_labels = {{"app", "web"}},
         .container_labels = {{"name", "web-1"}}},
        {.cgroup_id = 200, .pod_namespace = "shop", .pod_labels = {{"app", "db"}},
         .container_labels = {{"name", "db-1"}}},
        {.cgroup_id = 300, .pod_namespace = "ci", .pod_labels = {{"app", "runner"}},
         .container_labels = {{"name", "runner-1"}}},
    };
    return env;
}

Task in_cgroup(std::uint64_t id)
{
    Task task;
    task.cgroup_id = id;
    task.ancestors = {1, id};
    return task;
}

std::string namespaced(const std::string& ns)
{
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata:\n  name: scoped\n  namespace: " +
           ns +
           "\nspec:\n  kprobes:\n  - call: sys_openat\n    syscall: true\n    args: [{index: 1, type: string}]\n"
           "    selectors:\n    - matchArgs: [{index: 1, operator: Prefix, values: [/etc/]}]\n"
           "      matchActions: [{action: Sigkill}]\n";
}

TEST(PolicyCompilerWorkloads, NamespacedPolicyActsInItsNamespaceOnly)
{
    const auto r = compile_ok(namespaced("shop"), with_workloads());
    EXPECT_TRUE(r.tables.info.at(0).scoped);
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, in_cgroup(100))), (Lines{"scoped:0:sigkill"}));
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, in_cgroup(200))), (Lines{"scoped:0:sigkill"}));
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, in_cgroup(300))), Lines{});
    EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, in_cgroup(1))), Lines{}) << "host processes are outside";
}

TEST(PolicyCompilerWorkloads, NothingSelectedYetMeansNothingMatches)
{
    const auto r = compile_ok(namespaced("nowhere"), with_workloads());
    Kernel k(r.tables);
    for (std::uint64_t id : {1, 100, 200, 300})
        EXPECT_EQ(summary(openat(k, "/etc/passwd", 0, in_cgroup(id))), Lines{}) << id;
}

TEST(PolicyCompilerWorkloads, PodAndContainerSelectors)
{
    const auto pods = compile_ok(tracing_policy("pods", "  podSelector:\n    matchExpressions:\n"
                                                        "    - {key: app, operator: In, values: [web, runner]}\n"
                                                        "  kprobes:\n  - call: sys_openat\n    syscall: true\n"
                                                        "    args: [{index: 1, type: string}]\n"),
                                 with_workloads());
    Kernel kp(pods.tables);
    EXPECT_EQ(summary(openat(kp, "/x", 0, in_cgroup(100))).size(), 1u);
    EXPECT_EQ(summary(openat(kp, "/x", 0, in_cgroup(200))).size(), 0u);
    EXPECT_EQ(summary(openat(kp, "/x", 0, in_cgroup(300))).size(), 1u);

    const auto containers =
        compile_ok(tracing_policy("ctr", "  containerSelector:\n    matchLabels: {name: db-1}\n"
                                         "  kprobes:\n  - call: sys_openat\n    syscall: true\n"
                                         "    args: [{index: 1, type: string}]\n"),
                   with_workloads());
    Kernel kc(containers.tables);
    EXPECT_EQ(summary(openat(kc, "/x", 0, in_cgroup(100))).size(), 0u);
    EXPECT_EQ(summary(openat(kc, "/x", 0, in_cgroup(200))).size(), 1u);
}

TEST(PolicyCompilerWorkloads, LabelSelectorSemantics)
{
    LabelSelector s;
    s.match_labels = {{"app", "web"}};
    s.match_expressions = {{"tier", "NotIn", {"db"}}, {"team", "Exists", {}}, {"legacy", "DoesNotExist", {}}};
    EXPECT_TRUE(selector_matches(s, {{"app", "web"}, {"tier", "front"}, {"team", "a"}}));
    EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"tier", "db"}, {"team", "a"}}));
    EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"team", "a"}, {"legacy", "1"}}));
    EXPECT_FALSE(selector_matches(s, {{"app", "api"}, {"team", "a"}}));
    EXPECT_TRUE(selector_matches(LabelSelector{}, {}));
}

TEST(PolicyCompilerWorkloads, FollowForksMatchesThePidAndItsMarkedDescendants)
{
    const auto r = compile_ok(openat_policy("ff", "    - matchPIDs: [{operator: NotIn, followForks: true, "
                                                  "isNamespacePID: true, values: [1]}]\n"));
    ASSERT_EQ(r.tables.pid_follow_sets.size(), 1u);
    const auto& set = r.tables.pid_follow_sets[0];
    EXPECT_TRUE(set.namespace_pids);
    EXPECT_EQ(set.pids, std::vector<std::uint32_t>{1});
    EXPECT_TRUE((r.tables.follow_children.sets[set.set / 64] >> (set.set % 64)) & 1) << "kept across exec";
    Kernel k(r.tables);
    Task init;  // the container's init: excluded
    init.ns_tgid = 1;
    EXPECT_EQ(summary(openat(k, "/x", 0, init)), Lines{});
    Task child;  // marked at fork as a descendant of ns pid 1: excluded
    child.ns_tgid = 7;
    child.binaries.sets[set.set / 64] |= 1ULL << (set.set % 64);
    EXPECT_EQ(summary(openat(k, "/x", 0, child)), Lines{});
    Task entered;  // kubectl exec: not a descendant
    entered.ns_tgid = 9;
    EXPECT_EQ(summary(openat(k, "/x", 0, entered)), (Lines{"ff:0:post"}));
}

}  // namespace
}  // namespace palisade::policy
