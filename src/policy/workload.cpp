#include "policy/workload.h"

#include <algorithm>

namespace palisade::policy {

bool selector_matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels)
{
    for (const auto& [key, value] : selector.match_labels) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value)
            return false;
    }
    for (const auto& e : selector.match_expressions) {
        auto it = labels.find(e.key);
        const bool has = it != labels.end();
        const bool listed = has && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
        if ((e.op == "In" && !listed) || (e.op == "NotIn" && listed) || (e.op == "Exists" && !has) ||
            (e.op == "DoesNotExist" && has))
            return false;
    }
    return true;
}

bool policy_is_scoped(const Policy& policy)
{
    return policy.kind == PolicyKind::TracingPolicyNamespaced || !policy.pod_selector.empty() ||
           !policy.container_selector.empty();
}

bool policy_selects(const Policy& policy, const Workload& workload)
{
    if (policy.kind == PolicyKind::TracingPolicyNamespaced && workload.pod_namespace != policy.namespace_)
        return false;
    if (!policy.pod_selector.empty() &&
        (workload.pod_namespace.empty() || !selector_matches(policy.pod_selector, workload.pod_labels)))
        return false;
    return selector_matches(policy.container_selector, workload.container_labels);
}

}  // namespace palisade::policy
