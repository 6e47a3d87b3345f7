// Sensor internals shared by the loader's own files: the skeleton and the
// links it owns. Not for anything outside src/loader/.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <bpf/libbpf.h>

#include "loader/sensor.h"
#include "policy/compiler.h"
#include "sensor.skel.h"

namespace palisade {

template <class T, void (*Free)(T*)> struct Deleter {
    void operator()(T* p) const { Free(p); }
};
// Out of line: sensor__destroy is static in the skeleton header, so naming it
// in a type shared by two files would make the type differ between them.
struct SkeletonDeleter {
    void operator()(sensor* skel) const;
};
using SkeletonPtr = std::unique_ptr<sensor, SkeletonDeleter>;
inline void destroy_link(bpf_link* link) { bpf_link__destroy(link); }
using LinkPtr = std::unique_ptr<bpf_link, Deleter<bpf_link, destroy_link>>;

// Attaches a tracepoint program: tp_btf ones name their tracepoint in their
// section (the kernel refuses a name for them), raw_tp ones get `tracepoint`.
inline bpf_link* attach_tracepoint(bpf_program* prog, const char* tracepoint)
{
    return bpf_program__type(prog) == BPF_PROG_TYPE_TRACING ? bpf_program__attach_trace(prog)
                                                              : bpf_program__attach_raw_tracepoint(prog, tracepoint);
}
using RingBufferPtr = std::unique_ptr<ring_buffer, Deleter<ring_buffer, ring_buffer__free>>;

// An fentry/fexit/fmod_ret program loaded for one function (a second
// instance of the sensor object sharing every map) and its link; the link
// goes first. The object is shared with the cache below.
struct TracingProgram {
    std::shared_ptr<sensor> object;
    LinkPtr link;
};

// Loaded trampoline programs, kept for the next reload into the same bank:
// a program may not be linked twice to one function, so each bank has its
// own, and a reload verifies only what is new. Key: bank, hook, kind, function.
using TrampolineKey = std::tuple<std::uint32_t, std::uint32_t, int, std::string>;

struct Sensor::Impl {
    SkeletonPtr skel;
    std::vector<LinkPtr> links;
    RingBufferPtr ring;
    const RecordHandler* handler = nullptr;  // valid during poll()
    // Policy enforcement: hooks attached on first use, the tables last written.
    std::vector<LinkPtr> policy_links;
    std::vector<LinkPtr> uprobe_links;  // the loaded policies' uprobes
    bool policy_process_hooks = false;
    bool policy_syscall_hook = false;
    bool policy_exit_hook = false;
    bool policy_cgroup_hooks = false;
    std::vector<LinkPtr> kprobe_links;  // the loaded policies' kprobes
    std::map<TrampolineKey, std::shared_ptr<sensor>> trampolines;
    std::vector<TracingProgram> tracing_programs;  // and their fentry/fexit programs
    std::vector<std::string> kernel_hooks;  // "fentry/fd_install", ...: what serves each kernel function
    bool lsm_attached[PL_HOOK_LSM_LAST - PL_HOOK_LSM_FIRST + 1] = {};
    policy::KernelTables policy_tables;  // in force, in bank policy_bank
    std::uint32_t policy_bank = 0;
    // The open prefilter's trie keys now written, to delete on the next change.
    std::vector<pl_pf_path_key> prefilter_prefix_keys;
    std::vector<pl_pf_path_key> prefilter_postfix_keys;

    static int on_record(void* ctx, void* data, size_t size)
    {
        auto* self = static_cast<Impl*>(ctx);
        (*self->handler)({static_cast<const std::uint8_t*>(data), size});
        return 0;
    }
};

// The kernel functions the tables name: kprobes into `links`, fentry/fexit
// programs into `tracing`, what serves each into `served` (policy_kernel_hooks.cpp).
struct KernelHookSet {
    std::vector<LinkPtr> links;
    std::vector<TracingProgram> tracing;
    std::vector<std::string> served;
};
bool attach_policy_kprobes(Sensor::Impl& impl, const KernelFeatures& features, const policy::KernelTables& tables,
                           std::uint32_t bank, KernelHookSet& out, std::string* error);
// Drops the cached trampoline programs the tables in force no longer use.
void prune_trampolines(Sensor::Impl& impl, const policy::KernelTables& tables);
// The BPF LSM programs the tables use, once each; their names into `attached`.
bool attach_policy_lsm(Sensor::Impl& impl, const KernelFeatures& features, const policy::KernelTables& tables,
                       std::vector<std::string>& attached, std::string* error);

}  // namespace palisade
