// TracingPolicy and NetworkPolicy enforcement on real acts: the agent runs
// with the seeds' policies, real programs try what they forbid, and the act
// must not take effect (enforce) or only be reported (monitor).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proc/proc_snapshot.h"
#include "support/agent_process.h"

namespace {

namespace fs = std::filesystem;
using palisade::test::run_agent_around;
using palisade::test::slurp;
using palisade::test::temp_path;

const std::string kExamples = PALISADE_SOURCE_DIR "/policies/examples/";

struct Shell {
    int status = 0;
    std::string out;
    bool killed() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
};

// Runs `command` under /bin/sh with stdout to a file; the shell itself execs
// the last command, so a SIGKILL shows in the status.
Shell shell(const std::string& command)
{
    const std::string out = temp_path("shell-out");
    pid_t child = fork();
    if (child == 0) {
        freopen(out.c_str(), "w", stdout);
        execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
        _exit(127);
    }
    Shell r;
    waitpid(child, &r.status, 0);
    r.out = slurp(out);
    return r;
}

// A TracingPolicy named `name` with this spec, in a file of its own; returns the path.
std::string write_tracing_policy(const std::string& name, const std::string& spec)
{
    const std::string path = temp_path(name + ".yaml");
    std::ofstream(path) << "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: " << name
                        << "}\nspec:\n"
                        << spec;
    return path;
}

std::vector<nlohmann::json> policy_events(const palisade::test::AgentOutput& output)
{
    std::vector<nlohmann::json> events;
    for (const auto& line : output.lines)
        if (line.value("type", "") == "policy")
            events.push_back(line);
    return events;
}

palisade::test::AgentOutput with_policies(const std::vector<std::string>& paths, const std::string& mode,
                                          const std::function<void()>& acts)
{
    std::vector<std::string> args = {"--no-rules", "-e", "exec", "--policy-mode", mode};
    for (const auto& p : paths)
        args.insert(args.end(), {"-p", p});
    return run_agent_around(args, [&](pid_t) { acts(); });
}

std::string events_text(const std::vector<nlohmann::json>& events)
{
    std::string text;
    for (const auto& e : events)
        text += e["policy"].dump() + "\n";
    return text;
}

void copy_file(const std::string& from, const std::string& to)
{
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    chmod(to.c_str(), 0755);
}

TEST(PolicyEnforcement, CryptoMinerIsKilledBeforeItsFirstInstruction)
{
    copy_file("/bin/echo", "/tmp/xmrig");
    Shell run;
    auto out = with_policies({kExamples + "block-crypto-mining.yaml"}, "enforce",
                             [&] { run = shell("exec /tmp/xmrig mined"); });
    EXPECT_TRUE(run.killed()) << run.status;
    EXPECT_EQ(run.out, "");  // killed at execve entry: not one instruction ran
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["name"], "block-crypto-mining");
    EXPECT_EQ(events[0]["policy"]["hook"], "sys_execve");
    EXPECT_EQ(events[0]["policy"]["action"], "sigkill");
    EXPECT_EQ(events[0]["policy"]["enforced"], true);
    EXPECT_EQ(events[0]["policy"]["arg"], "/tmp/xmrig");
    EXPECT_TRUE(events[0].contains("parent")) << "the process lineage comes with the event";

    // Monitor mode: the same act runs and is only reported.
    out = with_policies({kExamples + "block-crypto-mining.yaml"}, "monitor",
                        [&] { run = shell("exec /tmp/xmrig mined"); });
    EXPECT_EQ(run.status, 0);
    EXPECT_EQ(run.out, "mined\n");
    events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["mode"], "monitor");
    EXPECT_EQ(events[0]["policy"]["enforced"], false);
    unlink("/tmp/xmrig");
}

TEST(PolicyEnforcement, RelativePathsAreMatchedAbsolute)
{
    copy_file("/bin/echo", "/tmp/xmrig");
    Shell run;
    auto out = with_policies({kExamples + "block-crypto-mining.yaml"}, "enforce",
                             [&] { run = shell("cd /tmp && exec ./xmrig mined"); });
    EXPECT_TRUE(run.killed());
    EXPECT_EQ(run.out, "");
    unlink("/tmp/xmrig");
}

