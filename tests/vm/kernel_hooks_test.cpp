// Policy hooks inside the kernel (fentry/fexit and kprobes on kernel functions,
// kprobe Override on syscalls, BPF LSM), run
// inside a qemu VM booted by tests/vm/vm.sh on a kernel that has them. The
// VM's kernel is isolated, so broad enforcement harms nobody; outside a VM
// (no PALISADE_IN_VM) every test skips. One agent serves all the policies:
// under TCG each start costs seconds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/agent_process.h"

namespace {

using palisade::test::slurp;

bool in_vm() { return std::getenv("PALISADE_IN_VM") != nullptr; }

struct Shell {
    int status = 0;
    std::string out, err;
    bool killed() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
    int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

Shell shell(const std::string& command)
{
    const std::string out = "/tmp/vm-shell.out", err = "/tmp/vm-shell.err";
    pid_t child = fork();
    if (child == 0) {
        if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr))
            _exit(126);
        execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
        _exit(127);
    }
    Shell r;
    waitpid(child, &r.status, 0);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

// connect() to 127.0.0.1:port from a child; its wait status, and errno in the exit code.
int connect_from_child(std::uint16_t port)
{
    pid_t child = fork();
    if (child == 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        _exit(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ? 0 : errno);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

std::string write_policy(const std::string& name, const std::string& spec)
{
    const std::string path = "/tmp/vm-policy-" + name + ".yaml";
    std::ofstream(path) << "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: " << name
                        << "}\nspec:\n"
                        << spec;
    return path;
}

const char* kLsmOpen = R"(  lsmhooks:
  - hook: "file_open"
    args:
    - index: 0
      type: "file"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["/tmp/vm-secret"]
      matchActions:
      - action: Override
        argError: -1
)";

const char* kLsmConnect = R"(  lsmhooks:
  - hook: "socket_connect"
    args:
    - index: 0
      type: "socket"
    - index: 1
      type: "sockaddr"
    selectors:
    - matchArgs:
      - index: 1
        operator: "DPort"
        values: ["4101"]
      matchActions:
      - action: Override
        argError: -13
)";

const char* kKprobeExec = R"(  kprobes:
  - call: "security_bprm_check"
    syscall: false
    args:
    - index: 0
      type: "linux_binprm"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["/tmp/vm-true"]
      matchActions:
      - action: Sigkill
)";

const char* kKprobeFdInstall = R"(  kprobes:
  - call: "fd_install"
    syscall: false
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "file"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["/tmp/vm-fd"]
      matchActions:
      - action: Sigkill
)";

const char* kKprobeTcpConnect = R"(  kprobes:
  - call: "tcp_connect"
    syscall: false
    args:
    - index: 0
      type: "sock"
    selectors:
    - matchArgs:
      - index: 0
        operator: "DPort"
        values: ["4102"]
      - index: 0
        operator: "DAddr"
        values: ["127.0.0.0/8"]
      matchActions:
      - action: Sigkill
)";

// A return probe: the file read at entry, the result (0: the open is allowed) at return.
const char* kKprobeReturn = R"(  kprobes:
  - call: "security_file_open"
    syscall: false
    return: true
    args:
    - index: 0
      type: "file"
    returnArg:
      index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["/tmp/vm-ret"]
      matchReturnArgs:
      - index: 0
        operator: "Equal"
        values: ["0"]
      matchActions:
      - action: Sigkill
)";

// sendto() of one UDP datagram to addr:port from a child; its wait status.
int udp_from_child(const char* addr, std::uint16_t port)
{
    pid_t child = fork();
    if (child == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        inet_pton(AF_INET, addr, &to.sin_addr);
        _exit(sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 1 ? 0 : errno);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

// syscall: true with Override: a kprobe on __x64_sys_openat that returns the
// errno (the syscall never runs), where the kernel can override.
const char* kSyscallOverride = R"(  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["/tmp/vm-deny"]
      matchActions:
      - action: Override
        argError: -2
)";

// The same in monitor mode: the open happens, an event is posted.
const char* kSyscallOverrideMonitor = R"(  options:
  - name: "policy-mode"
    value: "monitor"
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["/tmp/vm-watch"]
      matchActions:
      - action: Override
        argError: -1
)";

