#include "output/policy_args.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include "event/capabilities.h"

namespace palisade {
namespace {

std::string_view inet_family(std::uint16_t family)
{
    switch (family) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    default: return "";
    }
}

std::string inet_protocol(std::uint16_t protocol)
{
    switch (protocol) {
    case IPPROTO_TCP: return "IPPROTO_TCP";
    case IPPROTO_UDP: return "IPPROTO_UDP";
    case IPPROTO_ICMP: return "IPPROTO_ICMP";
    case IPPROTO_ICMPV6: return "IPPROTO_ICMPV6";
    case IPPROTO_RAW: return "IPPROTO_RAW";
    default: return protocol ? fmt::format("{}", protocol) : std::string();
    }
}

void names(JsonWriter& w, std::string_view key, const std::vector<std::string>& values)
{
    w.key(key).begin_array();
    for (const auto& v : values)
        w.value(v);
    w.end_array();
}

void skb_arg(JsonWriter& w, const SkbArg& s)
{
    w.key("skb_arg").begin_object();
    w.field("hash", s.hash);
    w.field("len", s.len);
    w.field("priority", s.priority);
    w.field("mark", s.mark);
    w.field("saddr", s.saddr);
    w.field("daddr", s.daddr);
    w.field("sport", s.sport);
    w.field("dport", s.dport);
    w.field("proto", s.protocol);
    w.field("protocol", inet_protocol(s.protocol));
    w.field("family", inet_family(s.family));
    w.end_object();
}

void cred_arg(JsonWriter& w, const CredArg& c)
{
    w.key("process_credentials_arg").begin_object();
    w.field("uid", c.uid);
    w.field("gid", c.gid);
    w.field("euid", c.euid);
    w.field("egid", c.egid);
    w.field("suid", c.suid);
    w.field("sgid", c.sgid);
    w.field("fsuid", c.fsuid);
    w.field("fsgid", c.fsgid);
    names(w, "securebits", securebits_names(c.securebits));
    w.key("caps").begin_object();
    names(w, "permitted", capability_names(c.cap_permitted));
    names(w, "effective", capability_names(c.cap_effective));
    names(w, "inheritable", capability_names(c.cap_inheritable));
    w.end_object();
    w.key("user_ns").begin_object();
    w.field("level", c.user_ns_level);
    w.field("uid", c.user_ns_uid);
    w.field("gid", c.user_ns_gid);
    w.key("ns").begin_object();
    w.field("inum", c.user_ns_inum);
    w.field("is_host", c.user_ns_level == 0);
    w.end_object();
    w.end_object();
    w.end_object();
}

void sock_arg(JsonWriter& w, const PolicyData& d)
{
    w.key("sock_arg").begin_object();
    w.field("family", inet_family(d.family));
    w.field("protocol", inet_protocol(d.protocol));
    w.field("saddr", d.saddr);
    w.field("daddr", d.daddr);
    w.field("sport", d.sport);
    w.field("dport", d.dport);
    w.end_object();
}

// Integers by the type's width and sign, as the kernel compared them.
void int_arg(JsonWriter& w, const std::string& type, std::uint64_t raw)
{
    if (type == "uint32" || type == "uint" || type == "u32")
        w.field("uint_arg", static_cast<std::uint32_t>(raw));
    else if (type == "size_t")
        w.field("size_arg", raw);
    else if (type == "uint64" || type == "u64")
        w.field("uint_arg", raw);
    else if (type == "int64" || type == "long" || type == "s64" || type == "syscall64")
        w.field("long_arg", static_cast<std::int64_t>(raw));
    else
        w.field("int_arg", static_cast<std::int32_t>(raw));
}

void one_arg(JsonWriter& w, const PolicyData& d, const PolicyArgView& a)
{
    const std::string& t = a.type;
    const std::uint64_t raw = a.slot >= 0 && a.slot < 6 ? d.args[a.slot] : 0;
    if (t == "cap_effective" || t == "cap_permitted" || t == "cap_inheritable" || t == "kernel_cap_t") {
        w.field(t + "_arg", fmt::format("{:016x}", raw));  // Tetragon's hex form
        names(w, "caps", capability_names(raw));
    } else if (t == "skb") {
        if (d.skb)
            skb_arg(w, *d.skb);
    } else if (t == "cred") {
        if (d.cred)
            cred_arg(w, *d.cred);
    } else if (t == "net_device") {
        w.key("net_dev_arg").begin_object();
        w.field("name", d.str);
        w.end_object();
    } else if (t == "sock" || t == "socket") {
        sock_arg(w, d);
    } else if (t == "sockaddr") {
        w.key("sockaddr_arg").begin_object();
        w.field("family", inet_family(d.family));
        w.field("addr", d.daddr);
        w.field("port", d.dport);
        w.end_object();
    } else if (t == "file" || t == "path" || t == "linux_binprm") {
        w.key(t + "_arg").begin_object();
        w.field("path", d.str);
        w.end_object();
    } else if (t == "string") {
        w.field("string_arg", d.str);
    } else if (a.slot >= 0) {
        int_arg(w, t, raw);
    }
}

}  // namespace

void policy_args_json(JsonWriter& w, const PolicyData& d)
{
    if (d.arg_views.empty())
        return;
    w.key("hook_args").begin_array();
    for (const PolicyArgView& a : d.arg_views) {
        w.begin_object();
        w.field("index", a.index);
        if (!a.label.empty())
            w.field("label", a.label);
        if (a.read) {
            one_arg(w, d, a);
        } else {
            w.field("type", a.type);
            w.field("read", false);  // declared, but this hook does not read it
        }
        w.end_object();
    }
    w.end_array();
}

std::string policy_args_text(const PolicyData& d)
{
    std::string out;
    if (d.skb)
        out += fmt::format(" skb={}:{}->{}:{} {}", d.skb->saddr, d.skb->sport, d.skb->daddr, d.skb->dport,
                           inet_protocol(d.skb->protocol));
    if (d.cred)
        out += fmt::format(" cred=uid:{},euid:{},caps:{:#x}", d.cred->uid, d.cred->euid, d.cred->cap_effective);
    return out;
}

}  // namespace palisade
