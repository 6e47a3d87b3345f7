#include "rules/fields/fd_view.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "event/syscalls.h"
#include "rules/fields/event_memo.h"
#include "rules/fields/field_spec.h"
#include "rules/fields/value_names.h"

namespace palisade::rules::fields {
namespace {

constexpr std::string_view kV4MappedPrefix = "::ffff:";

bool is_v4_mapped(std::string_view addr) {
    return addr.starts_with(kV4MappedPrefix) && addr.find('.') != std::string_view::npos;
}

// An IPv6 socket whose two ends are both v4-mapped carries IPv4 traffic:
// Falco reports it as an IPv4 socket with plain dotted addresses.
void set_endpoints(const NetData& net, FdView& fd) {
    fd.local_addr = net.local_addr;
    fd.remote_addr = net.remote_addr;
    fd.local_port = net.local_port;
    fd.remote_port = net.remote_port;
    fd.sock_type = net.sock_type;
    fd.protocol = net.protocol;
    switch (net.family) {
        case AF_INET:
            fd.kind = FdKind::Ipv4;
            break;
        case AF_INET6:
            fd.kind = FdKind::Ipv6;
            if (is_v4_mapped(fd.local_addr) && is_v4_mapped(fd.remote_addr)) {
                fd.kind = FdKind::Ipv4;
                fd.local_addr.remove_prefix(kV4MappedPrefix.size());
                fd.remote_addr.remove_prefix(kV4MappedPrefix.size());
            }
            break;
        case AF_UNIX:
            fd.kind = FdKind::Unix;
            fd.path = net.unix_path;
            break;
        case AF_NETLINK:
            fd.kind = FdKind::Netlink;
            break;
        case AF_UNSPEC:
            fd.kind = FdKind::Opaque;  // dup of something that is not a socket
            break;
        default:
            fd.kind = FdKind::OtherSocket;
            break;
    }
}

// The fd a creating syscall returned; a failure keeps only what the caller asked for.
void set_created(std::int64_t ret, FdView& fd) {
    fd.present = true;
    fd.creation_failed = ret < 0;
    fd.num = ret < 0 ? -1 : ret;
}

void describe_open(const OpenData& open, FdView& fd) {
    set_created(open.ret, fd);
    fd.path = open.path;
    fd.raw_path = open.raw_path;
    // O_TMPFILE includes the O_DIRECTORY bit but creates a file.
    const bool tmpfile = (open.flags & O_TMPFILE) == O_TMPFILE;
    fd.kind = (open.flags & O_DIRECTORY) && !tmpfile ? FdKind::Directory : FdKind::File;
}

void describe_file_op(const FileOpData& op, FdView& fd) {
    const SyscallInfo* syscall = syscall_by_nr(op.syscall_nr);
    if (syscall && syscall->kind == PL_SC_MEMFD_CREATE) {
        set_created(op.ret, fd);
        fd.kind = FdKind::Memfd;
        fd.path = op.path2;
    } else if (op.fd >= 0) {  // fchmod, fchown: an fd Palisade cannot look into
        fd.present = true;
        fd.num = op.fd;
    }
}

void describe_net(const NetData& net, FdView& fd) {
    fd.present = true;
    fd.num = net.fd;
    set_endpoints(net, fd);
    switch (net.op) {
        case PL_NET_SOCKET:
            set_created(net.ret, fd);
            break;
        case PL_NET_CONNECT:
            // A non-blocking connect in progress already has its endpoints;
            // any other failure leaves the socket unconnected, as in Falco.
            if (net.ret == 0 || net.ret == -EINPROGRESS) fd.role = SocketRole::Client;
            fd.connected = net.ret == 0;
            break;
        case PL_NET_ACCEPT:
            set_created(net.ret, fd);
            if (net.ret >= 0) {
                fd.role = SocketRole::Server;
                fd.connected = true;
            }
            break;
        case PL_NET_BIND:
            if (net.ret == 0) fd.role = SocketRole::Listener;
            break;
        case PL_NET_LISTEN:
            fd.role = SocketRole::Listener;
            break;
        case PL_NET_SENDTO:
            fd.role = SocketRole::Client;
            break;
        case PL_NET_DUP:
            // Which end a duplicated socket is cannot be told from the dup:
            // assume the common case of interest, a connected client socket
            // behind a shell's stdin/stdout.
            if (fd.kind != FdKind::Opaque) {
                fd.role = SocketRole::Client;
                fd.connected = net.remote_port != 0;
            }
            break;
        default:
            fd.present = false;
            break;
    }
}

void describe_syscall(const SyscallData& syscall, FdView& fd) {
    const SyscallInfo* info = syscall_by_nr(syscall.syscall_nr);
    if (!info) return;
    switch (info->kind) {
        case PL_SC_FINIT_MODULE:
            fd.present = true;
            fd.num = static_cast<std::int32_t>(syscall.args[0]);
            if (!syscall.str2.empty()) {  // the module file, resolved in the kernel
                fd.kind = FdKind::File;
                fd.path = syscall.str2;
            }
            break;
        case PL_SC_SETNS:
            fd.present = true;
            fd.num = static_cast<std::int32_t>(syscall.args[0]);
            break;
        case PL_SC_BPF:  // returns an fd for the commands that create objects
            fd.present = true;
            fd.num = syscall.ret;
            break;
        default:
            break;
    }
}

void append_endpoint(std::string_view addr, std::uint16_t port, std::string& out) {
    out += addr;
    out += ':';
    append_unsigned(port, out);
}

}  // namespace

FdView describe_fd(const Event& event) {
    FdView fd;
    if (const auto* open = payload<OpenData>(event))
        describe_open(*open, fd);
    else if (const auto* op = payload<FileOpData>(event))
        describe_file_op(*op, fd);
    else if (const auto* net = payload<NetData>(event))
        describe_net(*net, fd);
    else if (const auto* syscall = payload<SyscallData>(event))
        describe_syscall(*syscall, fd);
    return fd;
}

bool is_ip_socket(FdKind kind) { return kind == FdKind::Ipv4 || kind == FdKind::Ipv6; }

bool is_file_like(FdKind kind) { return kind == FdKind::File || kind == FdKind::Directory; }

char fd_type_char(const FdView& fd) {
    if (!fd.present) return 0;
    if (fd.creation_failed) {
        // Falco's guess for a creator that returned no fd: a file for opens,
        // IPv4 for sockets, "other" for the rest.
        if (is_file_like(fd.kind)) return 'f';
        if (is_ip_socket(fd.kind) || fd.kind == FdKind::Unix) return '4';
        return 'o';
    }
    // Bound (server) sockets share their family's character in current libs.
    switch (fd.kind) {
        case FdKind::File: return 'f';
        case FdKind::Directory: return 'd';
        case FdKind::Memfd: return 'm';
        case FdKind::Ipv4: return '4';
        case FdKind::Ipv6: return '6';
        case FdKind::Unix: return 'u';
        case FdKind::Netlink: return 'n';
        case FdKind::OtherSocket: return 'o';
        case FdKind::Opaque: return 0;
    }
    return 0;
}

std::string_view fd_type_name(const FdView& fd) {
    if (!fd.present || fd.creation_failed) return {};
    switch (fd.kind) {
        case FdKind::File: return "file";
        case FdKind::Directory: return "directory";
        case FdKind::Memfd: return "memfd";
        case FdKind::Ipv4: return "ipv4";
        case FdKind::Ipv6: return "ipv6";
        case FdKind::Unix: return "unix";
        case FdKind::Netlink: return "netlink";
        case FdKind::OtherSocket:
        case FdKind::Opaque: return {};
    }
    return {};
}

std::string_view fd_l4proto(const FdView& fd) {
    if (!fd.present || fd.creation_failed || fd.kind == FdKind::Opaque) return {};
    constexpr std::string_view kUnknown = "<NA>";
    if (!is_ip_socket(fd.kind)) return kUnknown;
    if (fd.sock_type == SOCK_RAW || fd.protocol == IPPROTO_RAW) return "raw";
    if (fd.role == SocketRole::None) return kUnknown;
    switch (fd.protocol) {
        case IPPROTO_TCP: return "tcp";
        case IPPROTO_UDP: return "udp";
        case IPPROTO_ICMP:
        case IPPROTO_ICMPV6: return "icmp";
        default: break;
    }
    if (fd.sock_type == SOCK_STREAM) return "tcp";
    if (fd.sock_type == SOCK_DGRAM) return "udp";
    return kUnknown;
}

bool append_fd_name(const FdView& fd, std::string& out) {
    if (!fd.present) return false;
    switch (fd.kind) {
        case FdKind::Opaque:
            return false;
        case FdKind::File:
        case FdKind::Directory:
        case FdKind::Unix:
            out += fd.path;
            return true;
        case FdKind::Memfd:
            out += "memfd:";
            out += fd.path;
            return true;
        case FdKind::Netlink:
        case FdKind::OtherSocket:
            return true;  // Falco names these sockets with an empty string
        case FdKind::Ipv4:
        case FdKind::Ipv6:
            break;
    }
    if (fd.role == SocketRole::Listener) {
        append_endpoint(fd.local_addr, fd.local_port, out);
        return true;
    }
    // A fresh socket has no tuple yet; a failed connect still names its target.
    if (fd.role == SocketRole::None && fd.remote_port == 0) return true;
    const bool local_is_client = fd.role != SocketRole::Server;
    const std::string_view client_addr = local_is_client ? fd.local_addr : fd.remote_addr;
    const std::string_view server_addr = local_is_client ? fd.remote_addr : fd.local_addr;
    append_endpoint(client_addr, local_is_client ? fd.local_port : fd.remote_port, out);
    out += "->";
    append_endpoint(server_addr, local_is_client ? fd.remote_port : fd.local_port, out);
    return true;
}

std::optional<std::string_view> fd_name(const FdView& fd, std::string& scratch) {
    // Paths are returned in place; only composed names go through scratch.
    if (fd.present && (is_file_like(fd.kind) || fd.kind == FdKind::Unix)) return fd.path;
    scratch.clear();
    if (!append_fd_name(fd, scratch)) return std::nullopt;
    return std::string_view(scratch);
}

std::optional<IpEndpoint> client_endpoint(const FdView& fd) {
    if (!fd.present || !is_ip_socket(fd.kind)) return std::nullopt;
    if (fd.role == SocketRole::Client) return IpEndpoint{fd.local_addr, fd.local_port};
    if (fd.role == SocketRole::Server) return IpEndpoint{fd.remote_addr, fd.remote_port};
    return std::nullopt;
}

std::optional<IpEndpoint> server_endpoint(const FdView& fd) {
    if (!fd.present || !is_ip_socket(fd.kind)) return std::nullopt;
    if (fd.role == SocketRole::Client) return IpEndpoint{fd.remote_addr, fd.remote_port};
    if (fd.role == SocketRole::Server || fd.role == SocketRole::Listener)
        return IpEndpoint{fd.local_addr, fd.local_port};
    return std::nullopt;
}

std::optional<IpEndpoint> local_endpoint(const FdView& fd) {
    if (!fd.present || !is_ip_socket(fd.kind)) return std::nullopt;
    if (fd.role == SocketRole::Client || fd.role == SocketRole::Server) return IpEndpoint{fd.local_addr, fd.local_port};
    return std::nullopt;
}

std::optional<IpEndpoint> remote_endpoint(const FdView& fd) {
    if (!fd.present || !is_ip_socket(fd.kind)) return std::nullopt;
    if (fd.role == SocketRole::Client || fd.role == SocketRole::Server)
        return IpEndpoint{fd.remote_addr, fd.remote_port};
    return std::nullopt;
}

namespace {

// Dotted-quad IPv4 without a libc call: four decimal octets, no leading
// zeros (inet_pton's rules); anything else is left to inet_pton.
bool parse_ipv4_quad(std::string_view text, std::uint8_t* out) {
    int octet = 0, digits = 0, parts = 0;
    for (const char c : text) {
        if (c >= '0' && c <= '9') {
            if (digits == 1 && octet == 0) return false;  // leading zero
            octet = octet * 10 + (c - '0');
            if (++digits > 3 || octet > 255) return false;
        } else if (c == '.' && digits > 0 && parts < 3) {
            out[parts++] = static_cast<std::uint8_t>(octet);
            octet = digits = 0;
        } else {
            return false;
        }
    }
    if (parts != 3 || digits == 0) return false;
    out[3] = static_cast<std::uint8_t>(octet);
    return true;
}

}  // namespace

bool parse_ip(std::string_view text, std::uint8_t (&ip)[16]) {
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof(buffer)) return false;
    if (text.find(':') == std::string_view::npos) {
        std::memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        if (parse_ipv4_quad(text, ip + 12)) return true;
    }
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    if (text.find(':') != std::string_view::npos) return inet_pton(AF_INET6, buffer, ip) == 1;
    return inet_pton(AF_INET, buffer, ip + 12) == 1;
}

const FdView& fd_of(const EvalContext& ctx) {
    if (EventMemo* memo = ctx.memo) {
        if (!memo->fd_ready) {
            memo->fd = describe_fd(ctx.event);
            memo->fd_ready = true;
        }
        return memo->fd;
    }
    thread_local FdView scratch;
    scratch = describe_fd(ctx.event);
    return scratch;
}

bool parse_ip_once(const EvalContext& ctx, std::string_view text, std::uint8_t (&ip)[16]) {
    EventMemo* memo = ctx.memo;
    if (!memo) return parse_ip(text, ip);
    EventMemo::ParsedAddress* free_slot = nullptr;
    for (auto& slot : memo->addresses) {
        if (slot.text == text.data() && slot.size == text.size()) {
            std::memcpy(ip, slot.ip, sizeof(ip));
            return slot.ok;
        }
        if (!slot.text && !free_slot) free_slot = &slot;
    }
    const bool ok = parse_ip(text, ip);
    if (free_slot && text.data()) {
        free_slot->text = text.data();
        free_slot->size = text.size();
        free_slot->ok = ok;
        std::memcpy(free_slot->ip, ip, sizeof(ip));
    }
    return ok;
}

}  // namespace palisade::rules::fields