TEST(PolicyEnforcement, SensitiveFileIsNotRead)
{
    Shell absolute, relative, allowed;
    auto out = with_policies({kExamples + "sensitive-file-access.yaml"}, "enforce", [&] {
        absolute = shell("exec cat /etc/shadow");
        relative = shell("cd /etc && exec cat ./shadow");
        allowed = shell("exec cat /etc/hostname");
    });
    EXPECT_TRUE(absolute.killed());
    EXPECT_EQ(absolute.out, "");
    EXPECT_TRUE(relative.killed());
    EXPECT_EQ(relative.out, "");
    EXPECT_EQ(allowed.status, 0);
    EXPECT_NE(allowed.out, "");
    auto events = policy_events(out);
    ASSERT_GE(events.size(), 2u) << out.log;
    EXPECT_EQ(events[0]["policy"]["name"], "sensitive-file-access");
    EXPECT_EQ(events[0]["policy"]["hook"], "fd_install");
    EXPECT_EQ(events[0]["policy"]["arg"], "/etc/shadow");
}

TEST(PolicyEnforcement, AuthorizedKeysAreNeitherReadNorWritten)
{
    const std::string dir = temp_path("home");
    fs::create_directories(dir + "/.ssh");
    const std::string keys = dir + "/.ssh/authorized_keys";
    std::ofstream(keys) << "ssh-ed25519 AAAA original\n";
    Shell append, read;
    auto out = with_policies({kExamples + "protect-ssh-authorized-keys.yaml"}, "enforce", [&] {
        append = shell("echo ssh-ed25519 evil >> " + keys);
        read = shell("exec cat " + keys);
    });
    EXPECT_TRUE(append.killed());
    EXPECT_TRUE(read.killed());
    EXPECT_EQ(read.out, "");
    EXPECT_EQ(slurp(keys), "ssh-ed25519 AAAA original\n");
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 2u) << events_text(events) << out.log;
    EXPECT_EQ(events[0]["policy"]["hook"], "lsm/file_open");
    EXPECT_EQ(events[0]["policy"]["action"], "override");
    EXPECT_NE(out.log.find("Override needs BPF LSM"), std::string::npos) << "the degradation is logged";
    fs::remove_all(dir);
}

TEST(PolicyEnforcement, PackageManagersAreDenied)
{
    ASSERT_TRUE(fs::exists("/usr/bin/apt-get")) << "Debian's apt-get is the package manager tried here";
    Shell run;
    auto out = with_policies({kExamples + "deny-package-managers.yaml"}, "enforce",
                             [&] { run = shell("exec /usr/bin/apt-get --version"); });
    EXPECT_TRUE(run.killed());
    EXPECT_EQ(run.out, "");
    out = with_policies({kExamples + "deny-package-managers.yaml"}, "monitor",
                        [&] { run = shell("exec /usr/bin/apt-get --version"); });
    EXPECT_EQ(run.status, 0);
    EXPECT_NE(run.out.find("apt"), std::string::npos);
    EXPECT_EQ(policy_events(out).size(), 1u);
}

// A listening socket on loopback that tells whether anyone connected.
struct Listener {
    int fd = -1;
    int port = 0;
    explicit Listener(const char* ip, int wanted_port = 0)
    {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(wanted_port);
        inet_pton(AF_INET, ip, &addr.sin_addr);
        EXPECT_EQ(bind(fd, (sockaddr*)&addr, sizeof(addr)), 0) << strerror(errno);
        listen(fd, 8);
        socklen_t len = sizeof(addr);
        getsockname(fd, (sockaddr*)&addr, &len);
        port = ntohs(addr.sin_port);
    }
    ~Listener() { close(fd); }
    bool accepted_any()
    {
        int c = accept(fd, nullptr, nullptr);
        if (c >= 0)
            close(c);
        return c >= 0;
    }
};

