#include "container/cgroup_parser.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace palisade {
namespace {

// Where a component must sit for a bare or loosely prefixed id to count.
enum class Context : std::uint8_t {
    Anywhere,          // the name alone is the runtime's (docker-<id>.scope)
    ParentIsDocker,    // /docker/<id>
    UnderKubepods,     // some ancestor is kubepods (cgroupfs or systemd driver)
    UnderLibpodParent, // podman's cgroupfs parent
};

struct Pattern {
    std::string_view prefix, suffix;
    ContainerRuntime runtime;
    Context context;
};

// Tried in order on each component, from the leaf upwards.
constexpr Pattern kPatterns[] = {
    {"docker-", ".scope", ContainerRuntime::Docker, Context::Anywhere},
    {"cri-containerd-", ".scope", ContainerRuntime::Containerd, Context::Anywhere},
    {"nerdctl-", ".scope", ContainerRuntime::Containerd, Context::Anywhere},
    {"crio-", ".scope", ContainerRuntime::CriO, Context::Anywhere},
    {"crio-", "", ContainerRuntime::CriO, Context::UnderKubepods},
    {"libpod-", ".scope", ContainerRuntime::Podman, Context::Anywhere},
    {"libpod-", "", ContainerRuntime::Podman, Context::UnderLibpodParent},
    {"", "", ContainerRuntime::Docker, Context::ParentIsDocker},
    {"", "", ContainerRuntime::Cri, Context::UnderKubepods},
};

std::vector<std::string_view> components(std::string_view path)
{
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        if (slash != 0)
            parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool context_holds(Context context, const std::vector<std::string_view>& parts, std::size_t at)
{
    auto any_above = [&](auto pred) { return std::any_of(parts.begin(), parts.begin() + at, pred); };
    switch (context) {
    case Context::Anywhere: return true;
    case Context::ParentIsDocker: return at > 0 && parts[at - 1] == "docker";
    case Context::UnderKubepods:
        return any_above([](std::string_view p) { return p == "kubepods" || p.starts_with("kubepods-") || p == "kubepods.slice"; });
    case Context::UnderLibpodParent: return any_above([](std::string_view p) { return p == "libpod_parent"; });
    }
    return false;
}

// "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid_with_underscores>.slice" (systemd).
std::string pod_uid_of(std::string_view part)
{
    if (part.ends_with(".slice")) {
        part.remove_suffix(6);
        if (const auto dash = part.rfind('-'); dash != std::string_view::npos)
            part.remove_prefix(dash + 1);
    }
    if (!part.starts_with("pod"))
        return {};
    std::string uid(part.substr(3));
    std::replace(uid.begin(), uid.end(), '_', '-');
    const bool uid_like = uid.size() >= 32 && uid.size() <= 36 &&
                          std::all_of(uid.begin(), uid.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; });
    return uid_like ? uid : std::string();
}

// The pod a podman container belongs to, from the component above it.
std::string podman_pod_of(std::string_view parent)
{
    constexpr std::string_view kSystemdPrefix = "machine-libpod_pod_";
    if (parent.starts_with(kSystemdPrefix) && parent.ends_with(".slice"))
        parent = parent.substr(kSystemdPrefix.size(), parent.size() - kSystemdPrefix.size() - 6);
    return is_container_id(parent) ? std::string(parent) : std::string();
}

}  // namespace

bool is_container_id(std::string_view text)
{
    return text.size() == 64 &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<CgroupMatch> parse_container_cgroup(std::string_view path)
{
    const auto parts = components(path);
    for (std::size_t at = parts.size(); at-- > 0;) {
        const std::string_view part = parts[at];
        for (const Pattern& pattern : kPatterns) {
            if (part.size() != pattern.prefix.size() + 64 + pattern.suffix.size() || !part.starts_with(pattern.prefix) ||
                !part.ends_with(pattern.suffix) || !is_container_id(part.substr(pattern.prefix.size(), 64)) ||
                !context_holds(pattern.context, parts, at))
                continue;
            CgroupMatch match{pattern.runtime, std::string(part.substr(pattern.prefix.size(), 64)), {}, {}};
            for (std::size_t above = 0; above < at && match.pod_uid.empty(); ++above)
                match.pod_uid = pod_uid_of(parts[above]);
            if (pattern.runtime == ContainerRuntime::Podman && at > 0)
                match.podman_pod_id = podman_pod_of(parts[at - 1]);
            return match;
        }
    }
    return std::nullopt;
}

}  // namespace palisade