// Override on a security_* function where kprobes cannot override: fmod_ret.
const char* kFmodRet = R"(  kprobes:
  - call: "security_file_open"
    syscall: false
    args:
    - index: 0
      type: "file"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["/tmp/vm-fmod"]
      matchActions:
      - action: Override
        argError: -2
)";

// A function fentry cannot serve (kuid_t is a struct passed by value): a
// kprobe, narrowed to one binary so nothing else in the VM dies.
const char* kKprobeNoFentry = R"(  kprobes:
  - call: "from_kuid_munged"
    syscall: false
    args:
    - index: 0
      type: "uint64"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["/tmp/vm-id"]
      matchActions:
      - action: Sigkill
)";

// open(path) from a child: its wait status, errno in the exit code.
int open_from_child(const char* path)
{
    pid_t child = fork();
    if (child == 0) {
        // On the child's stack: a probe at syscall entry cannot fault in a page the child
        // has not touched yet (fork leaves the parent's read-only data unmapped in it).
        char copy[128] = {};
        std::snprintf(copy, sizeof(copy), "%s", path);
        int fd = open(copy, O_RDONLY);
        _exit(fd >= 0 ? 0 : errno);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

// A child that changes its gid, then its uid (two commit_creds), and
// re-applies its capability sets with capset() first; its wait status.
int change_creds_in_child()
{
    pid_t child = fork();
    if (child == 0) {
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2]{};
        if (syscall(SYS_capget, &header, data) != 0 || syscall(SYS_capset, &header, data) != 0)
            _exit(10);
        if (setgid(4321) != 0)
            _exit(11);
        _exit(setuid(4321) == 0 ? 0 : 12);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

std::string self_exe()
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, n) : std::string();
}

// The policy events of `hook`, each as its "policy" object.
std::vector<nlohmann::json> policy_events(const std::vector<nlohmann::json>& lines, const std::string& hook)
{
    std::vector<nlohmann::json> out;
    for (const auto& line : lines)
        if (line.value("type", "") == "policy" && line.contains("policy") &&
            line["policy"].value("hook", "").find(hook) != std::string::npos)
            out.push_back(line["policy"]);
    return out;
}

// The hook_args entry holding `key` (skb_arg, net_dev_arg, ...), or null.
nlohmann::json arg_with(const nlohmann::json& policy, const std::string& key)
{
    for (const auto& a : policy.value("hook_args", nlohmann::json::array()))
        if (a.contains(key))
            return a;
    return nullptr;
}

// Tetragon's skb, net_device, cred and capability-set argument types, read
// by the kprobe program for real loopback traffic and credential changes.
std::vector<std::pair<std::string, std::string>> kernel_struct_policies()
{
    const std::string me = self_exe();
    const std::string only_me = "      matchBinaries:\n      - {operator: In, values: [\"" + me + "\"]}\n";
    // ip_output(net, sk, skb): the packet's destination, matched in the kernel; the sender is killed.
    const std::string ip_output = R"(  kprobes:
  - call: "ip_output"
    syscall: false
    args:
    - {index: 1, type: sock}
    - {index: 2, type: skb, label: datagram}
    selectors:
    - matchArgs:
      - {index: 2, operator: Protocol, values: [IPPROTO_UDP]}
      - {index: 2, operator: DAddr, values: ["127.0.0.2/32"]}
      - {index: 2, operator: DPort, values: ["4103"]}
      matchActions:
      - action: Sigkill
)";
    // dev_hard_start_xmit(skb, dev): the interface by name, and the packet.
    const std::string xmit = std::string(R"(  kprobes:
  - call: "dev_hard_start_xmit"
    syscall: false
    args:
    - {index: 0, type: skb}
    - {index: 1, type: net_device}
    selectors:
    - matchArgs:
      - {index: 1, operator: Equal, values: [lo]}
      - {index: 0, operator: DPort, values: ["4104"]}
)") + only_me;
    const std::string creds = std::string(R"(  kprobes:
  - call: "commit_creds"
    syscall: false
    args:
    - {index: 0, type: cred}
    selectors:
    - matchArgs: []
)") + only_me + R"(  - call: "security_capset"
    syscall: false
    args:
    - {index: 0, type: nop}
    - {index: 1, type: cred}
    - {index: 2, type: cap_effective}
    - {index: 3, type: cap_inheritable}
    - {index: 4, type: cap_permitted}
    selectors:
    - matchArgs:
      - {index: 2, operator: Mask, values: ["0x200000"]}
)" + only_me;
    return {{"skb-ip-output", ip_output}, {"netdev-xmit", xmit}, {"creds", creds}};
}

