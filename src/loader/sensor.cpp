#include "loader/sensor.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <numeric>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "event/syscalls.h"
#include "loader/system.h"
#include "loader/sensor_impl.h"

namespace palisade {

void SkeletonDeleter::operator()(sensor* skel) const { sensor__destroy(skel); }

namespace {

constexpr const char* kProcessGroups[] = {"exec", "fork", "exit"};
// Longest wait for records before reading what is there: bounds event latency.
constexpr int kMaxWaitMs = 20;


// libbpf speaks through spdlog at debug level; the user gets one clear line
// from us, the details with --log-level debug.
int libbpf_log(libbpf_print_level level, const char* format, va_list args)
{
    if (level == LIBBPF_DEBUG && !spdlog::should_log(spdlog::level::trace))
        return 0;
    // Verifier logs arrive as one message of many kilobytes: size it first.
    va_list copy;
    va_copy(copy, args);
    const int size = vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string text(size > 0 ? size : 0, '\0');
    vsnprintf(text.data(), text.size() + 1, format, args);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    spdlog::debug("libbpf: {}", text);
    return 0;
}

bpf_program* handler_program(sensor& skel, SyscallHandler handler)
{
    switch (handler) {
    case SyscallHandler::Open: return skel.progs.pl_sys_open;
    case SyscallHandler::FileOp: return skel.progs.pl_sys_file_op;
    case SyscallHandler::Net: return skel.progs.pl_sys_net;
    case SyscallHandler::Priv: return skel.progs.pl_sys_priv;
    }
    return nullptr;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace


const std::vector<std::string>& event_groups()
{
    static const std::vector<std::string> groups = [] {
        std::vector<std::string> all(std::begin(kProcessGroups), std::end(kProcessGroups));
        for (const auto& sc : watched_syscalls())
            if (std::find(all.begin(), all.end(), sc.group) == all.end())
                all.emplace_back(sc.group);
        return all;
    }();
    return groups;
}

bool parse_event_groups(const std::string& list, std::set<std::string>* groups, std::string* error)
{
    const auto& known = event_groups();
    std::size_t start = 0;
    while (start <= list.size()) {
        auto end = list.find(',', start);
        auto name = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (name == "all") {
            groups->insert(known.begin(), known.end());
        } else if (std::find(known.begin(), known.end(), name) != known.end()) {
            groups->insert(name);
        } else if (!name.empty()) {
            std::string names;
            for (const auto& g : known)
                names += (names.empty() ? "" : ", ") + g;
            *error = fmt::format("unknown event group '{}' (known: all, {})", name, names);
            return false;
        }
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return true;
}

std::uint64_t SensorStats::emitted_total() const { return std::accumulate(emitted.begin(), emitted.end(), 0ull); }
std::uint64_t SensorStats::dropped_total() const { return std::accumulate(dropped.begin(), dropped.end(), 0ull); }
std::uint64_t SensorStats::filtered_total() const { return std::accumulate(filtered.begin(), filtered.end(), 0ull); }

Sensor::Sensor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sensor::~Sensor() = default;  // ring buffer, links, then skeleton: members in reverse order

std::unique_ptr<Sensor> Sensor::start(const SensorOptions& options, std::string* error)
{
    libbpf_set_print(libbpf_log);
    if (!prepare_host(error))
        return nullptr;
    KernelFeatures features = probe_kernel_features();
    if (!features.ringbuf || !features.raw_tracepoint) {
        *error = fmt::format("kernel {} lacks a required BPF feature: {}", features.release,
                             !features.ringbuf ? "BPF ring buffer (5.8+)" : "raw and BTF tracepoints");
        return nullptr;
    }

    auto impl = std::make_unique<Impl>();
    impl->skel.reset(sensor__open());
    if (!impl->skel) {
        *error = fmt::format("cannot open the BPF sensor object: {}", errno_text(errno));
        return nullptr;
    }
    sensor& skel = *impl->skel;
    const int cpus = libbpf_num_possible_cpus();
    bpf_map__set_max_entries(skel.maps.pl_scratch_map, cpus > 0 ? cpus : 1);
    bpf_map__set_max_entries(skel.maps.pl_events, options.ringbuf_bytes);
    if (!options.policies) {
        for (bpf_program* prog :
             {skel.progs.pl_pol_sys_enter, skel.progs.pl_pol_exec, skel.progs.pl_pol_fork, skel.progs.pl_pol_connect4,
              skel.progs.pl_pol_connect6, skel.progs.pl_pol_sendmsg4, skel.progs.pl_pol_sendmsg6,
              skel.progs.pl_pol_bind4, skel.progs.pl_pol_bind6, skel.progs.pl_pol_uprobe, skel.progs.pl_pol_usdt,
              skel.progs.pl_pol_sys_exit})
            bpf_program__set_autoload(prog, false);
    }
    if (!features.uprobe) {
        bpf_program__set_autoload(skel.progs.pl_pol_uprobe, false);
        bpf_program__set_autoload(skel.progs.pl_pol_usdt, false);
    }
    // One set of cgroup socket programs: with signals where the kernel lets them send one.
    for (bpf_program* prog :
         {skel.progs.pl_pol_connect4_nosig, skel.progs.pl_pol_connect6_nosig, skel.progs.pl_pol_sendmsg4_nosig,
          skel.progs.pl_pol_sendmsg6_nosig, skel.progs.pl_pol_bind4_nosig, skel.progs.pl_pol_bind6_nosig})
        bpf_program__set_autoload(prog, options.policies && !features.cgroup_signal);
    if (!features.cgroup_signal)
        for (bpf_program* prog : {skel.progs.pl_pol_connect4, skel.progs.pl_pol_connect6, skel.progs.pl_pol_sendmsg4,
                                  skel.progs.pl_pol_sendmsg6, skel.progs.pl_pol_bind4, skel.progs.pl_pol_bind6})
            bpf_program__set_autoload(prog, false);
    // The in-kernel policy hooks load only where the kernel has them.
    if (!options.policies || !features.kprobe) {
        bpf_program__set_autoload(skel.progs.pl_pol_kprobe, false);
        bpf_program__set_autoload(skel.progs.pl_pol_kretprobe, false);
    }
    if (!options.policies || !features.kprobe_override)
        bpf_program__set_autoload(skel.progs.pl_pol_kprobe_override, false);
    // fentry/fexit/fmod_ret need their function at load: loaded per function (policy_kernel_hooks.cpp).
    bpf_program__set_autoload(skel.progs.pl_pol_fentry, false);
    bpf_program__set_autoload(skel.progs.pl_pol_fexit, false);
    bpf_program__set_autoload(skel.progs.pl_pol_fmod_ret, false);
    if (!options.policies || !features.bpf_lsm)
        for (bpf_program* prog : {skel.progs.pl_pol_lsm_file_open, skel.progs.pl_pol_lsm_bprm_check,
                                  skel.progs.pl_pol_lsm_socket_connect})
            bpf_program__set_autoload(prog, false);
    if (int err = sensor__load(&skel)) {
        *error = fmt::format("the kernel refused the BPF sensor ({}); rerun with --log-level debug for the "
                             "verifier log",
                             errno_text(err));
        return nullptr;
    }

    const std::uint32_t zero = 0;
    pl_config config{};
    config.self_tgid = options.exclude_tgid;
    config.cgroup_hierarchy = options.cgroup_hierarchy;
    bpf_map__update_elem(skel.maps.pl_config_map, &zero, sizeof(zero), &config, sizeof(config), BPF_ANY);

    std::unique_ptr<Sensor> sensor_ptr(new Sensor(std::move(impl)));
    sensor_ptr->features_ = std::move(features);
    Sensor& s = *sensor_ptr;
    if (!s.attach(skel.progs.pl_fork, "sched_process_fork", error) ||
        !s.attach(skel.progs.pl_exec, "sched_process_exec", error) ||
        !s.attach(skel.progs.pl_exit, "sched_process_exit", error) || !s.select(options.groups, error))
        return nullptr;
    Impl& live = *sensor_ptr->impl_;
    live.ring.reset(ring_buffer__new(bpf_map__fd(skel.maps.pl_events), Impl::on_record, &live, nullptr));
    if (!live.ring) {
        *error = fmt::format("cannot map the event ring buffer: {}", errno_text(errno));
        return nullptr;
    }
    return sensor_ptr;
}

bool Sensor::select(const std::set<std::string>& groups, std::string* error)
{
    sensor& skel = *impl_->skel;
    bool any_syscall = false;
    for (const auto& sc : watched_syscalls()) {
        if (!groups.count(sc.group)) {
            // Removing the program makes the dispatcher's tail call fail: the
            // syscall costs nothing more than the lookup.
            bpf_map__delete_elem(skel.maps.pl_syscall_progs, &sc.nr, sizeof(sc.nr), 0);
            continue;
        }
        const std::uint32_t kind = sc.kind;
        const int prog_fd = bpf_program__fd(handler_program(skel, sc.handler));
        if (bpf_map__update_elem(skel.maps.pl_syscall_kinds, &sc.nr, sizeof(sc.nr), &kind, sizeof(kind), BPF_ANY) ||
            bpf_map__update_elem(skel.maps.pl_syscall_progs, &sc.nr, sizeof(sc.nr), &prog_fd, sizeof(prog_fd),
                                 BPF_ANY)) {
            *error = fmt::format("cannot install the handler for {}: {}", sc.name, errno_text(errno));
            return false;
        }
        any_syscall = true;
    }
    const bool dispatcher_attached =
        std::find(attached_.begin(), attached_.end(), "sys_exit") != attached_.end();
    return !any_syscall || dispatcher_attached || attach(skel.progs.pl_sys_exit, "sys_exit", error);
}

bool Sensor::attach(bpf_program* prog, const char* tracepoint, std::string* error)
{
    LinkPtr link(attach_tracepoint(prog, tracepoint));
    if (!link) {
        *error = fmt::format("cannot attach to tracepoint {}: {}", tracepoint, errno_text(errno));
        return false;
    }
    impl_->links.push_back(std::move(link));
    attached_.emplace_back(tracepoint);
    return true;
}

int Sensor::poll(int timeout_ms, const RecordHandler& handle)
{
    impl_->handler = &handle;
    // Records are written without a wakeup (see pl_wakeup_flags): the wait
    // ends early only when the buffer fills; whatever is there is read after.
    int n = ring_buffer__poll(impl_->ring.get(), std::min(timeout_ms, kMaxWaitMs));
    if (n >= 0 || n == -EINTR) {
        const int consumed = ring_buffer__consume(impl_->ring.get());
        n = consumed < 0 ? consumed : std::max(n, 0) + consumed;
    }
    impl_->handler = nullptr;
    return n;
}

bool Sensor::set_open_prefilter(const pl_open_prefilter& header, const std::map<std::string, std::uint64_t>& prefix,
                                const std::map<std::string, std::uint64_t>& postfix, std::string* error)
{
    sensor& skel = *impl_->skel;
    const std::uint32_t zero = 0;
    // Off first: while the tries change, every open passes.
    pl_open_prefilter off{};
    if (bpf_map__update_elem(skel.maps.pl_pf_open_map, &zero, sizeof(zero), &off, sizeof(off), BPF_ANY)) {
        *error = fmt::format("cannot write pl_pf_open_map: {}", errno_text(errno));
        return false;
    }
    auto rewrite = [&](bpf_map* map, std::vector<pl_pf_path_key>& written,
                       const std::map<std::string, std::uint64_t>& entries) {
        for (const auto& key : written)
            bpf_map__delete_elem(map, &key, sizeof(key), 0);
        written.clear();
        for (const auto& [bytes, mask] : entries) {
            pl_pf_path_key key{};
            const std::size_t n = std::min<std::size_t>(bytes.size(), sizeof(key.path));
            std::memcpy(key.path, bytes.data(), n);
            key.prefixlen = 8 * n;
            if (bpf_map__update_elem(map, &key, sizeof(key), &mask, sizeof(mask), BPF_ANY)) {
                *error = fmt::format("cannot write {}: {}", bpf_map__name(map), errno_text(errno));
                return false;
            }
            written.push_back(key);
        }
        return true;
    };
    if (!rewrite(skel.maps.pl_pf_prefix, impl_->prefilter_prefix_keys, prefix) ||
        !rewrite(skel.maps.pl_pf_postfix, impl_->prefilter_postfix_keys, postfix))
        return false;
    if (header.enabled &&
        bpf_map__update_elem(skel.maps.pl_pf_open_map, &zero, sizeof(zero), &header, sizeof(header), BPF_ANY)) {
        *error = fmt::format("cannot write pl_pf_open_map: {}", errno_text(errno));
        return false;
    }
    return true;
}

SensorStats Sensor::stats() const
{
    SensorStats out;
    const int cpus = libbpf_num_possible_cpus();
    std::vector<pl_type_stats> per_cpu(cpus > 0 ? cpus : 1);
    for (std::uint32_t type = 0; type < PL_EV_TYPE_MAX; ++type) {
        if (bpf_map__lookup_elem(impl_->skel->maps.pl_stats, &type, sizeof(type), per_cpu.data(),
                                 per_cpu.size() * sizeof(pl_type_stats), 0))
            continue;
        for (const auto& cpu : per_cpu) {
            out.emitted[type] += cpu.emitted;
            out.dropped[type] += cpu.dropped;
            out.filtered[type] += cpu.filtered;
        }
    }
    return out;
}

}  // namespace palisade
