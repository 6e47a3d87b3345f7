// Falco field extraction on Palisade events: exact values for every field
// family, bind errors, and coverage of the fields the official rules use.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <atomic>
#include <chrono>
#include <thread>

#include "container/resolver.h"
#include "rules/fields/field.h"
#include "rules/fields/user_db.h"

namespace palisade::rules {
namespace {

constexpr std::uint32_t kHostPidNamespace = 4026531836;
constexpr std::uint32_t kPts0 = (136u << 8);  // tty_nr of /dev/pts/0

ExecId image(std::uint32_t pid) { return {1'000'000ull * pid, pid}; }

Event exec_event(std::uint32_t pid, std::uint32_t ppid, std::string comm, std::string path,
                 std::vector<std::string> argv) {
    ExecData exec;
    exec.exec_id = image(pid);
    exec.parent_exec_id = ppid ? image(ppid) : ExecId{};
    exec.ppid = ppid;
    exec.start_boottime_ns = image(pid).start_ns;
    exec.comm = std::move(comm);
    exec.filename = path;
    exec.path = std::move(path);
    exec.argv = std::move(argv);
    exec.cwd = "/";
    exec.creds.uid = exec.creds.euid = 1000;
    exec.creds.gid = exec.creds.egid = 1000;
    exec.ns.pid = kHostPidNamespace;
    return Event{EventType::Exec, 0, image(pid).start_ns, pid, pid, std::move(exec)};
}

ExecData& exec_data(Event& event) { return std::get<ExecData>(event.data); }

// The process every syscall event below comes from.
constexpr std::uint32_t kPython = 400;
constexpr std::uint64_t kNow = 5'000'000'000;

Event open_event(long nr, std::string raw_path, std::string path, std::uint32_t flags, std::uint32_t mode,
                 std::int64_t ret) {
    OpenData open;
    open.ret = ret;
    open.syscall_nr = static_cast<std::uint32_t>(nr);
    open.dirfd = AT_FDCWD;
    open.flags = flags;
    open.mode = mode;
    open.raw_path = std::move(raw_path);
    open.path = std::move(path);
    return Event{EventType::Open, 0, kNow, kPython, kPython, std::move(open)};
}

Event file_op_event(long nr, std::string path, std::string path2, std::int64_t ret = 0) {
    FileOpData op;
    op.ret = ret;
    op.syscall_nr = static_cast<std::uint32_t>(nr);
    op.path = std::move(path);
    op.path2 = std::move(path2);
    return Event{EventType::FileOp, 0, kNow, kPython, kPython, std::move(op)};
}

Event net_event(NetData net) { return Event{EventType::Net, 0, kNow, kPython, kPython, std::move(net)}; }

Event syscall_event(long nr, std::vector<std::uint64_t> args, std::int64_t ret = 0, std::string str = {},
                    std::string str2 = {}) {
    SyscallData syscall;
    syscall.ret = ret;
    syscall.syscall_nr = static_cast<std::uint32_t>(nr);
    std::copy(args.begin(), args.end(), syscall.args);
    syscall.str = std::move(str);
    syscall.str2 = std::move(str2);
    return Event{EventType::Syscall, 0, kNow, kPython, kPython, std::move(syscall)};
}

NetData tcp4_connect() {
    return NetData{.ret = 0, .syscall_nr = SYS_connect, .op = PL_NET_CONNECT, .family = AF_INET,
                   .sock_type = SOCK_STREAM, .protocol = IPPROTO_TCP, .fd = 5, .local_addr = "10.0.0.5",
                   .local_port = 43210, .remote_addr = "93.184.216.34", .remote_port = 443};
}

NetData tcp4_accept() {
    return NetData{.ret = 7, .syscall_nr = SYS_accept4, .op = PL_NET_ACCEPT, .family = AF_INET,
                   .sock_type = SOCK_STREAM, .protocol = IPPROTO_TCP, .fd = 3, .local_addr = "10.0.0.5",
                   .local_port = 22, .remote_addr = "198.51.100.7", .remote_port = 51000};
}

std::string ip_text(const FieldValue& value) {
    char text[INET6_ADDRSTRLEN] = {};
    static constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(kV4Prefix), std::end(kV4Prefix), value.ip))
        inet_ntop(AF_INET, value.ip + 12, text, sizeof(text));
    else
        inet_ntop(AF_INET6, value.ip, text, sizeof(text));
    return text;
}

// systemd (1) -> sshd (50) -> bash (100) -> python3 (400), fed through the
// process cache as the pipeline does.
class FieldExtractTest : public ::testing::Test {
protected:
    void SetUp() override {
        feed(exec_event(1, 0, "systemd", "/usr/lib/systemd/systemd", {"/sbin/init"}));
        feed(exec_event(50, 1, "sshd", "/usr/sbin/sshd", {"/usr/sbin/sshd", "-D"}));
        Event bash = exec_event(100, 50, "bash", "/usr/bin/bash", {"-bash"});
        exec_data(bash).tty = kPts0;
        feed(bash);
        // comm differs from the binary's name and argv[0] from its path, so
        // each field shows which of them it reads.
        Event python = exec_event(kPython, 100, "python3", "/usr/bin/python3.11", {"python3", "-c", "print(1)"});
        ExecData& data = exec_data(python);
        data.filename = "/usr/bin/python3";
        data.cwd = "/home/alice";
        data.tty = kPts0;
        data.creds.uid = data.creds.euid = 0;
        data.creds.gid = data.creds.egid = 0;
        data.creds.loginuid = 1000;
        data.creds.cap_effective = (1ull << 0) | (1ull << 13) | (1ull << 21);  // CHOWN, NET_RAW, SYS_ADMIN
        data.creds.cap_permitted = ~0ull >> (64 - 41);
        feed(python);
    }

    void feed(const Event& event) {
        cache.apply(event);
        cache.settle(event);
    }

    // The field's values on the event, nullopt for <NA>.
    std::optional<std::vector<FieldValue>> values(std::string_view field, const Event& event) {
        std::string error;
        auto extractor = FieldCatalog::instance().bind(field, {}, &error);
        EXPECT_TRUE(extractor) << field << ": " << error;
        if (!extractor) return std::nullopt;
        const EvalContext ctx{event, cache, cache.find_pid(event.tgid)};
        std::vector<FieldValue> out;
        const bool found = extractor->extract(ctx, out);
        // String values point into the extractor: keep it for the test's duration.
        extractors_.push_back(std::move(extractor));
        if (!found) {
            EXPECT_TRUE(out.empty()) << field << " returned <NA> but appended values";
            return std::nullopt;
        }
        return out;
    }

    // The single value of a field, checked to have the expected type.
    std::optional<FieldValue> value(std::string_view field, const Event& event, FieldType type) {
        const auto all = values(field, event);
        if (!all) return std::nullopt;
        EXPECT_EQ(all->size(), 1u) << field;
        if (all->size() != 1) return std::nullopt;
        EXPECT_EQ(all->front().type, type) << field;
        return all->front();
    }

