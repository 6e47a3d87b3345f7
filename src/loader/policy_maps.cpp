// Writes compiled policies into the kernel's policy maps and attaches the
// enforcement hooks the first time a policy needs them.
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "loader/sensor_impl.h"
#include "proc/proc_snapshot.h"

namespace palisade {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// Keys as they are stored in one bank of the maps (see PL_POL_BANKS in abi.h).
std::uint32_t bank_offset(std::uint32_t bank) { return bank * PL_POL_HOOK_SPAN; }
template <class Key> Key banked(Key key, std::uint32_t bank)
{
    key.hook += bank_offset(bank);
    return key;
}
pl_pol_cgroup_key banked(pl_pol_cgroup_key key, std::uint32_t bank)
{
    key.bank = bank;
    return key;
}
// Selector and slow matcher keys: hook << 16 | index.
std::uint32_t banked(std::uint32_t key, std::uint32_t bank) { return key + (bank_offset(bank) << 16); }

template <class Entries>
bool write_entries(bpf_map* map, const Entries& entries, std::uint32_t bank, std::string* error)
{
    for (const auto& [key, value] : entries) {
        const auto stored = banked(key, bank);
        if (bpf_map__update_elem(map, &stored, sizeof(stored), &value, sizeof(value), BPF_ANY)) {
            *error = fmt::format("policy map {} is full or refused an entry: {}", bpf_map__name(map),
                                 errno_text(errno));
            return false;
        }
    }
    return true;
}

template <class Entries> void delete_entries(bpf_map* map, const Entries& entries, std::uint32_t bank)
{
    for (const auto& [key, value] : entries) {
        const auto stored = banked(key, bank);
        bpf_map__delete_elem(map, &stored, sizeof(stored), 0);
    }
}

// Array entries (hooks, policies) cannot be deleted: they are zeroed, which
// the programs read as "no selectors" and "disabled".
template <class Value> void zero_array_entry(bpf_map* map, std::uint32_t index)
{
    const Value zero{};
    bpf_map__update_elem(map, &index, sizeof(index), &zero, sizeof(zero), BPF_ANY);
}

// Returns once every policy program that may have read the previous bank has
// finished: they run under RCU, and MEMBARRIER_CMD_GLOBAL waits for a grace period.
void wait_for_running_programs()
{
    if (::syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0)
        ::usleep(50 * 1000);  // nohz_full kernels refuse it; programs run for microseconds
}

struct ProcEntry {
    std::uint32_t ppid = 0;
    std::uint32_t ns_pid = 0;  // the innermost of /proc/PID/status NSpid
    std::string exe;
    pl_pol_exec_state now{};   // creds and namespaces as they are
};

// enum pl_pol_ns order
constexpr const char* kNamespaceFiles[PL_NS_COUNT] = {
    "uts", "ipc", "mnt", "pid", "pid_for_children", "net", "time", "time_for_children", "cgroup", "user"};

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
            else if (line.rfind("CapEff:", 0) == 0)
                p.now.caps[0] = std::stoull(line.substr(7), nullptr, 16);
            else if (line.rfind("CapInh:", 0) == 0)
                p.now.caps[1] = std::stoull(line.substr(7), nullptr, 16);
            else if (line.rfind("CapPrm:", 0) == 0)
                p.now.caps[2] = std::stoull(line.substr(7), nullptr, 16);
        }
        for (int n = 0; n < PL_NS_COUNT; ++n) {
            struct stat st {};
            if (::stat((entry.path() / "ns" / kNamespaceFiles[n]).c_str(), &st) == 0)
                p.now.ns[n] = static_cast<std::uint32_t>(st.st_ino);
        }
        p.exe = std::filesystem::read_symlink(entry.path() / "exe", ec).string();
        procs[static_cast<std::uint32_t>(std::stoul(name))] = std::move(p);
    }
    return procs;
}

