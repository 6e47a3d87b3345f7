#include "container/cri_client.h"

#include <unistd.h>

#include <unordered_map>

#include <grpcpp/grpcpp.h>

#include "container/json_util.h"
#include "cri/api.grpc.pb.h"

namespace palisade {
namespace {

namespace v1 = runtime::v1;
using namespace json_util;

template <typename ProtoMap>
std::map<std::string, std::string> to_map(const ProtoMap& in)
{
    return {in.begin(), in.end()};
}

std::string_view propagation_name(v1::MountPropagation propagation)
{
    switch (propagation) {
    case v1::PROPAGATION_PRIVATE: return "rprivate";
    case v1::PROPAGATION_HOST_TO_CONTAINER: return "rslave";
    case v1::PROPAGATION_BIDIRECTIONAL: return "rshared";
    default: return "";
    }
}

std::string without_sha256(std::string id)
{
    if (id.starts_with("sha256:"))
        id.erase(0, 7);
    return id;
}

// The runtime's verbose "info": containerd and CRI-O both put a JSON document there.
nlohmann::json verbose_info(const v1::ContainerStatusResponse& response)
{
    const auto it = response.info().find("info");
    return it == response.info().end() ? nlohmann::json() : nlohmann::json::parse(it->second, nullptr, false);
}

std::optional<bool> privileged_of(const nlohmann::json& info)
{
    // CRI-O says it outright; containerd keeps the CRI ContainerConfig, whose
    // JSON leaves out a privileged that is false.
    if (const auto& flag = member(info, "privileged"); flag.is_boolean())
        return flag.get<bool>();
    const auto& config = member(info, "config");
    if (!config.is_object())
        return std::nullopt;
    const auto& flag = member(member(member(config, "linux"), "security_context"), "privileged");
    return flag.is_boolean() && flag.get<bool>();
}

}  // namespace

ContainerMetadata metadata_from_cri(const v1::ContainerStatusResponse& response, const v1::PodSandboxStatusResponse* sandbox)
{
    const v1::ContainerStatus& s = response.status();
    ContainerMetadata m;
    m.name = s.metadata().name();
    // The ImageSpec is what the kubelet asked for; runtimes answer with the image's
    // first tag when it has one. An image id alone names no repository.
    if (!s.image().image().starts_with("sha256:")) {
        m.image = s.image().image();
        const auto ref = parse_image_reference(m.image);
        m.image_repository = ref.repository;
        m.image_tag = ref.tag;
        m.image_digest = ref.digest;
    }
    // image_ref: "repo@sha256:..." when the image came from a registry, else its id.
    const std::string& image_ref = s.image_ref();
    if (const auto at = image_ref.find('@'); at != std::string::npos) {
        if (m.image_digest.empty())
            m.image_digest = image_ref.substr(at + 1);
    } else if (image_ref.starts_with("sha256:")) {
        m.image_id = without_sha256(image_ref);
    }
    if (!s.image_id().empty())
        m.image_id = without_sha256(s.image_id());
    else if (m.image_id.empty() && s.image().image().starts_with("sha256:"))
        m.image_id = without_sha256(s.image().image());
    m.labels = to_map(s.labels());
    for (const v1::Mount& mount : s.mounts())
        m.mounts.push_back({mount.host_path(), mount.container_path(), mount.selinux_relabel() ? "Z" : "",
                            !mount.readonly(), std::string(propagation_name(mount.propagation()))});
    m.privileged = privileged_of(verbose_info(response));
    m.start_ns = s.created_at() > 0 ? static_cast<std::uint64_t>(s.created_at()) : 0;
    if (sandbox) {
        const v1::PodSandboxStatus& pod = sandbox->status();
        m.pod_name = pod.metadata().name();
        m.pod_namespace = pod.metadata().namespace_();
        m.pod_uid = pod.metadata().uid();
        m.pod_labels = to_map(pod.labels());
        // The kubelet adds its own io.kubernetes.* labels: not the pod's.
        std::erase_if(m.pod_labels, [](const auto& kv) { return kv.first.starts_with("io.kubernetes."); });
        m.pod_ip = pod.network().ip();
    }
    return m;
}

struct CriClient::Endpoint {
    std::string socket;
    std::unique_ptr<v1::RuntimeService::Stub> stub;  // made on first use: the runtime may start after us
    std::string runtime_name;  // from Version, once it has answered
    // Every container of a pod shares its sandbox, whose CRI labels never change.
    std::unordered_map<std::string, std::shared_ptr<const v1::PodSandboxStatusResponse>> sandboxes;
};

std::vector<std::string> CriClient::default_sockets()
{
    return {"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock"};
}

CriClient::CriClient(Options options) : options_(std::move(options))
{
    for (const auto& socket : options_.sockets) {
        endpoints_.push_back(std::make_unique<Endpoint>());
        endpoints_.back()->socket = socket;
    }
}

CriClient::~CriClient() = default;

std::optional<ContainerMetadata> CriClient::container(const std::string& id)
{
    ++counters_.lookups;
    for (auto& endpoint : endpoints_) {
        if (access(endpoint->socket.c_str(), F_OK) != 0)
            continue;  // not this runtime's node
        bool known = false;
        auto metadata = ask(*endpoint, id, known);
        if (metadata) {
            ++counters_.found;
            metadata->cri_runtime = endpoint->runtime_name;
            return metadata;
        }
        if (known)
            return std::nullopt;  // this runtime has it but did not answer in full: try again later
    }
    ++counters_.not_found;
    return std::nullopt;
}

// The CRI lists a pod's sandbox (its pause container) apart from its containers.
std::optional<ContainerMetadata> CriClient::sandbox_itself(Endpoint& endpoint, const std::string& id, bool& known)
{
    v1::PodSandboxStatusRequest request;
    request.set_pod_sandbox_id(id);
    v1::PodSandboxStatusResponse sandbox;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
    const grpc::Status rpc = endpoint.stub->PodSandboxStatus(&context, request, &sandbox);
    if (rpc.error_code() == grpc::StatusCode::NOT_FOUND)
        return std::nullopt;
    if (!rpc.ok()) {
        ++counters_.errors;
        return std::nullopt;
    }
    known = true;
    ContainerMetadata m = metadata_from_cri(v1::ContainerStatusResponse(), &sandbox);
    m.name = sandbox.status().metadata().name();
    m.start_ns = sandbox.status().created_at() > 0 ? static_cast<std::uint64_t>(sandbox.status().created_at()) : 0;
    m.privileged.reset();
    return m;
}

std::optional<ContainerMetadata> CriClient::ask(Endpoint& endpoint, const std::string& id, bool& known)
{
    if (!endpoint.stub)
        endpoint.stub = v1::RuntimeService::NewStub(
            grpc::CreateChannel("unix:" + endpoint.socket, grpc::InsecureChannelCredentials()));
    auto context = [this] {
        auto ctx = std::make_unique<grpc::ClientContext>();
        ctx->set_deadline(std::chrono::system_clock::now() + options_.timeout);
        return ctx;
    };
    if (endpoint.runtime_name.empty()) {
        // Which runtime this is ("containerd", "cri-o"): Falco's container.type for pods.
        v1::VersionResponse version;
        if (endpoint.stub->Version(context().get(), v1::VersionRequest(), &version).ok())
            endpoint.runtime_name = version.runtime_name();
    }

    v1::ContainerStatusRequest request;
    request.set_container_id(id);
    request.set_verbose(true);  // the sandbox id and privileged are only in the runtime's info
    v1::ContainerStatusResponse status;
    const grpc::Status rpc = endpoint.stub->ContainerStatus(context().get(), request, &status);
    if (rpc.error_code() == grpc::StatusCode::NOT_FOUND)
        return sandbox_itself(endpoint, id, known);
    if (!rpc.ok()) {
        ++counters_.errors;
        return std::nullopt;
    }
    known = true;

    std::string sandbox_id = string_at(verbose_info(status), "sandboxID");
    if (sandbox_id.empty()) {
        // A runtime without verbose info: the container list names the sandbox.
        v1::ListContainersRequest list_request;
        list_request.mutable_filter()->set_id(id);
        v1::ListContainersResponse list;
        if (endpoint.stub->ListContainers(context().get(), list_request, &list).ok() && list.containers_size() > 0)
            sandbox_id = list.containers(0).pod_sandbox_id();
    }
    std::shared_ptr<const v1::PodSandboxStatusResponse> sandbox;
    if (const auto it = endpoint.sandboxes.find(sandbox_id); it != endpoint.sandboxes.end()) {
        sandbox = it->second;
    } else if (!sandbox_id.empty()) {
        v1::PodSandboxStatusRequest sandbox_request;
        sandbox_request.set_pod_sandbox_id(sandbox_id);
        auto answer = std::make_shared<v1::PodSandboxStatusResponse>();
        const grpc::Status sandbox_rpc = endpoint.stub->PodSandboxStatus(context().get(), sandbox_request, answer.get());
        if (!sandbox_rpc.ok()) {
            ++counters_.errors;
            return std::nullopt;
        }
        if (endpoint.sandboxes.size() >= 1024)
            endpoint.sandboxes.clear();
        endpoint.sandboxes.emplace(sandbox_id, answer);
        sandbox = std::move(answer);
    }
    return metadata_from_cri(status, sandbox.get());
}

}  // namespace palisade
