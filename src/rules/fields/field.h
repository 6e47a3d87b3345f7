// Falco's filter fields, mapped onto Palisade's events and process cache.
// A field is looked up by name in the catalog, bound once (with its argument,
// e.g. proc.aname[2]) into an Extractor, and the extractor is run for every
// event a rule is evaluated on. Extraction never throws and never allocates
// on the common path: string values are views into the event, the process
// cache or the extractor's own scratch buffer, valid until the next extract().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/model.h"
#include "proc/process_cache.h"

namespace palisade::rules {

// Falco's field types, folded to what comparison needs.
enum class FieldType {
    String,   // CHARBUF, FSPATH, FSRELPATH, BYTEBUF
    Int,      // INT8..INT64, ERRNO, PID (signed), FD
    Uint,     // UINT8..UINT64, PORT, UID, GID, SIGTYPE, flags, RELTIME, ABSTIME
    Bool,
    IpAddr,   // IPV4ADDR, IPV6ADDR, IPADDR
    IpNet,    // IPNET (a value to compare an address against)
};

// One extracted value. IP addresses are 16 bytes (v4 as ::ffff:a.b.c.d).
struct FieldValue {
    FieldType type = FieldType::String;
    std::string_view str;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    bool b = false;
    std::uint8_t ip[16] = {};

    static FieldValue string(std::string_view s) { FieldValue v; v.type = FieldType::String; v.str = s; return v; }
    static FieldValue int64(std::int64_t n) { FieldValue v; v.type = FieldType::Int; v.i = n; return v; }
    static FieldValue uint64(std::uint64_t n) { FieldValue v; v.type = FieldType::Uint; v.u = n; return v; }
    static FieldValue boolean(bool x) { FieldValue v; v.type = FieldType::Bool; v.b = x; return v; }
};

namespace fields {
struct EventMemo;  // rules/fields/event_memo.h
}

// What an extractor sees: the event, and the process cache after apply().
struct EvalContext {
    const Event& event;
    const ProcessCache& cache;
    const Process* process;  // cache.find_pid(event.tgid), may be null
    // Per-event work shared between extractors; set by RuleEngine::match()
    // for its own evaluation, null elsewhere (see event_memo.h).
    fields::EventMemo* memo = nullptr;
};

class Extractor {
public:
    virtual ~Extractor() = default;
    // Appends the field's values for this event to `out` (one for most
    // fields, several for list fields such as proc.args). Returns false when
    // the field has no value here (Falco's <NA>): comparisons on it fail.
    virtual bool extract(const EvalContext& ctx, std::vector<FieldValue>& out) = 0;
};

// A field argument: proc.aname[2] has index 2; evt.arg.flags and
// evt.arg[1] are arguments too; container.mount.dest[/etc] has key "/etc".
struct FieldArg {
    std::optional<std::int64_t> index;
    std::string key;
    bool present() const { return index.has_value() || !key.empty(); }
};

struct FieldInfo {
    std::string name;          // "proc.aname", "evt.arg" (for evt.arg.X and evt.arg[N])
    FieldType type = FieldType::String;
    bool list = false;         // may yield several values
    bool arg_required = false;
    bool arg_allowed = false;
    std::string description;
    // Set on multi-valued fields whose values are alternatives rather than a
    // list: proc.aname/aexe/aexepath/acmdline/apid without an index (one value
    // per ancestor) and fd.ip/fd.net/fd.port (one per end of the connection).
    // Falco applies the operator to each value and the comparison holds when
    // it holds for one of them, `in` included (where a list field needs every
    // value in the set).
    bool any_value = false;
    // With any_value, `!=` holds only when it holds for every value: Falco's
    // fd.ip/fd.net/fd.port `!= x` means "neither end is x".
    bool not_equal_needs_all_values = false;
};

class FieldCatalog {
public:
    static const FieldCatalog& instance();
    // Every field Palisade knows, in a stable order (for `palisade fields`).
    const std::vector<FieldInfo>& fields() const;
    // Splits "proc.aname[2]" / "evt.arg.flags" into name and argument and
    // finds the field; nullptr when unknown.
    const FieldInfo* find(std::string_view name) const;
    // Binds a field reference. On error returns nullptr and fills `error`
    // with a message naming the field and the cause (unknown field, missing
    // or unexpected argument, argument out of range).
    std::unique_ptr<Extractor> bind(std::string_view name, const FieldArg& arg, std::string* error) const;
};

// The value of a field (without argument or transformer) that is the same
// on every event, such as evt.dir; nullopt for every other field. Checks on
// it can be decided when a rule is compiled.
std::optional<std::string_view> same_on_every_event(std::string_view field);

// Falco's evt.type name for an event: "execve", "clone", "procexit",
// "openat", "connect", ... (the syscall's name for syscall events).
std::string_view falco_event_type(const Event& event);

// Every evt.type name Palisade can produce, for rule validation and for
// choosing which kernel hooks a rule set needs.
const std::vector<std::string>& falco_event_types();

}  // namespace palisade::rules
