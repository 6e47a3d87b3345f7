// evt.type for Palisade's events, and the event facts several field families
// share (syscall number, result, wall-clock time).
#include <time.h>

#include <algorithm>

#include "event/syscalls.h"
#include "rules/fields/field.h"
#include "rules/fields/field_spec.h"

namespace palisade::rules {

std::string_view falco_event_type(const Event& event) {
    using fields::payload;
    // Palisade reports a successful exec once, at its end, without telling
    // execve from execveat: both are Falco's "execve" as far as rules can see.
    if (payload<ExecData>(event)) return "execve";
    // A new process and a new thread are both clone() in Falco; Palisade
    // does not tell clone, clone3, fork and vfork apart.
    if (payload<ForkData>(event)) return "clone";
    if (payload<ExitData>(event)) return "procexit";
    if (const auto nr = fields::syscall_number(event)) return syscall_name(*nr);
    return {};
}

const std::vector<std::string>& falco_event_types() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> names = {"execve", "clone", "procexit"};
        for (const SyscallInfo& syscall : watched_syscalls())
            if (std::find(names.begin(), names.end(), syscall.name) == names.end()) names.emplace_back(syscall.name);
        return names;
    }();
    return types;
}

namespace fields {

std::optional<std::uint32_t> syscall_number(const Event& event) {
    if (const auto* open = payload<OpenData>(event)) return open->syscall_nr;
    if (const auto* op = payload<FileOpData>(event)) return op->syscall_nr;
    if (const auto* net = payload<NetData>(event)) return net->syscall_nr;
    if (const auto* syscall = payload<SyscallData>(event)) return syscall->syscall_nr;
    return std::nullopt;
}

std::optional<std::int64_t> event_result(const Event& event) {
    if (const auto* open = payload<OpenData>(event)) return open->ret;
    if (const auto* op = payload<FileOpData>(event)) return op->ret;
    if (const auto* net = payload<NetData>(event)) return net->ret;
    if (const auto* syscall = payload<SyscallData>(event)) return syscall->ret;
    // The sensor only reports execs that succeeded; a fork event is the
    // child's view of clone(), which returns 0 there.
    if (payload<ExecData>(event) || payload<ForkData>(event)) return 0;
    return std::nullopt;  // procexit has no return value
}

std::uint64_t boot_to_epoch_ns(std::uint64_t boot_ns) {
    // The offset between the two clocks only moves when the wall clock is
    // stepped; measuring it once keeps extraction free of syscalls. (Events
    // replayed from a recording of an earlier boot get this boot's offset.)
    static const std::int64_t offset = [] {
        timespec real{}, boot{};
        clock_gettime(CLOCK_REALTIME, &real);
        clock_gettime(CLOCK_BOOTTIME, &boot);
        const auto ns = [](const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
        return ns(real) - ns(boot);
    }();
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(boot_ns) + offset);
}

}  // namespace fields
}  // namespace palisade::rules
