// fd.* and fs.path.*: the file or socket an event acts on, from the event
// itself (see fd_view.h for how Palisade stands in for Falco's fd table).
//
// Endpoint roles follow Falco: the client is the side that connected and the
// server the side that accepted; "local" is this process's end. So for a
// connect the local end is the client, for an accept it is the server.
#include <cstdint>

#include "event/syscalls.h"
#include "rules/fields/event_memo.h"
#include "rules/fields/fd_view.h"
#include "rules/fields/field_spec.h"
#include "rules/fields/value_names.h"

namespace palisade::rules::fields {
namespace {

bool fd_number(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    return fd.present && emit_int(out, fd.num);
}

bool fd_type(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const std::string_view type = fd_type_name(fd_of(ctx));
    return !type.empty() && emit_string(out, type);
}

bool fd_type_character(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const char type = fd_type_char(fd_of(ctx));
    if (type == 0) return false;
    state.text.assign(1, type);
    return emit_string(out, state.text);
}

bool fd_full_name(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const auto name = fd_name(fd_of(ctx), state.text);
    return name && emit_string(out, *name);
}

// The path as the caller passed it, for files; other fds have no raw form.
bool fd_raw_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    if (!fd.present || !is_file_like(fd.kind)) return false;
    return emit_string(out, fd.raw_path.empty() ? fd.path : fd.raw_path);
}

// Falco's fd.directory: the file's directory ("/" for a file in the root),
// or the directory itself when the fd is one.
bool fd_directory(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    if (!fd.present || !is_file_like(fd.kind)) return false;
    std::string_view path = fd.path;
    if (fd.kind == FdKind::File || fd.creation_failed) {
        const auto slash = path.rfind('/');
        if (slash == std::string_view::npos || slash == 0) return emit_string(out, "/");
        if (slash < path.size() - 1) path = path.substr(0, slash);
    }
    return emit_string(out, path);
}

// Falco's fd.filename: the last path component of a file (not a directory).
bool fd_file_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    if (!fd.present || fd.creation_failed || fd.kind != FdKind::File) return false;
    const auto slash = fd.path.rfind('/');
    if (slash == std::string_view::npos) return emit_string(out, "/");
    return emit_string(out, slash < fd.path.size() - 1 ? fd.path.substr(slash + 1) : fd.path);
}

bool fd_l4_protocol(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const std::string_view proto = fd_l4proto(fd_of(ctx));
    return !proto.empty() && emit_string(out, proto);
}

bool fd_socket_family(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    if (!fd.present || fd.creation_failed) return false;
    if (is_ip_socket(fd.kind)) return emit_string(out, "ip");
    if (fd.kind == FdKind::Unix) return emit_string(out, "unix");
    return false;
}

// Whether the event tells what the fd is (beyond its number).
bool described(const FdView& fd) { return fd.present && !fd.creation_failed && fd.kind != FdKind::Opaque; }

bool fd_connected(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    return described(fd) && emit_bool(out, fd.connected);
}

// Palisade does not track an fd across events, so it never sees a name change.
bool fd_name_changed(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return described(fd_of(ctx)) && emit_bool(out, false);
}

bool fd_is_server(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    if (!described(fd)) return false;
    return emit_bool(out, fd.role == SocketRole::Server || fd.role == SocketRole::Listener);
}

// --- socket endpoints ----------------------------------------------------------

using EndpointOf = std::optional<IpEndpoint> (*)(const FdView&);

bool emit_address(const EvalContext& ctx, std::vector<FieldValue>& out, FieldType type, const IpEndpoint& endpoint) {
    FieldValue value;
    value.type = type;
    if (!parse_ip_once(ctx, endpoint.addr, value.ip)) return false;
    out.push_back(value);
    return true;
}

// fd.sip, fd.cip, ...: the address; the IpNet variants (fd.snet, ...) yield
// the same address for the compiler to test against a CIDR.
template <EndpointOf endpoint, FieldType type>
bool endpoint_address(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto found = endpoint(fd_of(ctx));
    return found && emit_address(ctx, out, type, *found);
}

template <EndpointOf endpoint>
bool endpoint_port(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto found = endpoint(fd_of(ctx));
    return found && emit_uint(out, found->port);
}

// fd.sproto, ...: Falco's port_to_string without name resolution is the number.
template <EndpointOf endpoint>
bool endpoint_port_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const auto found = endpoint(fd_of(ctx));
    if (!found) return false;
    state.text.clear();
    append_unsigned(found->port, state.text);
    return emit_string(out, state.text);
}

