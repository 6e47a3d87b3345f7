#include "container/runtime_state.h"

#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include "container/json_util.h"

namespace palisade {
namespace {

using nlohmann::json;
using namespace json_util;

std::string with_id(std::string pattern, const std::string& id)
{
    if (const auto at = pattern.find("{id}"); at != std::string::npos)
        pattern.replace(at, 4, id);
    return pattern;
}

constexpr std::string_view kPropagations[] = {"rprivate", "private", "rshared", "shared", "rslave", "slave"};

ContainerMount oci_mount(const json& m)
{
    ContainerMount mount{string_at(m, "source"), string_at(m, "destination"), {}, true, {}};
    const json& options = member(m, "options");
    if (options.is_array()) {
        for (const auto& option : options) {
            if (!option.is_string())
                continue;
            const auto value = option.get<std::string>();
            if (value == "ro")
                mount.read_write = false;
            for (auto propagation : kPropagations)
                if (value == propagation)
                    mount.propagation = value;
            mount.mode += (mount.mode.empty() ? "" : ",") + value;
        }
    }
    return mount;
}

bool is_bind(const json& m)
{
    const json& options = member(m, "options");
    return string_at(m, "type") == "bind" || contains_string(options, "bind") || contains_string(options, "rbind");
}

}  // namespace

std::optional<std::string> read_text_file(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::uint64_t parse_rfc3339_ns(std::string_view text)
{
    std::tm tm{};
    const std::string head(text.substr(0, 19));
    const char* end = strptime(head.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end != '\0' || text.size() < 20)
        return 0;
    std::int64_t secs = timegm(&tm);
    std::uint64_t nanos = 0;
    std::size_t pos = 19;
    if (text[pos] == '.') {
        std::uint64_t scale = 100'000'000;
        for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos, scale /= 10)
            nanos += static_cast<std::uint64_t>(text[pos] - '0') * scale;
    }
    const std::string_view zone = text.substr(pos);
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const int minutes = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[4] - '0') * 10 + (zone[5] - '0');
        secs -= (zone[0] == '+' ? 1 : -1) * minutes * 60;
    } else if (zone != "Z") {
        return 0;
    }
    return secs < 0 ? 0 : static_cast<std::uint64_t>(secs) * 1'000'000'000 + nanos;
}

bool parse_runc_state(std::string_view text, OciState& out)
{
    const json state = json::parse(text, nullptr, false);
    if (!state.is_object())
        return false;
    // libcontainer keeps the OCI annotations as "key=value" labels, and the bundle as one more.
    const json& labels = member(member(state, "config"), "labels");
    if (labels.is_array()) {
        for (const auto& label : labels) {
            if (!label.is_string())
                continue;
            const auto kv = label.get<std::string>();
            const auto eq = kv.find('=');
            if (eq == std::string::npos)
                continue;
            if (kv.compare(0, eq, "bundle") == 0)
                out.bundle = kv.substr(eq + 1);
            else
                out.annotations[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    out.created_ns = parse_rfc3339_ns(string_at(state, "created"));
    return true;
}

bool parse_oci_config(std::string_view text, OciState& out)
{
    const json config = json::parse(text, nullptr, false);
    if (!config.is_object())
        return false;
    for (auto& [key, value] : string_map(member(config, "annotations")))
        out.annotations[key] = std::move(value);
    const json& mounts = member(config, "mounts");
    if (mounts.is_array()) {
        out.mounts.clear();
        for (const auto& m : mounts)
            if (m.is_object() && is_bind(m))
                out.mounts.push_back(oci_mount(m));
    }
    // podman says so; otherwise a privileged container is one with CAP_SYS_ADMIN
    // and nothing masked (what docker, podman and CRI do for --privileged).
    if (const auto it = out.annotations.find("io.podman.annotations.privileged"); it != out.annotations.end()) {
        out.privileged = it->second == "TRUE";
    } else {
        const json& bounding = member(member(member(config, "process"), "capabilities"), "bounding");
        if (bounding.is_array()) {
            const json& masked = member(member(config, "linux"), "maskedPaths");
            out.privileged = contains_string(bounding, "CAP_SYS_ADMIN") && (!masked.is_array() || masked.empty());
        }
    }
    return true;
}

std::optional<OciState> read_oci_state(const std::string& id, const RuntimePaths& paths)
{
    OciState state;
    bool found = false;
    for (const auto& pattern : paths.runc_states) {
        if (const auto text = read_text_file(with_id(pattern, id)); text && parse_runc_state(*text, state)) {
            found = true;
            break;
        }
    }
    std::vector<std::string> configs;
    if (!state.bundle.empty())
        configs.push_back(state.bundle + "/config.json");
    for (const auto& pattern : paths.oci_configs)
        configs.push_back(with_id(pattern, id));
    for (const auto& path : configs) {
        if (const auto text = read_text_file(path); text && parse_oci_config(*text, state)) {
            found = true;
            break;
        }
    }
    if (!found)
        return std::nullopt;
    return state;
}

}  // namespace palisade
