// Synthesises exec records for the processes that were already running when
// the sensor started, so the process cache knows their images and lineage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proc/cgroup_hierarchy.h"

namespace palisade {

// One PL_EV_EXEC record (hdr.flags = PL_HDR_SNAPSHOT) per thread-group leader
// found under proc_root, parents before children, laid out exactly as the
// kernel writes pl_exec_event records (fixed struct + tail: filename, path,
// argv, cwd, cgroup). Processes that vanish while being read are skipped; kernel
// threads are included with an empty path and argv.
//
// proc_root is injectable so tests can point it at a fake tree; the cgroup2
// mount point is looked up in <proc_root>/self/mountinfo. The cgroup path is
// read from `hierarchy`, the one the sensor was given (by default chosen from
// <proc_root>/cgroups), so snapshot and live records agree.
std::vector<std::vector<std::uint8_t>> snapshot_processes(const std::string& proc_root = "/proc",
                                                          const std::optional<CgroupHierarchy>& hierarchy = std::nullopt);

// Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on unified systems,
// often /sys/fs/cgroup/unified on hybrid ones. Empty when there is none.
std::string find_cgroup2_mount(const std::string& proc_root = "/proc");

}  // namespace palisade
