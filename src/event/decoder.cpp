#include "event/decoder.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "event/syscalls.h"

namespace palisade {
namespace {

// Reads the variable-length tail in the order the fixed struct lists it.
class TailReader {
public:
    TailReader(std::span<const std::uint8_t> tail) : tail_(tail) {}

    // A field of `len` bytes (trailing NUL included); false if it overruns.
    bool take(std::uint16_t len, std::string& out)
    {
        if (len > tail_.size() - pos_)
            return false;
        const char* p = reinterpret_cast<const char*>(tail_.data() + pos_);
        out.assign(p, strnlen(p, len));
        pos_ += len;
        return true;
    }

    bool take_raw(std::uint16_t len, std::string_view& out)
    {
        if (len > tail_.size() - pos_)
            return false;
        out = {reinterpret_cast<const char*>(tail_.data() + pos_), len};
        pos_ += len;
        return true;
    }

private:
    std::span<const std::uint8_t> tail_;
    std::size_t pos_ = 0;
};

template <class T> T load(std::span<const std::uint8_t> record)
{
    T value;
    std::memcpy(&value, record.data(), sizeof(T));
    return value;
}

ExecId exec_id(const pl_exec_id& id) { return {id.start_ns, id.pid}; }

// Arguments are NUL-separated; trailing NULs end the block.
std::vector<std::string> split_argv(std::string_view raw)
{
    while (!raw.empty() && raw.back() == '\0')
        raw.remove_suffix(1);
    std::vector<std::string> argv;
    if (raw.empty())
        return argv;
    for (std::size_t start = 0;;) {
        auto end = raw.find('\0', start);
        argv.emplace_back(raw.substr(start, end - start));
        if (end == std::string_view::npos)
            return argv;
        start = end + 1;
    }
}

std::string format_addr(std::uint16_t family, const std::uint8_t* addr)
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET && inet_ntop(AF_INET, addr, buf, sizeof(buf)))
        return buf;
    if (family == AF_INET6 && inet_ntop(AF_INET6, addr, buf, sizeof(buf)))
        return buf;
    return {};
}

bool fail(DecodeError* err, std::string message)
{
    if (err)
        err->message = std::move(message);
    return false;
}

bool decode_exec(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_exec_event>(rec);
    ExecData d;
    d.exec_id = exec_id(raw.exec_id);
    d.parent_exec_id = exec_id(raw.parent_exec_id);
    d.ppid = raw.ppid;
    d.flags = raw.flags;
    d.cgroup_id = raw.cgroup_id;
    d.start_boottime_ns = raw.start_boottime_ns;
    const auto& c = raw.creds;
    d.creds = {c.uid, c.gid, c.euid, c.egid, c.suid, c.sgid, c.fsuid, c.fsgid, c.loginuid, c.cap_effective,
               c.cap_permitted};
    const auto& n = raw.ns;
    d.ns = {n.pid, n.mnt, n.net, n.user, n.uts, n.ipc, n.cgroup};
    d.tty = raw.tty;
    d.sessionid = raw.sessionid;
    d.comm.assign(raw.comm, strnlen(raw.comm, sizeof(raw.comm)));
    std::string_view argv;
    if (!tail.take(raw.filename_len, d.filename) || !tail.take(raw.path_len, d.path) ||
        !tail.take_raw(raw.argv_len, argv) || !tail.take(raw.cwd_len, d.cwd) || !tail.take(raw.cgroup_len, d.cgroup))
        return fail(err, "exec record: tail fields overrun the record");
    d.argv = split_argv(argv);
    ev.data = std::move(d);
    return true;
}

bool decode_fork(std::span<const std::uint8_t> rec, Event& ev)
{
    auto raw = load<pl_fork_event>(rec);
    ev.data = ForkData{exec_id(raw.exec_id), exec_id(raw.parent_exec_id), raw.parent_tgid, raw.parent_tid,
                       (raw.flags & PL_FORK_THREAD) != 0};
    return true;
}

bool decode_exit(std::span<const std::uint8_t> rec, Event& ev)
{
    auto raw = load<pl_exit_event>(rec);
    ev.data = ExitData{exec_id(raw.exec_id), raw.exit_code};
    return true;
}

bool decode_open(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_open_event>(rec);
    OpenData d;
    d.ret = raw.ret;
    d.syscall_nr = raw.syscall_nr;
    d.dirfd = raw.dirfd;
    d.flags = raw.flags;
    d.mode = raw.mode;
    std::string dir;
    if (!tail.take(raw.path_len, d.raw_path) || !tail.take(raw.dir_len, dir))
        return fail(err, "open record: tail fields overrun the record");
    d.path = join_path(dir, d.raw_path);
    ev.data = std::move(d);
    return true;
}