// fd.ip, fd.net, fd.port match either end, so they yield the client's and
// the server's value (a bound socket has only its own). Their FieldInfo says
// how Falco compares the two: any end may match, but `!=` needs both.
enum class EndValue : std::uint8_t { Address, Network, Port };

template <EndValue what>
bool either_endpoint(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const FdView& fd = fd_of(ctx);
    bool any = false;
    for (const auto& end : {client_endpoint(fd), server_endpoint(fd)}) {
        if (!end) continue;
        if constexpr (what == EndValue::Port)
            any = emit_uint(out, end->port) || any;
        else
            any = emit_address(ctx, out, what == EndValue::Network ? FieldType::IpNet : FieldType::IpAddr, *end) || any;
    }
    return any;
}

// --- fs.path ---------------------------------------------------------------------
// Falco's fs.path.* name the paths a filesystem syscall acts on: "name" for
// single-path operations, "source" and "target" for rename, link and symlink.

enum class PathRole : std::uint8_t { Name, Source, Target };

bool is_two_path_operation(const FileOpData& op) {
    const SyscallInfo* syscall = syscall_by_nr(op.syscall_nr);
    if (!syscall) return false;
    switch (syscall->kind) {
        case PL_SC_RENAME: case PL_SC_RENAMEAT: case PL_SC_RENAMEAT2:
        case PL_SC_LINK: case PL_SC_LINKAT: case PL_SC_SYMLINK: case PL_SC_SYMLINKAT:
            return true;
        default:
            return false;
    }
}

bool is_memfd(const FileOpData& op) {
    const SyscallInfo* syscall = syscall_by_nr(op.syscall_nr);
    return syscall && syscall->kind == PL_SC_MEMFD_CREATE;
}

template <PathRole role>
bool fs_path(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (const auto* open = payload<OpenData>(ctx.event))
        return role == PathRole::Name && !open->path.empty() && emit_string(out, open->path);
    const auto* op = payload<FileOpData>(ctx.event);
    if (!op || is_memfd(*op)) return false;
    const bool two_paths = is_two_path_operation(*op);
    const std::string* path = nullptr;
    if (role == PathRole::Name && !two_paths) path = &op->path;
    if (role == PathRole::Source && two_paths) path = &op->path;
    if (role == PathRole::Target && two_paths) path = &op->path2;
    return path && !path->empty() && emit_string(out, *path);
}

// Only opens keep the path exactly as the caller gave it.
bool fs_path_raw_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto* open = payload<OpenData>(ctx.event);
    return open && !open->raw_path.empty() && emit_string(out, open->raw_path);
}

