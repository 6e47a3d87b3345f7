// The live kernel sensor: loads the BPF programs, attaches the hooks the
// selected event groups need, and serves the ring buffer as a RecordSource.
// The only part of Palisade that touches libbpf.
#pragma once

#include <array>
#include <map>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "loader/features.h"
#include "palisade/abi.h"
#include "policy/compiler.h"
#include "source/record_source.h"

struct bpf_program;  // libbpf's, kept out of this header

namespace palisade {

// Event groups a user can name in --events. The process lifecycle (exec,
// fork, exit) is always watched: the process cache depends on it.
const std::vector<std::string>& event_groups();

// Parses "exec,open,connect" or "all"; fills `error` on an unknown name.
bool parse_event_groups(const std::string& list, std::set<std::string>* groups, std::string* error);

struct SensorOptions {
    std::set<std::string> groups;              // from parse_event_groups
    std::uint32_t ringbuf_bytes = 16u << 20;   // power of two, >= page size
    std::uint32_t exclude_tgid = 0;            // the agent itself; 0 = none
    // Load the enforcement programs. Off by default: the cgroup socket
    // programs need CAP_NET_ADMIN to load, which a monitoring agent lacks.
    bool policies = false;
    // enum pl_cgroup_hierarchy exec records take the cgroup path from
    // (choose_cgroup_hierarchy decides; the /proc snapshot must use the same).
    std::uint32_t cgroup_hierarchy = PL_CGROUP_UNIFIED;
};

struct SensorStats {
    std::array<std::uint64_t, PL_EV_TYPE_MAX> emitted{};
    std::array<std::uint64_t, PL_EV_TYPE_MAX> dropped{};
    std::array<std::uint64_t, PL_EV_TYPE_MAX> filtered{};  // by the prefilter: no rule could match
    std::uint64_t emitted_total() const;
    std::uint64_t dropped_total() const;
    std::uint64_t filtered_total() const;
};

class Sensor final : public RecordSource {
public:
    // Returns nullptr with one line in `error` naming the cause.
    static std::unique_ptr<Sensor> start(const SensorOptions& options, std::string* error);
    ~Sensor() override;  // detaches every hook

    int poll(int timeout_ms, const RecordHandler& handle) override;
    // Changes which syscall groups are recorded, while running: handlers are
    // installed or removed in the kernel's dispatch map, nothing reloads.
    bool select(const std::set<std::string>& groups, std::string* error);
    // Kernel-side counters summed over CPUs: drops are ring-buffer-full.
    SensorStats stats() const;
    const KernelFeatures& features() const { return features_; }

    // Replaces the enforced policies with `tables` (compiled by policy/): map
    // data only, no BPF program is loaded. The new set is written beside the
    // running one and switched to in one store, so no call goes unchecked
    // while it changes. The enforcement hooks are attached on first use. On
    // failure the error names the map and the cause, and the running set stays.
    bool apply_policies(const policy::KernelTables& tables, std::string* error);
    // The bank the policy set in force was written to; policy events name
    // theirs (PolicyData::bank), so events still in flight after a reload
    // are read against the set that produced them.
    std::uint32_t policy_bank() const;
    const std::vector<std::string>& attached_hooks() const { return attached_; }
    // What serves each kernel function the policies in force hook: "fentry/fd_install", "kprobe/...".
    std::vector<std::string> policy_kernel_hooks() const;

    // Replaces the open prefilter (struct pl_open_prefilter; the trie keys are
    // bytes without prefixlen, an exact path with its NUL, suffixes reversed).
    // Opens pass unfiltered while the tables change. header.enabled == 0
    // turns it off.
    bool set_open_prefilter(const pl_open_prefilter& header, const std::map<std::string, std::uint64_t>& prefix,
                            const std::map<std::string, std::uint64_t>& postfix, std::string* error);

    struct Impl;

private:
    explicit Sensor(std::unique_ptr<Impl> impl);
    bool attach(::bpf_program* prog, const char* tracepoint, std::string* error);
    bool attach_policy_hooks(const policy::KernelTables& tables, std::string* error);
    bool write_bank(const policy::KernelTables& tables, std::uint32_t bank, std::string* error);
    void erase_bank(const policy::KernelTables& tables, std::uint32_t bank);
    std::unique_ptr<Impl> impl_;
    KernelFeatures features_;
    std::vector<std::string> attached_;
};

}  // namespace palisade
