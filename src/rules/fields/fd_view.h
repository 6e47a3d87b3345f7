// What an event says about the file descriptor it uses or creates, in the
// terms of Falco's fd.* fields. Falco keeps a table of every open fd; Palisade
// keeps none, so the view is derived from the event alone: an open names its
// file, a connect or accept its socket endpoints. Events that only pass an fd
// number (fchmod, setns) yield an opaque view: fd.num and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event/model.h"

namespace palisade::rules::fields {

enum class FdKind : std::uint8_t {
    Opaque,  // only the number is known
    File,
    Directory,
    Memfd,
    Ipv4,
    Ipv6,
    Unix,
    Netlink,
    OtherSocket,  // AF_PACKET and other families Falco calls "unknown"
};

// Which end of a connection the event's process holds (Falco's fd roles).
enum class SocketRole : std::uint8_t {
    None,      // not connected (yet): a fresh socket(), a failed connect
    Client,    // connect, sendto; also assumed for a duplicated socket
    Server,    // accept
    Listener,  // bind, listen: a server socket with only a local address
};

struct FdView {
    bool present = false;  // the event uses or creates an fd
    // Creating the fd failed (open, accept, socket, memfd_create returned
    // -errno). Like Falco's "no fd" path, the name survives but not the type.
    bool creation_failed = false;
    std::int64_t num = -1;
    FdKind kind = FdKind::Opaque;
    SocketRole role = SocketRole::None;
    bool connected = false;
    std::string_view path;      // file or directory path, unix socket path, memfd name
    std::string_view raw_path;  // the path as the caller gave it (opens only)
    // Socket endpoints; v4-mapped IPv6 addresses are shown as IPv4, as Falco does.
    std::string_view local_addr, remote_addr;
    std::uint16_t local_port = 0, remote_port = 0;
    std::uint16_t sock_type = 0, protocol = 0;
};

FdView describe_fd(const Event& event);

bool is_ip_socket(FdKind kind);
bool is_file_like(FdKind kind);  // File or Directory: has fd.directory

// fd.typechar: 'f', 'd', '4', '6', 'u', 'n', 'm', 'o'; 0 when unknown.
char fd_type_char(const FdView& fd);
// fd.type: "file", "directory", "ipv4", "ipv6", "unix", ...; empty when unknown.
std::string_view fd_type_name(const FdView& fd);
// fd.l4proto: "tcp", "udp", "icmp", "raw", or Falco's literal "<NA>" for fds
// whose protocol is unknown or that are not IP sockets.
std::string_view fd_l4proto(const FdView& fd);

// fd.name: the path, or for IP sockets the "client:port->server:port" tuple,
// or "addr:port" for a bound socket. Paths are returned in place, composed
// names are formatted into scratch. nullopt when the event says nothing
// about what the fd is.
std::optional<std::string_view> fd_name(const FdView& fd, std::string& scratch);
// The same name appended to out; false, appending nothing, when unknown.
bool append_fd_name(const FdView& fd, std::string& out);

struct IpEndpoint {
    std::string_view addr;  // printable
    std::uint16_t port = 0;
};

// Falco's endpoint fields: nullopt where Falco has <NA> (not an IP socket, no
// role yet, or no such end: a listener has neither a client nor a remote end).
std::optional<IpEndpoint> client_endpoint(const FdView& fd);
std::optional<IpEndpoint> server_endpoint(const FdView& fd);
std::optional<IpEndpoint> local_endpoint(const FdView& fd);
std::optional<IpEndpoint> remote_endpoint(const FdView& fd);

// Parses a printable IPv4 or IPv6 address into FieldValue's 16-byte form,
// IPv4 as ::ffff:a.b.c.d.
bool parse_ip(std::string_view text, std::uint8_t (&ip)[16]);

}  // namespace palisade::rules::fields
