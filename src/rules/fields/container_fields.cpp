// container.* and k8s.*: which container and pod a process runs in.
//
// Palisade does not resolve container identity yet, so every process is
// reported the way Falco reports host processes: container.id and
// container.name are "host", everything else about the container or pod is
// <NA>. container_identity() is the single place that decides this; resolving
// real containers (cgroup id -> runtime metadata) replaces its body.
#include "rules/fields/field_spec.h"

namespace palisade::rules::fields {
namespace {

struct ContainerIdentity {
    std::string_view id;
    std::string_view name;
};

ContainerIdentity container_identity(const Process* /*process*/) { return {"host", "host"}; }

bool container_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_string(out, container_identity(ctx.process).id);
}

bool container_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_string(out, container_identity(ctx.process).name);
}

constexpr const char* kNoContainerData = "<NA>: container metadata is not resolved yet (every process is 'host').";
constexpr const char* kNoKubernetesData = "<NA>: Kubernetes metadata is not resolved.";

constexpr FieldSpec kContainerFields[] = {
    {.name = "container.id", .type = FieldType::String, .extract = container_id,
     .description = "Container id; 'host' for processes outside containers (currently every process)."},
    {.name = "container.name", .type = FieldType::String, .extract = container_name,
     .description = "Container name; 'host' for processes outside containers (currently every process)."},
    {.name = "container.type", .type = FieldType::String, .extract = not_available, .description = kNoContainerData},
    {.name = "container.image", .type = FieldType::String, .extract = not_available, .description = kNoContainerData},
    {.name = "container.image.id", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.image.repository", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.image.tag", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.image.digest", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.privileged", .type = FieldType::Bool, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.mounts", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.mount", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.mount.source", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.mount.dest", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.mount.mode", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.mount.rdwr", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.mount.propagation", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData, .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX},
    {.name = "container.start_ts", .type = FieldType::Uint, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.duration", .type = FieldType::Uint, .extract = not_available,
     .description = kNoContainerData},
    {.name = "container.ip", .type = FieldType::String, .extract = not_available, .description = kNoContainerData},
    {.name = "container.healthcheck", .type = FieldType::String, .extract = not_available,
     .description = kNoContainerData},
    {.name = "k8s.ns.name", .type = FieldType::String, .extract = not_available, .description = kNoKubernetesData},
    {.name = "k8s.pod.name", .type = FieldType::String, .extract = not_available, .description = kNoKubernetesData},
    {.name = "k8s.pod.id", .type = FieldType::String, .extract = not_available, .description = kNoKubernetesData},
    {.name = "k8s.pod.uid", .type = FieldType::String, .extract = not_available, .description = kNoKubernetesData},
    {.name = "k8s.pod.ip", .type = FieldType::String, .extract = not_available, .description = kNoKubernetesData},
    {.name = "k8s.pod.labels", .type = FieldType::String, .extract = not_available,
     .description = kNoKubernetesData},
    {.name = "k8s.pod.label", .type = FieldType::String, .extract = not_available,
     .description = kNoKubernetesData, .arg = ArgKind::Key, .arg_required = true},
    {.name = "k8s.pod.cni.json", .type = FieldType::String, .extract = not_available,
     .description = kNoKubernetesData},
};

}  // namespace

std::span<const FieldSpec> container_field_specs() { return kContainerFields; }

}  // namespace palisade::rules::fields
