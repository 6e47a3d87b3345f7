#include "loader/kernel_symbols.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <fstream>
#include <limits>

namespace palisade {

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

void KernelSymbols::release_sources()
{
    std::lock_guard lock(mutex_);
    btf_.reset();
    kallsyms_.reset();
    btf_tried_ = kallsyms_tried_ = false;
}

KernelSymbols& running_kernel_symbols()
{
    static KernelSymbols symbols;
    return symbols;
}

}  // namespace palisade
