// container.* and k8s.*: which container and pod a process runs in.
//
// A process's container comes from its cgroup (ContainerResolver): the id and
// runtime are known from the first event, the rest once the runtime's
// metadata arrives; until then those fields are <NA>. Host processes have
// container.id = container.name = container.type = "host", as in Falco, and
// no k8s.* values. Values are views into the Container the process holds,
// which stays alive and unchanged while the process cache does.
#include <fnmatch.h>

#include <fmt/format.h>

#include "container/container.h"
#include "rules/fields/field_spec.h"

namespace palisade::rules::fields {
namespace {

constexpr std::string_view kHost = "host";

const Container* container_of(const EvalContext& ctx) { return ctx.process ? ctx.process->container.get() : nullptr; }

const ContainerMetadata* metadata_of(const EvalContext& ctx)
{
    const Container* c = container_of(ctx);
    return c ? c->known() : nullptr;
}

// Host processes only have an identity when there is a process at all.
bool host_or(const EvalContext& ctx, std::vector<FieldValue>& out, std::string_view (*value)(const Container&))
{
    if (!ctx.process)
        return false;
    const Container* c = container_of(ctx);
    return emit_string(out, c ? value(*c) : kHost);
}

bool container_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    return host_or(ctx, out, [](const Container& c) -> std::string_view { return c.short_id; });
}

bool container_full_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    return host_or(ctx, out, [](const Container& c) -> std::string_view { return c.id; });
}

bool container_type(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    return host_or(ctx, out, [](const Container& c) { return container_type(c); });
}

bool container_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    if (ctx.process && !container_of(ctx))
        return emit_string(out, kHost);
    const ContainerMetadata* m = metadata_of(ctx);
    return m && !m->name.empty() && emit_string(out, m->name);
}

// A metadata string field, <NA> when empty or unknown.
template <std::string ContainerMetadata::*Member>
bool metadata_text(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    return m && !(m->*Member).empty() && emit_string(out, m->*Member);
}

bool container_privileged(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    return m && m->privileged && emit_bool(out, *m->privileged);
}

bool container_start_ts(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    return m && m->start_ns && emit_uint(out, m->start_ns);
}

bool container_duration(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    const std::uint64_t now = boot_to_epoch_ns(ctx.event.ts_ns);
    return m && m->start_ns && now >= m->start_ns && emit_uint(out, now - m->start_ns);
}

// --- mounts: Falco's "source:dest:mode:rdwr:propagation" ----------------------

void append_mount(const ContainerMount& mount, std::string& out)
{
    fmt::format_to(std::back_inserter(out), "{}:{}:{}:{}:{}", mount.source, mount.destination, mount.mode,
                   mount.read_write ? "true" : "false", mount.propagation);
}

bool container_mounts(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    if (!m)
        return false;
    state.text.clear();
    for (const auto& mount : m->mounts) {
        if (!state.text.empty())
            state.text += ',';
        append_mount(mount, state.text);
    }
    return emit_string(out, state.text);
}

// container.mount*[N] is the Nth mount, container.mount*[/dest] the first whose
// destination matches the glob (Falco's container.mount.dest[/proc*]).
const ContainerMount* selected_mount(const EvalContext& ctx, const ExtractState& state)
{
    const ContainerMetadata* m = metadata_of(ctx);
    if (!m)
        return nullptr;
    if (state.index)
        return *state.index < static_cast<std::int64_t>(m->mounts.size()) ? &m->mounts[*state.index] : nullptr;
    for (const auto& mount : m->mounts)
        if (fnmatch(state.key.c_str(), mount.destination.c_str(), 0) == 0)
            return &mount;
    return nullptr;
}

bool container_mount(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMount* mount = selected_mount(ctx, state);
    if (!mount)
        return false;
    state.text.clear();
    append_mount(*mount, state.text);
    return emit_string(out, state.text);
}

template <std::string ContainerMount::*Member>
bool mount_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMount* mount = selected_mount(ctx, state);
    return mount && emit_string(out, mount->*Member);
}

bool mount_rdwr(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMount* mount = selected_mount(ctx, state);
    return mount && emit_string(out, mount->read_write ? "true" : "false");
}

// --- Kubernetes ------------------------------------------------------------

bool pod_uid(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out)
{
    const Container* c = container_of(ctx);
    const ContainerMetadata* m = metadata_of(ctx);
    // Pointers, not a conditional of strings: that would be a temporary copy, and the emitted view would dangle.
    const std::string* uid = m && !m->pod_uid.empty() ? &m->pod_uid : (c ? &c->pod_uid : nullptr);
    return uid && !uid->empty() && emit_string(out, *uid);
}

// "key:value, key:value" as Falco prints k8s.pod.labels.
// Labels as "key:value, ..." and one label by key, of the pod or of the container.
template <std::map<std::string, std::string> ContainerMetadata::*Member>
bool labels_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    if (!m || (m->*Member).empty())
        return false;
    state.text.clear();
    for (const auto& [key, value] : m->*Member)
        fmt::format_to(std::back_inserter(state.text), "{}{}:{}", state.text.empty() ? "" : ", ", key, value);
    return emit_string(out, state.text);
}

template <std::map<std::string, std::string> ContainerMetadata::*Member>
bool label_value(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out)
{
    const ContainerMetadata* m = metadata_of(ctx);
    if (!m)
        return false;
    const auto it = (m->*Member).find(state.key);
    return it != (m->*Member).end() && emit_string(out, it->second);
}

