// A cgroup path -> the container it belongs to, or nothing (a host process).
// Only the naming schemes of container runtimes count: a cgroup named by
// anything else (a sandbox's /process_api/<hex>, a systemd service, a user's
// own cgroup) is the host, however much it looks like an id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "container/container.h"

namespace palisade {

struct CgroupMatch {
    ContainerRuntime runtime = ContainerRuntime::Docker;
    std::string id;             // 64 lowercase hex digits
    std::string pod_uid;        // Kubernetes pod uid when the path names one ("pod<uid>")
    std::string podman_pod_id;  // podman pod id when the path names one
};

// Recognised (the deepest component that matches wins, so nested runtimes
// report the innermost container):
//   docker      /docker/<id>, .../docker-<id>.scope
//   containerd  .../cri-containerd-<id>.scope, .../nerdctl-<id>.scope
//   cri-o       .../crio-<id>.scope, /kubepods/.../crio-<id>   (crio-conmon-<id> is the host-side monitor)
//   podman      /libpod_parent/libpod-<id>, /libpod_parent/<pod>/libpod-<id>, .../libpod-<id>.scope
//               (libpod-conmon-<id>.scope and /libpod_parent/conmon are host-side)
//   cri         /kubepods[/<qos>]/pod<uid>/<id>, kubepods-*.slice/.../<id>
std::optional<CgroupMatch> parse_container_cgroup(std::string_view path);

bool is_container_id(std::string_view text);  // 64 lowercase hex digits

}  // namespace palisade
