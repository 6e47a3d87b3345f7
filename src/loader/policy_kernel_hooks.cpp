// Attaches the policy programs that run inside the kernel: kprobes on kernel
// functions (one program, the hook id as BPF cookie) and the BPF LSM programs.
// Only on kernels whose features say they work; hook resolution already
// served the policy by syscall-level hooks everywhere else.
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "loader/sensor_impl.h"

namespace palisade {

bool attach_policy_kprobes(Sensor::Impl& impl, const KernelFeatures& features, const policy::KernelTables& tables,
                           std::uint32_t bank_offset, std::vector<LinkPtr>& links, std::string* error)
{
    sensor& skel = *impl.skel;
    if (tables.kprobes.empty())
        return true;
    if (!features.kprobe || bpf_program__fd(skel.progs.pl_pol_kprobe) < 0) {
        *error = fmt::format("kprobes on kernel functions need kprobes, which kernel {} lacks", features.release);
        return false;
    }
    for (const auto& k : tables.kprobes) {
        bpf_kprobe_opts opts{};
        opts.sz = sizeof(opts);
        opts.bpf_cookie = bank_offset + k.hook;  // banked: the link answers to the set it was attached for
        LinkPtr link(bpf_program__attach_kprobe_opts(skel.progs.pl_pol_kprobe, k.function.c_str(), &opts));
        if (!link) {
            *error = fmt::format("cannot attach a kprobe to kernel function {}: {}", k.function,
                                 std::strerror(errno));
            return false;
        }
        spdlog::debug("policy: kprobe on {} serves hook {}", k.function, k.hook);
        links.push_back(std::move(link));
        if (!k.with_return)
            continue;
        opts.retprobe = true;
        LinkPtr ret(bpf_program__attach_kprobe_opts(skel.progs.pl_pol_kretprobe, k.function.c_str(), &opts));
        if (!ret) {
            *error = fmt::format("cannot attach a return probe to kernel function {}: {}", k.function,
                                 std::strerror(errno));
            return false;
        }
        links.push_back(std::move(ret));
    }
    return true;
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