// Processes that were running before the policy came: the kernel decides
// binary sets at exec and followForks sets at fork, so these are filled in
// from /proc.
void seed_running_processes(sensor& skel, const policy::KernelTables& tables, std::uint32_t bank)
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
        pl_pol_proc_sets both{};
        bpf_map__lookup_elem(skel.maps.pl_pol_proc_binaries, &tgid, sizeof(tgid), &both, sizeof(both), 0);
        both.bank[bank] = sets;
        bpf_map__update_elem(skel.maps.pl_pol_proc_binaries, &tgid, sizeof(tgid), &both, sizeof(both), BPF_ANY);
        // Changes are counted from now for processes that ran before: their
        // exec is past. NOEXIST keeps what the kernel recorded at a later exec.
        if (tables.tracks_changes)
            bpf_map__update_elem(skel.maps.pl_pol_exec_states, &tgid, sizeof(tgid), &proc.now, sizeof(proc.now),
                                 BPF_NOEXIST);
    }
}

// Execs record creds and namespaces from now on; what an earlier tracking
// period left (maybe for a pid since reused) goes first.
void start_tracking_changes(sensor& skel, std::uint32_t bank)
{
    bpf_map* states = skel.maps.pl_pol_exec_states;
    std::uint32_t first = 0;
    while (bpf_map__get_next_key(states, nullptr, &first, sizeof(first)) == 0)
        if (bpf_map__delete_elem(states, &first, sizeof(first), 0) != 0)
            break;
    const pl_pol_state state{.bank = bank, .flags = PL_POL_TRACK_CHANGES};
    const std::uint32_t zero = 0;
    bpf_map__update_elem(skel.maps.pl_pol_state_map, &zero, sizeof(zero), &state, sizeof(state), BPF_ANY);
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
    // The new set goes into the bank not in force; the flip below is one
    // store, so every call sees either the old set or the new one.
    const std::uint32_t bank = impl.policy_bank ^ 1;
    const std::uint32_t old_bank = impl.policy_bank;

    // Uprobes first: a binary or symbol that is not there fails the reload
    // before anything that runs has been touched.
    std::vector<LinkPtr> uprobe_links;
    for (const auto& u : tables.uprobes) {
        LinkPtr link;
        if (u.usdt_provider.empty()) {
            bpf_uprobe_opts opts{};
            opts.sz = sizeof(opts);
            opts.func_name = u.symbol.c_str();
            opts.bpf_cookie = bank_offset(bank) + u.hook;
            link.reset(bpf_program__attach_uprobe_opts(skel.progs.pl_pol_uprobe, -1, u.binary.c_str(), 0, &opts));
        } else {
            bpf_usdt_opts opts{};
            opts.sz = sizeof(opts);
            opts.usdt_cookie = bank_offset(bank) + u.hook;
            link.reset(bpf_program__attach_usdt(skel.progs.pl_pol_usdt, -1, u.binary.c_str(), u.usdt_provider.c_str(),
                                                u.usdt_name.c_str(), &opts));
        }
        if (!link) {
            *error = u.usdt_provider.empty()
                         ? fmt::format("cannot attach a uprobe to {} in {}: {}", u.symbol, u.binary, errno_text(errno))
                         : fmt::format("cannot attach to USDT probe {}:{} in {}: {}", u.usdt_provider, u.usdt_name,
                                       u.binary, errno_text(errno));
            return false;
        }
        uprobe_links.push_back(std::move(link));
    }
    KernelHookSet kernel_hooks;
    if (!attach_policy_kprobes(impl, features_, tables, bank, kernel_hooks, error))
        return false;

    if (!attach_policy_hooks(tables, error))
        return false;
    if (!write_bank(tables, bank, error)) {
        erase_bank(tables, bank);
        return false;
    }
    if (tables.tracks_changes && !impl.policy_tables.tracks_changes)
        start_tracking_changes(skel, old_bank);
    seed_running_processes(skel, tables, bank);
    const pl_pol_state state{.bank = bank,
                             .flags = tables.tracks_changes ? std::uint32_t{PL_POL_TRACK_CHANGES} : 0u};
    const std::uint32_t zero = 0;
    if (bpf_map__update_elem(skel.maps.pl_pol_state_map, &zero, sizeof(zero), &state, sizeof(state), BPF_ANY)) {
        *error = fmt::format("cannot switch to the new policy set: {}", errno_text(errno));
        erase_bank(tables, bank);
        return false;
    }
    impl.policy_bank = bank;
    impl.uprobe_links = std::move(uprobe_links);  // the old set's uprobes and kprobes detach here
    impl.kprobe_links = std::move(kernel_hooks.links);
    impl.tracing_programs = std::move(kernel_hooks.tracing);
    impl.kernel_hooks = std::move(kernel_hooks.served);
    prune_trampolines(impl, tables);
    wait_for_running_programs();
    erase_bank(impl.policy_tables, old_bank);
    impl.policy_tables = tables;
    return true;
}