TEST(PolicyEnforcement, ReverseShellConnectionIsNeverEstablished)
{
    Listener listener("127.0.0.1");
    Shell bash_shell, other;
    const std::string connect = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(listener.port) + "; echo connected";
    auto out = with_policies({kExamples + "block-reverse-shell.yaml"}, "enforce", [&] {
        bash_shell = shell("exec /bin/bash -c '" + connect + "'");
    });
    EXPECT_TRUE(bash_shell.killed());
    EXPECT_EQ(bash_shell.out, "");
    EXPECT_FALSE(listener.accepted_any()) << "the connection must never be established";
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["name"], "block-reverse-shell");
    EXPECT_EQ(events[0]["policy"]["remote"]["addr"], "127.0.0.1");
    EXPECT_EQ(events[0]["policy"]["remote"]["port"], listener.port);
}

// Connects from inside `cgroup` (a cgroup v2 directory) and returns the errno
// of each attempt (0 = connected).
std::vector<int> connect_from_cgroup(const std::string& cgroup, const std::vector<std::pair<std::string, int>>& to)
{
    int pipe_fds[2];
    EXPECT_EQ(pipe(pipe_fds), 0);
    pid_t child = fork();
    if (child == 0) {
        std::ofstream(cgroup + "/cgroup.procs") << getpid() << std::endl;
        for (const auto& [ip, port] : to) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(port);
            inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
            int err = connect(s, (sockaddr*)&addr, sizeof(addr)) == 0 ? 0 : errno;
            close(s);
            if (write(pipe_fds[1], &err, sizeof(err)) != sizeof(err))
                _exit(1);
        }
        _exit(0);
    }
    close(pipe_fds[1]);
    std::vector<int> errors;
    for (int err; read(pipe_fds[0], &err, sizeof(err)) == sizeof(err);)
        errors.push_back(err);
    close(pipe_fds[0]);
    waitpid(child, nullptr, 0);
    return errors;
}

TEST(NetworkPolicy, EgressAllowListRefusesEverythingElseWithEperm)
{
    const std::string cgroup2 = palisade::find_cgroup2_mount();
    ASSERT_FALSE(cgroup2.empty()) << "this machine has a cgroup v2 hierarchy";
    const std::string name = "palisade-test-" + std::to_string(getpid());
    const std::string cgroup = cgroup2 + "/" + name;
    ASSERT_TRUE(fs::create_directory(cgroup)) << cgroup;
    const std::string policy = temp_path("egress.yaml");
    std::ofstream(policy) << "apiVersion: palisade.dev/v1alpha1\n"
                             "kind: NetworkPolicy\n"
                             "metadata: {name: runner-egress}\n"
                             "spec:\n"
                             "  cgroups: [\"/"
                          << name
                          << "\"]\n"
                             "  egress:\n"
                             "    default: deny\n"
                             "    allow:\n"
                             "      - cidrs: [\"127.0.0.1/32\"]\n"
                             "        ports: [8080]\n";
    Listener allowed("127.0.0.1", 8080);
    std::vector<int> inside;
    int outside = 0;
    auto out = run_agent_around({"--no-rules", "-e", "exec", "-p", policy}, [&](pid_t) {
        inside = connect_from_cgroup(cgroup, {{"127.0.0.1", 8080}, {"127.0.0.2", 8080}, {"127.0.0.1", 8081}});
        // The same refused port from outside the cgroup: the kernel's own answer.
        outside = connect_from_cgroup(cgroup2, {{"127.0.0.1", 8081}}).at(0);
    });
    ASSERT_EQ(inside.size(), 3u);
    EXPECT_EQ(inside[0], 0) << strerror(inside[0]);
    EXPECT_EQ(inside[1], EPERM) << strerror(inside[1]);
    EXPECT_EQ(inside[2], EPERM) << strerror(inside[2]);
    EXPECT_EQ(outside, ECONNREFUSED) << "the policy applies to its cgroup only";
    EXPECT_TRUE(allowed.accepted_any());
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 2u) << events_text(events) << out.log;
    EXPECT_EQ(events[0]["policy"]["action"], "deny");
    EXPECT_EQ(events[0]["policy"]["remote"]["addr"], "127.0.0.2");
    EXPECT_EQ(events[1]["policy"]["remote"]["port"], 8081);
    rmdir(cgroup.c_str());
    unlink(policy.c_str());
}

