// Internal to the policy parser: the readers of each part of a policy
// document, split by file. Each throws ParseError (see yaml_reader.h).
#pragma once

#include <string_view>
#include <vector>

#include "policy/yaml_reader.h"

namespace palisade::policy::detail {

// document.cpp: one YAML document; appends the policy if it reads without errors.
void read_document(Reader& reader, const YAML::Node& document, std::vector<Policy>& policies);
// podSelector / containerSelector; an absent key is the empty selector.
LabelSelector read_label_selector(const Mapping& spec, std::string_view key);

// hooks.cpp: spec.lists and the hooks of a TracingPolicy(Namespaced) spec.
void read_tracing_spec(const Mapping& spec, Policy& policy);

// selectors.cpp: a hook's `selectors`.
std::vector<Selector> read_selectors(const Mapping& hook);

// network.cpp: the spec of a NetworkPolicy, beyond options and selectors.
void read_network_spec(const Mapping& spec, Policy& policy);

}  // namespace palisade::policy::detail