constexpr const char* kMetadata = "From the container runtime; <NA> on the host and until the runtime has answered.";
constexpr const char* kNotCollected = "<NA>: not collected by Palisade.";
constexpr const char* kPod = "From the pod's io.kubernetes.* annotations or the runtime's pod; <NA> outside pods.";
constexpr const char* kMountArg =
    "The mount at an index, or the first whose destination matches a glob (container.mount.dest[/proc*]).";

#define PL_MOUNT_FIELD(field_name, fn)                                                                          \
    {.name = field_name, .type = FieldType::String, .extract = fn, .description = kMountArg,                   \
     .arg = ArgKind::IndexOrKey, .arg_required = true, .max_index = INT32_MAX}

constexpr FieldSpec kContainerFields[] = {
    {.name = "container.id", .type = FieldType::String, .extract = container_id,
     .description = "Container id (first 12 hex digits), from the process's cgroup; 'host' outside containers."},
    {.name = "container.full_id", .type = FieldType::String, .extract = container_full_id,
     .description = "The full 64-digit container id; 'host' outside containers."},
    {.name = "container.name", .type = FieldType::String, .extract = container_name,
     .description = "Container name from the runtime; 'host' outside containers."},
    {.name = "container.type", .type = FieldType::String, .extract = container_type,
     .description = "The runtime: docker, containerd, cri-o, podman, cri; 'host' outside containers."},
    {.name = "container.image", .type = FieldType::String, .extract = metadata_text<&ContainerMetadata::image>,
     .description = kMetadata},
    {.name = "container.image.id", .type = FieldType::String,
     .extract = metadata_text<&ContainerMetadata::image_id>, .description = kMetadata},
    {.name = "container.image.repository", .type = FieldType::String,
     .extract = metadata_text<&ContainerMetadata::image_repository>, .description = kMetadata},
    {.name = "container.image.tag", .type = FieldType::String,
     .extract = metadata_text<&ContainerMetadata::image_tag>, .description = kMetadata},
    {.name = "container.image.digest", .type = FieldType::String,
     .extract = metadata_text<&ContainerMetadata::image_digest>, .description = kMetadata},
    {.name = "container.privileged", .type = FieldType::Bool, .extract = container_privileged,
     .description = kMetadata},
    {.name = "container.labels", .type = FieldType::String, .extract = labels_text<&ContainerMetadata::labels>,
     .description = "The container's labels as key:value, comma-separated."},
    {.name = "container.label", .type = FieldType::String, .extract = label_value<&ContainerMetadata::labels>,
     .description = "One container label.", .arg = ArgKind::Key, .arg_required = true},
    {.name = "container.mounts", .type = FieldType::String, .extract = container_mounts,
     .description = "Every mount as source:dest:mode:rdwr:propagation, comma-separated."},
    PL_MOUNT_FIELD("container.mount", container_mount),
    PL_MOUNT_FIELD("container.mount.source", mount_text<&ContainerMount::source>),
    PL_MOUNT_FIELD("container.mount.dest", mount_text<&ContainerMount::destination>),
    PL_MOUNT_FIELD("container.mount.mode", mount_text<&ContainerMount::mode>),
    PL_MOUNT_FIELD("container.mount.rdwr", mount_rdwr),
    PL_MOUNT_FIELD("container.mount.propagation", mount_text<&ContainerMount::propagation>),
    {.name = "container.start_ts", .type = FieldType::Uint, .extract = container_start_ts,
     .description = "When the container was created, ns since the epoch."},
    {.name = "container.duration", .type = FieldType::Uint, .extract = container_duration,
     .description = "ns from the container's creation to the event."},
    {.name = "container.ip", .type = FieldType::String, .extract = metadata_text<&ContainerMetadata::pod_ip>,
     .description = "The pod's IP, from the CRI runtime (a pod's containers share it); <NA> on the host network."},
    {.name = "container.healthcheck", .type = FieldType::String, .extract = not_available,
     .description = kNotCollected},
    {.name = "k8s.ns.name", .type = FieldType::String, .extract = metadata_text<&ContainerMetadata::pod_namespace>,
     .description = kPod},
    {.name = "k8s.pod.name", .type = FieldType::String, .extract = metadata_text<&ContainerMetadata::pod_name>,
     .description = kPod},
    {.name = "k8s.pod.id", .type = FieldType::String, .extract = pod_uid, .description = "Same as k8s.pod.uid."},
    {.name = "k8s.pod.uid", .type = FieldType::String, .extract = pod_uid,
     .description = "The pod's uid, from the cgroup path or the annotations."},
    {.name = "k8s.pod.ip", .type = FieldType::String, .extract = metadata_text<&ContainerMetadata::pod_ip>,
     .description = "The pod's IP, from the CRI runtime's sandbox status; <NA> on the host network."},
    {.name = "k8s.pod.labels", .type = FieldType::String, .extract = labels_text<&ContainerMetadata::pod_labels>,
     .description = "The pod's labels as key:value, comma-separated."},
    {.name = "k8s.pod.label", .type = FieldType::String, .extract = label_value<&ContainerMetadata::pod_labels>,
     .description = "One pod label.", .arg = ArgKind::Key, .arg_required = true},
    {.name = "k8s.pod.cni.json", .type = FieldType::String, .extract = not_available, .description = kNotCollected},
};

#undef PL_MOUNT_FIELD

}  // namespace

std::span<const FieldSpec> container_field_specs() { return kContainerFields; }

}  // namespace palisade::rules::fields