TEST(PolicyReload, FilesAddedChangedAndBrokenWhileRunning)
{
    const std::string dir = temp_path("policies");
    fs::create_directories(dir);
    copy_file("/bin/echo", "/tmp/xmrig");
    const std::string seed = slurp(kExamples + "block-crypto-mining.yaml");
    std::vector<Shell> runs;
    auto wait_reload = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); };
    auto out = with_policies({dir}, "enforce", [&] {
        runs.push_back(shell("exec /tmp/xmrig 1"));  // no policy yet
        std::ofstream(dir + "/miner.yaml") << seed;
        wait_reload();
        runs.push_back(shell("exec /tmp/xmrig 2"));  // enforced
        std::string monitor = seed;
        monitor.replace(monitor.find("spec:\n"), 6, "spec:\n  options:\n  - name: policy-mode\n    value: monitor\n");
        std::ofstream(dir + "/miner.yaml") << monitor;
        wait_reload();
        runs.push_back(shell("exec /tmp/xmrig 3"));  // monitored
        std::ofstream(dir + "/miner.yaml") << seed;
        std::ofstream(dir + "/broken.yaml") << "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nspec: [\n";
        wait_reload();
        runs.push_back(shell("exec /tmp/xmrig 4"));  // the broken set is refused: still monitored
    });
    ASSERT_EQ(runs.size(), 4u);
    EXPECT_EQ(runs[0].out, "1\n");
    EXPECT_TRUE(runs[1].killed());
    EXPECT_EQ(runs[2].out, "3\n");
    EXPECT_EQ(runs[3].out, "4\n");
    EXPECT_NE(out.log.find("broken.yaml:4:1: error: invalid YAML"), std::string::npos) << out.log;
    EXPECT_NE(out.log.find("previous policies keep running"), std::string::npos) << out.log;
    fs::remove_all(dir);
    unlink("/tmp/xmrig");
}

// A reload writes the new set beside the running one and switches in one
// store: opens attempted back to back while the agent reloads over and over
// must all be stopped. Rewriting the tables in place leaves a gap of
// milliseconds per reload in which some of these opens would succeed.
TEST(PolicyReload, NoCallGoesUncheckedWhileTheSetIsReplaced)
{
    const std::string dir = temp_path("swap");
    fs::create_directories(dir);
    const std::string secret = dir + "/secret";
    std::ofstream(secret) << "x";
    const std::string policy = write_tracing_policy("swap-test", std::string() +
                             "  kprobes:\n"
                             "  - call: sys_openat\n"
                             "    syscall: true\n"
                             "    args: [{index: 0, type: int}, {index: 1, type: string}]\n"
                             "    selectors:\n"
                             "    - matchArgs:\n"
                             "      - {index: 1, operator: Equal, values: [\"" + secret + "\"]}\n"
                             "      matchActions: [{action: Sigkill}]\n");
    int opened = 0, stopped = 0, reloads = 0;
    auto out = run_agent_around({"--no-rules", "-e", "exec", "-p", policy}, [&](pid_t agent) {
        // 4 s of reloads, longer on a busy machine until 2,000 opens were tried (at most 15 s).
        const auto start = std::chrono::steady_clock::now();
        const auto until = start + std::chrono::seconds(4), latest = start + std::chrono::seconds(15);
        auto next_reload = start;
        while (std::chrono::steady_clock::now() < until ||
               (opened + stopped < 2000 && std::chrono::steady_clock::now() < latest)) {
            if (std::chrono::steady_clock::now() >= next_reload) {
                kill(agent, SIGHUP);
                ++reloads;
                next_reload += std::chrono::milliseconds(40);
            }
            pid_t child = fork();
            if (child == 0)
                _exit(open(secret.c_str(), O_RDONLY) >= 0 ? 0 : 1);
            int status = 0;
            waitpid(child, &status, 0);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                ++opened;
            else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                ++stopped;
        }
    });
    std::size_t swaps = 0;
    for (std::size_t at = 0; (at = out.log.find("policies loaded: swap-test", at)) != std::string::npos; ++at)
        ++swaps;
    EXPECT_GT(swaps, 20u) << out.log;  // the agent did replace the set many times
    EXPECT_GT(stopped, 1000);
    EXPECT_EQ(opened, 0) << "opens that succeeded during " << swaps << " reloads (" << stopped << " stopped)";
    fs::remove_all(dir);
    unlink(policy.c_str());
}