    std::optional<std::string> text(std::string_view field, const Event& event) {
        const auto v = value(field, event, FieldType::String);
        return v ? std::optional<std::string>(std::string(v->str)) : std::nullopt;
    }
    std::optional<std::int64_t> integer(std::string_view field, const Event& event) {
        const auto v = value(field, event, FieldType::Int);
        return v ? std::optional<std::int64_t>(v->i) : std::nullopt;
    }
    std::optional<std::uint64_t> unsigned_value(std::string_view field, const Event& event) {
        const auto v = value(field, event, FieldType::Uint);
        return v ? std::optional<std::uint64_t>(v->u) : std::nullopt;
    }
    std::optional<bool> boolean(std::string_view field, const Event& event) {
        const auto v = value(field, event, FieldType::Bool);
        return v ? std::optional<bool>(v->b) : std::nullopt;
    }
    std::optional<std::string> address(std::string_view field, const Event& event, FieldType type = FieldType::IpAddr) {
        const auto v = value(field, event, type);
        return v ? std::optional<std::string>(ip_text(*v)) : std::nullopt;
    }
    std::vector<std::string> texts(std::string_view field, const Event& event) {
        std::vector<std::string> result;
        if (const auto all = values(field, event))
            for (const FieldValue& v : *all) result.emplace_back(v.str);
        return result;
    }

    ProcessCache cache;
    std::vector<std::unique_ptr<Extractor>> extractors_;
    // Something python3 does, for the process fields.
    Event read_shadow = open_event(SYS_openat, "shadow", "/etc/shadow", O_RDONLY | O_CLOEXEC, 0, 3);
};

using Strings = std::vector<std::string>;

TEST(FieldEventType, NamesEveryEventKindAsFalcoDoes) {
    const auto type_of = [](Event event) { return std::string(falco_event_type(event)); };
    EXPECT_EQ(type_of(exec_event(10, 1, "ls", "/bin/ls", {"ls"})), "execve");
    EXPECT_EQ(type_of(Event{EventType::Fork, 0, 0, 11, 11, ForkData{image(11), image(10), 10, 10, false}}), "clone");
    EXPECT_EQ(type_of(Event{EventType::Fork, 0, 0, 10, 12, ForkData{image(10), {}, 10, 10, true}}), "clone");
    EXPECT_EQ(type_of(Event{EventType::Exit, 0, 0, 10, 10, ExitData{image(10), 0}}), "procexit");
    EXPECT_EQ(type_of(open_event(SYS_openat, "a", "/a", O_RDONLY, 0, 3)), "openat");
    EXPECT_EQ(type_of(open_event(SYS_openat2, "a", "/a", O_RDONLY, 0, 3)), "openat2");
    EXPECT_EQ(type_of(file_op_event(SYS_unlinkat, "/tmp/x", "")), "unlinkat");
    EXPECT_EQ(type_of(file_op_event(SYS_renameat2, "/a", "/b")), "renameat2");
    EXPECT_EQ(type_of(file_op_event(SYS_memfd_create, "", "payload")), "memfd_create");
    EXPECT_EQ(type_of(net_event(tcp4_connect())), "connect");
    EXPECT_EQ(type_of(net_event(tcp4_accept())), "accept4");
    EXPECT_EQ(type_of(net_event(NetData{.ret = 3, .syscall_nr = SYS_socket, .op = PL_NET_SOCKET})), "socket");
    EXPECT_EQ(type_of(net_event(NetData{.ret = 0, .syscall_nr = SYS_dup2, .op = PL_NET_DUP})), "dup2");
    EXPECT_EQ(type_of(syscall_event(SYS_ptrace, {16, 1234})), "ptrace");
    EXPECT_EQ(type_of(syscall_event(SYS_setresuid, {0, 0, 0})), "setresuid");
    EXPECT_EQ(type_of(syscall_event(SYS_finit_module, {3})), "finit_module");

    const auto& all = falco_event_types();
    for (const char* name : {"execve", "clone", "procexit", "openat", "connect", "accept4", "socket", "dup2",
                             "unlinkat", "ptrace", "setuid", "mount", "init_module", "memfd_create", "bpf"})
        EXPECT_NE(std::find(all.begin(), all.end(), name), all.end()) << name;
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size()) << "duplicates";
}

TEST_F(FieldExtractTest, EventTypeDirectionAndResult) {
    EXPECT_EQ(text("evt.type", read_shadow), "openat");
    EXPECT_EQ(text("syscall.type", read_shadow), "openat");
    EXPECT_EQ(text("evt.dir", read_shadow), "<");
    EXPECT_EQ(unsigned_value("evt.num", read_shadow), kNow);
    EXPECT_EQ(text("evt.res", read_shadow), "SUCCESS");
    EXPECT_EQ(integer("evt.rawres", read_shadow), 3);
    EXPECT_EQ(boolean("evt.failed", read_shadow), false);

    const Event missing = open_event(SYS_openat, "nope", "/etc/nope", O_RDONLY, 0, -ENOENT);
    EXPECT_EQ(text("evt.res", missing), "ENOENT");
    EXPECT_EQ(integer("evt.rawres", missing), -ENOENT);
    EXPECT_EQ(boolean("evt.failed", missing), true);
    EXPECT_EQ(text("evt.res", file_op_event(SYS_unlinkat, "/etc/x", "", -EACCES)), "EACCES");

    const Event exit{EventType::Exit, 0, kNow, kPython, kPython, ExitData{image(kPython), 9}};
    EXPECT_EQ(text("evt.type", exit), "procexit");
    EXPECT_EQ(text("syscall.type", exit), std::nullopt);
    EXPECT_EQ(text("evt.res", exit), std::nullopt);  // procexit has no return value
    EXPECT_EQ(boolean("evt.failed", exit), false);
    EXPECT_EQ(text("evt.arg.sig", exit), "SIGKILL");

    const auto hostname = text("evt.hostname", read_shadow);
    ASSERT_TRUE(hostname);
    EXPECT_FALSE(hostname->empty());
    EXPECT_EQ(text("evt.buffer", read_shadow), std::nullopt);
    const auto time = text("evt.time", read_shadow);
    ASSERT_TRUE(time);
    EXPECT_TRUE(std::regex_match(*time, std::regex(R"(\d\d:\d\d:\d\d\.\d{9})"))) << *time;
}

