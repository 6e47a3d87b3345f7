#include "output/format.h"

#include <sys/socket.h>

#include <ctime>

#include "container/container.h"
#include "event/syscalls.h"
#include "output/json_writer.h"
#include "output/policy_args.h"

namespace palisade {
namespace {

std::int64_t clock_ns(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

constexpr std::size_t kMaxLineage = 16;

void exec_flags(JsonWriter& w, std::uint32_t flags)
{
    static constexpr std::pair<std::uint32_t, const char*> names[] = {
        {PL_EXEC_ARGV_TRUNCATED, "argv_truncated"}, {PL_EXEC_MEMFD, "memfd"},
        {PL_EXEC_DELETED, "deleted"},              {PL_EXEC_PATH_TRUNCATED, "path_truncated"},
        {PL_EXEC_SETUID, "setuid"},                {PL_EXEC_CGROUP_TRUNCATED, "cgroup_truncated"},
    };
    w.key("flags").begin_array();
    for (auto [bit, name] : names)
        if (flags & bit)
            w.value(name);
    w.end_array();
}

void strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values)
{
    w.key(key).begin_array();
    for (const auto& v : values)
        w.value(v);
    w.end_array();
}

void process_object(JsonWriter& w, std::string_view key, const Process& p)
{
    w.key(key).begin_object();
    w.field("exec_id", p.exec_id.str());
    w.field("pid", p.pid);
    w.field("ppid", p.ppid);
    w.field("exe", p.exe);
    w.field("comm", p.comm);
    strings(w, "args", p.argv);
    w.field("cwd", p.cwd);
    w.field("uid", p.creds.uid);
    w.field("euid", p.creds.euid);
    w.field("gid", p.creds.gid);
    w.field("loginuid", p.creds.loginuid);
    w.field("cgroup_id", p.cgroup_id);
    w.field("tty", p.tty);
    w.field("parent_exec_id", p.parent_exec_id.str());
    w.end_object();
}

// "container": {"id": "host"} on the host; id, type and (once the runtime
// answered) name and image in a container; "k8s" (pod, namespace, uid, labels) when a pod is known.
void container_objects(JsonWriter& w, const Process& p)
{
    const Container* c = p.container.get();
    w.key("container").begin_object();
    if (!c) {
        w.field("id", "host");
        w.end_object();
        return;
    }
    w.field("id", c->short_id);
    w.field("full_id", c->id);
    w.field("type", container_type(*c));
    const ContainerMetadata* m = c->known();
    if (m) {
        w.field("name", m->name);
        w.field("image", m->image);
    } else {
        w.field("metadata", c->state == MetadataState::Pending ? "pending" : "unavailable");
    }
    w.end_object();
    const std::string& pod_uid = m && !m->pod_uid.empty() ? m->pod_uid : c->pod_uid;
    if (pod_uid.empty() && (!m || (m->pod_name.empty() && m->pod_namespace.empty())))
        return;
    w.key("k8s").begin_object();
    if (m && !m->pod_name.empty())
        w.field("pod", m->pod_name);
    if (m && !m->pod_namespace.empty())
        w.field("namespace", m->pod_namespace);
    if (!pod_uid.empty())
        w.field("pod_uid", pod_uid);
    if (m && !m->pod_labels.empty()) {
        w.key("labels").begin_object();
        for (const auto& [key, value] : m->pod_labels)
            w.field(key, value);
        w.end_object();
    }
    if (m && !m->pod_annotations.empty()) {
        w.key("annotations").begin_object();
        for (const auto& [key, value] : m->pod_annotations)
            w.field(key, value);
        w.end_object();
    }
    w.end_object();
}

}  // namespace

const char* policy_action_name(std::uint8_t action)
{
    switch (action) {
    case PL_ACT_POST: return "post";
    case PL_ACT_NOPOST: return "nopost";
    case PL_ACT_SIGKILL: return "sigkill";
    case PL_ACT_SIGNAL: return "signal";
    case PL_ACT_OVERRIDE: return "override";
    case PL_ACT_ALLOW: return "allow";
    case PL_ACT_DENY: return "deny";
    }
    return "unknown";
}

namespace {

void endpoint(JsonWriter& w, std::string_view key, const std::string& addr, std::uint16_t port)
{
    w.key(key).begin_object();
    w.field("addr", addr);
    w.field("port", port);
    w.end_object();
}

void payload(JsonWriter& w, const Event& ev)
{
    std::visit(
        [&](const auto& d) {
            using T = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<T, ExecData>) {
                w.key("exec").begin_object();
                w.field("exec_id", d.exec_id.str());
                w.field("parent_exec_id", d.parent_exec_id.str());
                w.field("filename", d.filename);
                w.field("path", d.path);
                strings(w, "args", d.argv);
                w.field("cwd", d.cwd);
                exec_flags(w, d.flags);
                w.key("creds").begin_object();
                w.field("uid", d.creds.uid);
                w.field("gid", d.creds.gid);
                w.field("euid", d.creds.euid);
                w.field("egid", d.creds.egid);
                w.field("loginuid", d.creds.loginuid);
                w.field("cap_effective", fmt::format("{:#x}", d.creds.cap_effective));
                w.end_object();
                w.key("ns").begin_object();
                w.field("pid", d.ns.pid);
                w.field("mnt", d.ns.mnt);
                w.field("net", d.ns.net);
                w.field("user", d.ns.user);
                w.field("uts", d.ns.uts);
                w.field("ipc", d.ns.ipc);
                w.field("cgroup", d.ns.cgroup);
                w.end_object();
                w.field("cgroup_id", d.cgroup_id);
                w.field("cgroup", d.cgroup);
                w.field("tty", d.tty);
                w.end_object();
            } else if constexpr (std::is_same_v<T, ForkData>) {
                w.key("fork").begin_object();
                w.field("exec_id", d.exec_id.str());
                w.field("parent_exec_id", d.parent_exec_id.str());
                w.field("parent_pid", d.parent_tgid);
                w.field("thread", d.thread);
                w.end_object();
            } else if constexpr (std::is_same_v<T, ExitData>) {
                w.key("exit").begin_object();
                w.field("exec_id", d.exec_id.str());
                w.field("code", d.code());
                w.field("signal", d.signal());
                w.end_object();
            } else if constexpr (std::is_same_v<T, OpenData>) {
                w.key("open").begin_object();
                w.field("syscall", syscall_name(d.syscall_nr));
                w.field("path", d.path);
                w.field("raw_path", d.raw_path);
                w.field("flags", d.flags);
                w.field("mode", d.mode);
                w.field("ret", d.ret);
                w.end_object();
            } else if constexpr (std::is_same_v<T, FileOpData>) {
                w.key("file").begin_object();
                w.field("syscall", syscall_name(d.syscall_nr));
                w.field("path", d.path);
                w.field("path2", d.path2);
                w.field("fd", d.fd);
                w.field("flags", d.flags);
                w.field("mode", d.mode);
                w.field("uid", d.uid);
                w.field("gid", d.gid);
                w.field("ret", d.ret);
                w.end_object();
            } else if constexpr (std::is_same_v<T, NetData>) {
                w.key("net").begin_object();
                w.field("op", net_op_name(d.op));
                w.field("syscall", syscall_name(d.syscall_nr));
                w.field("family", family_name(d.family));
                w.field("type", d.sock_type);
                w.field("protocol", d.protocol);
                w.field("fd", d.fd);
                endpoint(w, "local", d.local_addr, d.local_port);
                endpoint(w, "remote", d.remote_addr, d.remote_port);
                if (!d.unix_path.empty())
                    w.field("unix_path", d.unix_path);
                if (d.op == PL_NET_LISTEN)
                    w.field("backlog", d.backlog);
                w.field("ret", d.ret);
                w.end_object();
            } else if constexpr (std::is_same_v<T, PolicyData>) {
                w.key("policy").begin_object();
                w.field("name", d.policy_name);
                w.field("hook", d.hook_name);
                if (!d.message.empty())
                    w.field("message", d.message);
                if (!d.container_id.empty()) {
                    w.key("workload").begin_object();
                    w.field("container_id", d.container_id);
                    w.field("container_name", d.container_name);
                    if (!d.pod_name.empty())
                        w.field("pod", d.pod_name);
                    if (!d.pod_namespace.empty())
                        w.field("namespace", d.pod_namespace);
                    w.end_object();
                }
                w.field("selector", d.selector_index);
                w.field("action", policy_action_name(d.action));
                w.field("mode", d.flags & PL_POLF_MONITOR ? "monitor" : "enforce");
                w.field("enforced", (d.flags & PL_POLF_ENFORCED) != 0);
                if (!d.str.empty())
                    w.field("arg", d.str);
                if (!d.daddr.empty())
                    endpoint(w, "remote", d.daddr, d.dport);
                if (!d.saddr.empty())
                    endpoint(w, "local", d.saddr, d.sport);
                w.key("args").begin_array();
                for (auto a : d.args)
                    w.value(a);
                w.end_array();
                policy_args_json(w, d);
                w.end_object();
            } else if constexpr (std::is_same_v<T, SyscallData>) {
                w.key("syscall").begin_object();
                w.field("name", syscall_name(d.syscall_nr));
                w.key("args").begin_array();
                for (auto a : d.args)
                    w.value(a);
                w.end_array();
                w.field("aux", d.aux);
                if (!d.str.empty())
                    w.field("str", d.str);
                if (!d.str2.empty())
                    w.field("str2", d.str2);
                w.field("ret", d.ret);
                w.end_object();
            }
        },
        ev.data);
}

// The one-line summary that follows the process in text output.
std::string text_detail(const Event& ev)
{
    return std::visit(
        [&](const auto& d) -> std::string {
            using T = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<T, ExecData>) {
                std::string flags;
                if (d.flags & PL_EXEC_MEMFD)
                    flags += " memfd";
                if (d.flags & PL_EXEC_DELETED)
                    flags += " deleted";
                return fmt::format("{} args=[{}] cwd={}{}", d.path, fmt::join(d.argv, " "), d.cwd, flags);
            } else if constexpr (std::is_same_v<T, ForkData>) {
                return fmt::format("{} parent={}", d.thread ? "thread" : "process", d.parent_tgid);
            } else if constexpr (std::is_same_v<T, ExitData>) {
                return fmt::format("code={} signal={}", d.code(), d.signal());
            } else if constexpr (std::is_same_v<T, OpenData>) {
                return fmt::format("{} {} flags={:#o} ret={}", syscall_name(d.syscall_nr), d.path, d.flags, d.ret);
            } else if constexpr (std::is_same_v<T, FileOpData>) {
                return fmt::format("{} {}{}{} ret={}", syscall_name(d.syscall_nr), d.path, d.path2.empty() ? "" : " ",
                                   d.path2, d.ret);
            } else if constexpr (std::is_same_v<T, NetData>) {
                if (d.family == AF_UNIX)
                    return fmt::format("{} unix {} ret={}", net_op_name(d.op), d.unix_path, d.ret);
                return fmt::format("{} {} {}:{} -> {}:{} ret={}", net_op_name(d.op), family_name(d.family),
                                   d.local_addr, d.local_port, d.remote_addr, d.remote_port, d.ret);
            } else if constexpr (std::is_same_v<T, PolicyData>) {
                return fmt::format("policy {} {} {}{}{}{}", d.policy_name, policy_action_name(d.action),
                                   d.flags & PL_POLF_MONITOR ? "(monitor) " : "", d.str,
                                   d.daddr.empty() ? "" : fmt::format("{}:{}", d.daddr, d.dport),
                                   policy_args_text(d));
            } else {
                return fmt::format("{}({:#x}, {:#x}, {:#x}){}{} ret={}", syscall_name(d.syscall_nr), d.args[0],
                                   d.args[1], d.args[2], d.str.empty() ? "" : " ", d.str, d.ret);
            }
        },
        ev.data);
}

}  // namespace

