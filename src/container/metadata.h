// Container metadata from the runtime that owns the container: its CRI API
// (containerd, CRI-O), docker's records, the OCI state on disk (every runc-based runtime; CRI runtimes add the pod's identity as
// io.kubernetes.* annotations) and podman's own records. Blocking: called on
// the resolver's worker thread only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "container/container.h"
#include "container/cri_client.h"
#include "container/runtime_state.h"
#include "kube/pod_watch.h"

namespace palisade {

struct MetadataRequest {
    std::string id;
    ContainerRuntime runtime = ContainerRuntime::Docker;
    std::string pod_uid;        // from the cgroup path
    std::string podman_pod_id;  // from the cgroup path
};

struct MetadataSources {
    RuntimePaths paths;
    std::string podman = "podman";  // the podman command; empty: never run it
    std::string docker_containers = "/var/lib/docker/containers";  // docker's records; empty: never read them
    std::chrono::milliseconds command_timeout{5000};
    // The runtimes' CRI sockets, asked first for containerd, CRI-O and Kubernetes
    // containers; null: OCI state and annotations only.
    std::shared_ptr<CriClient> cri;
    // This node's pods from the API server (in a pod with a service account);
    // null: pods are known from the runtime alone.
    std::shared_ptr<const kube::PodWatch> pods;
};

// Names, image and Kubernetes identity from OCI annotations, as CRI-O
// (io.kubernetes.pod.*, io.kubernetes.container.name, io.kubernetes.cri-o.*),
// containerd (io.kubernetes.cri.*) and `podman --annotation` write them.
// Fields already known are kept.
void apply_annotations(const std::map<std::string, std::string>& annotations, ContainerMetadata& metadata);

// What the sources know about the container; nullopt when none knows it (yet).
std::optional<ContainerMetadata> fetch_metadata(const MetadataRequest& request, const MetadataSources& sources);

}  // namespace palisade