TEST_F(FieldExtractTest, OpenFlagsModesAndIntents) {
    EXPECT_EQ(text("evt.arg.flags", read_shadow), "O_RDONLY|O_CLOEXEC");
    EXPECT_EQ(boolean("evt.is_open_read", read_shadow), true);
    EXPECT_EQ(boolean("evt.is_open_write", read_shadow), false);
    EXPECT_EQ(boolean("evt.is_open_exec", read_shadow), false);
    EXPECT_EQ(text("evt.arg.name", read_shadow), "/etc/shadow");  // resolved, as Falco's evt.arg shows paths
    EXPECT_EQ(text("evt.arg.dirfd", read_shadow), "AT_FDCWD");
    EXPECT_EQ(text("evt.arg.fd", read_shadow), "<f>/etc/shadow");
    EXPECT_EQ(text("evt.arg[2]", read_shadow), "/etc/shadow");
    EXPECT_EQ(text("evt.arg.dev", read_shadow), std::nullopt);  // Falco has it, Palisade does not

    const Event script = open_event(SYS_openat, "/tmp/x.sh", "/tmp/x.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755, 4);
    EXPECT_EQ(text("evt.arg.flags", script), "O_TRUNC|O_CREAT|O_WRONLY");
    EXPECT_EQ(text("evt.arg.mode", script), "0755");
    EXPECT_EQ(boolean("evt.is_open_read", script), false);
    EXPECT_EQ(boolean("evt.is_open_write", script), true);
    EXPECT_EQ(boolean("evt.is_open_exec", script), true);

    const Event both = open_event(SYS_open, "/var/log/x", "/var/log/x", O_RDWR | O_APPEND, 0, 5);
    EXPECT_EQ(text("evt.type", both), "open");
    EXPECT_EQ(text("evt.arg.flags", both), "O_APPEND|O_RDWR");
    EXPECT_EQ(boolean("evt.is_open_read", both), true);
    EXPECT_EQ(boolean("evt.is_open_write", both), true);

    // Not an open at all: the intents are false, not <NA>.
    EXPECT_EQ(boolean("evt.is_open_read", file_op_event(SYS_unlinkat, "/x", "")), false);
}

TEST_F(FieldExtractTest, EventArgsText) {
    EXPECT_EQ(text("evt.args", read_shadow),
              "fd=3(<f>/etc/shadow) dirfd=-100(AT_FDCWD) name=shadow(/etc/shadow) flags=524288(O_RDONLY|O_CLOEXEC) "
              "mode=0");
}

TEST_F(FieldExtractTest, ProcessNamesPathsAndCommandLines) {
    EXPECT_EQ(text("proc.name", read_shadow), "python3");  // comm
    EXPECT_EQ(text("proc.exe", read_shadow), "python3");   // argv[0]
    EXPECT_EQ(text("proc.exepath", read_shadow), "/usr/bin/python3.11");
    EXPECT_EQ(text("proc.args", read_shadow), "-c print(1)");
    EXPECT_EQ(text("proc.cmdline", read_shadow), "python3 -c print(1)");
    EXPECT_EQ(text("proc.exeline", read_shadow), "python3 -c print(1)");
    EXPECT_EQ(unsigned_value("proc.cmdnargs", read_shadow), 2u);
    EXPECT_EQ(text("proc.cwd", read_shadow), "/home/alice");

    EXPECT_EQ(text("proc.pname", read_shadow), "bash");
    EXPECT_EQ(text("proc.pexe", read_shadow), "-bash");  // a login shell's argv[0]
    EXPECT_EQ(text("proc.pexepath", read_shadow), "/usr/bin/bash");
    EXPECT_EQ(text("proc.pcmdline", read_shadow), "bash");  // no arguments: no trailing space

    EXPECT_EQ(text("proc.aname[0]", read_shadow), "python3");
    EXPECT_EQ(text("proc.aname[1]", read_shadow), "bash");
    EXPECT_EQ(text("proc.aname[2]", read_shadow), "sshd");
    EXPECT_EQ(text("proc.aname[3]", read_shadow), "systemd");
    EXPECT_EQ(text("proc.aname[4]", read_shadow), std::nullopt);
    EXPECT_EQ(text("proc.aexepath[2]", read_shadow), "/usr/sbin/sshd");
    EXPECT_EQ(text("proc.aexe[3]", read_shadow), "/sbin/init");
    EXPECT_EQ(text("proc.acmdline[2]", read_shadow), "sshd -D");
    // Without an index: every ancestor, the process itself excluded.
    EXPECT_EQ(texts("proc.aname", read_shadow), (Strings{"bash", "sshd", "systemd"}));
    EXPECT_EQ(texts("proc.acmdline", read_shadow), (Strings{"bash", "sshd -D", "systemd"}));
    const auto apids = values("proc.apid", read_shadow);
    ASSERT_TRUE(apids);
    ASSERT_EQ(apids->size(), 3u);
    EXPECT_EQ((*apids)[0].i, 100);
    EXPECT_EQ((*apids)[2].i, 1);
}

TEST_F(FieldExtractTest, ProcessIdsTerminalAndFlags) {
    EXPECT_EQ(integer("proc.pid", read_shadow), kPython);
    EXPECT_EQ(integer("proc.ppid", read_shadow), 100);
    EXPECT_EQ(integer("proc.vpid", read_shadow), kPython);  // host pid namespace
    EXPECT_EQ(integer("thread.tid", read_shadow), kPython);
    EXPECT_EQ(boolean("thread.ismain", read_shadow), true);
    EXPECT_EQ(unsigned_value("proc.tty", read_shadow), kPts0);
    EXPECT_EQ(unsigned_value("proc.tty", Event{EventType::Exit, 0, kNow, 50, 50, ExitData{image(50), 0}}), 0u);
    EXPECT_EQ(integer("proc.loginshellid", read_shadow), 100);
    EXPECT_EQ(unsigned_value("proc.duration", read_shadow), kNow - image(kPython).start_ns);
    EXPECT_EQ(boolean("proc.is_exe_from_memfd", read_shadow), false);
    EXPECT_EQ(text("proc.env", read_shadow), std::nullopt);
    EXPECT_EQ(integer("proc.sid", read_shadow), std::nullopt);

    Event fileless = exec_event(500, kPython, "x", "/memfd:x (deleted)", {"x"});
    exec_data(fileless).flags = PL_EXEC_MEMFD;
    feed(fileless);
    EXPECT_EQ(boolean("proc.is_exe_from_memfd", fileless), true);
    EXPECT_EQ(text("evt.arg.flags", fileless), "EXE_FROM_MEMFD");
    EXPECT_EQ(text("evt.type", fileless), "execve");
    EXPECT_EQ(text("evt.res", fileless), "SUCCESS");
    EXPECT_EQ(text("evt.arg.filename", fileless), "/memfd:x (deleted)");
    EXPECT_EQ(text("proc.pname", fileless), "python3");

    // An event from a process the cache does not know: only what the event says.
    Event stranger = read_shadow;
    stranger.tgid = stranger.tid = 9999;
    EXPECT_EQ(integer("proc.pid", stranger), 9999);
    EXPECT_EQ(text("proc.name", stranger), std::nullopt);
    EXPECT_EQ(text("fd.name", stranger), "/etc/shadow");
}

TEST_F(FieldExtractTest, CapabilitiesAsFalcoFormatsThem) {
    EXPECT_EQ(text("thread.cap_effective", read_shadow), "CAP_CHOWN CAP_NET_RAW CAP_SYS_ADMIN");
    const auto permitted = text("thread.cap_permitted", read_shadow);
    ASSERT_TRUE(permitted);
    EXPECT_TRUE(permitted->starts_with("CAP_CHOWN CAP_DAC_OVERRIDE "));
    EXPECT_TRUE(permitted->ends_with(" CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"));
    // bash has no capabilities: an empty set is an empty string, not <NA>.
    const Event bash_event{EventType::Exit, 0, kNow, 100, 100, ExitData{image(100), 0}};
    EXPECT_EQ(text("thread.cap_effective", bash_event), "");
}

TEST_F(FieldExtractTest, UsersAndGroups) {
    EXPECT_EQ(unsigned_value("user.uid", read_shadow), 0u);
    EXPECT_EQ(text("user.name", read_shadow), "root");
    EXPECT_EQ(integer("user.loginuid", read_shadow), 1000);
    EXPECT_EQ(unsigned_value("group.gid", read_shadow), 0u);
    EXPECT_EQ(text("group.name", read_shadow), "root");
    // sshd never went through a login: loginuid unset is -1.
    const Event sshd_event{EventType::Exit, 0, kNow, 50, 50, ExitData{image(50), 0}};
    EXPECT_EQ(integer("user.loginuid", sshd_event), -1);
    EXPECT_EQ(text("user.loginname", sshd_event), "<NA>");
}

TEST(FieldUserDb, ParsesPasswdAndGroupText) {
    const auto db = fields::UserDb::parse(
        "root:x:0:0:root:/root:/bin/bash\n"
        "# comment\n"
        "alice:x:1000:1000:Alice:/home/alice:/bin/zsh\r\n"
        "shadow-alice:x:1000:1000::/:/bin/sh\n"  // duplicate uid: the first entry wins
        "broken line without colons\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
        "root:x:0:\nwheel:x:10:alice\n");
    ASSERT_NE(db.user(1000), nullptr);
    EXPECT_EQ(db.user(1000)->name, "alice");
    EXPECT_EQ(db.user(1000)->home, "/home/alice");
    EXPECT_EQ(db.user(1000)->shell, "/bin/zsh");
    EXPECT_EQ(db.user_name(65534), "nobody");
    EXPECT_EQ(db.user_name(4242), "<NA>");
    EXPECT_EQ(fields::UserDb().user_name(0), "root");  // root even without an entry
    EXPECT_EQ(db.group_name(10), "wheel");
    EXPECT_EQ(db.group_name(11), "<NA>");
}

TEST_F(FieldExtractTest, OpenedFileDescriptor) {
    EXPECT_EQ(integer("fd.num", read_shadow), 3);
    EXPECT_EQ(text("fd.name", read_shadow), "/etc/shadow");
    EXPECT_EQ(text("fd.nameraw", read_shadow), "shadow");
    EXPECT_EQ(text("fd.directory", read_shadow), "/etc");
    EXPECT_EQ(text("fd.filename", read_shadow), "shadow");
    EXPECT_EQ(text("fd.typechar", read_shadow), "f");
    EXPECT_EQ(text("fd.type", read_shadow), "file");
    EXPECT_EQ(text("fd.l4proto", read_shadow), "<NA>");  // Falco's text for fds without a protocol
    EXPECT_EQ(text("fd.sockfamily", read_shadow), std::nullopt);
    EXPECT_EQ(address("fd.sip", read_shadow), std::nullopt);
    EXPECT_EQ(text("fs.path.name", read_shadow), "/etc/shadow");

    const Event listing = open_event(SYS_openat, "/etc", "/etc", O_RDONLY | O_DIRECTORY, 0, 4);
    EXPECT_EQ(text("fd.typechar", listing), "d");
    EXPECT_EQ(text("fd.type", listing), "directory");
    EXPECT_EQ(text("fd.directory", listing), "/etc");
    EXPECT_EQ(text("fd.filename", listing), std::nullopt);

    // A failed open: Falco's open_file_failed macro expects fd.num=-1 and 'f'.
    const Event missing = open_event(SYS_openat, "nope", "/etc/nope", O_RDONLY, 0, -ENOENT);
    EXPECT_EQ(integer("fd.num", missing), -1);
    EXPECT_EQ(text("fd.typechar", missing), "f");
    EXPECT_EQ(text("fd.name", missing), "/etc/nope");
    EXPECT_EQ(text("fd.type", missing), std::nullopt);

    // Events without an fd have no fd fields.
    const Event unlink = file_op_event(SYS_unlinkat, "/etc/x", "");
    EXPECT_EQ(integer("fd.num", unlink), std::nullopt);
    EXPECT_EQ(text("fd.name", unlink), std::nullopt);
}

TEST_F(FieldExtractTest, ConnectedClientSocket) {
    const Event connect = net_event(tcp4_connect());
    EXPECT_EQ(text("fd.name", connect), "10.0.0.5:43210->93.184.216.34:443");
    EXPECT_EQ(text("evt.arg.tuple", connect), "10.0.0.5:43210->93.184.216.34:443");
    EXPECT_EQ(text("evt.arg.fd", connect), "<4t>10.0.0.5:43210->93.184.216.34:443");
    EXPECT_EQ(text("evt.arg.addr", connect), "93.184.216.34:443");
    EXPECT_EQ(integer("fd.num", connect), 5);
    EXPECT_EQ(text("fd.typechar", connect), "4");
    EXPECT_EQ(text("fd.type", connect), "ipv4");
    EXPECT_EQ(text("fd.l4proto", connect), "tcp");
    EXPECT_EQ(text("fd.sockfamily", connect), "ip");
    EXPECT_EQ(boolean("fd.connected", connect), true);
    EXPECT_EQ(boolean("fd.name_changed", connect), false);
    // The connecting side is the client, and local.
    EXPECT_EQ(address("fd.cip", connect), "10.0.0.5");
    EXPECT_EQ(address("fd.lip", connect), "10.0.0.5");
    EXPECT_EQ(address("fd.sip", connect), "93.184.216.34");
    EXPECT_EQ(address("fd.rip", connect), "93.184.216.34");
    EXPECT_EQ(unsigned_value("fd.cport", connect), 43210u);
    EXPECT_EQ(unsigned_value("fd.lport", connect), 43210u);
    EXPECT_EQ(unsigned_value("fd.sport", connect), 443u);
    EXPECT_EQ(unsigned_value("fd.rport", connect), 443u);
    EXPECT_EQ(address("fd.snet", connect, FieldType::IpNet), "93.184.216.34");
    EXPECT_EQ(text("fd.sproto", connect), "443");

    const auto either = values("fd.ip", connect);
    ASSERT_TRUE(either);
    ASSERT_EQ(either->size(), 2u);
    EXPECT_EQ(ip_text((*either)[0]), "10.0.0.5");
    EXPECT_EQ(ip_text((*either)[1]), "93.184.216.34");
    const auto ports = values("fd.port", connect);
    ASSERT_TRUE(ports);
    EXPECT_EQ(ports->size(), 2u);

    // A non-blocking connect in progress is a client that is not connected yet.
    NetData pending = tcp4_connect();
    pending.ret = -EINPROGRESS;
    EXPECT_EQ(text("evt.res", net_event(pending)), "EINPROGRESS");
    EXPECT_EQ(boolean("fd.connected", net_event(pending)), false);
    EXPECT_EQ(address("fd.sip", net_event(pending)), "93.184.216.34");
}

TEST_F(FieldExtractTest, AcceptedServerSocket) {
    const Event accept = net_event(tcp4_accept());
    EXPECT_EQ(text("fd.name", accept), "198.51.100.7:51000->10.0.0.5:22");
    EXPECT_EQ(integer("fd.num", accept), 7);
    EXPECT_EQ(text("fd.typechar", accept), "4");
    EXPECT_EQ(text("fd.l4proto", accept), "tcp");
    EXPECT_EQ(boolean("fd.is_server", accept), true);
    // The accepting side is the server, and local.
    EXPECT_EQ(address("fd.sip", accept), "10.0.0.5");
    EXPECT_EQ(address("fd.lip", accept), "10.0.0.5");
    EXPECT_EQ(address("fd.cip", accept), "198.51.100.7");
    EXPECT_EQ(address("fd.rip", accept), "198.51.100.7");
    EXPECT_EQ(unsigned_value("fd.lport", accept), 22u);
    EXPECT_EQ(unsigned_value("fd.sport", accept), 22u);
    EXPECT_EQ(unsigned_value("fd.rport", accept), 51000u);
    EXPECT_EQ(unsigned_value("fd.cport", accept), 51000u);
}

TEST_F(FieldExtractTest, OtherSocketShapes) {
    NetData v6 = tcp4_connect();
    v6.family = AF_INET6;
    v6.local_addr = "::1";
    v6.remote_addr = "::1";
    v6.remote_port = 80;
    EXPECT_EQ(text("fd.name", net_event(v6)), "::1:43210->::1:80");
    EXPECT_EQ(text("fd.typechar", net_event(v6)), "6");
    EXPECT_EQ(address("fd.sip", net_event(v6)), "::1");

    // An IPv6 socket carrying IPv4 is reported as IPv4, as Falco does.
    NetData mapped = tcp4_connect();
    mapped.family = AF_INET6;
    mapped.local_addr = "::ffff:10.0.0.5";
    mapped.remote_addr = "::ffff:93.184.216.34";
    EXPECT_EQ(text("fd.name", net_event(mapped)), "10.0.0.5:43210->93.184.216.34:443");
    EXPECT_EQ(text("fd.typechar", net_event(mapped)), "4");

    const Event unix_connect = net_event(NetData{.ret = 0, .syscall_nr = SYS_connect, .op = PL_NET_CONNECT,
                                                 .family = AF_UNIX, .sock_type = SOCK_STREAM, .fd = 4,
                                                 .unix_path = "/var/run/docker.sock"});
    EXPECT_EQ(text("fd.name", unix_connect), "/var/run/docker.sock");
    EXPECT_EQ(text("fd.typechar", unix_connect), "u");
    EXPECT_EQ(text("fd.type", unix_connect), "unix");
    EXPECT_EQ(text("fd.sockfamily", unix_connect), "unix");
    EXPECT_EQ(address("fd.sip", unix_connect), std::nullopt);

    const Event packet = net_event(NetData{.ret = 6, .syscall_nr = SYS_socket, .op = PL_NET_SOCKET,
                                           .family = AF_PACKET, .sock_type = SOCK_RAW, .protocol = 768});
    EXPECT_EQ(text("evt.arg.domain", packet), "AF_PACKET");
    EXPECT_EQ(text("evt.arg.type", packet), "3");
    EXPECT_EQ(integer("fd.num", packet), 6);
    EXPECT_EQ(text("fd.typechar", packet), "o");
    EXPECT_EQ(text("fd.type", packet), std::nullopt);

    const Event udp_socket = net_event(NetData{.ret = 3, .syscall_nr = SYS_socket, .op = PL_NET_SOCKET,
                                               .family = AF_INET, .sock_type = SOCK_DGRAM, .fd = -1,
                                               .local_addr = "0.0.0.0", .remote_addr = "0.0.0.0"});
    EXPECT_EQ(text("fd.name", udp_socket), "");  // no tuple yet
    EXPECT_EQ(text("fd.l4proto", udp_socket), "<NA>");
    EXPECT_EQ(address("fd.sip", udp_socket), std::nullopt);

    const Event bind = net_event(NetData{.ret = 0, .syscall_nr = SYS_bind, .op = PL_NET_BIND, .family = AF_INET,
                                         .sock_type = SOCK_STREAM, .protocol = IPPROTO_TCP, .fd = 3,
                                         .local_addr = "0.0.0.0", .local_port = 8080, .remote_addr = "0.0.0.0"});
    EXPECT_EQ(text("fd.name", bind), "0.0.0.0:8080");
    EXPECT_EQ(text("fd.typechar", bind), "4");
    EXPECT_EQ(text("fd.type", bind), "ipv4");
    EXPECT_EQ(unsigned_value("fd.sport", bind), 8080u);
    EXPECT_EQ(unsigned_value("fd.lport", bind), std::nullopt);
    EXPECT_EQ(text("evt.arg.addr", bind), "0.0.0.0:8080");

    // A shell redirecting stdout to a socket: dup2(5, 1).
    NetData dup = tcp4_connect();
    dup.syscall_nr = SYS_dup2;
    dup.op = PL_NET_DUP;
    dup.ret = 1;
    const Event redirect = net_event(dup);
    EXPECT_EQ(integer("evt.rawres", redirect), 1);
    EXPECT_EQ(text("fd.type", redirect), "ipv4");
    EXPECT_EQ(integer("fd.num", redirect), 5);
    EXPECT_EQ(text("evt.arg.newfd", redirect), "1");
    EXPECT_EQ(text("evt.arg.oldfd", redirect), "<4t>10.0.0.5:43210->93.184.216.34:443");
}

TEST_F(FieldExtractTest, FileOperationArguments) {
    const Event rename = file_op_event(SYS_renameat2, "/usr/bin/ls", "/tmp/ls");
    EXPECT_EQ(text("evt.arg.oldpath", rename), "/usr/bin/ls");
    EXPECT_EQ(text("evt.arg.newpath", rename), "/tmp/ls");
    EXPECT_EQ(text("fs.path.source", rename), "/usr/bin/ls");
    EXPECT_EQ(text("fs.path.target", rename), "/tmp/ls");
    EXPECT_EQ(text("fs.path.name", rename), std::nullopt);

    const Event symlink = file_op_event(SYS_symlinkat, "/etc/shadow", "/tmp/s");
    EXPECT_EQ(text("evt.arg.target", symlink), "/etc/shadow");
    EXPECT_EQ(text("evt.arg.linkpath", symlink), "/tmp/s");

    EXPECT_EQ(text("evt.arg.name", file_op_event(SYS_unlinkat, "/var/log/auth.log", "")), "/var/log/auth.log");

    Event chmod = file_op_event(SYS_fchmodat, "/tmp/sh", "");
    std::get<FileOpData>(chmod.data).mode = 04755;
    EXPECT_EQ(text("evt.arg.filename", chmod), "/tmp/sh");
    EXPECT_EQ(text("evt.arg.mode", chmod), "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID");

    Event mkdir = file_op_event(SYS_mkdirat, "/tmp/d", "");
    std::get<FileOpData>(mkdir.data).mode = 0700;
    EXPECT_EQ(text("evt.arg.path", mkdir), "/tmp/d");
    EXPECT_EQ(text("evt.arg.mode", mkdir), "0700");

    Event memfd = file_op_event(SYS_memfd_create, "", "payload", 4);
    std::get<FileOpData>(memfd.data).flags = 1;  // MFD_CLOEXEC
    EXPECT_EQ(text("evt.arg.name", memfd), "payload");
    EXPECT_EQ(text("evt.arg.flags", memfd), "MFD_CLOEXEC");
    EXPECT_EQ(text("fd.name", memfd), "memfd:payload");
    EXPECT_EQ(text("fd.typechar", memfd), "m");
}

TEST_F(FieldExtractTest, PrivilegeSyscallArguments) {
    const Event attach = syscall_event(SYS_ptrace, {16 /* PTRACE_ATTACH */, 1234, 0, 0});
    EXPECT_EQ(text("evt.arg.request", attach), "PTRACE_ATTACH");
    EXPECT_EQ(text("evt.arg.pid", attach), "1234");
    EXPECT_EQ(text("evt.args", attach), "res=0 addr=0x0 data=0x0 request=16(PTRACE_ATTACH) pid=1234");

    EXPECT_EQ(text("evt.arg.uid", syscall_event(SYS_setuid, {0})), "root");
    EXPECT_EQ(text("evt.arg.euid", syscall_event(SYS_setresuid, {0xffffffff, 0, 0})), "root");
    EXPECT_EQ(text("evt.arg.ruid", syscall_event(SYS_setresuid, {0xffffffff, 0, 0})), "-1");

    const Event kill = syscall_event(SYS_kill, {1, 9});
    EXPECT_EQ(text("evt.arg.sig", kill), "SIGKILL");
    EXPECT_EQ(text("evt.arg.pid", kill), "1");

    const Event mount = syscall_event(SYS_mount, {0, 0, 0, 0xc0ed0000 | 4096 /* MS_BIND */}, 0, "/", "/mnt/host");
    EXPECT_EQ(text("evt.arg.dev", mount), "/");
    EXPECT_EQ(text("evt.arg.dir", mount), "/mnt/host");
    EXPECT_EQ(text("evt.arg.flags", mount), "BIND");

    EXPECT_EQ(text("evt.arg.option", syscall_event(SYS_prctl, {15})), "PR_SET_NAME");
    EXPECT_EQ(text("evt.arg.flags", syscall_event(SYS_unshare, {0x00020000 | 0x20000000})),
              "CLONE_NEWNS|CLONE_NEWPID");
    EXPECT_EQ(text("evt.arg.cmd", syscall_event(SYS_bpf, {5}, 7)), "5");
    EXPECT_EQ(text("evt.arg.prot", syscall_event(SYS_mprotect, {0x1000, 4096, 7})), "PROT_READ|PROT_WRITE|PROT_EXEC");

    const Event module = syscall_event(SYS_finit_module, {3, 0, 0}, 0, "", "/tmp/rootkit.ko");
    EXPECT_EQ(integer("fd.num", module), 3);
    EXPECT_EQ(text("fd.name", module), "/tmp/rootkit.ko");
    EXPECT_EQ(text("evt.arg.fd", module), "<f>/tmp/rootkit.ko");
}

TEST_F(FieldExtractTest, ContainerIsHostAndKubernetesIsUnknown) {
    EXPECT_EQ(text("container.id", read_shadow), "host");
    EXPECT_EQ(text("container.name", read_shadow), "host");
    EXPECT_EQ(text("container.image.repository", read_shadow), std::nullopt);
    EXPECT_EQ(boolean("container.privileged", read_shadow), std::nullopt);
    EXPECT_EQ(text("container.mount.dest[/etc]", read_shadow), std::nullopt);
    EXPECT_EQ(text("k8s.ns.name", read_shadow), std::nullopt);
}

// A process in a podman pod: identity from its cgroup at once, the rest once
// the (here fake) runtime has answered.
TEST_F(FieldExtractTest, ContainerAndPodFieldsReadTheProcessContainer) {
    const std::string id = "e767d4e984424b1c381b5d80e618dad54eb29847e7a537bafd7a59ab8405d49b";
    ContainerResolver::Options options;
    std::atomic<bool> answer{false};
    options.fetch = [&](const MetadataRequest& request) -> std::optional<ContainerMetadata> {
        while (!answer) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ContainerMetadata m;
        m.name = "webpod-box";
        m.image = "localhost/palisade-test:latest";
        m.image_repository = "localhost/palisade-test";
        m.image_tag = "latest";
        m.image_id = "b4fce53df200";
        m.privileged = false;
        m.mounts = {{"/srv/data", "/data", "ro,rbind", false, "rprivate"}, {"/run/x.sock", "/var/run/docker.sock", "", true, ""}};
        m.start_ns = 1'000'000'000;
        m.pod_name = "webpod";
        m.pod_namespace = "shop";
        m.pod_labels = {{"app", "web"}, {"tier", "front"}};
        EXPECT_EQ(request.id, id);
        return m;
    };
    ContainerResolver resolver(std::move(options));
    cache.set_exec_observer([&](const ExecData& exec, Process& image) { image.container = resolver.lookup(exec.cgroup); });
    Event sh = exec_event(700, 100, "sh", "/bin/busybox", {"/bin/sh"});
    exec_data(sh).cgroup = "/libpod_parent/771ec111842f2d702edeadb8cb761d45645827f9aecf1c57bccec071642a6d22/libpod-" + id;
    feed(sh);

    EXPECT_EQ(text("container.id", sh), id.substr(0, 12));
    EXPECT_EQ(text("container.full_id", sh), id);
    EXPECT_EQ(text("container.type", sh), "podman");
    EXPECT_EQ(text("container.name", sh), std::nullopt) << "not known yet";
    EXPECT_EQ(text("container.image", sh), std::nullopt);

    answer = true;
    ASSERT_TRUE(resolver.wait_idle(std::chrono::seconds(5)));
    EXPECT_EQ(text("container.name", sh), "webpod-box");
    EXPECT_EQ(text("container.image", sh), "localhost/palisade-test:latest");
    EXPECT_EQ(text("container.image.repository", sh), "localhost/palisade-test");
    EXPECT_EQ(text("container.image.tag", sh), "latest");
    EXPECT_EQ(text("container.image.id", sh), "b4fce53df200");
    EXPECT_EQ(text("container.image.digest", sh), std::nullopt);
    EXPECT_EQ(boolean("container.privileged", sh), false);
    EXPECT_EQ(text("container.mounts", sh), "/srv/data:/data:ro,rbind:false:rprivate,/run/x.sock:/var/run/docker.sock::true:");
    EXPECT_EQ(text("container.mount.dest[/var/run/docker.sock]", sh), "/var/run/docker.sock");
    EXPECT_EQ(text("container.mount.source[/dat*]", sh), "/srv/data");
    EXPECT_EQ(text("container.mount.rdwr[0]", sh), "false");
    EXPECT_EQ(text("container.mount[1]", sh), "/run/x.sock:/var/run/docker.sock::true:");
    EXPECT_EQ(text("container.mount.dest[/etc]", sh), std::nullopt);
    EXPECT_EQ(text("container.mount.dest[5]", sh), std::nullopt);
    EXPECT_EQ(unsigned_value("container.start_ts", sh), 1'000'000'000u);
    EXPECT_EQ(text("k8s.pod.name", sh), "webpod");
    EXPECT_EQ(text("k8s.ns.name", sh), "shop");
    EXPECT_EQ(text("k8s.pod.labels", sh), "app:web, tier:front");
    EXPECT_EQ(text("k8s.pod.label[tier]", sh), "front");
    EXPECT_EQ(text("k8s.pod.label[none]", sh), std::nullopt);
    EXPECT_EQ(text("k8s.pod.uid", sh), std::nullopt);

    // A fork inherits the container; the host stays the host.
    Event fork{EventType::Fork, 0, kNow, 701, 701, ForkData{image(701), image(700), 700, 700, false}};
    feed(fork);
    EXPECT_EQ(text("container.name", fork), "webpod-box");
    EXPECT_EQ(text("container.id", read_shadow), "host");
    EXPECT_EQ(text("container.type", read_shadow), "host");
    EXPECT_EQ(text("k8s.pod.name", read_shadow), std::nullopt);
}

// --- binding ---------------------------------------------------------------------

std::string bind_error(std::string_view field, const FieldArg& arg = {}) {
    std::string error;
    auto extractor = FieldCatalog::instance().bind(field, arg, &error);
    EXPECT_EQ(extractor, nullptr) << field << " bound unexpectedly";
    EXPECT_FALSE(error.empty()) << field;
    return error;
}

TEST(FieldCatalog, BindErrorsNameTheFieldAndTheCause) {
    EXPECT_EQ(bind_error("proc.nmae"), "unknown field 'proc.nmae'");
    EXPECT_EQ(bind_error("ka.verb"), "unknown field 'ka.verb'");

    EXPECT_EQ(bind_error("evt.arg"), "field 'evt.arg' requires an argument, e.g. evt.arg.name or evt.arg[0]");
    EXPECT_NE(bind_error("container.mount.dest").find("requires an argument"), std::string::npos);

    EXPECT_EQ(bind_error("proc.name[1]"), "field 'proc.name' does not take an argument (got '1')");
    EXPECT_EQ(bind_error("proc.name", FieldArg{.index = 1}), "field 'proc.name' does not take an argument (got '1')");
    EXPECT_EQ(bind_error("fd.name", FieldArg{.key = "x"}), "field 'fd.name' does not take an argument (got 'x')");

    EXPECT_EQ(bind_error("proc.aname[bash]"), "field 'proc.aname' takes a numeric index, not 'bash'");
    EXPECT_EQ(bind_error("proc.aname[65]"), "argument 65 of field 'proc.aname' is out of range (0..64)");
    EXPECT_EQ(bind_error("proc.aname[-1]"), "argument -1 of field 'proc.aname' is out of range (0..64)");
    EXPECT_EQ(bind_error("evt.arg.nosuchparam"), "field 'evt.arg' has no argument named 'nosuchparam'");
    EXPECT_EQ(bind_error("proc.aname[2]", FieldArg{.index = 3}),
              "field 'proc.aname' is given an argument twice ('2' and '3')");
    EXPECT_NE(bind_error("proc.aname[2").find("malformed"), std::string::npos);
    EXPECT_NE(bind_error("proc.aname[]").find("malformed"), std::string::npos);
}

TEST(FieldCatalog, FindSplitsArgumentsAndBindAcceptsBothSpellings) {
    const FieldCatalog& catalog = FieldCatalog::instance();
    ASSERT_NE(catalog.find("proc.aname[2]"), nullptr);
    EXPECT_EQ(catalog.find("proc.aname[2]")->name, "proc.aname");
    EXPECT_TRUE(catalog.find("proc.aname")->arg_allowed);
    EXPECT_FALSE(catalog.find("proc.aname")->arg_required);
    EXPECT_TRUE(catalog.find("proc.aname")->list);
    ASSERT_NE(catalog.find("evt.arg.flags"), nullptr);
    EXPECT_EQ(catalog.find("evt.arg.flags")->name, "evt.arg");
    EXPECT_EQ(catalog.find("evt.arg[0]")->name, "evt.arg");
    EXPECT_EQ(catalog.find("container.mount.dest[/var/run/docker.sock]")->name, "container.mount.dest");
    EXPECT_EQ(catalog.find("fd.cip.name")->name, "fd.cip.name");  // a dotted name that is a field, not an argument
    EXPECT_EQ(catalog.find("proc.exe_ino.ctime")->name, "proc.exe_ino.ctime");
    EXPECT_EQ(catalog.find("proc.nope"), nullptr);
    EXPECT_EQ(catalog.find("evt.arg."), nullptr);

    std::string error;
    EXPECT_NE(catalog.bind("proc.aname", FieldArg{.index = 2}, &error), nullptr) << error;
    EXPECT_NE(catalog.bind("evt.arg", FieldArg{.key = "flags"}, &error), nullptr) << error;
    EXPECT_NE(catalog.bind("evt.arg", FieldArg{.index = 1}, &error), nullptr) << error;
    EXPECT_NE(catalog.bind("container.mount.dest", FieldArg{.key = "/etc"}, &error), nullptr) << error;
    EXPECT_NE(catalog.bind("proc.env", FieldArg{.key = "HOME"}, &error), nullptr) << error;
}

// Every field, bound and extracted over events of every kind: values carry
// the field's declared type, single-valued fields yield at most one value and
// <NA> leaves the output untouched.
TEST_F(FieldExtractTest, EveryFieldYieldsValuesOfItsDeclaredType) {
    Event exit{EventType::Exit, 0, kNow, kPython, kPython, ExitData{image(kPython), 0}};
    const std::vector<Event> events = {
        read_shadow,
        open_event(SYS_openat, "x", "/x", O_RDONLY, 0, -ENOENT),
        file_op_event(SYS_renameat2, "/a", "/b"),
        file_op_event(SYS_memfd_create, "", "m", 3),
        net_event(tcp4_connect()),
        net_event(tcp4_accept()),
        syscall_event(SYS_ptrace, {16, 1}),
        syscall_event(SYS_setuid, {0}),
        exec_event(kPython, 100, "python3", "/usr/bin/python3.11", {"python3"}),
        Event{EventType::Fork, 0, kNow, kPython, kPython, ForkData{image(kPython), image(100), 100, 100, false}},
        exit,
    };
    std::size_t extracted = 0;
    for (const FieldInfo& info : FieldCatalog::instance().fields()) {
        std::string reference = info.name;
        if (info.arg_required) reference += info.name == "evt.arg" ? ".name" : "[0]";
        std::string error;
        auto extractor = FieldCatalog::instance().bind(reference, {}, &error);
        ASSERT_NE(extractor, nullptr) << reference << ": " << error;
        for (const Event& event : events) {
            const EvalContext ctx{event, cache, cache.find_pid(event.tgid)};
            std::vector<FieldValue> out{FieldValue::string("sentinel")};
            const bool found = extractor->extract(ctx, out);
            ASSERT_FALSE(out.empty());
            EXPECT_EQ(out.front().str, "sentinel") << info.name << " cleared the output";
            if (!found) {
                EXPECT_EQ(out.size(), 1u) << info.name << " appended values but reported <NA>";
                continue;
            }
            ++extracted;
            EXPECT_GE(out.size(), 2u) << info.name;
            if (!info.list) {
                EXPECT_EQ(out.size(), 2u) << info.name;
            }
            for (std::size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i].type, info.type) << info.name;
        }
    }
    EXPECT_GT(extracted, 300u);
}

// Falco compares the values of these fields one by one, any match sufficing
// (an ancestor's name, either end of a connection); the engine needs to know.
TEST(FieldCatalog, AlternativeValuesAreMarked) {
    for (const char* name : {"proc.aname", "proc.aexe", "proc.aexepath", "proc.acmdline", "proc.apid"}) {
        const FieldInfo* info = FieldCatalog::instance().find(name);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_TRUE(info->list && info->any_value) << name;
        EXPECT_FALSE(info->not_equal_needs_all_values) << name;  // Falco: some ancestor differs
    }
    for (const char* name : {"fd.ip", "fd.net", "fd.port"}) {
        const FieldInfo* info = FieldCatalog::instance().find(name);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_TRUE(info->list && info->any_value && info->not_equal_needs_all_values) << name;
    }
    const FieldInfo* types = FieldCatalog::instance().find("fd.types");
    EXPECT_TRUE(types->list && !types->any_value);
    const FieldInfo* name = FieldCatalog::instance().find("proc.name");
    EXPECT_FALSE(name->list || name->any_value || name->not_equal_needs_all_values);
}

TEST(FieldCatalog, NamesAreUniqueAndDescribed) {
    std::set<std::string> names;
    for (const FieldInfo& info : FieldCatalog::instance().fields()) {
        EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
        EXPECT_FALSE(info.description.empty()) << info.name;
        EXPECT_TRUE(!info.arg_required || info.arg_allowed) << info.name;
        EXPECT_EQ(FieldCatalog::instance().find(info.name), &info) << info.name;
    }
}

// --- the official rules ------------------------------------------------------------

// Field references in the conditions and outputs of a Falco rules file.
// Comment lines and other keys (desc, items of lists, ...) are skipped: a
// list item such as "user.log" or a registry "registry.k8s.io" is not a field.
std::set<std::string> fields_used_by(const std::filesystem::path& file) {
    static const std::regex kComment(R"(^\s*#)");
    static const std::regex kKey(R"(^(\s*)(?:- )?([A-Za-z_]+):(.*)$)");
    // A field name not preceded by a name character, '.', '/' or '-', with an
    // optional [argument]; group 2 is the reference.
    static const std::regex kField(R"((^|[^A-Za-z0-9_./-]))"
                                   R"(((?:evt|proc|thread|user|group|fd|fs|container|k8s|ka)\.)"
                                   R"([A-Za-z0-9_.]*[A-Za-z0-9_](?:\[[^\]]*\])?))");
    std::set<std::string> found;
    std::ifstream in(file);
    std::string line, key;
    while (std::getline(in, line)) {
        if (std::regex_search(line, kComment)) continue;
        std::smatch match;
        std::string content = line;
        if (std::regex_match(line, match, kKey) && match[1].length() <= 2) {
            key = match[2];
            content = match[3];
        }
        if (key != "condition" && key != "output") continue;
        for (auto it = std::sregex_iterator(content.begin(), content.end(), kField); it != std::sregex_iterator(); ++it)
            found.insert((*it)[2]);
    }
    return found;
}

TEST(FieldRuleCoverage, EveryFieldOfTheOfficialRulesIsKnown) {
    const std::filesystem::path dir = std::filesystem::path(PALISADE_CORPUS_DIR) / "falco-rules";
    // Fields deliberately not provided. ka.* (Kubernetes audit) and other
    // plugin event sources would go here; the three files use none, and the
    // container plugin's container.* fields are part of the catalog.
    const std::set<std::string> excluded_prefixes = {"ka."};
    std::set<std::string> used;
    for (const char* file : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}) {
        ASSERT_TRUE(std::filesystem::exists(dir / file)) << dir / file;
        const auto fields = fields_used_by(dir / file);
        EXPECT_GT(fields.size(), 20u) << file << ": the field regex found almost nothing";
        used.insert(fields.begin(), fields.end());
    }
    EXPECT_GT(used.size(), 100u);
    for (const std::string& field : used) {
        if (std::any_of(excluded_prefixes.begin(), excluded_prefixes.end(),
                        [&](const std::string& prefix) { return field.starts_with(prefix); }))
            continue;
        std::string error;
        EXPECT_NE(FieldCatalog::instance().find(field), nullptr) << field;
        EXPECT_NE(FieldCatalog::instance().bind(field, {}, &error), nullptr) << field << ": " << error;
    }
}

