// How the catalog describes a field internally: one table row per field,
// naming the function that extracts it. Each family of fields (evt, proc,
// fd, ...) contributes its rows from its own source file; catalog.cpp joins
// them and turns a row plus a bound argument into an Extractor.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/fields/field.h"

namespace palisade::rules::fields {

// The shape of a field's argument.
enum class ArgKind : std::uint8_t {
    None,        // proc.name
    Index,       // proc.aname[2]
    Key,         // proc.env[HOME]
    IndexOrKey,  // container.mount.dest[0] or container.mount.dest[/etc]
    EventArg,    // evt.arg.flags or evt.arg[1]: a name from the event's argument list, or a position
};

// State an extractor owns: its bound argument and the buffers its string
// values point into. The buffers keep their capacity across events, so after
// the first few events extraction stops allocating.
struct ExtractState {
    std::optional<std::int64_t> index;
    std::string key;
    std::string text;   // the usual home of a computed string value
    std::string spare;  // a second buffer, for values built from two renderings
    // One buffer per value of a list field whose values are computed
    // (proc.acmdline); sized once so views into it stay valid while filling.
    std::vector<std::string> texts;
};

using ExtractFn = bool (*)(const EvalContext&, ExtractState&, std::vector<FieldValue>&);
using PrepareFn = void (*)(ExtractState&);

// How many values a field yields and how Falco compares several of them.
enum class Values : std::uint8_t {
    One,
    List,          // a list value (fd.types): `in` wants every value in the set
    AnyAncestor,   // proc.aname without index: one value per ancestor, any may match
    EitherEnd,     // fd.ip, fd.port, fd.net: client and server; any may match, `!=` needs both
};

struct FieldSpec {
    const char* name;
    FieldType type;
    ExtractFn extract;
    const char* description;
    ArgKind arg = ArgKind::None;
    bool arg_required = false;
    Values values = Values::One;
    // Largest index the argument may take (ancestor depth, argument position).
    std::int64_t max_index = 0;
    // Runs when the field is bound, to load or size what extraction will need
    // (the user database, the host name, list buffers) outside the extraction path.
    PrepareFn prepare = nullptr;
};

// Each family's rows, in the order `palisade fields` lists them.
std::span<const FieldSpec> event_field_specs();
std::span<const FieldSpec> process_field_specs();
std::span<const FieldSpec> user_field_specs();
std::span<const FieldSpec> fd_field_specs();
std::span<const FieldSpec> container_field_specs();

// The deepest ancestry walked: proc.aname[N] accepts N up to this, and the
// ancestor list fields (proc.aname without index) stop there, which also
// bounds the walk should the cached lineage ever contain a cycle.
inline constexpr std::int64_t kMaxAncestry = 64;

// Emitters: every value a field yields has the field's own type.
inline bool emit_string(std::vector<FieldValue>& out, std::string_view text) {
    out.push_back(FieldValue::string(text));
    return true;
}
inline bool emit_int(std::vector<FieldValue>& out, std::int64_t value) {
    out.push_back(FieldValue::int64(value));
    return true;
}
inline bool emit_uint(std::vector<FieldValue>& out, std::uint64_t value) {
    out.push_back(FieldValue::uint64(value));
    return true;
}
inline bool emit_bool(std::vector<FieldValue>& out, bool value) {
    out.push_back(FieldValue::boolean(value));
    return true;
}

// Falco's <NA>: Palisade has no data for the field on this event.
inline bool not_available(const EvalContext&, ExtractState&, std::vector<FieldValue>&) { return false; }

// The event's payload of type T, or nullptr.
template <class T>
const T* payload(const Event& event) {
    return std::get_if<T>(&event.data);
}

// The syscall number of a syscall event (open, file, net and privilege
// events); nullopt for execs, forks and exits.
std::optional<std::uint32_t> syscall_number(const Event& event);

// The syscall's return value (fd, 0 or -errno) for events that have one.
// Execs and forks are reported only once they succeeded; exits have none.
std::optional<std::int64_t> event_result(const Event& event);

// CLOCK_BOOTTIME (event and process timestamps) to nanoseconds since the epoch.
std::uint64_t boot_to_epoch_ns(std::uint64_t boot_ns);

}  // namespace palisade::rules::fields
