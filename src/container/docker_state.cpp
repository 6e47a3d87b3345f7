#include "container/docker_state.h"

#include "container/json_util.h"
#include "container/runtime_state.h"

namespace palisade {

using nlohmann::json;
using namespace json_util;

std::optional<ContainerMetadata> parse_docker_config(std::string_view config_v2, std::string_view hostconfig)
{
    const json c = json::parse(config_v2, nullptr, false);
    if (!c.is_object() || string_at(c, "ID").empty())
        return std::nullopt;
    ContainerMetadata m;
    m.name = string_at(c, "Name");
    if (m.name.starts_with('/'))
        m.name.erase(0, 1);  // docker keeps names as paths
    const json& config = member(c, "Config");
    m.image = string_at(config, "Image");
    if (m.image.starts_with("sha256:")) {
        m.image.clear();  // run by id: no repository to name
    } else {
        const auto ref = parse_image_reference(m.image);
        m.image_repository = ref.repository;
        m.image_tag = ref.tag;
        m.image_digest = ref.digest;
    }
    m.image_id = string_at(c, "Image");
    if (m.image_id.starts_with("sha256:"))
        m.image_id.erase(0, 7);
    m.labels = string_map(member(config, "Labels"));
    if (const json& points = member(c, "MountPoints"); points.is_object()) {
        for (const auto& [destination, point] : points.items()) {
            const json& rw = member(point, "RW");
            std::string dest = string_at(point, "Destination");
            m.mounts.push_back({string_at(point, "Source"), dest.empty() ? destination : dest, string_at(point, "Mode"),
                                rw.is_boolean() ? rw.get<bool>() : true, string_at(point, "Propagation")});
        }
    }
    m.start_ns = parse_rfc3339_ns(string_at(c, "Created"));
    const json host = json::parse(hostconfig, nullptr, false);
    if (const json& privileged = member(host, "Privileged"); privileged.is_boolean())
        m.privileged = privileged.get<bool>();
    return m;
}

std::optional<ContainerMetadata> read_docker_state(const std::string& id, const std::string& containers_dir)
{
    const std::string dir = containers_dir + "/" + id;
    const auto config = read_text_file(dir + "/config.v2.json");
    if (!config)
        return std::nullopt;
    return parse_docker_config(*config, read_text_file(dir + "/hostconfig.json").value_or(""));
}

}  // namespace palisade
