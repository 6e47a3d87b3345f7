#include "container/container.h"

namespace palisade {

std::string_view runtime_name(ContainerRuntime runtime)
{
    switch (runtime) {
    case ContainerRuntime::Docker: return "docker";
    case ContainerRuntime::Containerd: return "containerd";
    case ContainerRuntime::CriO: return "cri-o";
    case ContainerRuntime::Podman: return "podman";
    case ContainerRuntime::Cri: return "cri";
    }
    return "unknown";
}

std::string_view container_type(const Container& container)
{
    const ContainerMetadata* m = container.known();
    if (container.runtime == ContainerRuntime::Cri && m && !m->cri_runtime.empty())
        return m->cri_runtime;
    return runtime_name(container.runtime);
}

ImageReference parse_image_reference(std::string_view image)
{
    ImageReference ref;
    if (const auto at = image.find('@'); at != std::string_view::npos) {
        ref.digest = image.substr(at + 1);
        image = image.substr(0, at);
    }
    // A ':' after the last '/' starts the tag; one before it is a registry port.
    const auto slash = image.rfind('/');
    const auto colon = image.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = image.substr(colon + 1);
        image = image.substr(0, colon);
    }
    ref.repository = image;
    return ref;
}

}  // namespace palisade
