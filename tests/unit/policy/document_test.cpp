// The policy parser: documents, kinds, metadata, spec.options, pod and
// container selectors.
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
// Documents and kinds

TEST(PolicyDocument, MinimalTracingPolicy)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec: {}\n");
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
    EXPECT_EQ(located(result.warnings),
              Lines({"5:3: metadata.namespace has no effect on a cluster-wide policy (ignored)"}));
    EXPECT_EQ(result.policies.size(), 1u);
}

TEST(PolicyDocument, UnknownKindIsNamed)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicies\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors),
              Lines({"2:7: unknown kind 'TracingPolicies' for apiVersion cilium.io/v1alpha1; expected "
                     "TracingPolicy or TracingPolicyNamespaced"}));
}

TEST(PolicyDocument, KindOfTheOtherApiVersionIsAnError)
{
    ParseResult result = parse("apiVersion: palisade.dev/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors),
              Lines({"2:7: unknown kind 'TracingPolicy' for apiVersion palisade.dev/v1alpha1; expected "
                     "NetworkPolicy"}));
}

TEST(PolicyDocument, UnknownApiVersionIsNamed)
{
    ParseResult result = parse("apiVersion: networking.k8s.io/v1\n"
                               "kind: NetworkPolicy\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    EXPECT_EQ(located(result.errors),
              Lines({"1:13: unknown apiVersion 'networking.k8s.io/v1' (kind 'NetworkPolicy'); expected "
                     "cilium.io/v1alpha1 (TracingPolicy, TracingPolicyNamespaced) or palisade.dev/v1alpha1 "
                     "(NetworkPolicy)"}));
}

TEST(PolicyDocument, MissingKindNameOrSpecIsAnError)
{
    EXPECT_EQ(located(parse("apiVersion: cilium.io/v1alpha1\nmetadata: {name: t}\nspec: {}\n").errors),
              Lines({"1:1: a policy document is missing the required key 'kind'"}));
    EXPECT_EQ(located(parse("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {}\nspec: {}\n").errors),
              Lines({"3:11: 'metadata' is missing the required key 'name'"}));
    EXPECT_EQ(located(parse(kTracingHeader).errors),
              Lines({"1:1: a policy document is missing the required key 'spec'"}));
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
    Policy monitor =
        parse_one(std::string(kTracingHeader) + "spec:\n  options:\n  - name: policy-mode\n    value: monitor\n");
    EXPECT_EQ(monitor.mode, Mode::Monitor);
    EXPECT_TRUE(monitor.mode_set);
    Policy enforce =
        parse_one(std::string(kTracingHeader) + "spec:\n  options: [{name: policy-mode, value: enforce}]\n");
    EXPECT_EQ(enforce.mode, Mode::Enforce);
    EXPECT_TRUE(enforce.mode_set);
}

TEST(PolicyOptions, InvalidPolicyModeIsAnError)
{
    ParseResult result =
        parse(std::string(kTracingHeader) + "spec:\n  options:\n  - name: policy-mode\n    value: audit\n");
    EXPECT_EQ(located(result.errors), Lines({"8:12: policy-mode must be one of: enforce, monitor; not 'audit'"}));
}

TEST(PolicyOptions, UnknownOptionIsAWarning)
{
    ParseResult result =
        parse(std::string(kTracingHeader) + "spec:\n  options:\n  - name: disable-kprobe-multi\n    value: \"1\"\n");
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(located(result.warnings), Lines({"7:11: unknown option 'disable-kprobe-multi' (ignored)"}));
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_FALSE(result.policies[0].mode_set);
}

TEST(PolicyLabelSelectors, PodAndContainerSelectorsAreRead)
{
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n"
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
    Policy policy = parse_one(std::string(kTracingHeader) + "spec:\n  podSelector:\n    matchLabels: {}\n");
    EXPECT_TRUE(policy.pod_selector.empty());
}

TEST(PolicyLabelSelectors, MistakesAreErrorsBecauseAnEmptySelectorSelectsEverything)
{
    std::string spec = std::string(kTracingHeader) + "spec:\n  podSelector:\n";
    EXPECT_EQ(located(parse(spec + "    matchLabel: {app: x}\n").errors),
              Lines({"7:5: unknown key 'matchLabel' in 'podSelector'; expected one of: matchLabels, "
                     "matchExpressions"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: Equals, values: [b]}\n").errors),
              Lines({"8:26: unknown matchExpressions operator 'Equals'; valid operators: In, NotIn, Exists, "
                     "DoesNotExist"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: In}\n").errors),
              Lines({"8:7: operator In needs at least one value"}));
    EXPECT_EQ(located(parse(spec + "    matchExpressions:\n    - {key: a, operator: Exists, values: [b]}\n").errors),
              Lines({"8:42: operator Exists takes no values"}));
}

}  // namespace
}  // namespace palisade::policy
