// Attaches the policy programs that run inside the kernel: fentry/fexit,
// fmod_ret or kprobes on kernel functions (one program body, the hook id as
// BPF cookie; a kprobe with override or fmod_ret where Override must fail
// the function) and the BPF LSM programs.
// Only on kernels whose features say they work; hook resolution already
// served the policy by syscall-level hooks everywhere else.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "loader/sensor_impl.h"

namespace palisade {

namespace {

// The program of the sensor object that serves `k`.
bpf_program* trampoline_program(const sensor& object, const policy::KernelTables::Kprobe& k)
{
    if (k.mechanism == policy::KernelMechanism::FmodRet)
        return object.progs.pl_pol_fmod_ret;
    return k.with_return ? object.progs.pl_pol_fexit : object.progs.pl_pol_fentry;
}

// The fentry, fexit or fmod_ret program for one function: the verifier types a
// trampoline program by its function, so each function gets its own load of
// the same program, in a second instance of the sensor object whose maps are
// the running sensor's. Nothing is compiled: the object is the one built in.
SkeletonPtr load_trampoline(const sensor& running, const policy::KernelTables::Kprobe& k, std::string* error)
{
    const std::string& function = k.function;
    const char* kind = policy::mechanism_name(k.mechanism, k.with_return);
    const auto started = std::chrono::steady_clock::now();
    SkeletonPtr object(sensor__open());
    if (!object) {
        *error = fmt::format("cannot open the BPF sensor object for {}: {}", function, std::strerror(errno));
        return nullptr;
    }
    bpf_program* chosen = trampoline_program(*object, k);
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, object->obj) bpf_program__set_autoload(prog, prog == chosen);
    if (int err = bpf_program__set_attach_target(chosen, 0, function.c_str())) {
        *error = fmt::format("{}: {}", function, std::strerror(-err));
        return nullptr;
    }
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, object->obj)
    {
        const bpf_map* shared = bpf_object__find_map_by_name(running.obj, bpf_map__name(map));
        if (!shared || bpf_map__reuse_fd(map, bpf_map__fd(shared))) {
            *error = fmt::format("cannot share map {} with the {} program on {}", bpf_map__name(map), kind, function);
            return nullptr;
        }
    }
    const auto opened = std::chrono::steady_clock::now();
    const int err = bpf_object__load(object->obj);
    spdlog::info("policy: {} on {}: opened in {} ms, loaded in {} ms", kind, function,
                  std::chrono::duration_cast<std::chrono::milliseconds>(opened - started).count(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened)
                      .count());
    if (err) {
        *error = fmt::format("the verifier refused the {} program on {}: {}", kind, function, std::strerror(-err));
        return nullptr;
    }
    return object;
}

TrampolineKey trampoline_key(std::uint32_t bank, const policy::KernelTables::Kprobe& k)
{
    return {bank, k.hook, static_cast<int>(k.mechanism) * 2 + k.with_return, k.function};
}

bool attach_trampoline(Sensor::Impl& impl, const policy::KernelTables::Kprobe& k, std::uint32_t bank,
                       std::uint64_t cookie, KernelHookSet& out, std::string* error)
{
    TracingProgram tp;
    std::shared_ptr<sensor>& cached = impl.trampolines[trampoline_key(bank, k)];
    if (!cached) {
        SkeletonPtr loaded = load_trampoline(*impl.skel, k, error);
        if (!loaded) {
            impl.trampolines.erase(trampoline_key(bank, k));
            return false;
        }
        cached = std::shared_ptr<sensor>(loaded.release(), SkeletonDeleter{});
    }
    tp.object = cached;
    bpf_trace_opts opts{};
    opts.sz = sizeof(opts);
    opts.cookie = cookie;
    tp.link.reset(bpf_program__attach_trace_opts(trampoline_program(*tp.object, k), &opts));
    if (!tp.link) {
        *error = fmt::format("cannot attach {} to {}: {}", policy::mechanism_name(k.mechanism, k.with_return),
                             k.function, std::strerror(errno));
        return false;
    }
    out.tracing.push_back(std::move(tp));
    return true;
}

bool attach_kprobe(const sensor& skel, const policy::KernelTables::Kprobe& k, std::uint64_t cookie,
                   KernelHookSet& out, std::string* error)
{
    const bool override = k.mechanism == policy::KernelMechanism::KprobeOverride;
    bpf_kprobe_opts opts{};
    opts.sz = sizeof(opts);
    opts.bpf_cookie = cookie;
    LinkPtr link(bpf_program__attach_kprobe_opts(override ? skel.progs.pl_pol_kprobe_override : skel.progs.pl_pol_kprobe,
                                                 k.function.c_str(), &opts));
    if (!link) {
        *error = fmt::format("cannot attach a kprobe{} to kernel function {}: {}",
                             override ? " with override" : "", k.function, std::strerror(errno));
        return false;
    }
    out.links.push_back(std::move(link));
    if (!k.with_return)
        return true;
    opts.retprobe = true;
    LinkPtr ret(bpf_program__attach_kprobe_opts(skel.progs.pl_pol_kretprobe, k.function.c_str(), &opts));
    if (!ret) {
        *error = fmt::format("cannot attach a return probe to kernel function {}: {}", k.function,
                             std::strerror(errno));
        return false;
    }
    out.links.push_back(std::move(ret));
    return true;
}

}  // namespace