EventFormatter::EventFormatter() : boot_to_realtime_ns_(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)) {}

std::string format_rfc3339(std::int64_t wall_ns)
{
    const time_t secs = wall_ns / 1'000'000'000;
    tm utc{};
    gmtime_r(&secs, &utc);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:09}Z", date, wall_ns % 1'000'000'000);
}

std::string_view net_op_name(std::uint16_t op)
{
    switch (op) {
    case PL_NET_CONNECT: return "connect";
    case PL_NET_ACCEPT: return "accept";
    case PL_NET_BIND: return "bind";
    case PL_NET_LISTEN: return "listen";
    case PL_NET_SENDTO: return "sendto";
    case PL_NET_SOCKET: return "socket";
    case PL_NET_DUP: return "dup";
    default: return "unknown";
    }
}

std::string_view family_name(std::uint16_t family)
{
    switch (family) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_UNIX: return "unix";
    default: return "unknown";
    }
}

void EventFormatter::json(const Event& ev, const ProcessCache& cache, fmt::memory_buffer& out) const
{
    JsonWriter w(out);
    w.begin_object();
    w.field("time", format_rfc3339(wall_ns(ev.ts_ns)));
    w.field("type", event_type_name(ev.type));
    w.field("pid", ev.tgid);
    w.field("tid", ev.tid);
    if (ev.snapshot())
        w.field("snapshot", true);
    if (const Process* proc = cache.find_pid(ev.tgid)) {
        process_object(w, "process", *proc);
        const auto lineage = cache.ancestors(*proc, kMaxLineage);
        if (!lineage.empty())
            process_object(w, "parent", *lineage.front());
        w.key("ancestors").begin_array();
        for (const Process* ancestor : lineage) {
            w.begin_object();
            w.field("pid", ancestor->pid);
            w.field("exe", ancestor->exe);
            w.field("exec_id", ancestor->exec_id.str());
            w.end_object();
        }
        w.end_array();
        container_objects(w, *proc);
    }
    payload(w, ev);
    w.end_object();
}

void EventFormatter::text(const Event& ev, const ProcessCache& cache, fmt::memory_buffer& out) const
{
    const auto wall = wall_ns(ev.ts_ns);
    const time_t secs = wall / 1'000'000'000;
    tm local{};
    localtime_r(&secs, &local);
    const Process* proc = cache.find_pid(ev.tgid);
    fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}.{:06} {:<7} pid={} {} ", local.tm_hour,
                   local.tm_min, local.tm_sec, (wall % 1'000'000'000) / 1000, event_type_name(ev.type), ev.tgid,
                   proc ? proc->comm : std::string("?"));
    if (proc)
        fmt::format_to(std::back_inserter(out), "uid={} ppid={} ", proc->creds.uid, proc->ppid);
    if (proc && proc->container)
        fmt::format_to(std::back_inserter(out), "container={} ", proc->container->short_id);
    out.append(text_detail(ev));
}

}  // namespace palisade
