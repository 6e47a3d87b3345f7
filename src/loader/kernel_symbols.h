// Whether the running kernel has a function of a given name, without loading
// anything: the kernel's BTF (/sys/kernel/btf/vmlinux) first, /proc/kallsyms
// for what BTF does not describe (loaded modules' functions). Used by policy
// validation and loading to refuse a kprobe on a function that is not there.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

struct btf;

namespace palisade {

class KernelSymbols {
public:
    // Reads from the running kernel; the paths are for tests.
    explicit KernelSymbols(std::string btf_path = "/sys/kernel/btf/vmlinux",
                           std::string kallsyms_path = "/proc/kallsyms");
    ~KernelSymbols();
    KernelSymbols(const KernelSymbols&) = delete;
    KernelSymbols& operator=(const KernelSymbols&) = delete;

    // true / false; nullopt when neither source can be read (nothing to judge by).
    // Thread-safe: the sources are read on first use; functions found are remembered.
    std::optional<bool> has_function(std::string_view name);

    // Frees the parsed BTF and kallsyms (several MiB) once a compile is done;
    // functions found stay known, the sources are read again for another name.
    void release_sources();

private:
    void load_btf();
    void load_kallsyms();

    std::string btf_path_, kallsyms_path_;
    std::mutex mutex_;
    bool btf_tried_ = false, kallsyms_tried_ = false;
    struct BtfFree {
        void operator()(btf* b) const;
    };
    std::unique_ptr<btf, BtfFree> btf_;
    std::optional<std::unordered_set<std::string>> kallsyms_;  // text symbols
    std::unordered_map<std::string, bool> answers_;  // functions found
};

// The process-wide instance over the running kernel.
KernelSymbols& running_kernel_symbols();

}  // namespace palisade
