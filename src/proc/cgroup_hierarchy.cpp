#include "proc/cgroup_hierarchy.h"

#include <fstream>
#include <sstream>

namespace palisade {
namespace {

struct Candidate {
    pl_cgroup_hierarchy id;
    std::string_view controller;
};
// Tetragon's order: memory is what every runtime limits; pids and cpu next.
constexpr Candidate kV1Candidates[] = {
    {PL_CGROUP_MEMORY, "memory"}, {PL_CGROUP_PIDS, "pids"}, {PL_CGROUP_CPU, "cpu"}, {PL_CGROUP_CPUSET, "cpuset"}};

// Calls fn(line) for each line of text.
template <class Fn> void for_each_line(std::string_view text, Fn fn)
{
    while (!text.empty()) {
        const auto end = text.find('\n');
        fn(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
}

}  // namespace

CgroupHierarchy choose_cgroup_hierarchy_from(std::string_view proc_cgroups)
{
    // "#subsys_name hierarchy num_cgroups enabled": hierarchy 0 = only on the unified one.
    std::string_view mounted[std::size(kV1Candidates)];
    for_each_line(proc_cgroups, [&](std::string_view line) {
        std::istringstream fields{std::string(line)};
        std::string name;
        int hierarchy = 0, count = 0, enabled = 0;
        if (!(fields >> name >> hierarchy >> count >> enabled) || hierarchy == 0 || !enabled)
            return;
        for (std::size_t i = 0; i < std::size(kV1Candidates); ++i)
            if (name == kV1Candidates[i].controller)
                mounted[i] = kV1Candidates[i].controller;
    });
    for (std::size_t i = 0; i < std::size(kV1Candidates); ++i)
        if (!mounted[i].empty())
            return {kV1Candidates[i].id, std::string(kV1Candidates[i].controller)};
    return {};
}

CgroupHierarchy choose_cgroup_hierarchy(const std::string& proc_root)
{
    std::ifstream in(proc_root + "/cgroups");
    std::stringstream text;
    text << in.rdbuf();
    return choose_cgroup_hierarchy_from(text.str());
}

std::optional<std::string_view> cgroup_path_in(std::string_view proc_pid_cgroup, const CgroupHierarchy& hierarchy)
{
    std::optional<std::string_view> found;
    for_each_line(proc_pid_cgroup, [&](std::string_view line) {
        // "id:controller[,controller...]:path"; the unified hierarchy is "0::path".
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (found || second == std::string_view::npos)
            return;
        const std::string_view controllers = line.substr(first + 1, second - first - 1);
        bool match = hierarchy.controller.empty() ? controllers.empty() && line.substr(0, first) == "0" : false;
        for (std::string_view rest = controllers; !match && !rest.empty();) {
            const auto comma = rest.find(',');
            match = rest.substr(0, comma) == hierarchy.controller;
            rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        }
        if (match)
            found = line.substr(second + 1);
    });
    return found;
}

}  // namespace palisade
