// What the OCI layer on disk says about a container: the low-level runtime's
// state (runc's state.json, whose labels carry the OCI annotations and the
// bundle) and the bundle's config.json (annotations, mounts, capabilities).
// CRI runtimes write the pod's identity there as io.kubernetes.* annotations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/container.h"

namespace palisade {

// Where to look; "{id}" stands for the container's full id. Injectable for tests.
struct RuntimePaths {
    std::vector<std::string> runc_states = {
        "/run/runc/{id}/state.json",                       // podman, CRI-O
        "/run/docker/runtime-runc/moby/{id}/state.json",   // docker
        "/run/containerd/runc/k8s.io/{id}/state.json",     // containerd, Kubernetes namespace
        "/run/containerd/runc/default/{id}/state.json",
        "/run/containerd/runc/moby/{id}/state.json",
    };
    // Bundles whose runtime keeps no state.json of its own (or whose state is gone).
    std::vector<std::string> oci_configs = {
        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json",
        "/run/containerd/io.containerd.runtime.v2.task/default/{id}/config.json",
        "/run/containerd/io.containerd.runtime.v2.task/moby/{id}/config.json",
        "/run/containers/storage/overlay-containers/{id}/userdata/config.json",  // CRI-O
        "/var/lib/containers/storage/overlay-containers/{id}/userdata/config.json",  // podman
    };
};

struct OciState {
    std::map<std::string, std::string> annotations;
    std::vector<ContainerMount> mounts;  // bind mounts only: the runtime's own proc/sys/dev are not listed
    std::optional<bool> privileged;
    std::uint64_t created_ns = 0;  // since the epoch
    std::string bundle;
};

// Each fills `out` from the file's text; false when it is not JSON of that shape.
bool parse_runc_state(std::string_view json, OciState& out);
bool parse_oci_config(std::string_view json, OciState& out);

// The state of container `id` from the first place that has it; nullopt when none does.
std::optional<OciState> read_oci_state(const std::string& id, const RuntimePaths& paths);

// "2026-11-21T22:15:30.652780634Z" or with a "+hh:mm" offset -> ns since the epoch; 0 if unparsable.
std::uint64_t parse_rfc3339_ns(std::string_view text);

// Reads a whole (small) file; nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace palisade