TEST(FieldRuleCoverage, RuleFieldsHaveFalcosTypes) {
    const std::vector<std::pair<const char*, FieldType>> expected = {
        {"evt.type", FieldType::String},        {"evt.rawres", FieldType::Int},
        {"evt.num", FieldType::Uint},           {"evt.is_open_read", FieldType::Bool},
        {"proc.tty", FieldType::Uint},          {"proc.vpid", FieldType::Int},
        {"proc.duration", FieldType::Uint},     {"proc.is_exe_upper_layer", FieldType::Bool},
        {"user.uid", FieldType::Uint},          {"user.loginuid", FieldType::Int},
        {"group.gid", FieldType::Uint},         {"fd.num", FieldType::Int},
        {"fd.sip", FieldType::IpAddr},          {"fd.ip", FieldType::IpAddr},
        {"fd.net", FieldType::IpNet},           {"fd.snet", FieldType::IpNet},
        {"fd.cnet", FieldType::IpNet},          {"fd.rnet", FieldType::IpNet},
        {"fd.lport", FieldType::Uint},          {"fd.connected", FieldType::Bool},
        {"container.privileged", FieldType::Bool}, {"container.start_ts", FieldType::Uint},
        {"thread.cap_effective", FieldType::String}, {"proc.aname", FieldType::String},
    };
    for (const auto& [name, type] : expected) {
        const FieldInfo* info = FieldCatalog::instance().find(name);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_EQ(info->type, type) << name;
    }
}

}  // namespace
}  // namespace palisade::rules
