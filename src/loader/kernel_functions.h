// The kernel's own functions as policy hook resolution needs them: whether
// vmlinux BTF types one (fentry/fexit can serve it) and whether it is on the
// error-injection list (Override can make it fail). Read once, on first use.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "policy/hook_resolution.h"

struct btf;

namespace palisade {

class KernelFunctionIndex {
public:
    KernelFunctionIndex() = default;
    ~KernelFunctionIndex();
    KernelFunctionIndex(const KernelFunctionIndex&) = delete;
    KernelFunctionIndex& operator=(const KernelFunctionIndex&) = delete;

    // nullopt: neither BTF nor the error-injection list could be read.
    std::optional<policy::KernelFunctionInfo> lookup(std::string_view function) const;

private:
    void load() const;

    mutable std::once_flag loaded_;
    mutable btf* vmlinux_ = nullptr;
    mutable std::unordered_set<std::string> injectable_;
    mutable bool have_list_ = false;
};

// "func\tTYPE" lines of /sys/kernel/debug/error_injection/list: the names.
std::unordered_set<std::string> parse_error_injection_list(std::string_view text);

}  // namespace palisade
