#include "loader/kernel_functions.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/system.h"

namespace palisade {
namespace {

// A parameter or result fentry hands over in one 64-bit slot (structs by
// value take two, and would shift every later argument).
bool fits_register(const btf* b, __u32 type_id)
{
    const int resolved = btf__resolve_type(b, type_id);
    if (resolved < 0)
        return false;
    const btf_type* t = btf__type_by_id(b, resolved);
    switch (btf_kind(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
        return t->size <= 8;
    case BTF_KIND_PTR:
        return true;
    default:
        return false;
    }
}

// The x86-64 trampoline passes at most six arguments in registers.
constexpr __u16 kMaxFentryArgs = 6;

bool fentry_can_serve(const btf* b, int func_id)
{
    const btf_type* func = btf__type_by_id(b, func_id);
    const btf_type* proto = btf__type_by_id(b, func->type);
    if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > kMaxFentryArgs)
        return false;
    if (proto->type != 0 && !fits_register(b, proto->type))  // 0: void
        return false;
    const btf_param* params = btf_params(proto);
    for (__u16 i = 0; i < btf_vlen(proto); ++i)
        if (params[i].type == 0 || !fits_register(b, params[i].type))  // 0: varargs
            return false;
    return true;
}

}  // namespace

std::unordered_set<std::string> parse_error_injection_list(std::string_view text)
{
    std::unordered_set<std::string> names;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        const auto end = line.find_first_of(" \t");
        if (end != 0 && !line.empty())
            names.insert(line.substr(0, end));
    }
    return names;
}

KernelFunctionIndex::~KernelFunctionIndex() { btf__free(vmlinux_); }

void KernelFunctionIndex::load() const
{
    vmlinux_ = btf__load_vmlinux_btf();  // NULL without BTF: kprobes then serve
    // The list lives in debugfs, which may not be mounted yet.
    const char* list_path = "/sys/kernel/debug/error_injection/list";
    if (access(list_path, R_OK) != 0)
        ensure_mounted("/sys/kernel/debug", "debugfs", nullptr);
    std::ifstream list(list_path);
    if (list) {
        std::stringstream text;
        text << list.rdbuf();
        injectable_ = parse_error_injection_list(text.str());
        have_list_ = true;
    }
}

std::optional<policy::KernelFunctionInfo> KernelFunctionIndex::lookup(std::string_view function) const
{
    std::call_once(loaded_, [this] { load(); });
    if (!vmlinux_ && !have_list_)
        return std::nullopt;
    policy::KernelFunctionInfo info;
    const std::string name(function);
    if (vmlinux_) {
        const int id = btf__find_by_name_kind(vmlinux_, name.c_str(), BTF_KIND_FUNC);
        info.in_btf = id > 0;
        info.fentry_args = info.in_btf && fentry_can_serve(vmlinux_, id);
    }
    info.error_injectable = injectable_.count(name) != 0;
    return info;
}

}  // namespace palisade
