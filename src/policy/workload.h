// Which workloads a policy applies to: TracingPolicyNamespaced's namespace,
// podSelector and containerSelector, decided in user space over the
// containers the agent knows and handed to the kernel as cgroup ids.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "policy/model.h"

namespace palisade::policy {

struct Workload {
    std::uint64_t cgroup_id = 0;  // cgroup v2 id the container's processes run in
    std::string pod_namespace;
    std::map<std::string, std::string> pod_labels;
    // containerSelector matches these: the container's labels plus "name".
    std::map<std::string, std::string> container_labels;
};

// Kubernetes label selector semantics: every matchLabels pair and every
// expression (In, NotIn, Exists, DoesNotExist) must hold; empty selects all.
bool selector_matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

// Whether the policy is limited to some workloads at all.
bool policy_is_scoped(const Policy& policy);
bool policy_selects(const Policy& policy, const Workload& workload);

}  // namespace palisade::policy
