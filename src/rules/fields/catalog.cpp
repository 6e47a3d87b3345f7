// The field catalog: every field Palisade knows, how a field reference is
// parsed ("proc.aname[2]", "evt.arg.flags") and bound into an Extractor.
//
// Fields the official Falco rules use but Palisade has no data for are known
// (so rules load and outputs print <NA>) and always extract <NA>:
//
//   field(s)                                  why Palisade has no value
//   ----------------------------------------  ---------------------------------------------
//   proc.env, proc.aenv                       the environment is not captured
//   proc.sid, proc.sname, proc.sid.*,         the exec record carries the audit session id,
//     proc.is_sid_leader                        not the POSIX session (setsid) id
//   proc.vpgid, proc.vpgid.*,                 the process group is not recorded
//     proc.is_vpgid_leader
//   proc.exe_ino*, proc.pidns_init_start_ts   the executable's inode and the pid namespace's
//                                               start time are not recorded
//   proc.is_exe_upper_layer,                  overlayfs layer and writability of the
//     proc.is_exe_writable                      executable are not recorded
//   proc.vpid, thread.vtid                    <NA> only outside the host pid namespace
//   thread.cap_inheritable                    the inheritable set is not recorded
//   evt.buffer, evt.cpu                       I/O buffers and the CPU are not recorded
//   fd.cip.name, fd.sip.name, fd.lip.name,    no DNS resolution
//     fd.rip.name
//   fd.types, fd.dev, fd.ino                  no table of open fds, no inode/device
//   fs.path.sourceraw, fs.path.targetraw      only resolved paths are recorded for file ops
//   container.healthcheck, k8s.pod.cni.json   not collected
//   container.ip, k8s.pod.ip                  from the CRI runtime only; <NA> on the host network
//
// Per-event <NA>s (fd.* on events without an fd, evt.arg.dev on an open, ...)
// are described where those fields are defined.
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <unordered_map>

#include "rules/fields/event_args.h"
#include "rules/fields/field.h"
#include "rules/fields/field_spec.h"

namespace palisade::rules {
namespace {

using fields::ArgKind;
using fields::ExtractState;
using fields::FieldSpec;

class TableExtractor final : public Extractor {
public:
    TableExtractor(const FieldSpec& spec, ExtractState state) : spec_(spec), state_(std::move(state)) {}