bool decode_file_op(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_file_op_event>(rec);
    FileOpData d;
    d.ret = raw.ret;
    d.syscall_nr = raw.syscall_nr;
    d.fd = raw.fd;
    d.flags = raw.flags;
    d.mode = raw.mode;
    d.uid = raw.uid;
    d.gid = raw.gid;
    std::string dir;
    if (!tail.take(raw.path_len, d.path) || !tail.take(raw.path2_len, d.path2) || !tail.take(raw.dir_len, dir))
        return fail(err, "file record: tail fields overrun the record");
    const auto* sc = syscall_by_nr(raw.syscall_nr);
    const bool is_memfd = sc && sc->kind == PL_SC_MEMFD_CREATE;
    const bool dir_for_path2 = sc && (sc->kind == PL_SC_SYMLINK || sc->kind == PL_SC_SYMLINKAT);
    if (!is_memfd) {
        // Both operands of rename/link usually share one directory; the
        // kernel resolves the one that names the file acted on.
        if (!d.path.empty() && !dir_for_path2)
            d.path = join_path(dir, d.path);
        if (!d.path2.empty())
            d.path2 = join_path(dir, d.path2);
    }
    ev.data = std::move(d);
    return true;
}

bool decode_net(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_net_event>(rec);
    NetData d;
    d.ret = raw.ret;
    d.syscall_nr = raw.syscall_nr;
    d.op = raw.op;
    d.family = raw.family;
    d.sock_type = raw.sock_type;
    d.protocol = raw.protocol;
    d.fd = raw.fd;
    d.backlog = raw.backlog;
    d.local_addr = format_addr(raw.family, raw.local_addr);
    d.local_port = raw.local_port;
    d.remote_addr = format_addr(raw.family, raw.remote_addr);
    d.remote_port = raw.remote_port;
    if (!tail.take(raw.unix_path_len, d.unix_path))
        return fail(err, "net record: tail fields overrun the record");
    ev.data = std::move(d);
    return true;
}

bool decode_syscall(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_syscall_event>(rec);
    SyscallData d;
    d.ret = raw.ret;
    d.syscall_nr = raw.syscall_nr;
    std::memcpy(d.args, raw.args, sizeof(d.args));
    d.aux = raw.aux;
    if (!tail.take(raw.str_len, d.str) || !tail.take(raw.str2_len, d.str2))
        return fail(err, "syscall record: tail fields overrun the record");
    ev.data = std::move(d);
    return true;
}

// Policy records carry IPv4 as ::ffff:a.b.c.d.
std::string format_mapped_addr(std::uint16_t family, const std::uint8_t addr[16])
{
    static const std::uint8_t zero[16] = {};
    if (family != AF_INET && family != AF_INET6)
        return {};
    if (std::memcmp(addr, zero, 16) == 0)
        return {};
    return family == AF_INET ? format_addr(AF_INET, addr + 12) : format_addr(AF_INET6, addr);
}

