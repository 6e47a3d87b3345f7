// The declared arguments of a kernel function or LSM hook in a policy event,
// shaped as Tetragon's process_kprobe args: {"index", "label", "<type>_arg": value}.
#pragma once

#include <string>

#include "event/model.h"
#include "output/json_writer.h"

namespace palisade {

// "hook_args": [...]; nothing when the event carries no declared arguments.
void policy_args_json(JsonWriter& w, const PolicyData& d);

// " skb=10.0.0.1:53->10.0.0.2:40000 cred=uid:0,euid:0" and the like, for text output.
std::string policy_args_text(const PolicyData& d);

}  // namespace palisade