// Sets or clears one capability in the calling thread's effective set.
bool set_effective(int cap, bool on)
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0)
        return false;
    if (on)
        data[cap / 32].effective |= 1u << (cap % 32);
    else
        data[cap / 32].effective &= ~(1u << (cap % 32));
    return syscall(SYS_capset, &header, data) == 0;
}

// Forks a child that runs `before` and then opens `path`: SIGKILL, opened or not.
Shell open_in_child(const std::string& path, const std::function<void()>& before)
{
    pid_t child = fork();
    if (child == 0) {
        before();
        _exit(open(path.c_str(), O_RDONLY) >= 0 ? 0 : 1);
    }
    Shell r;
    waitpid(child, &r.status, 0);
    return r;
}

// matchNamespaceChanges / matchCapabilityChanges compare with the process as
// it was at exec (or when the policy came, for processes already running).
TEST(PolicyEnforcement, NamespaceAndCapabilityChangesSinceExecAreMatched)
{
    const std::string dir = temp_path("changes");
    fs::create_directories(dir);
    const std::string ns_file = dir + "/ns", cap_file = dir + "/cap";
    std::ofstream(ns_file) << "x";
    std::ofstream(cap_file) << "x";
    auto opened = [&](const std::string& file, const std::string& changes) {
        return "  - call: sys_openat\n"
               "    syscall: true\n"
               "    args: [{index: 0, type: int}, {index: 1, type: string}]\n"
               "    selectors:\n"
               "    - matchArgs: [{index: 1, operator: Equal, values: [\"" + file + "\"]}]\n" + changes +
               "      matchActions: [{action: Sigkill}]\n";
    };
    const std::string policy = write_tracing_policy(
        "changes-test", "  kprobes:\n" +
                            opened(ns_file, "      matchNamespaceChanges: [{operator: In, values: [Uts]}]\n") +
                            opened(cap_file, "      matchCapabilityChanges:\n"
                                             "      - {type: Effective, operator: In, values: [CAP_SYS_ADMIN]}\n"));
    // This process starts the policy without CAP_SYS_ADMIN in effect; a child raising it gains it.
    ASSERT_TRUE(set_effective(CAP_SYS_ADMIN, false));
    std::vector<Shell> runs;
    auto out = run_agent_around({"--no-rules", "-e", "exec", "-p", policy}, [&](pid_t) {
        runs.push_back(open_in_child(ns_file, [] {
            set_effective(CAP_SYS_ADMIN, true);  // unshare needs it; ns_file's selector ignores caps
            if (unshare(CLONE_NEWUTS) != 0)
                _exit(2);
        }));
        runs.push_back(open_in_child(ns_file, [] {}));
        runs.push_back(open_in_child(cap_file, [] { set_effective(CAP_SYS_ADMIN, true); }));
        runs.push_back(open_in_child(cap_file, [] {}));
    });
    ASSERT_TRUE(set_effective(CAP_SYS_ADMIN, true));
    ASSERT_EQ(runs.size(), 4u) << out.log;
    EXPECT_TRUE(runs[0].killed()) << "a new UTS namespace since exec";
    EXPECT_EQ(runs[1].status, 0) << "namespaces as at exec";
    EXPECT_TRUE(runs[2].killed()) << "CAP_SYS_ADMIN gained since exec";
    EXPECT_EQ(runs[3].status, 0) << "capabilities as at exec";
    fs::remove_all(dir);
    unlink(policy.c_str());
}