constexpr FieldSpec kFdFields[] = {
    {.name = "fd.num", .type = FieldType::Int, .extract = fd_number,
     .description = "The fd the event uses or creates; -1 when creating it failed."},
    {.name = "fd.type", .type = FieldType::String, .extract = fd_type,
     .description = "file, directory, ipv4, ipv6, unix, netlink or memfd."},
    {.name = "fd.typechar", .type = FieldType::String, .extract = fd_type_character,
     .description = "f, d, 4, 6, u, n, m or o."},
    {.name = "fd.name", .type = FieldType::String, .extract = fd_full_name,
     .description = "Absolute path, unix socket path, or client:port->server:port for IP sockets."},
    {.name = "fd.nameraw", .type = FieldType::String, .extract = fd_raw_name,
     .description = "File path as the caller gave it."},
    {.name = "fd.directory", .type = FieldType::String, .extract = fd_directory,
     .description = "Directory of the file, or the directory itself."},
    {.name = "fd.filename", .type = FieldType::String, .extract = fd_file_name,
     .description = "File name without its directory."},
    {.name = "fd.l4proto", .type = FieldType::String, .extract = fd_l4_protocol,
     .description = "tcp, udp, icmp or raw; <NA> text for fds without one."},
    {.name = "fd.sockfamily", .type = FieldType::String, .extract = fd_socket_family,
     .description = "ip or unix."},
    {.name = "fd.connected", .type = FieldType::Bool, .extract = fd_connected,
     .description = "true for a connected socket."},
    {.name = "fd.name_changed", .type = FieldType::Bool, .extract = fd_name_changed,
     .description = "Always false: Palisade does not follow an fd from event to event."},
    {.name = "fd.is_server", .type = FieldType::Bool, .extract = fd_is_server,
     .description = "true when this process holds the server end."},
    {.name = "fd.ip", .type = FieldType::IpAddr, .extract = either_endpoint<EndValue::Address>,
     .description = "Client and server address: matches either end.", .values = Values::EitherEnd},
    {.name = "fd.cip", .type = FieldType::IpAddr, .extract = endpoint_address<client_endpoint, FieldType::IpAddr>,
     .description = "Client address."},
    {.name = "fd.sip", .type = FieldType::IpAddr, .extract = endpoint_address<server_endpoint, FieldType::IpAddr>,
     .description = "Server address."},
    {.name = "fd.lip", .type = FieldType::IpAddr, .extract = endpoint_address<local_endpoint, FieldType::IpAddr>,
     .description = "Local address."},
    {.name = "fd.rip", .type = FieldType::IpAddr, .extract = endpoint_address<remote_endpoint, FieldType::IpAddr>,
     .description = "Remote address."},
    {.name = "fd.port", .type = FieldType::Uint, .extract = either_endpoint<EndValue::Port>,
     .description = "Client and server port: matches either end.", .values = Values::EitherEnd},
    {.name = "fd.cport", .type = FieldType::Uint, .extract = endpoint_port<client_endpoint>,
     .description = "Client port."},
    {.name = "fd.sport", .type = FieldType::Uint, .extract = endpoint_port<server_endpoint>,
     .description = "Server port."},
    {.name = "fd.lport", .type = FieldType::Uint, .extract = endpoint_port<local_endpoint>,
     .description = "Local port."},
    {.name = "fd.rport", .type = FieldType::Uint, .extract = endpoint_port<remote_endpoint>,
     .description = "Remote port."},
    {.name = "fd.net", .type = FieldType::IpNet, .extract = either_endpoint<EndValue::Network>,
     .description = "Client and server address, to test against a network.", .values = Values::EitherEnd},
    {.name = "fd.cnet", .type = FieldType::IpNet, .extract = endpoint_address<client_endpoint, FieldType::IpNet>,
     .description = "Client address, to test against a network."},
    {.name = "fd.snet", .type = FieldType::IpNet, .extract = endpoint_address<server_endpoint, FieldType::IpNet>,
     .description = "Server address, to test against a network."},
    {.name = "fd.lnet", .type = FieldType::IpNet, .extract = endpoint_address<local_endpoint, FieldType::IpNet>,
     .description = "Local address, to test against a network."},
    {.name = "fd.rnet", .type = FieldType::IpNet, .extract = endpoint_address<remote_endpoint, FieldType::IpNet>,
     .description = "Remote address, to test against a network."},
    {.name = "fd.cproto", .type = FieldType::String, .extract = endpoint_port_text<client_endpoint>,
     .description = "Client port as text."},
    {.name = "fd.sproto", .type = FieldType::String, .extract = endpoint_port_text<server_endpoint>,
     .description = "Server port as text."},
    {.name = "fd.lproto", .type = FieldType::String, .extract = endpoint_port_text<local_endpoint>,
     .description = "Local port as text."},
    {.name = "fd.rproto", .type = FieldType::String, .extract = endpoint_port_text<remote_endpoint>,
     .description = "Remote port as text."},
    {.name = "fd.cip.name", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade does not resolve addresses to names."},
    {.name = "fd.sip.name", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade does not resolve addresses to names."},
    {.name = "fd.lip.name", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade does not resolve addresses to names."},
    {.name = "fd.rip.name", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade does not resolve addresses to names."},
    {.name = "fd.types", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: Palisade keeps no table of a process's open fds.", .arg = ArgKind::Index,
     .values = Values::List,
     .max_index = INT32_MAX},
    {.name = "fd.dev", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: the file's device is not recorded."},
    {.name = "fd.ino", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: the file's inode is not recorded."},
    {.name = "fs.path.name", .type = FieldType::String, .extract = fs_path<PathRole::Name>,
     .description = "Path of a single-path filesystem operation (open, unlink, mkdir, chmod, ...)."},
    {.name = "fs.path.nameraw", .type = FieldType::String, .extract = fs_path_raw_name,
     .description = "fs.path.name as the caller gave it (opens only)."},
    {.name = "fs.path.source", .type = FieldType::String, .extract = fs_path<PathRole::Source>,
     .description = "Source of rename/link, target text of symlink."},
    {.name = "fs.path.target", .type = FieldType::String, .extract = fs_path<PathRole::Target>,
     .description = "New name of rename/link, the link created by symlink."},
    {.name = "fs.path.sourceraw", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: only the resolved form is recorded."},
    {.name = "fs.path.targetraw", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: only the resolved form is recorded."},
};

}  // namespace

std::span<const FieldSpec> fd_field_specs() { return kFdFields; }

}  // namespace palisade::rules::fields