// The acts those policies see: loopback UDP and a credential change.
struct StructActs {
    int to_blocked = 0, to_other_port = 0, to_lo = 0, cred_change = 0;
};

StructActs kernel_struct_acts()
{
    StructActs a;
    a.to_blocked = udp_from_child("127.0.0.2", 4103);
    a.to_other_port = udp_from_child("127.0.0.2", 4105);
    a.to_lo = udp_from_child("127.0.0.1", 4104);
    a.cred_change = change_creds_in_child();
    return a;
}

void expect_kernel_struct_arguments(const std::vector<nlohmann::json>& lines, const StructActs& a,
                                    const std::string& log)
{
    const int to_blocked = a.to_blocked, to_other_port = a.to_other_port, to_lo = a.to_lo,
              cred_change = a.cred_change;

    // The skb's destination matched in the kernel: that sender died, the other did not.
    EXPECT_TRUE(WIFSIGNALED(to_blocked) && WTERMSIG(to_blocked) == SIGKILL) << to_blocked;
    EXPECT_TRUE(WIFEXITED(to_other_port) && WEXITSTATUS(to_other_port) == 0) << to_other_port;
    EXPECT_TRUE(WIFEXITED(to_lo) && WEXITSTATUS(to_lo) == 0) << to_lo;
    EXPECT_TRUE(WIFEXITED(cred_change) && WEXITSTATUS(cred_change) == 0) << cred_change;

    const auto ip = policy_events(lines, "ip_output");
    ASSERT_EQ(ip.size(), 1u) << log;
    EXPECT_EQ(ip[0]["action"], "sigkill");
    const auto skb = arg_with(ip[0], "skb_arg");
    ASSERT_FALSE(skb.is_null()) << ip[0].dump();
    EXPECT_EQ(skb["label"], "datagram");
    EXPECT_EQ(skb["skb_arg"]["daddr"], "127.0.0.2");
    EXPECT_EQ(skb["skb_arg"]["saddr"], "127.0.0.1");
    EXPECT_EQ(skb["skb_arg"]["dport"], 4103);
    EXPECT_EQ(skb["skb_arg"]["protocol"], "IPPROTO_UDP");
    EXPECT_EQ(skb["skb_arg"]["len"], 29);  // 20 (IPv4) + 8 (UDP) + 1 byte of data

    // The interface by name, with the packet beside it.
    const auto xmits = policy_events(lines, "dev_hard_start_xmit");
    ASSERT_EQ(xmits.size(), 1u) << log;
    EXPECT_EQ(arg_with(xmits[0], "net_dev_arg")["net_dev_arg"]["name"], "lo") << xmits[0].dump();
    EXPECT_EQ(arg_with(xmits[0], "skb_arg")["skb_arg"]["dport"], 4104) << xmits[0].dump();

    // commit_creds: setgid keeps root's capabilities, setuid to 4321 drops them.
    bool gid_change = false, uid_change = false;
    for (const auto& ev : policy_events(lines, "commit_creds")) {
        const auto cred = arg_with(ev, "process_credentials_arg")["process_credentials_arg"];
        ASSERT_FALSE(cred.is_null()) << ev.dump();
        const auto effective = cred["caps"]["effective"].get<std::vector<std::string>>();
        const bool admin = std::find(effective.begin(), effective.end(), "CAP_SYS_ADMIN") != effective.end();
        if (cred["gid"] == 4321 && cred["uid"] == 0 && admin)
            gid_change = true;
        if (cred["uid"] == 4321 && cred["euid"] == 4321 && effective.empty())
            uid_change = true;
        EXPECT_EQ(cred["user_ns"]["level"], 0);
        EXPECT_EQ(cred["user_ns"]["ns"]["is_host"], true);
    }
    EXPECT_TRUE(gid_change) << log;
    EXPECT_TRUE(uid_change) << log;

    // security_capset: the new effective set, read from the kernel_cap_t it points to, matched by Mask.
    const auto capsets = policy_events(lines, "security_capset");
    ASSERT_EQ(capsets.size(), 1u) << log;
    const auto eff = arg_with(capsets[0], "cap_effective_arg");
    ASSERT_FALSE(eff.is_null()) << capsets[0].dump();
    const auto names = eff["caps"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(names.begin(), names.end(), "CAP_SYS_ADMIN"), names.end()) << capsets[0].dump();
    EXPECT_FALSE(arg_with(capsets[0], "process_credentials_arg").is_null()) << capsets[0].dump();
}