// Tetragon's FollowFD example: writes through a descriptor are matched by the
// file's path, read in the kernel at the write; the write never lands.
TEST(PolicyEnforcement, WritesThroughADescriptorAreMatchedByThePath)
{
    const std::string dir = temp_path("fdwrite");
    fs::create_directories(dir);
    const std::string guarded = dir + "/passwd", other = dir + "/notes";
    std::ofstream(guarded) << "root:x:0:0\n";
    const std::string policy = write_tracing_policy(
        "write-guard", "  kprobes:\n"
                       "  - call: fd_install\n"
                       "    syscall: false\n"
                       "    args: [{index: 0, type: int}, {index: 1, type: file}]\n"
                       "    selectors:\n"
                       "    - matchArgs: [{index: 1, operator: Equal, values: [\"" + guarded + "\"]}]\n"
                       "      matchActions: [{action: FollowFD, argFd: 0, argName: 1}]\n"
                       "  - call: sys_write\n"
                       "    syscall: true\n"
                       "    args: [{index: 0, type: fd}, {index: 1, type: char_buf, sizeArgIndex: 3}, "
                       "{index: 2, type: size_t}]\n"
                       "    selectors:\n"
                       "    - matchArgs: [{index: 0, operator: Equal, values: [\"" + guarded + "\"]}]\n"
                       "      matchActions: [{action: Sigkill}]\n"
                       "  - call: sys_close\n"
                       "    syscall: true\n"
                       "    args: [{index: 0, type: int}]\n"
                       "    selectors:\n"
                       "    - matchActions: [{action: UnfollowFD, argFd: 0, argName: 0}, {action: NoPost}]\n");
    std::vector<Shell> runs;
    auto out = run_agent_around({"--no-rules", "-e", "exec", "-p", policy}, [&] (pid_t) {
        runs.push_back(shell("exec sh -c 'echo pwned >> " + guarded + "'"));
        runs.push_back(shell("exec sh -c 'echo fine >> " + other + "'"));
    });
    ASSERT_EQ(runs.size(), 2u) << out.log;
    EXPECT_TRUE(runs[0].killed());
    EXPECT_EQ(slurp(guarded), "root:x:0:0\n");
    EXPECT_EQ(runs[1].status, 0);
    EXPECT_EQ(slurp(other), "fine\n");
    bool write_event = false;
    for (const auto& e : policy_events(out))
        write_event |= e.dump().find("sys_write") != std::string::npos && e.dump().find(guarded) != std::string::npos;
    EXPECT_TRUE(write_event) << events_text(policy_events(out));
    fs::remove_all(dir);
    unlink(policy.c_str());
}


TEST(PolicyEnforcement, FollowForksCoversDescendantsIncludingThoseStartedBeforeThePolicy)
{
    copy_file("/bin/echo", "/tmp/xmrig-follow");
    const std::string policy = write_tracing_policy("follow-test", std::string() +
                             "  kprobes:\n"
                             "  - call: sys_execve\n"
                             "    syscall: true\n"
                             "    args: [{index: 0, type: string}]\n"
                             "    selectors:\n"
                             "    - matchPIDs:\n"
                             "      - operator: In\n"
                             "        followForks: true\n"
                             "        values: ["
                             + std::to_string(getpid())
                             + "]\n"
                             "      matchArgs:\n"
                             "      - {index: 0, operator: Postfix, values: [\"/xmrig-follow\"]}\n"
                             "      matchActions: [{action: Sigkill}]\n");
    // A grandchild forked before the agent starts: /proc tells the agent its lineage.
    pid_t early = fork();
    if (early == 0) {
        execl("/bin/sh", "sh", "-c", "sleep 3; exec /tmp/xmrig-follow early", nullptr);
        _exit(127);
    }
    Shell late;
    int early_wait = 0;
    auto out = with_policies({policy}, "enforce", [&] {
        late = shell("sh -c 'exec /tmp/xmrig-follow late'");
        waitpid(early, &early_wait, 0);
    });
    EXPECT_TRUE(late.killed() || (WIFEXITED(late.status) && WEXITSTATUS(late.status) == 137)) << late.status;
    EXPECT_EQ(late.out, "");
    EXPECT_TRUE(WIFSIGNALED(early_wait) && WTERMSIG(early_wait) == SIGKILL) << early_wait;
    // Nothing else matched the selector.
    for (const auto& e : policy_events(out))
        EXPECT_EQ(e["policy"]["arg"], "/tmp/xmrig-follow");
    unlink(policy.c_str());
    unlink("/tmp/xmrig-follow");
}


