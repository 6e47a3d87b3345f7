// What this kernel offers Palisade, found by trying, never by version number.
#pragma once

#include <string>
#include <vector>

namespace palisade {

struct KernelFeatures {
    std::string release;  // uname -r, for messages only
    bool btf = false;     // /sys/kernel/btf/vmlinux: CO-RE can relocate
    bool ringbuf = false;
    bool raw_tracepoint = false;
    bool kprobe = false;  // kprobes built in and attachable
    bool fentry = false;  // fentry/fexit with attach cookies and bpf_get_func_arg (policy hooks)
    bool kprobe_override = false;  // kprobes may call bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE)
    bool fmod_ret = false;  // fmod_ret programs attach (Override on security_* functions)
    bool bpf_lsm = false; // "bpf" is an active LSM and LSM programs load
    bool uprobe = false;  // uprobe perf events and kprobe-type programs (uprobe policies)
    bool cgroup_signal = false;  // cgroup socket programs may send signals (6.13+)

    // One line per missing optional feature: what falls back to what.
    std::vector<std::string> degraded() const;
};

KernelFeatures probe_kernel_features();

}  // namespace palisade
