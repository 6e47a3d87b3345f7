// Which cgroup hierarchy names a process's cgroup for container identity,
// chosen once at start-up so the kernel's exec records and the /proc
// snapshot read the same one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "palisade/abi.h"

namespace palisade {

struct CgroupHierarchy {
    pl_cgroup_hierarchy id = PL_CGROUP_UNIFIED;
    std::string controller;  // "memory", "pids", ...; empty for the unified hierarchy
};

// On hosts with v1 controllers mounted (v1 or hybrid), the first of memory,
// pids, cpu, cpuset that has a hierarchy of its own: every container runtime
// makes the container's cgroup there, while the unified hierarchy of a hybrid
// host is not always populated by them. On pure cgroup v2 hosts, the unified
// hierarchy. Read from <proc_root>/cgroups.
CgroupHierarchy choose_cgroup_hierarchy(const std::string& proc_root = "/proc");
// The same choice from the text of a /proc/cgroups file.
CgroupHierarchy choose_cgroup_hierarchy_from(std::string_view proc_cgroups);

// The process's path in `hierarchy`, from the text of /proc/PID/cgroup
// ("4:memory:/docker/<id>", "0::/system.slice/x.service"); nullopt when the
// file has no line for it.
std::optional<std::string_view> cgroup_path_in(std::string_view proc_pid_cgroup, const CgroupHierarchy& hierarchy);

}  // namespace palisade
