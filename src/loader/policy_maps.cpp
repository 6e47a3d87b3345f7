// Writes compiled policies into the kernel's policy maps and attaches the
// enforcement hooks the first time a policy needs them.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <algorithm>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "loader/sensor_impl.h"
#include "proc/proc_snapshot.h"

namespace palisade {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

template <class Key, class Value>
bool write_entries(bpf_map* map, const std::vector<std::pair<Key, Value>>& entries, std::string* error)
{
    for (const auto& [key, value] : entries)
        if (bpf_map__update_elem(map, &key, sizeof(key), &value, sizeof(value), BPF_ANY)) {
            *error = fmt::format("policy map {} is full or refused an entry: {}", bpf_map__name(map),
                                 errno_text(errno));
            return false;
        }
    return true;
}

template <class Key, class Value>
bool write_entries(bpf_map* map, const std::map<Key, Value>& entries, std::string* error)
{
    return write_entries(map, std::vector<std::pair<Key, Value>>(entries.begin(), entries.end()), error);
}

template <class Key, class Value>
void delete_entries(bpf_map* map, const std::vector<std::pair<Key, Value>>& entries)
{
    for (const auto& [key, value] : entries)
        bpf_map__delete_elem(map, &key, sizeof(key), 0);
}

template <class Key, class Value>
void delete_entries(bpf_map* map, const std::map<Key, Value>& entries)
{
    for (const auto& [key, value] : entries)
        bpf_map__delete_elem(map, &key, sizeof(key), 0);
}

struct ProcEntry {
    std::uint32_t ppid = 0;
    std::uint32_t ns_pid = 0;  // the innermost of /proc/PID/status NSpid
    std::string exe;
};

std::map<std::uint32_t, ProcEntry> read_processes()
{
    std::map<std::uint32_t, ProcEntry> procs;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        ProcEntry p;
        std::ifstream status(entry.path() / "status");
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("PPid:", 0) == 0)
                p.ppid = static_cast<std::uint32_t>(std::stoul(line.substr(5)));
            else if (line.rfind("NSpid:", 0) == 0)
                p.ns_pid = static_cast<std::uint32_t>(std::stoul(line.substr(line.find_last_of(" \t") + 1)));
        }
        p.exe = std::filesystem::read_symlink(entry.path() / "exe", ec).string();
        procs[static_cast<std::uint32_t>(std::stoul(name))] = std::move(p);
    }
    return procs;
}

// Processes that were running before the policy came: the kernel decides
// binary sets at exec and followForks sets at fork, so these are filled in
// from /proc.
void seed_running_processes(sensor& skel, const policy::KernelTables& tables)
{
    const auto procs = read_processes();
    for (const auto& [tgid, proc] : procs) {
        pl_pol_binaries sets = proc.exe.empty() ? pl_pol_binaries{} : tables.binary_sets(proc.exe);
        for (const auto& follow : tables.pid_follow_sets) {
            // A proper ancestor listed: as the kernel marks children at fork.
            std::uint32_t ancestor = proc.ppid;
            for (int depth = 0; ancestor > 0 && depth < 256; ++depth) {
                auto it = procs.find(ancestor);
                const std::uint32_t id = follow.namespace_pids && it != procs.end() ? it->second.ns_pid : ancestor;
                if (std::find(follow.pids.begin(), follow.pids.end(), id) != follow.pids.end()) {
                    sets.sets[follow.set / 64] |= 1ULL << (follow.set % 64);
                    break;
                }
                ancestor = it == procs.end() ? 0 : it->second.ppid;
            }
        }
        bpf_map__update_elem(skel.maps.pl_pol_proc_binaries, &tgid, sizeof(tgid), &sets, sizeof(sets), BPF_ANY);
    }
}

int open_cgroup2_root(std::string* error)
{
    const std::string mount = find_cgroup2_mount("/proc");
    if (mount.empty()) {
        *error = "no cgroup v2 hierarchy is mounted: the network policy hooks attach to it";
        return -1;
    }
    int fd = ::open(mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        *error = fmt::format("cannot open the cgroup v2 root {}: {}", mount, errno_text(errno));
    return fd;
}

}  // namespace

