#include "loader/system.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include <fmt/format.h>

namespace palisade {
namespace {

const std::map<std::string, long> kFsMagic = {
    {"bpf", 0xcafe4a11},
    {"tracefs", 0x74726163},
    {"securityfs", 0x73636673},
    {"debugfs", 0x64626720},
};

std::uint64_t effective_caps()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("CapEff:", 0) == 0)
            return std::stoull(line.substr(7), nullptr, 16);
    return 0;
}

}  // namespace

bool ensure_mounted(const std::string& path, const std::string& fstype, std::string* error)
{
    struct statfs st {};
    const auto magic = kFsMagic.find(fstype);
    if (statfs(path.c_str(), &st) == 0 && magic != kFsMagic.end() && st.f_type == magic->second)
        return true;
    mkdir(path.c_str(), 0700);
    if (mount(fstype.c_str(), path.c_str(), fstype.c_str(), 0, nullptr) == 0 || errno == EBUSY)
        return true;
    if (error)
        *error = fmt::format("cannot mount {} on {}: {}", fstype, path, std::strerror(errno));
    return false;
}

bool have_bpf_privileges(std::string* error)
{
    constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
    const auto caps = effective_caps();
    auto has = [caps](int cap) { return (caps >> cap) & 1; };
    if (geteuid() == 0 || has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon)))
        return true;
    *error = "palisade needs root (or CAP_BPF and CAP_PERFMON) to load its eBPF sensor";
    return false;
}

bool prepare_host(std::string* error)
{
    if (!have_bpf_privileges(error))
        return false;
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        *error = "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): "
                 "build it with CONFIG_DEBUG_INFO_BTF=y";
        return false;
    }
    if (!ensure_mounted("/sys/fs/bpf", "bpf", error) || !ensure_mounted("/sys/kernel/tracing", "tracefs", error))
        return false;
    // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_MEMLOCK, &unlimited);
    return true;
}

bool InstanceLock::acquire(const std::string& path, std::string* error)
{
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        *error = fmt::format("cannot open lock file {}: {}", path, std::strerror(errno));
        return false;
    }
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        pread(fd_, pid, sizeof(pid) - 1, 0);
        *error = fmt::format("another palisade is already running (pid {}, lock {})",
                             std::string(pid).substr(0, std::string(pid).find('\n')), path);
        close(fd_);
        fd_ = -1;
        return false;
    }
    const auto text = fmt::format("{}\n", getpid());
    ftruncate(fd_, 0);
    pwrite(fd_, text.data(), text.size(), 0);
    return true;
}

InstanceLock::~InstanceLock()
{
    if (fd_ >= 0)
        close(fd_);
}

}  // namespace palisade