TEST(VmKernelHooks, KprobesAndLsmHooksEnforce)
{
    if (!in_vm())
        GTEST_SKIP() << "runs inside the test VM only (tests/vm/vm.sh sets PALISADE_IN_VM)";
    std::ofstream("/tmp/vm-secret.txt") << "secret\n";
    std::ofstream("/tmp/vm-fd.txt") << "fd\n";
    std::ofstream("/tmp/vm-ret.txt") << "ret\n";
    ASSERT_EQ(shell("cp /bin/true /tmp/vm-true && cp /usr/bin/id /tmp/vm-id").exit_code(), 0);

    std::vector<std::string> args = {"--no-rules", "-e", "exec", "--metrics-addr", "127.0.0.1:19465"};
    for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
             {"lsm-open", kLsmOpen},
             {"lsm-connect", kLsmConnect},
             {"kprobe-exec", kKprobeExec},
             {"kprobe-fd-install", kKprobeFdInstall},
             {"kprobe-tcp-connect", kKprobeTcpConnect},
             {"kprobe-return", kKprobeReturn},
             {"syscall-override", kSyscallOverride},
             {"syscall-override-monitor", kSyscallOverrideMonitor},
             {"fmod-ret", kFmodRet},
             {"kprobe-no-fentry", kKprobeNoFentry}})
        args.insert(args.end(), {"-p", write_policy(name, spec)});
    // One agent for all: under TCG each start costs seconds.
    for (const auto& [name, spec] : kernel_struct_policies())
        args.insert(args.end(), {"-p", write_policy(name, spec)});
    std::ofstream("/tmp/vm-deny.txt") << "deny\n";
    std::ofstream("/tmp/vm-watch.txt") << "watch\n";
    std::ofstream("/tmp/vm-fmod.txt") << "fmod\n";
    std::ofstream("/tmp/vm-fd2.txt") << "fd2\n";  // now: once the agent runs, opening it kills
    // Debian's kernels lack CONFIG_BPF_KPROBE_OVERRIDE: there a syscall's Override kills at entry.
    const bool kprobe_override =
        shell(std::string(PALISADE_BIN) + " features").out.find("kprobe_override yes") != std::string::npos;
    std::printf("kprobe override on this kernel: %s\n", kprobe_override ? "yes" : "no");

    // What serves each hook on this kernel, as `policy explain` says it.
    auto explain = [](const std::string& name) {
        Shell r = shell(std::string(PALISADE_BIN) + " policy explain /tmp/vm-policy-" + name + ".yaml");
        return r.out + r.err;
    };
    const std::string explain_fd = explain("kprobe-fd-install"), explain_ret = explain("kprobe-return"),
                      explain_override = explain("syscall-override"), explain_fmod = explain("fmod-ret"),
                      explain_kprobe = explain("kprobe-no-fentry");
    EXPECT_NE(explain_kprobe.find("mechanism: kprobe\n"), std::string::npos) << explain_kprobe;
    EXPECT_NE(explain_kprobe.find("not fentry: an argument or its result does not fit a register"), std::string::npos)
        << explain_kprobe;
    EXPECT_NE(explain_fd.find("mechanism: fentry"), std::string::npos) << explain_fd;
    EXPECT_NE(explain_fd.find("fentry/fd_install"), std::string::npos) << explain_fd;
    EXPECT_NE(explain_ret.find("mechanism: fexit"), std::string::npos) << explain_ret;
    EXPECT_NE(explain_fmod.find("mechanism: fmod_ret"), std::string::npos) << explain_fmod;
    if (kprobe_override) {
        EXPECT_NE(explain_override.find("kprobe+override/__x64_sys_openat"), std::string::npos) << explain_override;
    } else {
        EXPECT_NE(explain_override.find("override: Override cannot make the syscall fail (the kernel has no "
                                        "bpf_override_return"),
                  std::string::npos)
            << explain_override;
    }

    Shell cat_secret, cat_other, run_true, cat_fd, cat_ret, cat_deny, cat_watch, cat_fmod, run_id;
    int deny_open = 0, fmod_open = 0;
    int lsm_connect = 0, kprobe_connect = 0, open_errno = 0;
    // TCG verifies the programs slowly, more so on a busy host: wait longer than on bare metal.
    args.insert(args.begin(), "run");
    palisade::test::AgentProcess agent(args, "vm");
    ASSERT_TRUE(agent.wait_ready(std::chrono::seconds(80))) << agent.log();
    {
        cat_secret = shell("cat /tmp/vm-secret.txt");
        errno = 0;
        int fd = open("/tmp/vm-secret.txt", O_RDONLY);
        open_errno = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        cat_other = shell("cat /proc/version");
        run_true = shell("exec /tmp/vm-true");
        cat_fd = shell("exec cat /tmp/vm-fd.txt");
        cat_ret = shell("exec cat /tmp/vm-ret.txt");
        cat_deny = shell("exec cat /tmp/vm-deny.txt");
        deny_open = open_from_child("/tmp/vm-deny.txt");
        cat_watch = shell("cat /tmp/vm-watch.txt");
        cat_fmod = shell("exec cat /tmp/vm-fmod.txt");
        fmod_open = open_from_child("/tmp/vm-fmod.txt");
        run_id = shell("exec /tmp/vm-id -u");
        lsm_connect = connect_from_child(4101);
        kprobe_connect = connect_from_child(4102);
    }
    const StructActs struct_acts = kernel_struct_acts();
    const Shell metrics = shell("curl -s http://127.0.0.1:19465/metrics");
    // A reload while running: the new set's fentry programs (fresh loads, new cookies) attach
    // before the old ones detach, and only the new set acts.
    {
        std::string policy = slurp("/tmp/vm-policy-kprobe-fd-install.yaml");
        policy.replace(policy.find("/tmp/vm-fd"), std::string("/tmp/vm-fd").size(), "/tmp/vm-fd2");
        std::ofstream("/tmp/vm-policy-kprobe-fd-install.yaml.new") << policy;
        std::rename("/tmp/vm-policy-kprobe-fd-install.yaml.new", "/tmp/vm-policy-kprobe-fd-install.yaml");
    }
    auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    };
    for (int i = 0; i < 600 && count(agent.log(), "policies loaded") < 2; ++i)
        usleep(100 * 1000);
    const Shell cat_fd_old = shell("exec cat /tmp/vm-fd.txt"), cat_fd_new = shell("exec cat /tmp/vm-fd2.txt");
    // And back: the third set reuses the programs loaded for the first one's bank (no verification).
    {
        std::string policy = slurp("/tmp/vm-policy-kprobe-fd-install.yaml");
        policy.replace(policy.find("/tmp/vm-fd2"), std::string("/tmp/vm-fd2").size(), "/tmp/vm-fd");
        std::ofstream("/tmp/vm-policy-kprobe-fd-install.yaml.new") << policy;
        std::rename("/tmp/vm-policy-kprobe-fd-install.yaml.new", "/tmp/vm-policy-kprobe-fd-install.yaml");
    }
    for (int i = 0; i < 600 && count(agent.log(), "policies loaded") < 3; ++i)
        usleep(100 * 1000);
    const Shell cat_fd_third = shell("exec cat /tmp/vm-fd.txt");
    agent.stop();
    const palisade::test::AgentOutput output{agent.lines(), agent.log()};
    EXPECT_NE(output.log.find("policy:lsm/file_open"), std::string::npos) << output.log;

    // lsm/file_open Override -1: the open fails with EPERM, nothing is read.
    EXPECT_EQ(cat_secret.exit_code(), 1);
    EXPECT_EQ(cat_secret.out, "");
    EXPECT_NE(cat_secret.err.find("Operation not permitted"), std::string::npos) << cat_secret.err;
    EXPECT_EQ(open_errno, EPERM);
    EXPECT_EQ(cat_other.exit_code(), 0) << cat_other.err;

    // lsm/socket_connect Override -13: connect() fails with EACCES, the caller lives.
    ASSERT_TRUE(WIFEXITED(lsm_connect)) << lsm_connect;
    EXPECT_EQ(WEXITSTATUS(lsm_connect), EACCES);

    // kprobes: security_bprm_check, fd_install, tcp_connect with Sigkill.
    EXPECT_TRUE(run_true.killed()) << run_true.status;
    EXPECT_TRUE(cat_fd.killed()) << cat_fd.status;
    EXPECT_EQ(cat_fd.out, "");
    EXPECT_TRUE(WIFSIGNALED(kprobe_connect) && WTERMSIG(kprobe_connect) == SIGKILL) << kprobe_connect;

    // The kretprobe on security_file_open matched the entry's path and the result.
    EXPECT_TRUE(cat_ret.killed()) << cat_ret.status;
    EXPECT_EQ(cat_ret.out, "");

    // What served each kernel function was logged.
    EXPECT_NE(output.log.find("fentry/fd_install serves"), std::string::npos) << output.log;
    EXPECT_NE(output.log.find("fexit/security_file_open serves"), std::string::npos) << output.log;
    if (kprobe_override) {
        EXPECT_NE(output.log.find("kprobe+override/__x64_sys_openat serves"), std::string::npos) << output.log;
    }

    // What serves each kernel function is exported.
    for (const char* want : {"palisade_policy_kernel_hook{mechanism=\"fentry\",function=\"fd_install\"} 1",
                             "palisade_policy_kernel_hook{mechanism=\"fexit\",function=\"security_file_open\"} 1",
                             "palisade_policy_kernel_hook{mechanism=\"fmod_ret\",function=\"security_file_open\"} 1",
                             "palisade_policy_kernel_hook{mechanism=\"kprobe\",function=\"from_kuid_munged\"} 1"})
        EXPECT_NE(metrics.out.find(want), std::string::npos) << want << "\n" << metrics.out;

    // Loads: once per function and bank; the third set reused the first one's programs.
    EXPECT_EQ(count(output.log, "fentry on fd_install: opened in"), 2u) << output.log;

    // After the reload: the new prefix is enforced by the new fentry program, the old one is gone.
    EXPECT_EQ(count(output.log, "fentry/fd_install serves"), 3u) << output.log;
    EXPECT_TRUE(cat_fd_third.killed()) << cat_fd_third.status;
    EXPECT_EQ(cat_fd_third.out, "");
    EXPECT_EQ(cat_fd_old.exit_code(), 0) << cat_fd_old.status;
    EXPECT_EQ(cat_fd_old.out, "fd\n");
    EXPECT_TRUE(cat_fd_new.killed()) << cat_fd_new.status;
    EXPECT_EQ(cat_fd_new.out, "");

    // fentry on fd_install saw the right arguments: the descriptor and the file's path.
    const auto fd_events = policy_events(output.lines, "fd_install");
    ASSERT_FALSE(fd_events.empty());
    EXPECT_EQ(fd_events.front().value("arg", ""), "/tmp/vm-fd.txt") << fd_events.front().dump();
    ASSERT_TRUE(fd_events.front().contains("args")) << fd_events.front().dump();
    const auto fd_arg = fd_events.front()["args"][0].get<std::int64_t>();
    EXPECT_GE(fd_arg, 3) << fd_events.front().dump();
    EXPECT_LT(fd_arg, 64) << fd_events.front().dump();
    // fexit matched the path and the result 0.
    const auto ret_events = policy_events(output.lines, "security_file_open");
    ASSERT_FALSE(ret_events.empty());
    EXPECT_EQ(ret_events.front().value("arg", ""), "/tmp/vm-ret.txt") << ret_events.front().dump();

    EXPECT_NE(output.log.find("fmod_ret/security_file_open serves"), std::string::npos) << output.log;
    EXPECT_NE(output.log.find("kprobe/from_kuid_munged serves"), std::string::npos) << output.log;

    // The kprobe program (getuid's from_kuid_munged): the binary is killed before it prints its uid.
    EXPECT_TRUE(run_id.killed()) << run_id.status << " " << run_id.out;
    EXPECT_EQ(run_id.out, "");

    // fmod_ret on security_file_open, Override -2: the open fails with ENOENT, nothing is read.
    EXPECT_EQ(cat_fmod.exit_code(), 1) << cat_fmod.status;
    EXPECT_EQ(cat_fmod.out, "");
    EXPECT_NE(cat_fmod.err.find("No such file or directory"), std::string::npos) << cat_fmod.err;
    ASSERT_TRUE(WIFEXITED(fmod_open)) << fmod_open;
    EXPECT_EQ(WEXITSTATUS(fmod_open), ENOENT);

    // sys_openat Override -2 in enforce mode: cat prints nothing. Where the kernel can override, the
    // syscall never runs and fails with ENOENT; elsewhere the caller is killed at syscall entry.
    EXPECT_EQ(cat_deny.out, "");
    if (kprobe_override) {
        EXPECT_EQ(cat_deny.exit_code(), 1) << cat_deny.status;
        EXPECT_NE(cat_deny.err.find("No such file or directory"), std::string::npos) << cat_deny.err;
        ASSERT_TRUE(WIFEXITED(deny_open)) << deny_open;
        EXPECT_EQ(WEXITSTATUS(deny_open), ENOENT);
    } else {
        EXPECT_TRUE(cat_deny.killed()) << cat_deny.status;
        EXPECT_TRUE(WIFSIGNALED(deny_open) && WTERMSIG(deny_open) == SIGKILL) << deny_open;
    }
    // In monitor mode the open happens and is only posted.
    EXPECT_EQ(cat_watch.exit_code(), 0) << cat_watch.err;
    EXPECT_EQ(cat_watch.out, "watch\n");
    bool deny_enforced = false, watch_monitored = false;
    for (const auto& ev : policy_events(output.lines, "sys_openat")) {
        const std::string arg = ev.value("arg", "");
        deny_enforced = deny_enforced || (arg == "/tmp/vm-deny.txt" && ev.value("enforced", false));
        watch_monitored = watch_monitored || (arg == "/tmp/vm-watch.txt" && ev.value("mode", "") == "monitor" &&
                                              !ev.value("enforced", true));
    }
    EXPECT_TRUE(deny_enforced) << "no enforced sys_openat event for /tmp/vm-deny.txt";
    EXPECT_TRUE(watch_monitored) << "no monitor-mode sys_openat event for /tmp/vm-watch.txt";

    // Each act was posted as a policy event, named by the hook that saw it.
    std::set<std::string> hooks;
    for (const auto& line : output.lines)
        if (line.value("type", "") == "policy")
            hooks.insert(line.dump());
    for (const char* want : {"lsm/file_open", "lsm/socket_connect", "security_bprm_check", "fd_install",
                             "tcp_connect", "security_file_open"}) {
        bool seen = false;
        for (const auto& h : hooks)
            seen = seen || h.find(want) != std::string::npos;
        EXPECT_TRUE(seen) << "no policy event names " << want;
    }

    // Tetragon's skb, net_device, cred and capability-set types, read by the kprobe program.
    SCOPED_TRACE("kernel struct arguments");
    expect_kernel_struct_arguments(output.lines, struct_acts, output.log);
}