std::uint32_t Sensor::policy_bank() const { return impl_->policy_bank; }

std::vector<std::string> Sensor::policy_kernel_hooks() const { return impl_->kernel_hooks; }

// Writes a policy set into one bank, its hooks last. On failure the caller
// erases the bank: deleting what was not written yet is harmless.
bool Sensor::write_bank(const policy::KernelTables& tables, std::uint32_t bank, std::string* error)
{
    sensor& skel = *impl_->skel;
    std::vector<std::pair<std::uint32_t, pl_pol_policy>> policies;
    for (std::uint32_t id = 0; id < tables.policies.size(); ++id)
        policies.emplace_back(bank * PL_POL_POLICIES + id, tables.policies[id]);
    std::vector<std::pair<std::uint32_t, pl_pol_hook>> hooks;
    for (const auto& [id, hook] : tables.hooks)
        hooks.emplace_back(bank_offset(bank) + id, hook);
    const std::vector<std::pair<std::uint32_t, pl_pol_binaries>> follow_children{{bank, tables.follow_children}};
    constexpr std::uint32_t as_is = 0;  // array indexes above are already banked
    return write_entries(skel.maps.pl_pol_policies, policies, as_is, error) &&
           write_entries(skel.maps.pl_pol_selectors, tables.selectors, bank, error) &&
           write_entries(skel.maps.pl_pol_slow_map, tables.slow, bank, error) &&
           write_entries(skel.maps.pl_pol_str_eq, tables.str_eq, bank, error) &&
           write_entries(skel.maps.pl_pol_str_prefix, tables.str_prefix, bank, error) &&
           write_entries(skel.maps.pl_pol_str_postfix, tables.str_postfix, bank, error) &&
           write_entries(skel.maps.pl_pol_addrs, tables.addrs, bank, error) &&
           write_entries(skel.maps.pl_pol_values, tables.values, bank, error) &&
           write_entries(skel.maps.pl_pol_cgroup_sets, tables.cgroup_sets, bank, error) &&
           write_entries(skel.maps.pl_pol_follow_children, follow_children, as_is, error) &&
           write_entries(skel.maps.pl_pol_hooks, hooks, as_is, error);
}

// Removes a policy set from its bank; programs no longer read it.
void Sensor::erase_bank(const policy::KernelTables& tables, std::uint32_t bank)
{
    sensor& skel = *impl_->skel;
    for (const auto& [id, hook] : tables.hooks)
        zero_array_entry<pl_pol_hook>(skel.maps.pl_pol_hooks, bank_offset(bank) + id);
    for (std::uint32_t id = 0; id < tables.policies.size(); ++id)
        zero_array_entry<pl_pol_policy>(skel.maps.pl_pol_policies, bank * PL_POL_POLICIES + id);
    zero_array_entry<pl_pol_binaries>(skel.maps.pl_pol_follow_children, bank);
    delete_entries(skel.maps.pl_pol_selectors, tables.selectors, bank);
    delete_entries(skel.maps.pl_pol_slow_map, tables.slow, bank);
    delete_entries(skel.maps.pl_pol_str_eq, tables.str_eq, bank);
    delete_entries(skel.maps.pl_pol_str_prefix, tables.str_prefix, bank);
    delete_entries(skel.maps.pl_pol_str_postfix, tables.str_postfix, bank);
    delete_entries(skel.maps.pl_pol_addrs, tables.addrs, bank);
    delete_entries(skel.maps.pl_pol_values, tables.values, bank);
    delete_entries(skel.maps.pl_pol_cgroup_sets, tables.cgroup_sets, bank);
}

// Each kind of hook is attached the first time a policy needs it and then
// stays: with no selectors left it costs one map lookup.
bool Sensor::attach_policy_hooks(const policy::KernelTables& tables, std::string* error)
{
    Impl& impl = *impl_;
    sensor& skel = *impl.skel;
    auto attach_tp = [&](bpf_program* prog, const char* tp) {
        LinkPtr link(attach_tracepoint(prog, tp));
        if (!link) {
            *error = fmt::format("cannot attach the policy hook to tracepoint {}: {}", tp, errno_text(errno));
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