    bool extract(const EvalContext& ctx, std::vector<FieldValue>& out) override {
        return spec_.extract(ctx, state_, out);
    }

private:
    const FieldSpec& spec_;
    ExtractState state_;
};

struct Catalog {
    std::vector<const FieldSpec*> specs;
    std::vector<FieldInfo> infos;  // parallel to specs
    std::unordered_map<std::string_view, std::size_t> by_name;
};

const Catalog& catalog() {
    static const Catalog built = [] {
        Catalog c;
        for (auto family : {fields::event_field_specs(), fields::process_field_specs(), fields::user_field_specs(),
                            fields::fd_field_specs(), fields::container_field_specs()}) {
            for (const FieldSpec& spec : family) {
                c.by_name.emplace(spec.name, c.specs.size());
                c.specs.push_back(&spec);
                FieldInfo info{spec.name, spec.type, spec.values != fields::Values::One, spec.arg_required,
                               spec.arg != ArgKind::None, spec.description};
                info.any_value = spec.values == fields::Values::AnyAncestor || spec.values == fields::Values::EitherEnd;
                info.not_equal_needs_all_values = spec.values == fields::Values::EitherEnd;
                c.infos.push_back(std::move(info));
            }
        }
        return c;
    }();
    return built;
}

// A catalog entry: its row and the FieldInfo published for it.
struct Entry {
    const FieldSpec* spec;
    const FieldInfo* info;
};

std::optional<Entry> entry_named(std::string_view name) {
    const Catalog& c = catalog();
    const auto it = c.by_name.find(name);
    if (it == c.by_name.end()) return std::nullopt;
    return Entry{c.specs[it->second], &c.infos[it->second]};
}

const FieldSpec* spec_named(std::string_view name) {
    const auto entry = entry_named(name);
    return entry ? entry->spec : nullptr;
}

// A reference split into its field and argument.
struct FieldRef {
    const FieldSpec* spec = nullptr;
    FieldArg arg;
};

FieldArg parse_bracket_argument(std::string_view text) {
    FieldArg arg;
    std::int64_t index = 0;
    const auto* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, index);
    if (parsed.ec == std::errc{} && parsed.ptr == end)
        arg.index = index;
    else
        arg.key.assign(text);
    return arg;
}

// "proc.name", "proc.aname[2]", "container.mount.dest[/etc]", "evt.arg.flags".
// Returns false with a message when the reference is malformed or names no field.
bool parse_field_ref(std::string_view ref, FieldRef& parsed, std::string& error) {
    if ((parsed.spec = spec_named(ref))) return true;

    if (const auto open = ref.find('['); open != std::string_view::npos) {
        const std::string_view name = ref.substr(0, open);
        if (ref.back() != ']' || open + 2 > ref.size() - 1) {
            error = fmt::format("malformed field reference '{}': expected {}[argument]", ref, name);
            return false;
        }
        parsed.spec = spec_named(name);
        if (!parsed.spec) {
            error = fmt::format("unknown field '{}'", name);
            return false;
        }
        parsed.arg = parse_bracket_argument(ref.substr(open + 1, ref.size() - open - 2));
        return true;
    }

    // Dotted arguments (evt.arg.flags): the longest field name before a dot
    // that takes an event argument.
    for (auto dot = ref.rfind('.'); dot != std::string_view::npos && dot > 0; dot = ref.rfind('.', dot - 1)) {
        const FieldSpec* spec = spec_named(ref.substr(0, dot));
        if (spec && spec->arg == ArgKind::EventArg && dot + 1 < ref.size()) {
            parsed.spec = spec;
            parsed.arg.key.assign(ref.substr(dot + 1));
            return true;
        }
    }
    error = fmt::format("unknown field '{}'", ref);
    return false;
}

std::string describe_arg(const FieldArg& arg) {
    return arg.index ? std::to_string(*arg.index) : arg.key;
}

// Checks the argument against the field's shape; fills state on success.
bool accept_argument(const FieldSpec& spec, const FieldArg& arg, ExtractState& state, std::string& error) {
    if (!arg.present()) {
        if (spec.arg_required) {
            error = spec.arg == ArgKind::EventArg
                        ? fmt::format("field '{}' requires an argument, e.g. {}.name or {}[0]", spec.name, spec.name,
                                      spec.name)
                        : fmt::format("field '{}' requires an argument, e.g. {}[...]", spec.name, spec.name);
            return false;
        }
        return true;
    }
    if (spec.arg == ArgKind::None) {
        error = fmt::format("field '{}' does not take an argument (got '{}')", spec.name, describe_arg(arg));
        return false;
    }
    const bool wants_index = spec.arg == ArgKind::Index;
    if (wants_index && !arg.index) {
        error = fmt::format("field '{}' takes a numeric index, not '{}'", spec.name, arg.key);
        return false;
    }
    if (arg.index && spec.arg != ArgKind::Key) {
        if (*arg.index < 0 || *arg.index > spec.max_index) {
            error = fmt::format("argument {} of field '{}' is out of range (0..{})", *arg.index, spec.name,
                                spec.max_index);
            return false;
        }
        state.index = arg.index;
        return true;
    }
    state.key = arg.index ? std::to_string(*arg.index) : arg.key;
    if (spec.arg == ArgKind::EventArg && !fields::is_known_arg_name(state.key)) {
        error = fmt::format("field '{}' has no argument named '{}'", spec.name, state.key);
        return false;
    }
    return true;
}

}  // namespace

const FieldCatalog& FieldCatalog::instance() {
    static const FieldCatalog instance;
    return instance;
}

const std::vector<FieldInfo>& FieldCatalog::fields() const { return catalog().infos; }

const FieldInfo* FieldCatalog::find(std::string_view name) const {
    FieldRef ref;
    std::string error;
    if (!parse_field_ref(name, ref, error)) return nullptr;
    const auto entry = entry_named(ref.spec->name);
    return entry ? entry->info : nullptr;
}

std::unique_ptr<Extractor> FieldCatalog::bind(std::string_view name, const FieldArg& arg, std::string* error) const {
    std::string message;
    const auto fail = [&]() -> std::unique_ptr<Extractor> {
        if (error) *error = std::move(message);
        return nullptr;
    };
    FieldRef ref;
    if (!parse_field_ref(name, ref, message)) return fail();
    if (ref.arg.present() && arg.present()) {
        message = fmt::format("field '{}' is given an argument twice ('{}' and '{}')", ref.spec->name,
                              describe_arg(ref.arg), describe_arg(arg));
        return fail();
    }
    ExtractState state;
    if (!accept_argument(*ref.spec, ref.arg.present() ? ref.arg : arg, state, message)) return fail();
    if (ref.spec->prepare) ref.spec->prepare(state);
    return std::make_unique<TableExtractor>(*ref.spec, std::move(state));
}

}  // namespace palisade::rules
