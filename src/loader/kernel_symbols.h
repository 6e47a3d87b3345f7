// The running kernel's functions, without loading anything: whether one exists
// (the kernel's BTF, /sys/kernel/btf/vmlinux, first; /proc/kallsyms for what
// BTF does not describe, loaded modules' functions), used by policy validation
// and loading to refuse a kprobe on a function that is not there; and what hook
// resolution needs to pick a mechanism (does BTF type it so that fentry can
// serve it, is it on the error-injection list so that Override can fail it).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "policy/hook_resolution.h"

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

    // BTF and the error-injection list on `name`; nullopt when neither can be read.
    std::optional<policy::KernelFunctionInfo> function_info(std::string_view name);

    // Frees the parsed BTF, kallsyms and error-injection list (several MiB)
    // once a compile is done; functions found stay known, the sources are read
    // again for another name.
    void release_sources();

private:
    void load_btf();
    void load_kallsyms();
    void load_error_injection();

    std::string btf_path_, kallsyms_path_;
    std::mutex mutex_;
    bool btf_tried_ = false, kallsyms_tried_ = false, injection_tried_ = false;
    std::optional<std::unordered_set<std::string>> injectable_;  // the error-injection list
    struct BtfFree {
        void operator()(btf* b) const;
    };
    std::unique_ptr<btf, BtfFree> btf_;
    std::optional<std::unordered_set<std::string>> kallsyms_;  // text symbols
    std::unordered_map<std::string, bool> answers_;  // functions found
};

// "func\tTYPE" lines of /sys/kernel/debug/error_injection/list: the names.
std::unordered_set<std::string> parse_error_injection_list(std::string_view text);

// The process-wide instance over the running kernel.
KernelSymbols& running_kernel_symbols();

}  // namespace palisade
