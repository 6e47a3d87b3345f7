#include "container/metadata.h"

#include <initializer_list>

#include "container/docker_state.h"
#include "container/json_util.h"
#include "container/podman.h"

namespace palisade {
namespace {

using Annotations = std::map<std::string, std::string>;

std::string first_of(const Annotations& annotations, std::initializer_list<const char*> keys)
{
    for (const char* key : keys)
        if (const auto it = annotations.find(key); it != annotations.end() && !it->second.empty())
            return it->second;
    return {};
}

void fill(std::string& field, std::string value)
{
    if (field.empty())
        field = std::move(value);
}

// CRI-O keeps the CRI labels as one JSON annotation.
std::map<std::string, std::string> crio_labels(const Annotations& annotations)
{
    const auto it = annotations.find("io.kubernetes.cri-o.Labels");
    if (it == annotations.end())
        return {};
    return json_util::string_map(nlohmann::json::parse(it->second, nullptr, false));
}

// A pod's labels are its sandbox's CRI labels, without the kubelet's own io.kubernetes.* ones.
std::map<std::string, std::string> pod_labels_of_sandbox(const Annotations& sandbox_annotations)
{
    auto labels = crio_labels(sandbox_annotations);
    std::erase_if(labels, [](const auto& kv) { return kv.first.starts_with("io.kubernetes."); });
    return labels;
}

bool fetch_from_podman(const MetadataRequest& request, const MetadataSources& sources, ContainerMetadata& m)
{
    const auto inspect = run_command({sources.podman, "container", "inspect", request.id}, sources.command_timeout);
    auto container = inspect ? parse_podman_container_inspect(*inspect) : std::nullopt;
    if (!container)
        return false;
    m = std::move(container->metadata);
    apply_annotations(container->annotations, m);
    const std::string pod_id = container->pod_id.empty() ? request.podman_pod_id : container->pod_id;
    if (!pod_id.empty()) {
        const auto pod_inspect = run_command({sources.podman, "pod", "inspect", pod_id}, sources.command_timeout);
        if (auto pod = pod_inspect ? parse_podman_pod_inspect(*pod_inspect) : std::nullopt) {
            fill(m.pod_name, std::move(pod->name));
            if (m.pod_labels.empty())
                m.pod_labels = std::move(pod->labels);
        }
    }
    return true;
}

}  // namespace

void apply_annotations(const Annotations& a, ContainerMetadata& m)
{
    fill(m.name, first_of(a, {"io.kubernetes.container.name", "io.kubernetes.cri.container-name"}));
    fill(m.pod_name, first_of(a, {"io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"}));
    fill(m.pod_namespace, first_of(a, {"io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace"}));
    fill(m.pod_uid, first_of(a, {"io.kubernetes.pod.uid", "io.kubernetes.cri.sandbox-uid"}));
    if (m.image.empty()) {
        m.image = first_of(a, {"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName"});
        const auto ref = parse_image_reference(m.image);
        m.image_repository = ref.repository;
        m.image_tag = ref.tag;
        fill(m.image_digest, ref.digest);
    }
    if (m.labels.empty())
        m.labels = crio_labels(a);
}

// The pod as the API server has it: what the runtime left unsaid (labels
// added later, annotations, docker without dockershim labels).
static bool add_api_server_pod(const MetadataRequest& request, const kube::PodWatch& pods, ContainerMetadata& m)
{
    auto pod = pods.by_container(request.id);
    if (!pod && !request.pod_uid.empty())
        pod = pods.by_uid(request.pod_uid);
    if (!pod)
        return false;
    fill(m.pod_name, pod->name);
    fill(m.pod_namespace, pod->ns);
    fill(m.pod_uid, pod->uid);
    fill(m.pod_ip, pod->ip);
    m.pod_labels.insert(pod->labels.begin(), pod->labels.end());
    m.pod_annotations.insert(pod->annotations.begin(), pod->annotations.end());
    return true;
}

std::optional<ContainerMetadata> fetch_metadata(const MetadataRequest& request, const MetadataSources& sources)
{
    ContainerMetadata m;
    const auto oci = read_oci_state(request.id, sources.paths);
    const bool libpod = request.runtime == ContainerRuntime::Podman ||
                        (oci && first_of(oci->annotations, {"io.container.manager"}) == "libpod");
    bool found = libpod && !sources.podman.empty() && fetch_from_podman(request, sources, m);
    const bool cri_runtime = request.runtime == ContainerRuntime::Containerd || request.runtime == ContainerRuntime::CriO ||
                             request.runtime == ContainerRuntime::Cri;
    if (!found && request.runtime == ContainerRuntime::Docker && !sources.docker_containers.empty()) {
        if (auto from_docker = read_docker_state(request.id, sources.docker_containers)) {
            m = std::move(*from_docker);
            // Kubernetes on docker (dockershim, cri-dockerd) names the pod in the container's labels.
            apply_annotations(m.labels, m);
            found = true;
        }
    }
    if (!found && cri_runtime && sources.cri) {
        if (auto from_cri = sources.cri->container(request.id)) {
            m = std::move(*from_cri);
            found = true;
        }
    }
    if (oci) {
        found = true;
        apply_annotations(oci->annotations, m);
        if (m.mounts.empty())
            m.mounts = oci->mounts;
        if (!m.privileged)
            m.privileged = oci->privileged;
        if (m.start_ns == 0)
            m.start_ns = oci->created_ns;
        const std::string sandbox =
            first_of(oci->annotations, {"io.kubernetes.cri-o.SandboxID", "io.kubernetes.cri.sandbox-id"});
        // podman's pods have their labels read above; their infra containers carry none.
        if (m.pod_labels.empty() && !sandbox.empty() && !libpod) {
            if (sandbox == request.id)
                m.pod_labels = pod_labels_of_sandbox(oci->annotations);
            else if (const auto sandbox_state = read_oci_state(sandbox, sources.paths))
                m.pod_labels = pod_labels_of_sandbox(sandbox_state->annotations);
        }
    }
    if (sources.pods && add_api_server_pod(request, *sources.pods, m))
        found = true;
    if (!found)
        return std::nullopt;
    fill(m.pod_uid, request.pod_uid);
    return m;
}

}  // namespace palisade
