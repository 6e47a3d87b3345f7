// docker's own record of a container: /var/lib/docker/containers/<id>/
// config.v2.json (name, image, labels, mounts, creation) and hostconfig.json
// (privileged). Read on the resolver's worker thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "container/container.h"

namespace palisade {

// From the two files' text; nullopt when config.v2.json is not docker's JSON.
// `hostconfig` may be empty (privileged is then unknown).
std::optional<ContainerMetadata> parse_docker_config(std::string_view config_v2, std::string_view hostconfig);

// The container `id` under `containers_dir` (/var/lib/docker/containers); nullopt when docker does not know it.
std::optional<ContainerMetadata> read_docker_state(const std::string& id, const std::string& containers_dir);

}  // namespace palisade
