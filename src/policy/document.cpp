// A policy document's envelope: apiVersion, kind, metadata, spec.options and
// the pod / container selectors every kind shares.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "policy/policy_readers.h"

namespace palisade::policy::detail {
namespace {

constexpr std::string_view kTetragonApiVersion = "cilium.io/v1alpha1";
constexpr std::string_view kPalisadeApiVersion = "palisade.dev/v1alpha1";

constexpr std::string_view kDocumentKeys[] = {"apiVersion", "kind", "metadata", "spec"};
// Kubernetes ObjectMeta: present in policies exported from a cluster, with no
// bearing on what the policy does.
constexpr std::string_view kMetadataKeys[] = {
    "name",
    "namespace",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "generateName",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "finalizers",
    "managedFields",
    "selfLink",
};
constexpr std::string_view kOptionKeys[] = {"name", "value"};
constexpr std::string_view kLabelSelectorKeys[] = {"matchLabels", "matchExpressions"};
constexpr std::string_view kExpressionKeys[] = {"key", "operator", "values"};
constexpr std::string_view kExpressionOperators[] = {"In", "NotIn", "Exists", "DoesNotExist"};
constexpr std::string_view kPolicyModes[] = {"enforce", "monitor"};

// Tetragon validates metadata.name as a Kubernetes DNS subdomain (RFC 1123).
bool is_dns_subdomain(std::string_view name)
{
    auto alnum = [](unsigned char c) { return std::islower(c) || std::isdigit(c); };
    return !name.empty() && name.size() <= 253 && alnum(name.front()) && alnum(name.back()) &&
           std::ranges::all_of(name, [&](unsigned char c) { return alnum(c) || c == '-' || c == '.'; });
}

PolicyKind read_kind(const Mapping& document)
{
    std::string api_version = document.string("apiVersion");
    std::string kind = document.string("kind");
    if (api_version == kTetragonApiVersion) {
        if (kind == "TracingPolicy")
            return PolicyKind::TracingPolicy;
        if (kind == "TracingPolicyNamespaced")
            return PolicyKind::TracingPolicyNamespaced;
        fail(document.value_where("kind"),
             fmt::format("unknown kind '{}' for apiVersion {}; expected TracingPolicy or TracingPolicyNamespaced", kind,
                         api_version));
    }
    if (api_version == kPalisadeApiVersion) {
        if (kind == "NetworkPolicy")
            return PolicyKind::NetworkPolicy;
        fail(document.value_where("kind"),
             fmt::format("unknown kind '{}' for apiVersion {}; expected NetworkPolicy", kind, api_version));
    }
    fail(document.value_where("apiVersion"),
         fmt::format("unknown apiVersion '{}' (kind '{}'); expected {} (TracingPolicy, TracingPolicyNamespaced) or {} "
                     "(NetworkPolicy)",
                     api_version, kind, kTetragonApiVersion, kPalisadeApiVersion));
}

void read_metadata(const Mapping& document, Policy& policy)
{
    Mapping metadata = document.mapping("metadata");
    metadata.warn_unknown_keys(kMetadataKeys);
    policy.name = metadata.string("name");
    if (!is_dns_subdomain(policy.name))
        fail(metadata.value_where("name"),
             fmt::format("metadata.name '{}' is not a valid name: use lowercase letters, digits, '-' and '.', "
                         "starting and ending with a letter or digit (at most 253 characters)",
                         policy.name));
    if (policy.kind == PolicyKind::TracingPolicyNamespaced) {
        if (!metadata.has("namespace"))
            fail(metadata.where(), "a TracingPolicyNamespaced needs metadata.namespace");
        policy.namespace_ = metadata.string("namespace");
    } else if (metadata.has("namespace")) {
        metadata.reader().warning(metadata.key_where("namespace"),
                                  "metadata.namespace has no effect on a cluster-wide policy (ignored)");
    }
}

void read_options(const Mapping& spec, Policy& policy)
{
    for (const Mapping& option : spec.mappings("options", "an option")) {
        option.warn_unknown_keys(kOptionKeys);
        std::string name = option.string("name");
        if (name != "policy-mode") {
            spec.reader().warning(option.value_where("name"), fmt::format("unknown option '{}' (ignored)", name));
            continue;
        }
        std::string mode = option.string_or("value");
        if (!contains(kPolicyModes, mode))
            fail(option.has("value") ? option.value_where("value") : option.where(),
                 fmt::format("policy-mode must be one of: {}; not '{}'", join(kPolicyModes), mode));
        policy.mode = mode == "enforce" ? Mode::Enforce : Mode::Monitor;
        policy.mode_set = true;
    }
}

}  // namespace

LabelSelector read_label_selector(const Mapping& spec, std::string_view key)
{
    LabelSelector selector;
    if (!spec.has(key) || spec.value(key).IsNull())
        return selector;
    // A misspelt key would leave the selector empty, and an empty selector
    // selects everything.
    Mapping mapping = spec.mapping(key);
    mapping.reject_unknown_keys(kLabelSelectorKeys);
    if (mapping.has("matchLabels") && !mapping.value("matchLabels").IsNull()) {
        Mapping labels = mapping.mapping("matchLabels");
        for (const std::string& label : labels.keys())
            selector.match_labels[label] =
                scalar_text(spec.reader(), labels.value(label), fmt::format("the value of label '{}'", label),
                            labels.value_where(label));
    }
    for (const Mapping& entry : mapping.mappings("matchExpressions", "a matchExpressions entry")) {
        entry.reject_unknown_keys(kExpressionKeys);
        LabelSelector::Expression expression{entry.string("key"), entry.string("operator"), entry.strings("values")};
        if (!contains(kExpressionOperators, expression.op))
            fail(entry.value_where("operator"),
                 fmt::format("unknown matchExpressions operator '{}'; valid operators: {}", expression.op,
                             join(kExpressionOperators)));
        bool takes_values = expression.op == "In" || expression.op == "NotIn";
        if (takes_values && expression.values.empty())
            fail(entry.where(), fmt::format("operator {} needs at least one value", expression.op));
        if (!takes_values && !expression.values.empty())
            fail(entry.value_where("values"), fmt::format("operator {} takes no values", expression.op));
        selector.match_expressions.push_back(std::move(expression));
    }
    return selector;
}

void read_document(Reader& reader, const YAML::Node& node, std::vector<Policy>& policies)
{
    std::size_t errors_before = reader.error_count();
    Policy policy;
    bool envelope_read = reader.guard([&] {
        Mapping document(reader, node, "a policy document");
        document.warn_unknown_keys(kDocumentKeys);
        policy.kind = read_kind(document);
        policy.loc = document.where();
        read_metadata(document, policy);
        Mapping spec = document.mapping("spec");
        // Each part below reports its own first error, so one bad hook does not
        // hide a problem in the next.
        reader.guard([&] { read_options(spec, policy); });
        reader.guard([&] { policy.pod_selector = read_label_selector(spec, "podSelector"); });
        reader.guard([&] { policy.container_selector = read_label_selector(spec, "containerSelector"); });
        if (policy.kind == PolicyKind::NetworkPolicy)
            reader.guard([&] { read_network_spec(spec, policy); });
        else
            read_tracing_spec(spec, policy);
    });
    if (envelope_read && reader.error_count() == errors_before)
        policies.push_back(std::move(policy));
}

}  // namespace palisade::policy::detail