bool Sensor::apply_policies(const policy::KernelTables& tables, std::string* error)
{
    Impl& impl = *impl_;
    sensor& skel = *impl.skel;
    if (bpf_program__fd(skel.progs.pl_pol_sys_enter) < 0) {
        *error = "the sensor was started without its enforcement programs (SensorOptions.policies)";
        return false;
    }
    // Uprobes first: a binary or symbol that is not there fails the reload
    // before anything that runs has been touched.
    std::vector<LinkPtr> uprobe_links;
    for (const auto& u : tables.uprobes) {
        bpf_uprobe_opts opts{};
        opts.sz = sizeof(opts);
        opts.func_name = u.symbol.c_str();
        opts.bpf_cookie = u.hook;
        LinkPtr link(bpf_program__attach_uprobe_opts(skel.progs.pl_pol_uprobe, -1, u.binary.c_str(), 0, &opts));
        if (!link) {
            *error = fmt::format("cannot attach a uprobe to {} in {}: {}", u.symbol, u.binary, errno_text(errno));
            return false;
        }
        uprobe_links.push_back(std::move(link));
    }
    std::vector<LinkPtr> kprobe_links;
    if (!attach_policy_kprobes(impl, features_, tables, kprobe_links, error))
        return false;
    const policy::KernelTables& old = impl.policy_tables;

    // Hooks first: while the tables change, a hook without selectors is skipped.
    const pl_pol_hook idle{};
    for (const auto& [id, hook] : old.hooks)
        bpf_map__update_elem(skel.maps.pl_pol_hooks, &id, sizeof(id), &idle, sizeof(idle), BPF_ANY);
    delete_entries(skel.maps.pl_pol_selectors, old.selectors);
    delete_entries(skel.maps.pl_pol_slow_map, old.slow);
    delete_entries(skel.maps.pl_pol_str_eq, old.str_eq);
    delete_entries(skel.maps.pl_pol_str_prefix, old.str_prefix);
    delete_entries(skel.maps.pl_pol_str_postfix, old.str_postfix);
    delete_entries(skel.maps.pl_pol_addrs, old.addrs);
    delete_entries(skel.maps.pl_pol_values, old.values);
    delete_entries(skel.maps.pl_pol_cgroup_sets, old.cgroup_sets);
    impl.policy_tables = {};

    std::vector<std::pair<std::uint32_t, pl_pol_policy>> policies;
    for (std::uint32_t id = 0; id < tables.policies.size(); ++id)
        policies.emplace_back(id, tables.policies[id]);
    const std::uint32_t zero = 0;
    if (!write_entries(skel.maps.pl_pol_policies, policies, error) ||
        !write_entries(skel.maps.pl_pol_selectors, tables.selectors, error) ||
        !write_entries(skel.maps.pl_pol_slow_map, tables.slow, error) ||
        !write_entries(skel.maps.pl_pol_str_eq, tables.str_eq, error) ||
        !write_entries(skel.maps.pl_pol_str_prefix, tables.str_prefix, error) ||
        !write_entries(skel.maps.pl_pol_str_postfix, tables.str_postfix, error) ||
        !write_entries(skel.maps.pl_pol_addrs, tables.addrs, error) ||
        !write_entries(skel.maps.pl_pol_values, tables.values, error) ||
        !write_entries(skel.maps.pl_pol_cgroup_sets, tables.cgroup_sets, error) ||
        bpf_map__update_elem(skel.maps.pl_pol_follow_children, &zero, sizeof(zero), &tables.follow_children,
                             sizeof(tables.follow_children), BPF_ANY))
        return false;
    seed_running_processes(skel, tables);
    if (!write_entries(skel.maps.pl_pol_hooks, tables.hooks, error))
        return false;
    impl.policy_tables = tables;
    impl.uprobe_links = std::move(uprobe_links);  // the old ones detach here
    impl.kprobe_links = std::move(kprobe_links);

    return attach_policy_hooks(tables, error);
}

// Each kind of hook is attached the first time a policy needs it and then
// stays: with no selectors left it costs one map lookup.
bool Sensor::attach_policy_hooks(const policy::KernelTables& tables, std::string* error)
{
    Impl& impl = *impl_;
    sensor& skel = *impl.skel;
    auto attach_tp = [&](bpf_program* prog, const char* tp) {
        LinkPtr link(bpf_program__attach_raw_tracepoint(prog, tp));
        if (!link) {
            *error = fmt::format("cannot attach the policy hook to raw tracepoint {}: {}", tp, errno_text(errno));
            return false;
        }
        impl.policy_links.push_back(std::move(link));
        attached_.push_back(fmt::format("policy:{}", tp));
        return true;
    };
    if (!impl.policy_process_hooks && !tables.hooks.empty()) {
        if (!attach_tp(skel.progs.pl_pol_exec, "sched_process_exec") ||
            !attach_tp(skel.progs.pl_pol_fork, "sched_process_fork"))
            return false;
        impl.policy_process_hooks = true;
    }
    if (!impl.policy_syscall_hook && tables.uses_syscall_entry()) {
        if (!attach_tp(skel.progs.pl_pol_sys_enter, "sys_enter"))
            return false;
        impl.policy_syscall_hook = true;
    }
    if (!impl.policy_exit_hook && tables.uses_syscall_exit()) {
        if (!attach_tp(skel.progs.pl_pol_sys_exit, "sys_exit"))
            return false;
        impl.policy_exit_hook = true;
    }
    if (!impl.policy_cgroup_hooks && tables.uses_cgroup_hooks()) {
        const int cgroup_fd = open_cgroup2_root(error);
        if (cgroup_fd < 0)
            return false;
        const bool signals = features_.cgroup_signal;
        for (bpf_program* prog :
             {signals ? skel.progs.pl_pol_connect4 : skel.progs.pl_pol_connect4_nosig,
              signals ? skel.progs.pl_pol_connect6 : skel.progs.pl_pol_connect6_nosig,
              signals ? skel.progs.pl_pol_sendmsg4 : skel.progs.pl_pol_sendmsg4_nosig,
              signals ? skel.progs.pl_pol_sendmsg6 : skel.progs.pl_pol_sendmsg6_nosig,
              signals ? skel.progs.pl_pol_bind4 : skel.progs.pl_pol_bind4_nosig,
              signals ? skel.progs.pl_pol_bind6 : skel.progs.pl_pol_bind6_nosig}) {
            LinkPtr link(bpf_program__attach_cgroup(prog, cgroup_fd));
            if (!link) {
                *error = fmt::format("cannot attach {} to the cgroup v2 root: {}", bpf_program__name(prog),
                                     errno_text(errno));
                ::close(cgroup_fd);
                return false;
            }
            impl.policy_links.push_back(std::move(link));
            attached_.push_back(fmt::format("policy:{}", bpf_program__section_name(prog)));
        }
        ::close(cgroup_fd);
        impl.policy_cgroup_hooks = true;
    }
    return attach_policy_lsm(impl, features_, tables, attached_, error);
}

}  // namespace palisade
