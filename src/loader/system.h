// The host preparation the sensor needs, each step failing with one clear
// line that names the cause.
#pragma once

#include <string>

namespace palisade {

// Mounts `fstype` on `path` unless something of that type is there already.
bool ensure_mounted(const std::string& path, const std::string& fstype, std::string* error);

// Root, or CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN.
bool have_bpf_privileges(std::string* error);

// Everything the live sensor needs before it loads: privileges, BTF, bpffs,
// tracefs, no memlock limit on old kernels.
bool prepare_host(std::string* error);

// Holds an exclusive lock for the life of the agent so a second instance
// refuses to start.
class InstanceLock {
public:
    static constexpr const char* kDefaultPath = "/run/palisade.lock";
    // Returns false with `error` naming the running instance's pid.
    bool acquire(const std::string& path, std::string* error);
    ~InstanceLock();

private:
    int fd_ = -1;
};

}  // namespace palisade
