// Falco's per-event argument lists, for evt.arg.NAME, evt.arg[N] and evt.args.
//
// Each event type has Falco's parameter names in Falco's order: the exit
// event's parameters followed by those only the enter event had (newer libs
// append them to the exit event the same way). Palisade records a syscall once,
// at exit, with both its arguments and its result, so every parameter it has
// data for is available; parameters it has no data for (dev, ino, vm_size,
// ...) keep their position but yield <NA>.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rules/fields/field.h"

namespace palisade::rules::fields {

struct ArgSpec;

// The argument list of the event's type; empty for an unknown syscall.
std::span<const ArgSpec> event_args(const Event& event);

// The name of an argument; used to list them and to find evt.arg.NAME.
std::string_view arg_name(const ArgSpec& arg);
const ArgSpec* find_arg(std::span<const ArgSpec> args, std::string_view name);
// The argument at a position, or nullptr past the end.
const ArgSpec* arg_at(std::span<const ArgSpec> args, std::int64_t position);

// Whether any event type has an argument of that name (binding evt.arg.NAME
// to a name no event has is an error, as in Falco).
bool is_known_arg_name(std::string_view name);

enum class ArgForm : std::uint8_t {
    Raw,      // the number as passed: "65", "-2", "-100"
    Display,  // Falco's resolved text when it has one: "O_WRONLY|O_CREAT", "ENOENT", "AT_FDCWD", a user name
};

// Appends one argument's text to out. Returns false, appending nothing, when
// Palisade has no value for it.
bool append_arg(const ArgSpec& arg, const EvalContext& ctx, ArgForm form, std::string& out);

// evt.args: "name=raw(resolved) name=raw" over the arguments Palisade has
// values for; `spare` holds each resolved form while it is compared.
void append_all_args(const EvalContext& ctx, std::string& out, std::string& spare);

// Loads what argument rendering needs outside the extraction path.
void prepare_arg_rendering();

}  // namespace palisade::rules::fields
