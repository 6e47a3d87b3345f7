// Container identity: which container a process runs in (from its cgroup,
// known at once) and what the runtime says about it (metadata, known once an
// asynchronous lookup answers).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palisade {

// The runtime whose cgroup naming identified the container.
enum class ContainerRuntime : std::uint8_t {
    Docker,
    Containerd,
    CriO,
    Podman,
    Cri,  // a Kubernetes pod's cgroup that does not name the runtime (cgroupfs driver)
};

// Falco's container.type: docker, containerd, cri-o, podman, cri.
std::string_view runtime_name(ContainerRuntime runtime);

struct ContainerMount {
    std::string source;
    std::string destination;
    std::string mode;         // mount options as the runtime gives them ("ro,rbind", "Z"); may be empty
    bool read_write = true;
    std::string propagation;  // "rprivate", ...; may be empty
};

// What the runtime knows. Empty strings are unknown (Falco's <NA>).
struct ContainerMetadata {
    std::string name;
    std::string image;  // as the runtime names it: repository[:tag][@digest]
    std::string image_repository, image_tag, image_digest;
    std::string image_id;  // without "sha256:"
    std::map<std::string, std::string> labels;
    std::optional<bool> privileged;
    std::vector<ContainerMount> mounts;
    std::uint64_t start_ns = 0;  // creation time, ns since the epoch; 0 = unknown
    // Kubernetes (from io.kubernetes.* annotations or the runtime's pod).
    std::string pod_name, pod_namespace, pod_uid;
    std::map<std::string, std::string> pod_labels;
    std::map<std::string, std::string> pod_annotations;  // from the API server's watch
    std::string pod_ip;  // the pod sandbox's IP, from the CRI; empty on the host network
    std::string cri_runtime;  // the CRI runtime that answered ("containerd", "cri-o"); empty otherwise
};

enum class MetadataState : std::uint8_t { Pending, Known, Unavailable };

// One container, shared by every process image in it. The identity fields
// never change after creation; metadata is set once, on the event thread,
// when the resolver's worker answers.
struct Container {
    std::string id;        // the runtime's full id (64 hex digits)
    std::string short_id;  // its first 12: Falco's container.id
    ContainerRuntime runtime = ContainerRuntime::Docker;
    std::string pod_uid;   // from the cgroup path (kubepods ... pod<uid>), when it names one
    std::string podman_pod_id;  // from the cgroup path (libpod_parent/<pod>/libpod-<id>)

    MetadataState state = MetadataState::Pending;
    std::shared_ptr<const ContainerMetadata> metadata;  // set with state == Known
    std::chrono::steady_clock::time_point first_seen{};

    const ContainerMetadata* known() const { return state == MetadataState::Known ? metadata.get() : nullptr; }
};

// Falco's container.type: the runtime the cgroup names, or for a pod whose
// cgroup names none ("cri"), the CRI runtime that answered once it has.
std::string_view container_type(const Container& container);

// "registry/repo:tag@sha256:..." -> repository, tag, digest (each may be empty).
struct ImageReference {
    std::string repository, tag, digest;
};
ImageReference parse_image_reference(std::string_view image);

}  // namespace palisade