TEST(PolicyEnforcement, GetUrlActionFetchesTheUrlWhenTheSelectorMatches)
{
    Listener web("127.0.0.1");
    const std::string policy = write_tracing_policy("canary", std::string() +
                             "  kprobes:\n"
                             "  - call: fd_install\n"
                             "    syscall: false\n"
                             "    args: [{index: 0, type: int}, {index: 1, type: file}]\n"
                             "    selectors:\n"
                             "    - matchArgs: [{index: 1, operator: Equal, values: [/etc/palisade-canary]}]\n"
                             "      matchActions:\n"
                             "      - {action: GetUrl, argUrl: \"http://127.0.0.1:"
                             + std::to_string(web.port)
                             + "/canary-tripped\"}\n");
    std::string request;
    auto out = with_policies({policy}, "enforce", [&] {
        shell("cat /etc/palisade-canary 2>/dev/null");
        // The agent fetches from its worker thread: wait for the connection.
        for (int i = 0; i < 100 && request.empty(); ++i) {
            int c = accept(web.fd, nullptr, nullptr);
            if (c < 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            char buf[1024];
            for (int tries = 0; tries < 100 && request.find("\r\n\r\n") == std::string::npos; ++tries) {
                ssize_t n = read(c, buf, sizeof(buf));
                if (n > 0)
                    request.append(buf, n);
                else
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
            if (write(c, reply, sizeof(reply) - 1) < 0)
                ADD_FAILURE() << "reply";
            close(c);
        }
    });
    EXPECT_EQ(request.rfind("GET /canary-tripped ", 0), 0u) << request << out.log;
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["arg"], "/etc/palisade-canary");
    unlink(policy.c_str());
}


TEST(PolicyEnforcement, ExecTracepointKillsTheNewImageBeforeItRuns)
{
    copy_file("/bin/echo", "/tmp/xmrig-exec");
    const std::string policy = write_tracing_policy("exec-tp", std::string() +
                             "  tracepoints:\n"
                             "  - subsystem: sched\n"
                             "    event: sched_process_exec\n"
                             "    raw: true\n"
                             "    args: [{index: 2, type: linux_binprm}]\n"
                             "    selectors:\n"
                             "    - matchArgs: [{index: 0, operator: Postfix, values: [/xmrig-exec]}]\n"
                             "      matchActions: [{action: Sigkill}]\n");
    Shell run, other;
    auto out = with_policies({policy}, "enforce", [&] {
        run = shell("cd /tmp && exec ./xmrig-exec mined");
        other = shell("exec /bin/echo fine");
    });
    EXPECT_TRUE(run.killed()) << run.status;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(other.out, "fine\n");
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["hook"], "sched/sched_process_exec");
    EXPECT_EQ(events[0]["policy"]["arg"], "/tmp/xmrig-exec") << "the resolved binary, not the name as typed";
    unlink(policy.c_str());
    unlink("/tmp/xmrig-exec");
}


