#include "loader/kernel_symbols.h"

#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <fstream>
#include <limits>
#include <sstream>

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


void KernelSymbols::BtfFree::operator()(btf* b) const { btf__free(b); }

KernelSymbols::KernelSymbols(std::string btf_path, std::string kallsyms_path)
    : btf_path_(std::move(btf_path)), kallsyms_path_(std::move(kallsyms_path))
{
}

KernelSymbols::~KernelSymbols() = default;

void KernelSymbols::load_btf()
{
    btf_tried_ = true;
    btf* b = btf__parse(btf_path_.c_str(), nullptr);
    if (b && libbpf_get_error(b) == 0)
        btf_.reset(b);
}

// Function (text) symbols, module ones included ("name\t[module]"); kallsyms
// shows zero addresses to the unprivileged but keeps the names.
void KernelSymbols::load_kallsyms()
{
    kallsyms_tried_ = true;
    std::ifstream in(kallsyms_path_);
    if (!in)
        return;
    std::unordered_set<std::string> names;
    std::string address, type, name;
    while (in >> address >> type >> name) {
        if (type == "t" || type == "T")
            names.insert(name);
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    if (!names.empty())
        kallsyms_ = std::move(names);
}

std::optional<bool> KernelSymbols::has_function(std::string_view name)
{
    const std::string n(name);
    std::lock_guard lock(mutex_);
    if (auto known = answers_.find(n); known != answers_.end())
        return known->second;
    std::optional<bool> answer;
    if (!btf_tried_)
        load_btf();
    if (btf_ && btf__find_by_name_kind(btf_.get(), n.c_str(), BTF_KIND_FUNC) >= 0) {
        answer = true;
    } else {
        if (!kallsyms_tried_)
            load_kallsyms();
        if (kallsyms_ && kallsyms_->count(n))
            answer = true;
        else if (btf_ || kallsyms_)
            answer = false;
    }
    if (answer.value_or(false))
        answers_[n] = true;  // only what exists: a module loaded later may bring a missing one
    return answer;
}

void KernelSymbols::load_error_injection()
{
    injection_tried_ = true;
    // The list lives in debugfs, which may not be mounted yet.
    const char* list_path = "/sys/kernel/debug/error_injection/list";
    if (access(list_path, R_OK) != 0)
        ensure_mounted("/sys/kernel/debug", "debugfs", nullptr);
    std::ifstream list(list_path);
    if (!list)
        return;
    std::stringstream text;
    text << list.rdbuf();
    injectable_ = parse_error_injection_list(text.str());
}

std::optional<policy::KernelFunctionInfo> KernelSymbols::function_info(std::string_view name)
{
    const std::string n(name);
    std::lock_guard lock(mutex_);
    if (!btf_tried_)
        load_btf();
    if (!injection_tried_)
        load_error_injection();
    if (!btf_ && !injectable_)
        return std::nullopt;  // kprobes then serve, without Override
    policy::KernelFunctionInfo info;
    if (btf_) {
        const int id = btf__find_by_name_kind(btf_.get(), n.c_str(), BTF_KIND_FUNC);
        info.in_btf = id > 0;
        info.fentry_args = info.in_btf && fentry_can_serve(btf_.get(), id);
    }
    info.error_injectable = injectable_ && injectable_->count(n) != 0;
    return info;
}

void KernelSymbols::release_sources()
{
    std::lock_guard lock(mutex_);
    btf_.reset();
    kallsyms_.reset();
    injectable_.reset();
    btf_tried_ = kallsyms_tried_ = injection_tried_ = false;
}

KernelSymbols& running_kernel_symbols()
{
    static KernelSymbols symbols;
    return symbols;
}

}  // namespace palisade
