// evt.* and syscall.type: what happened, its result and its arguments.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "event/syscalls.h"
#include "rules/fields/event_args.h"
#include "rules/fields/field_spec.h"
#include "rules/fields/value_names.h"

namespace palisade::rules::fields {
namespace {

// Falco's largest parameter count (PPM_MAX_EVENT_PARAMS) bounds evt.arg[N].
constexpr std::int64_t kMaxEventArgs = 32;

bool event_type(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const std::string_view type = falco_event_type(ctx.event);
    return !type.empty() && emit_string(out, type);
}

// Falco's syscall.type is evt.type restricted to system calls: procexit is a
// scheduler tracepoint.
bool syscall_type(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    return !payload<ExitData>(ctx.event) && event_type(ctx, state, out);
}

// Palisade records every syscall at its exit, with arguments and result together.
constexpr std::string_view kDirection = "<";
bool event_direction(const EvalContext&, ExtractState&, std::vector<FieldValue>& out) {
    return emit_string(out, kDirection);
}

bool event_number(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_uint(out, ctx.event.ts_ns);
}

bool event_raw_time(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_uint(out, boot_to_epoch_ns(ctx.event.ts_ns));
}

// Falco's evt.time: local wall-clock time of day, "14:03:59.123456789".
bool event_time(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const std::uint64_t epoch_ns = boot_to_epoch_ns(ctx.event.ts_ns);
    const time_t seconds = static_cast<time_t>(epoch_ns / 1'000'000'000);
    tm local{};
    if (!localtime_r(&seconds, &local)) return false;
    char text[32];
    const int length = std::snprintf(text, sizeof(text), "%02d:%02d:%02d.%09llu", local.tm_hour, local.tm_min,
                                     local.tm_sec, static_cast<unsigned long long>(epoch_ns % 1'000'000'000));
    if (length <= 0) return false;
    state.text.assign(text, static_cast<std::size_t>(length));
    return emit_string(out, state.text);
}

// localtime_r reads the time zone on first use; do that at bind time.
void prepare_time(ExtractState&) {
    const time_t now = time(nullptr);
    tm local{};
    localtime_r(&now, &local);
}

bool event_raw_result(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto result = event_result(ctx.event);
    return result && emit_int(out, *result);
}

// "SUCCESS", or the errno name of a failure ("ENOENT"), as Falco's evt.res.
bool event_result_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const auto result = event_result(ctx.event);
    if (!result) return false;
    if (*result >= 0) return emit_string(out, "SUCCESS");
    if (const std::string_view name = errno_name(*result); !name.empty()) return emit_string(out, name);
    state.text.clear();
    append_decimal(*result, state.text);
    return emit_string(out, state.text);
}

bool event_failed(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto result = event_result(ctx.event);
    return emit_bool(out, result && *result < 0);
}

enum class OpenIntent : std::uint8_t { Read, Write, Exec };

// Falco's evt.is_open_read/write/exec. Like Falco, creat() only answers the
// exec question (from its mode); read and write are for the open family.
template <OpenIntent intent>
bool event_is_open(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto* open = payload<OpenData>(ctx.event);
    if (!open) return emit_bool(out, false);
    constexpr std::uint32_t kAnyExecBit = 0111;
    constexpr std::uint32_t kTmpfileBit = O_TMPFILE & ~O_DIRECTORY;
    const SyscallInfo* syscall = syscall_by_nr(open->syscall_nr);
    const bool is_creat = syscall && syscall->kind == PL_SC_CREAT;
    const std::uint32_t access = open->flags & O_ACCMODE;
    switch (intent) {
        case OpenIntent::Read:
            return emit_bool(out, !is_creat && (access == O_RDONLY || access == O_RDWR));
        case OpenIntent::Write:
            return emit_bool(out, !is_creat && (access == O_WRONLY || access == O_RDWR));
        case OpenIntent::Exec: {
            const bool creates = is_creat || (open->flags & (O_CREAT | kTmpfileBit));
            return emit_bool(out, creates && (open->mode & kAnyExecBit));
        }
    }
    return false;
}

const std::string& host_name() {
    static const std::string name = [] {
        char buffer[HOST_NAME_MAX + 1] = {};
        if (gethostname(buffer, sizeof(buffer) - 1) != 0) return std::string();
        return std::string(buffer);
    }();
    return name;
}

void prepare_host_name(ExtractState&) { host_name(); }

bool event_host_name(const EvalContext&, ExtractState&, std::vector<FieldValue>& out) {
    const std::string& name = host_name();
    return !name.empty() && emit_string(out, name);
}

bool event_all_args(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    state.text.clear();
    append_all_args(ctx, state.text, state.spare);
    return emit_string(out, state.text);
}

// evt.arg.NAME / evt.arg[N]: Falco's resolved text of one argument.
bool event_arg(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const auto args = event_args(ctx.event);
    const ArgSpec* arg = state.index ? arg_at(args, *state.index) : find_arg(args, state.key);
    if (!arg) return false;
    state.text.clear();
    if (!append_arg(*arg, ctx, ArgForm::Display, state.text)) return false;
    return emit_string(out, state.text);
}

void prepare_event_arg(ExtractState&) { prepare_arg_rendering(); }

constexpr FieldSpec kEventFields[] = {
    {.name = "evt.type", .type = FieldType::String, .extract = event_type,
     .description = "Event name: the syscall (openat, connect, ...), execve, clone or procexit."},
    {.name = "syscall.type", .type = FieldType::String, .extract = syscall_type,
     .description = "evt.type for system calls; <NA> for procexit."},
    {.name = "evt.dir", .type = FieldType::String, .extract = event_direction,
     .description = "Always '<': Palisade records syscalls at exit, with arguments and result."},
    {.name = "evt.num", .type = FieldType::Uint, .extract = event_number,
     .description = "Event number; Palisade uses the event's boot-clock timestamp, which is unique and increasing."},
    {.name = "evt.time", .type = FieldType::String, .extract = event_time,
     .description = "Local time of day of the event, hh:mm:ss.nnnnnnnnn.", .prepare = prepare_time},
    {.name = "evt.rawtime", .type = FieldType::Uint, .extract = event_raw_time,
     .description = "Event time in nanoseconds since the epoch."},
    {.name = "evt.res", .type = FieldType::String, .extract = event_result_text,
     .description = "SUCCESS, or the errno name of a failed syscall (ENOENT)."},
    {.name = "evt.rawres", .type = FieldType::Int, .extract = event_raw_result,
     .description = "Syscall return value: fd, 0 or -errno."},
    {.name = "evt.failed", .type = FieldType::Bool, .extract = event_failed,
     .description = "true when the syscall returned an error."},
    {.name = "evt.is_open_read", .type = FieldType::Bool, .extract = event_is_open<OpenIntent::Read>,
     .description = "true for opens with read access."},
    {.name = "evt.is_open_write", .type = FieldType::Bool, .extract = event_is_open<OpenIntent::Write>,
     .description = "true for opens with write access."},
    {.name = "evt.is_open_exec", .type = FieldType::Bool, .extract = event_is_open<OpenIntent::Exec>,
     .description = "true for opens and creats that create a file with an execute bit."},
    {.name = "evt.hostname", .type = FieldType::String, .extract = event_host_name,
     .description = "Host name of the machine.", .prepare = prepare_host_name},
    {.name = "evt.args", .type = FieldType::String, .extract = event_all_args,
     .description = "All event arguments as name=value text.", .prepare = prepare_event_arg},
    {.name = "evt.arg", .type = FieldType::String, .extract = event_arg,
     .description = "One event argument by name (evt.arg.flags) or position (evt.arg[0]), as Falco renders it.",
     .arg = ArgKind::EventArg, .arg_required = true, .max_index = kMaxEventArgs - 1, .prepare = prepare_event_arg},
    {.name = "evt.buffer", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade does not capture I/O buffers."},
    {.name = "evt.cpu", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: Palisade's records do not carry the CPU."},
};

}  // namespace

std::span<const FieldSpec> event_field_specs() { return kEventFields; }

}  // namespace palisade::rules::fields

namespace palisade::rules {

std::optional<std::string_view> same_on_every_event(std::string_view field) {
    if (field == "evt.dir") return fields::kDirection;
    return std::nullopt;
}

}  // namespace palisade::rules

namespace palisade::rules::fields {

}  // namespace palisade::rules::fields
