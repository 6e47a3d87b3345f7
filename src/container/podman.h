// podman (libpod) keeps a container's name, image, labels and pod in its own
// database; `podman container inspect` and `podman pod inspect` are the
// supported way to read them. Run only on the resolver's worker thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/container.h"

namespace palisade {

struct PodmanContainer {
    ContainerMetadata metadata;  // name, image, labels, privileged, mounts, start time
    std::map<std::string, std::string> annotations;
    std::string pod_id;  // empty outside a pod
};

struct PodmanPod {
    std::string name;
    std::map<std::string, std::string> labels;
};

// From `podman container inspect ID` (a JSON array of one object) and `podman pod inspect ID`.
std::optional<PodmanContainer> parse_podman_container_inspect(std::string_view json);
std::optional<PodmanPod> parse_podman_pod_inspect(std::string_view json);

// Runs argv (no shell) and returns its stdout when it exits 0 within `timeout`;
// a command that overruns is killed.
std::optional<std::string> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace palisade
