// The spec of a TracingPolicy(Namespaced): lists, kprobes, tracepoints, LSM
// hooks and their arguments; uprobes and USDTs only as far as naming them.
#include <climits>
#include <cstdint>

#include <fmt/format.h>

#include "policy/policy_readers.h"

namespace palisade::policy::detail {
namespace {

constexpr std::string_view kTracingSpecKeys[] = {
    "kprobes", "tracepoints", "lsmhooks",          "uprobes", "usdts",     "lists",
    "options", "podSelector", "containerSelector", "loader",  "enforcers", "hostSelector",
};
// Tetragon features outside Palisade's scope; the rest of the policy still holds.
constexpr std::string_view kIgnoredSpecKeys[] = {"loader", "enforcers", "hostSelector"};

constexpr std::string_view kListKeys[] = {"name", "type", "values", "pattern", "validated"};
constexpr std::string_view kListTypes[] = {"syscalls", "generated_syscalls", "generated_ftrace"};

constexpr std::string_view kKprobeKeys[] = {
    "call", "syscall", "return", "args", "returnArg", "returnArgAction", "selectors", "message", "tags", "ignore",
};
constexpr std::string_view kTracepointKeys[] = {"subsystem", "event", "raw", "args", "selectors", "message", "tags"};
constexpr std::string_view kLsmHookKeys[] = {"hook", "args", "selectors", "message", "tags"};
constexpr std::string_view kIgnoreKeys[] = {"callNotFound"};
constexpr std::string_view kArgKeys[] = {"index", "type", "sizeArgIndex", "returnCopy", "maxData", "label", "resolve"};

// Tetragon's CRD caps the tags of a hook.
constexpr std::size_t kMaxTags = 16;

constexpr Named<ArgType> kArgTypes[] = {
    {"int", ArgType::Int},
    {"int32", ArgType::Int},
    {"int64", ArgType::Int},
    {"uint32", ArgType::Int},
    {"uint64", ArgType::Int},
    {"uint", ArgType::Int},
    {"long", ArgType::Int},
    {"size_t", ArgType::Int},
    {"syscall64", ArgType::Int},
    {"string", ArgType::String},
    {"char_buf", ArgType::CharBuf},
    {"char_iovec", ArgType::CharBuf},
    {"fd", ArgType::Fd},
    {"file", ArgType::File},
    {"path", ArgType::File},
    {"dentry", ArgType::File},
    {"sockaddr", ArgType::Sockaddr},
    {"sock", ArgType::Sock},
    {"socket", ArgType::Sock},
    {"skb", ArgType::Skb},
    {"net_device", ArgType::NetDev},
    {"linux_binprm", ArgType::LinuxBinprm},
    {"cred", ArgType::Cred},
    {"capability", ArgType::Capability},
    {"cap_effective", ArgType::CapSet},
    {"cap_permitted", ArgType::CapSet},
    {"cap_inheritable", ArgType::CapSet},
    {"kernel_cap_t", ArgType::CapSet},
    {"nop", ArgType::Nop},
};

// Types Palisade does not read (bpf_attr, kiocb, auto, ...) are kept by name
// for the compiler to reject with the hook that needs them.
ArgType arg_type_named(std::string_view name)
{
    const ArgType* type = find_named<ArgType>(kArgTypes, name);
    return type ? *type : ArgType::Unsupported;
}

Arg read_arg(const Mapping& mapping, bool index_required)
{
    mapping.warn_unknown_keys(kArgKeys);
    Arg arg;
    arg.loc = mapping.where();
    arg.index = static_cast<int>(index_required ? mapping.integer("index", 0, INT_MAX)
                                                : mapping.optional_integer("index", 0, INT_MAX).value_or(0));
    // Tetragon's CRD default: the type is taken from the kernel's BTF.
    arg.type_name = mapping.string_or("type", "auto");
    arg.type = arg_type_named(arg.type_name);
    arg.size_arg_index = static_cast<int>(mapping.optional_integer("sizeArgIndex", 0, INT_MAX).value_or(0));
    arg.return_copy = mapping.bool_or("returnCopy", false);
    arg.max_data = mapping.bool_or("maxData", false) ? 1 : 0;
    arg.label = mapping.string_or("label");
    arg.resolve = mapping.string_or("resolve");
    return arg;
}

std::vector<Arg> read_args(const Mapping& hook)
{
    std::vector<Arg> args;
    for (const Mapping& arg : hook.mappings("args", "an argument"))
        args.push_back(read_arg(arg, true));
    return args;
}

std::vector<std::string> read_tags(const Mapping& hook)
{
    std::vector<std::string> tags = hook.strings("tags");
    if (tags.size() > kMaxTags)
        fail(hook.value_where("tags"), fmt::format("at most {} tags are allowed, not {}", kMaxTags, tags.size()));
    return tags;
}

// What every hook kind with selectors shares.
Hook read_hook_common(const Mapping& mapping, HookKind kind, std::string call)
{
    Hook hook;
    hook.kind = kind;
    hook.call = std::move(call);
    hook.loc = mapping.where();
    hook.args = read_args(mapping);
    hook.selectors = read_selectors(mapping);
    hook.message = mapping.string_or("message");
    hook.tags = read_tags(mapping);
    return hook;
}

const NamedList* find_list(const std::vector<NamedList>& lists, std::string_view name)
{
    for (const NamedList& list : lists)
        if (list.name == name)
            return &list;
    return nullptr;
}

std::string list_names(const std::vector<NamedList>& lists)
{
    if (lists.empty())
        return "spec.lists is empty";
    std::string names = "spec.lists has:";
    for (const NamedList& list : lists)
        names += " " + list.name;
    return names;
}

// `call: "list:NAME"` hooks every function of the list.
void expand_list_call(const Mapping& mapping, const std::vector<NamedList>& lists, Hook& hook)
{
    constexpr std::string_view kListPrefix = "list:";
    if (!hook.call.starts_with(kListPrefix))
        return;
    std::string name = hook.call.substr(kListPrefix.size());
    const NamedList* list = find_list(lists, name);
    if (!list)
        fail(mapping.value_where("call"), fmt::format("unknown list '{}' ({})", name, list_names(lists)));
    hook.list_type = list->type;
    hook.list_calls = list->values;
    // Generated lists are kept as written, to be named when rejected.
    if (!list->pattern.empty())
        hook.list_calls.push_back(list->pattern);
    if (list->type == "syscalls")
        hook.syscall = true;
}

Hook read_kprobe(const Mapping& mapping, const std::vector<NamedList>& lists)
{
    mapping.warn_unknown_keys(kKprobeKeys);
    Hook hook = read_hook_common(mapping, HookKind::Kprobe, mapping.string("call"));
    // Tetragon's CRD default: a kprobe is a syscall unless it says otherwise.
    hook.syscall = mapping.bool_or("syscall", true);
    hook.is_return = mapping.bool_or("return", false);
    if (mapping.has("returnArg") && !mapping.value("returnArg").IsNull())
        hook.return_arg = read_arg(mapping.mapping("returnArg"), false);
    hook.return_arg_action = mapping.string_or("returnArgAction");
    if (mapping.has("ignore") && !mapping.value("ignore").IsNull()) {
        Mapping ignore = mapping.mapping("ignore");
        ignore.warn_unknown_keys(kIgnoreKeys);
        hook.ignore_call_not_found = ignore.bool_or("callNotFound", false);
    }
    expand_list_call(mapping, lists, hook);
    return hook;
}

Hook read_tracepoint(const Mapping& mapping)
{
    mapping.warn_unknown_keys(kTracepointKeys);
    Hook hook =
        read_hook_common(mapping, HookKind::Tracepoint, mapping.string("subsystem") + "/" + mapping.string("event"));
    hook.raw_tracepoint = mapping.bool_or("raw", false);
    return hook;
}

Hook read_lsm_hook(const Mapping& mapping)
{
    mapping.warn_unknown_keys(kLsmHookKeys);
    return read_hook_common(mapping, HookKind::Lsm, mapping.string("hook"));
}

// A uprobe: the binary's path as `call`, its symbols as list_calls, and args
// and selectors as any hook has them.
Hook read_uprobe(const Mapping& mapping)
{
    Hook hook = read_hook_common(mapping, HookKind::Uprobe, mapping.string("path"));
    hook.list_calls = mapping.strings("symbols");
    return hook;
}

// A USDT probe: the binary's path as `call`, "provider:name" as its one list_call.
Hook read_usdt(const Mapping& mapping)
{
    Hook hook = read_hook_common(mapping, HookKind::Usdt, mapping.string("path"));
    hook.list_calls = {mapping.string("provider") + ":" + mapping.string("name")};
    return hook;
}

NamedList read_list(const Mapping& mapping, const std::vector<NamedList>& earlier)
{
    mapping.warn_unknown_keys(kListKeys);
    NamedList list;
    list.loc = mapping.where();
    list.name = mapping.string("name");
    if (const NamedList* first = find_list(earlier, list.name))
        fail(mapping.value_where("name"), fmt::format("duplicate list '{}' (first at line {}, column {})", list.name,
                                                      first->loc.line, first->loc.column));
    list.type = mapping.string_or("type");
    if (!list.type.empty() && !contains(kListTypes, list.type))
        fail(mapping.value_where("type"),
             fmt::format("unknown list type '{}'; valid types: {}", list.type, join(kListTypes)));
    list.values = mapping.strings("values");
    list.pattern = mapping.string_or("pattern");
    return list;
}

// Runs `read_one` on each item of spec[key], recording each item's first error.
template <typename ReadOne>
void for_each_item(const Mapping& spec, std::string_view key, std::string_view what, ReadOne read_one)
{
    Reader& reader = spec.reader();
    std::vector<YAML::Node> items;
    if (!reader.guard([&] { items = spec.items(key); }))
        return;
    for (const YAML::Node& node : items)
        reader.guard([&] { read_one(Mapping(reader, node, std::string(what), spec.value_where(key))); });
}

}  // namespace

void read_tracing_spec(const Mapping& spec, Policy& policy)
{
    spec.warn_unknown_keys(kTracingSpecKeys);
    spec.warn_ignored_keys(kIgnoredSpecKeys);
    // Lists first: a kprobe may name a list written after it.
    for_each_item(spec, "lists", "a list",
                  [&](const Mapping& m) { policy.lists.push_back(read_list(m, policy.lists)); });
    for_each_item(spec, "kprobes", "a kprobe",
                  [&](const Mapping& m) { policy.hooks.push_back(read_kprobe(m, policy.lists)); });
    for_each_item(spec, "tracepoints", "a tracepoint",
                  [&](const Mapping& m) { policy.hooks.push_back(read_tracepoint(m)); });
    for_each_item(spec, "lsmhooks", "an LSM hook", [&](const Mapping& m) { policy.hooks.push_back(read_lsm_hook(m)); });
    for_each_item(spec, "uprobes", "a uprobe",
                  [&](const Mapping& m) { policy.hooks.push_back(read_uprobe(m)); });
    for_each_item(spec, "usdts", "a USDT",
                  [&](const Mapping& m) { policy.hooks.push_back(read_usdt(m)); });
}

}  // namespace palisade::policy::detail