TEST(PolicyEnforcement, UprobePolicyKillsOnTheMatchingCallOnly)
{
    const std::string policy = write_tracing_policy("uprobe-kill", std::string() +
                             "  uprobes:\n"
                             "  - path: \"" PALISADE_ACTIONS_BIN "\"\n"
                             "    symbols: [palisade_uprobe_target]\n"
                             "    args: [{index: 0, type: int32}]\n"
                             "    selectors:\n"
                             "    - matchArgs: [{index: 0, operator: Equal, values: [42]}]\n"
                             "      matchActions: [{action: Sigkill}]\n");
    Shell harmless, matching;
    auto out = with_policies({policy}, "enforce", [&] {
        harmless = shell("exec " PALISADE_ACTIONS_BIN " uprobe-target 41");
        matching = shell("exec " PALISADE_ACTIONS_BIN " uprobe-target 42");
    });
    EXPECT_EQ(harmless.out, "before 41\nafter 41\n");
    EXPECT_TRUE(matching.killed()) << matching.status;
    EXPECT_EQ(matching.out, "before 42\n") << "killed inside the call, before it returned";
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["hook"], PALISADE_ACTIONS_BIN);
    EXPECT_EQ(events[0]["policy"]["args"][0], 42);
    unlink(policy.c_str());
}


TEST(PolicyEnforcement, UsdtPolicyMatchesTheProbesOperands)
{
    const std::string policy = write_tracing_policy("usdt-kill", std::string() +
                             "  usdts:\n"
                             "  - path: \"" PALISADE_ACTIONS_BIN "\"\n"
                             "    provider: palisade\n"
                             "    name: test_probe\n"
                             "    args: [{index: 0, type: int32}, {index: 1, type: int64}]\n"
                             "    selectors:\n"
                             "    - matchArgs: [{index: 1, operator: Equal, values: [84]}]\n"
                             "      matchActions: [{action: Sigkill}]\n");
    Shell harmless, matching;
    auto out = with_policies({policy}, "enforce", [&] {
        harmless = shell("exec " PALISADE_ACTIONS_BIN " usdt 41");
        matching = shell("exec " PALISADE_ACTIONS_BIN " usdt 42");
    });
    EXPECT_EQ(harmless.out, "before 41\nafter 41\n");
    EXPECT_TRUE(matching.killed()) << matching.status << out.log;
    EXPECT_EQ(matching.out, "before 42\n") << "killed at the probe";
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["args"][0], 42);
    EXPECT_EQ(events[0]["policy"]["args"][1], 84);
    unlink(policy.c_str());
}

TEST(PolicyEnforcement, ReturnProbeActsOnTheResultAtSyscallExit)
{
    const std::string target = temp_path("ret-target"), missing_path = target + "-missing";
    std::ofstream(target) << "secret\n";  // before the policy: the test's own open would match
    const std::string policy = write_tracing_policy("opened-ok", std::string() +
                             "  kprobes:\n"
                             "  - call: sys_openat\n"
                             "    return: true\n"
                             "    syscall: true\n"
                             "    args: [{index: 0, type: int}, {index: 1, type: string}, {index: 2, type: int}]\n"
                             "    returnArg: {index: 0, type: int}\n"
                             "    selectors:\n"
                             "    - matchArgs: [{index: 1, operator: Equal, values: [\""
                             + target
                             + "\", \""
                             + missing_path
                             + "\"]}]\n"
                             "      matchReturnArgs: [{index: 0, operator: GT, values: [0]}]\n"
                             "      matchActions: [{action: Sigkill}]\n");
    Shell missing, present;
    auto out = with_policies({policy}, "enforce", [&] {
        missing = shell("exec cat " + missing_path);  // fails with ENOENT: the selector does not hold
        present = shell("exec cat " + target);        // opens: killed at exit, before it reads
    });
    EXPECT_TRUE(WIFEXITED(missing.status) && WEXITSTATUS(missing.status) == 1) << missing.status;
    EXPECT_TRUE(present.killed()) << present.status;
    EXPECT_EQ(present.out, "");
    auto events = policy_events(out);
    ASSERT_EQ(events.size(), 1u) << out.log;
    EXPECT_EQ(events[0]["policy"]["hook"], "sys_openat");
    EXPECT_EQ(events[0]["policy"]["arg"], target);
    unlink(target.c_str());
    unlink(policy.c_str());
}

}  // namespace
