#include "loader/features.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "loader/system.h"

namespace palisade {
namespace {

// "r0 = 0; exit": the smallest program the verifier accepts.
constexpr bpf_insn kReturnZero[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

// Loads and attaches a trampoline program (fentry or LSM) on `func`.
bool trampoline_attaches(const btf* vmlinux, bpf_prog_type type, bpf_attach_type attach, const char* func)
{
    const int btf_id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
    if (btf_id < 0)
        return false;
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = (__u32)btf_id);
    const int prog = bpf_prog_load(type, "pl_probe", "GPL", kReturnZero, 2, &opts);
    if (prog < 0)
        return false;
    const int link = bpf_link_create(prog, 0, attach, nullptr);
    const bool ok = link >= 0;
    if (ok)
        close(link);
    close(prog);
    return ok;
}

// An fentry program as the policy hooks use one: the attach cookie and the
// function's first argument (5.17+ and 5.19+ helpers), on `func`.
bool policy_fentry_attaches(const btf* vmlinux, const char* func)
{
    const int btf_id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
    if (btf_id < 0)
        return false;
    constexpr bpf_insn prog[] = {
        {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0},
        {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_attach_cookie},
        {BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -8, 0},
        {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0},
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0},
        {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0},
        {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8},
        {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_func_arg},
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = (__u32)btf_id);
    const int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pl_probe", "GPL", prog, std::size(prog), &opts);
    if (fd < 0)
        return false;
    const int link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, nullptr);
    const bool ok = link >= 0;
    if (ok)
        close(link);
    close(fd);
    return ok;
}

// Loads "bpf_override_return(ctx, 0)" as a kprobe program: the verifier
// knows the helper only with CONFIG_BPF_KPROBE_OVERRIDE.
bool kprobe_can_override()
{
    constexpr bpf_insn prog[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0},
        {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_override_return},
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    const int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "pl_probe", "GPL", prog, std::size(prog), nullptr);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

// Loads "bpf_send_signal(9); return 1" as a cgroup connect program: older
// kernels refuse the helper there (libbpf 1.1's own probe misreads their answer).
bool cgroup_programs_signal()
{
    constexpr bpf_insn prog[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 9},
        {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_send_signal},
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
    const int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "pl_probe", "GPL", prog, 4, &opts);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

bool kprobes_available()
{
    // The kprobe PMU (perf_event_open) or the tracefs interface must exist.
    return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
           access("/sys/kernel/tracing/kprobe_events", F_OK) == 0;
}

bool lsm_list_has_bpf()
{
    std::ifstream lsm("/sys/kernel/security/lsm");
    std::string list((std::istreambuf_iterator<char>(lsm)), std::istreambuf_iterator<char>());
    return ("," + list + ",").find(",bpf,") != std::string::npos;
}

}  // namespace

KernelFeatures probe_kernel_features()
{
    KernelFeatures f;
    utsname uts{};
    if (uname(&uts) == 0)
        f.release = uts.release;
    f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
    f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    f.raw_tracepoint = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr) == 1;
    f.kprobe = kprobes_available();
    f.kprobe_override = f.kprobe && kprobe_can_override();
    f.cgroup_signal = cgroup_programs_signal();
    f.uprobe = access("/sys/bus/event_source/devices/uprobe", F_OK) == 0 &&
               libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr) == 1;
    // Parsing the kernel's BTF is the costly part of these probes: once.
    if (btf* vmlinux = f.btf ? btf__load_vmlinux_btf() : nullptr) {
        f.fentry = policy_fentry_attaches(vmlinux, "do_unlinkat");
        f.fmod_ret = f.fentry && trampoline_attaches(vmlinux, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN,
                                                     "security_file_open");
        ensure_mounted("/sys/kernel/security", "securityfs", nullptr);
        f.bpf_lsm = lsm_list_has_bpf() &&
                    trampoline_attaches(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open");
        btf__free(vmlinux);
    }
    return f;
}

std::vector<std::string> KernelFeatures::degraded() const
{
    std::vector<std::string> lines;
    if (!kprobe)
        lines.emplace_back("kprobes: not available on this kernel; raw tracepoints serve every hook");
    if (!fentry)
        lines.emplace_back(kprobe ? "fentry/fexit: refused by this kernel; kprobes serve kernel functions"
                                  : "fentry/fexit: refused by this kernel; raw tracepoints used instead");
    if (kprobe && !kprobe_override)
        lines.emplace_back(fmod_ret ? "kprobe override: no bpf_override_return here; Override uses fmod_ret on "
                                      "security_* functions and kills the caller elsewhere"
                                    : "kprobe override: no bpf_override_return here; Override on kernel functions "
                                      "and syscalls kills the caller instead");
    if (!bpf_lsm)
        lines.emplace_back("BPF LSM: not active; enforcement that needs it falls back to signals at syscall level");
    if (!uprobe)
        lines.emplace_back("uprobes: not available on this kernel; uprobe policies cannot load");
    return lines;
}

}  // namespace palisade