bool decode_policy(std::span<const std::uint8_t> rec, TailReader& tail, Event& ev, DecodeError* err)
{
    auto raw = load<pl_policy_event>(rec);
    PolicyData d;
    d.exec_id = exec_id(raw.exec_id);
    d.policy = raw.policy;
    d.bank = raw.bank;
    d.hook = raw.hook;
    d.selector_index = raw.selector_index;
    d.hook_index = raw.hook_index;
    d.action = raw.action;
    d.flags = raw.flags;
    d.error = raw.error;
    d.signal = raw.signal;
    std::memcpy(d.args, raw.args, sizeof(d.args));
    d.family = raw.family;
    d.protocol = raw.protocol;
    d.daddr = format_mapped_addr(raw.family, raw.daddr);
    d.saddr = format_mapped_addr(raw.family, raw.saddr);
    d.dport = raw.dport;
    d.sport = raw.sport;
    d.cgroup_id = raw.cgroup_id;
    if (!tail.take(raw.str_len, d.str))
        return fail(err, "policy record: tail fields overrun the record");
    if (raw.kargs_len != 0) {
        std::string_view bytes;
        if (raw.kargs_len != sizeof(pl_pol_kernel_args) || !tail.take_raw(raw.kargs_len, bytes))
            return fail(err, "policy record: kernel arguments overrun the record or have the wrong size");
        pl_pol_kernel_args k;
        std::memcpy(&k, bytes.data(), sizeof(k));
        if (k.present & PL_KARG_SKB) {
            const pl_pol_skb& s = k.skb;
            d.skb = SkbArg{.hash = s.hash, .len = s.len, .priority = s.priority, .mark = s.mark,
                           .family = s.family, .protocol = s.protocol, .sport = s.sport, .dport = s.dport,
                           .saddr = format_mapped_addr(s.family, s.saddr),
                           .daddr = format_mapped_addr(s.family, s.daddr)};
        }
        if (k.present & PL_KARG_CRED) {
            const pl_pol_cred& c = k.cred;
            d.cred = CredArg{.uid = c.uid, .gid = c.gid, .suid = c.suid, .sgid = c.sgid, .euid = c.euid,
                             .egid = c.egid, .fsuid = c.fsuid, .fsgid = c.fsgid, .securebits = c.securebits,
                             .cap_permitted = c.cap_permitted, .cap_effective = c.cap_effective,
                             .cap_inheritable = c.cap_inheritable,
                             .user_ns_level = static_cast<std::int32_t>(c.user_ns_level),
                             .user_ns_uid = c.user_ns_uid, .user_ns_gid = c.user_ns_gid,
                             .user_ns_inum = c.user_ns_inum};
        }
    }
    ev.data = std::move(d);
    return true;
}

std::size_t fixed_size(std::uint16_t type)
{
    switch (type) {
    case PL_EV_EXEC: return sizeof(pl_exec_event);
    case PL_EV_FORK: return sizeof(pl_fork_event);
    case PL_EV_EXIT: return sizeof(pl_exit_event);
    case PL_EV_OPEN: return sizeof(pl_open_event);
    case PL_EV_FILE_OP: return sizeof(pl_file_op_event);
    case PL_EV_NET: return sizeof(pl_net_event);
    case PL_EV_SYSCALL: return sizeof(pl_syscall_event);
    case PL_EV_POLICY: return sizeof(pl_policy_event);
    default: return 0;
    }
}

}  // namespace

std::optional<Event> decode_record(std::span<const std::uint8_t> record, DecodeError* err)
{
    if (record.size() < sizeof(pl_event_header)) {
        fail(err, fmt::format("record of {} bytes is shorter than its header", record.size()));
        return std::nullopt;
    }
    auto hdr = load<pl_event_header>(record);
    const std::size_t fixed = fixed_size(hdr.type);
    if (fixed == 0) {
        fail(err, fmt::format("unknown event type {}", hdr.type));
        return std::nullopt;
    }
    if (hdr.size > record.size() || hdr.size < fixed) {
        fail(err, fmt::format("truncated {} record: header says {} bytes, fixed part needs {}, got {}",
                              event_type_name(EventType(hdr.type)), hdr.size, fixed, record.size()));
        return std::nullopt;
    }
    record = record.first(hdr.size);

    Event ev;
    ev.type = EventType(hdr.type);
    ev.flags = hdr.flags;
    ev.ts_ns = hdr.ts_ns;
    ev.tgid = hdr.tgid;
    ev.tid = hdr.tid;
    TailReader tail(record.subspan(fixed));
    bool ok = false;
    switch (hdr.type) {
    case PL_EV_EXEC: ok = decode_exec(record, tail, ev, err); break;
    case PL_EV_FORK: ok = decode_fork(record, ev); break;
    case PL_EV_EXIT: ok = decode_exit(record, ev); break;
    case PL_EV_OPEN: ok = decode_open(record, tail, ev, err); break;
    case PL_EV_FILE_OP: ok = decode_file_op(record, tail, ev, err); break;
    case PL_EV_NET: ok = decode_net(record, tail, ev, err); break;
    case PL_EV_SYSCALL: ok = decode_syscall(record, tail, ev, err); break;
    case PL_EV_POLICY: ok = decode_policy(record, tail, ev, err); break;
    }
    if (!ok)
        return std::nullopt;
    return ev;
}

std::string join_path(std::string_view dir, std::string_view path)
{
    if (path.empty())
        return {};
    std::string joined;
    if (path.front() != '/') {
        if (dir.empty())
            return std::string(path);  // nothing to anchor it to: keep it as given
        joined.assign(dir);
        joined += '/';
    }
    joined += path;

    std::vector<std::string_view> parts;
    std::string_view rest = joined;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto part = rest.substr(0, slash);
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

}  // namespace palisade