bool attach_policy_kprobes(Sensor::Impl& impl, const KernelFeatures& features, const policy::KernelTables& tables,
                           std::uint32_t bank, KernelHookSet& out, std::string* error)
{
    const sensor& skel = *impl.skel;
    const std::uint32_t bank_offset = bank * PL_POL_HOOK_SPAN;
    for (const auto& table_entry : tables.kprobes) {
        policy::KernelTables::Kprobe k = table_entry;
        const std::uint64_t cookie = bank_offset + k.hook;  // banked: the link answers to the set it was attached for
        if (k.mechanism == policy::KernelMechanism::FmodRet) {
            // Override is the point here: no kprobe can stand in for it.
            if (!attach_trampoline(impl, k, bank, cookie, out, error))
                return false;
            out.served.push_back(fmt::format("fmod_ret/{}", k.function));
            spdlog::info("policy: {} serves hook {}", out.served.back(), k.hook);
            continue;
        }
        if (k.mechanism == policy::KernelMechanism::Fentry) {
            std::string why;
            if (attach_trampoline(impl, k, bank, cookie, out, &why)) {
                out.served.push_back(fmt::format("{}/{}", policy::mechanism_name(k.mechanism, k.with_return),
                                                 k.function));
                spdlog::info("policy: {} serves hook {}", out.served.back(), k.hook);
                continue;
            }
            if (!features.kprobe) {
                *error = why;
                return false;
            }
            // BTF names the function, the kernel would not trampoline it (notrace, inlined copies): a kprobe may.
            spdlog::warn("policy: fentry is not possible here ({}); a kprobe serves {} instead", why, k.function);
            k.mechanism = policy::KernelMechanism::Kprobe;
        }
        const bool override = k.mechanism == policy::KernelMechanism::KprobeOverride;
        if (!features.kprobe || bpf_program__fd(skel.progs.pl_pol_kprobe) < 0 ||
            (override && bpf_program__fd(skel.progs.pl_pol_kprobe_override) < 0)) {
            *error = fmt::format("kprobes on kernel functions{} need kprobes{}, which kernel {} lacks",
                                 override ? " with Override" : "", override ? " and bpf_override_return" : "",
                                 features.release);
            return false;
        }
        if (!attach_kprobe(skel, k, cookie, out, error))
            return false;
        out.served.push_back(fmt::format("{}/{}", policy::mechanism_name(k.mechanism, k.with_return), k.function));
        spdlog::info("policy: {} serves hook {}", out.served.back(), k.hook);
    }
    return true;
}

void prune_trampolines(Sensor::Impl& impl, const policy::KernelTables& tables)
{
    std::set<TrampolineKey> used;
    for (const auto& k : tables.kprobes)
        for (std::uint32_t bank = 0; bank < PL_POL_BANKS; ++bank)
            used.insert(trampoline_key(bank, k));
    std::erase_if(impl.trampolines, [&used](const auto& entry) { return !used.count(entry.first); });
}

bool attach_policy_lsm(Sensor::Impl& impl, const KernelFeatures& features, const policy::KernelTables& tables,
                       std::vector<std::string>& attached, std::string* error)
{
    sensor& skel = *impl.skel;
    const struct {
        std::uint32_t hook;
        bpf_program* prog;
    } programs[] = {
        {PL_HOOK_LSM_FILE_OPEN, skel.progs.pl_pol_lsm_file_open},
        {PL_HOOK_LSM_BPRM_CHECK, skel.progs.pl_pol_lsm_bprm_check},
        {PL_HOOK_LSM_SOCKET_CONNECT, skel.progs.pl_pol_lsm_socket_connect},
    };
    for (const auto& p : programs) {
        const std::size_t slot = p.hook - PL_HOOK_LSM_FIRST;
        if (impl.lsm_attached[slot] || !tables.uses_hook(p.hook))
            continue;
        if (!features.bpf_lsm || bpf_program__fd(p.prog) < 0) {
            *error = fmt::format("{} needs BPF LSM, which kernel {} lacks", policy::hook_display_name(p.hook),
                                 features.release);
            return false;
        }
        LinkPtr link(bpf_program__attach_lsm(p.prog));
        if (!link) {
            *error = fmt::format("cannot attach the BPF LSM program {}: {}", policy::hook_display_name(p.hook),
                                 std::strerror(errno));
            return false;
        }
        impl.policy_links.push_back(std::move(link));
        impl.lsm_attached[slot] = true;
        attached.push_back(fmt::format("policy:{}", policy::hook_display_name(p.hook)));
    }
    return true;
}

}  // namespace palisade