// The corpus as this kernel serves it: with kprobes and BPF LSM present many
// more policies load than on a kernel without them.
TEST(VmKernelHooks, CorpusLoadsWithKernelHooks)
{
    if (!in_vm())
        GTEST_SKIP() << "runs inside the test VM only (tests/vm/vm.sh sets PALISADE_IN_VM)";
    Shell r = shell(std::string(PALISADE_BIN) + " policy validate " PALISADE_CORPUS_DIR "/tetragon-policies/");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(summary: (\d+) loads, (\d+) need a kernel feature)")))
        << r.out << r.err;
    const int loads = std::stoi(m[1]), need = std::stoi(m[2]);
    std::printf("corpus on this kernel: %s\n", m[0].str().c_str());
    EXPECT_EQ(need, 0) << r.out;
    // 37 load on a kernel without kprobes and BPF LSM (6.18 with neither, at the time of writing);
    // 65 on 6.12 and 67 on 6.1, where some corpus functions are inlined away.
    EXPECT_GE(loads, 65) << r.out;
    // skb, net_device and capability-set arguments are read in the kernel.
    for (const char* policy : {"privileges-raise", "dev-hard-start-xmit", "dns-only-specified-servers"})
        EXPECT_NE(r.out.find(std::string("policy '") + policy + "': loads"), std::string::npos) << policy << r.out;
    // A kprobe on a function this kernel does not have is unsupported here, and says which.
    const bool has_kfree_skb_reason = slurp("/proc/kallsyms").find(" kfree_skb_reason\n") != std::string::npos;
    if (!has_kfree_skb_reason)
        EXPECT_NE(r.out.find("kernel function 'kfree_skb_reason' does not exist on this kernel"), std::string::npos)
            << r.out;
}

}  // namespace
