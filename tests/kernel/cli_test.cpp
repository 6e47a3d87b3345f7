// The agent as a user runs it: the palisade binary, its output, its signals,
// its refusal to run twice or without privileges, and record/replay.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/agent_process.h"

namespace {

struct Agent {
    pid_t pid = -1;
    std::string out_path, err_path;
};

std::string temp_path(const std::string& name)
{
    return "/tmp/palisade-cli-" + std::to_string(getpid()) + "-" + name;
}

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Starts `palisade ARGS...` with stdout/stderr in files.
Agent start_agent(const std::vector<std::string>& args, const std::string& tag, uid_t uid = 0)
{
    Agent agent{-1, temp_path(tag + ".out"), temp_path(tag + ".err")};
    agent.pid = fork();
    if (agent.pid == 0) {
        dup2(open(agent.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        dup2(open(agent.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0))
            _exit(99);
        std::vector<char*> argv{const_cast<char*>(PALISADE_BIN)};
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(PALISADE_BIN, argv.data());
        _exit(127);
    }
    return agent;
}

bool wait_for_file(const std::string& path, pid_t agent, int timeout_ms = 20000)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (access(path.c_str(), F_OK) == 0)
            return true;
        if (waitpid(agent, nullptr, WNOHANG) == agent)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

int stop_agent(const Agent& agent, int sig = SIGINT)
{
    kill(agent.pid, sig);
    int status = 0;
    waitpid(agent.pid, &status, 0);
    return status;
}

int wait_exit(const Agent& agent)
{
    int status = 0;
    waitpid(agent.pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void run_command(const char* cmd) { ASSERT_EQ(std::system(cmd), 0) << cmd; }

std::vector<nlohmann::json> json_lines(const std::string& text)
{
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// Ids of the sensor's programs loaded in the kernel right now.
std::set<__u32> sensor_program_ids()
{
    std::set<__u32> ids;
    for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0)
            continue;
        bpf_prog_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strncmp(info.name, "pl_", 3) == 0 &&
            std::strcmp(info.name, "pl_probe") != 0)
            ids.insert(id);
        close(fd);
    }
    return ids;
}

// Programs are freed after an RCU grace period once the last fd closes.
bool all_unloaded(const std::set<__u32>& ids)
{
    for (int waited = 0; waited < 5000; waited += 50) {
        const auto now = sensor_program_ids();
        if (std::none_of(ids.begin(), ids.end(), [&](__u32 id) { return now.count(id); }))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST(Cli, RunPrintsJsonEventsAndDetachesOnSigint)
{
    const auto programs_before = sensor_program_ids();
    const auto ready = temp_path("ready");
    unlink(ready.c_str());
    Agent agent = start_agent({"run", "--no-rules", "--events", "exec,exit", "--lock-file", temp_path("lock"), "--ready-file",
                               ready},
                              "json");
    ASSERT_TRUE(wait_for_file(ready, agent.pid)) << slurp(agent.err_path);
    std::set<__u32> agent_programs;
    for (auto id : sensor_program_ids())
        if (!programs_before.count(id))
            agent_programs.insert(id);
    EXPECT_EQ(agent_programs.size(), 8u) << "every sensor program is loaded";
    run_command("/bin/sh -c '/bin/echo palisade-cli-marker > /dev/null'");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const int status = stop_agent(agent);
    ASSERT_TRUE(WIFEXITED(status)) << slurp(agent.err_path);
    EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(agent.err_path);

    bool found = false;
    for (const auto& ev : json_lines(slurp(agent.out_path))) {
        EXPECT_TRUE(ev["type"] == "exec" || ev["type"] == "exit") << ev.dump();
        if (ev["type"] != "exec" || ev["exec"]["args"].size() < 2 || ev["exec"]["args"][1] != "palisade-cli-marker")
            continue;
        found = true;
        EXPECT_EQ(ev["exec"]["path"], "/usr/bin/echo");
        EXPECT_EQ(ev["process"]["exe"], "/usr/bin/echo");
        EXPECT_EQ(ev["parent"]["exe"], "/usr/bin/dash");
        EXPECT_EQ(ev["process"]["parent_exec_id"], ev["parent"]["exec_id"]);
        EXPECT_GE(ev["ancestors"].size(), 2u);
        EXPECT_TRUE(ev["time"].get<std::string>().ends_with("Z"));
    }
    EXPECT_TRUE(found) << slurp(agent.out_path).substr(0, 4000);
    EXPECT_TRUE(all_unloaded(agent_programs)) << "SIGINT must detach and unload every program";
}

TEST(Cli, TextOutputIsOneReadableLine)
{
    const auto ready = temp_path("ready-text");
    unlink(ready.c_str());
    Agent agent = start_agent({"run", "--no-rules", "--events", "open", "--output", "text", "--lock-file", temp_path("lock"),
                               "--ready-file", ready},
                              "text");
    ASSERT_TRUE(wait_for_file(ready, agent.pid)) << slurp(agent.err_path);
    run_command("/bin/cat /etc/hostname > /dev/null");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop_agent(agent, SIGTERM);
    const auto out = slurp(agent.out_path);
    EXPECT_NE(out.find("open    pid="), std::string::npos) << out.substr(0, 2000);
    // The fd number depends on what the caller left open; the shape does not.
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(open +pid=\d+ cat uid=0 ppid=\d+ openat /etc/hostname flags=0 ret=\d+\n)")))
        << out.substr(0, 2000);
}

TEST(Cli, SecondInstanceRefusesWithOneLine)
{
    const auto ready = temp_path("ready-first");
    const auto lock = temp_path("lock-shared");
    unlink(ready.c_str());
    Agent first = start_agent({"run", "--output", "null", "--lock-file", lock, "--ready-file", ready}, "first");
    ASSERT_TRUE(wait_for_file(ready, first.pid)) << slurp(first.err_path);
    Agent second = start_agent({"run", "--output", "null", "--lock-file", lock}, "second");
    EXPECT_EQ(wait_exit(second), 1);
    const auto err = slurp(second.err_path);
    EXPECT_NE(err.find("another palisade is already running (pid " + std::to_string(first.pid)), std::string::npos)
        << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    stop_agent(first);
}

TEST(Cli, WithoutPrivilegesSaysSoInOneLine)
{
    Agent agent = start_agent({"run", "--lock-file", "/tmp/palisade-nobody.lock"}, "nobody", 65534);
    EXPECT_EQ(wait_exit(agent), 1);
    const auto err = slurp(agent.err_path);
    EXPECT_NE(err.find("needs root (or CAP_BPF and CAP_PERFMON)"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(Cli, UnknownEventGroupIsNamed)
{
    Agent agent = start_agent({"run", "--events", "exec,bogus"}, "bogus");
    EXPECT_EQ(wait_exit(agent), 2);
    EXPECT_NE(slurp(agent.err_path).find("unknown event group 'bogus'"), std::string::npos);
}

TEST(Cli, RecordingReplaysToTheSameEvents)
{
    const auto ready = temp_path("ready-rec");
    const auto recording = temp_path("recording.plr");
    unlink(ready.c_str());
    Agent live = start_agent({"run", "--no-rules", "--events", "exec", "--lock-file", temp_path("lock"), "--ready-file", ready,
                              "--record", recording},
                             "live");
    ASSERT_TRUE(wait_for_file(ready, live.pid)) << slurp(live.err_path);
    run_command("/bin/true palisade-replay-marker");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop_agent(live);

    // Replay needs no privileges and no kernel.
    Agent replay = start_agent({"run", "--no-rules", "--events", "exec", "--replay", recording}, "replay", 65534);
    EXPECT_EQ(wait_exit(replay), 0) << slurp(replay.err_path);
    auto marker_execs = [](const std::string& out) {
        std::vector<std::string> found;
        for (const auto& ev : json_lines(out))
            if (ev["exec"]["path"] == "/usr/bin/true" &&
                ev["exec"]["args"].dump().find("palisade-replay-marker") != std::string::npos)
                found.push_back(ev["exec"].dump() + ev["process"].dump());
        return found;
    };
    const auto live_execs = marker_execs(slurp(live.out_path));
    ASSERT_EQ(live_execs.size(), 1u);
    EXPECT_EQ(marker_execs(slurp(replay.out_path)), live_execs);
}

}  // namespace

namespace {

TEST(Cli, RulesValidateNamesFileLineColumnAndCause)
{
    const auto bad = temp_path("bad-rules.yaml");
    std::ofstream(bad) << "- rule: broken\n  desc: d\n  condition: evt.type = openat and proc.name ~= bash\n"
                          "  output: o\n  priority: NOTICE\n";
    Agent validate = start_agent({"rules", "validate", bad}, "validate", 65534);
    EXPECT_EQ(wait_exit(validate), 1);
    const auto err = slurp(validate.err_path);
    EXPECT_NE(err.find(bad + ":3:"), std::string::npos) << err;
    EXPECT_NE(err.find("error:"), std::string::npos) << err;
    EXPECT_NE(err.find("^"), std::string::npos) << "a caret under the cause\n" << err;

    // The agent refuses to start on it, before touching the kernel.
    Agent run = start_agent({"run", "-r", bad, "--lock-file", temp_path("lock-bad")}, "run-bad");
    EXPECT_EQ(wait_exit(run), 1);
    EXPECT_NE(slurp(run.err_path).find(bad + ":3:"), std::string::npos) << slurp(run.err_path);
    unlink(bad.c_str());
}

// validate looks kernel functions up in this kernel's BTF (and kallsyms)
// without loading anything: a kprobe on a function that is not there is
// unsupported here, named with its policy and function.
TEST(Cli, PolicyValidateLooksKernelFunctionsUp)
{
    const auto file = temp_path("kernel-functions.yaml");
    auto policy = [](const std::string& name, const std::string& hooks) {
        return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: " + name + "}\nspec:\n" +
               hooks;
    };
    std::ofstream(file) << policy("missing", "  kprobes:\n  - {call: palisade_no_such_function, syscall: false}\n")
                        << "---\n"
                        << policy("present", "  kprobes:\n  - {call: security_file_permission, syscall: false}\n")
                        << "---\n"
                        << policy("no-lsm-hook", "  lsmhooks:\n  - {hook: palisade_no_such_hook}\n");
    Agent validate = start_agent({"policy", "validate", file}, "validate-functions");
    EXPECT_EQ(wait_exit(validate), 1);  // unsupported policies fail validation
    const auto out = slurp(validate.out_path);
    EXPECT_NE(out.find("policy 'missing': unsupported: " + file + ":6:5: policy 'missing': kprobe "
                       "'palisade_no_such_function': kernel function 'palisade_no_such_function' does not exist on "
                       "this kernel"),
              std::string::npos)
        << out;
    // present here: it loads where kprobes work and waits for them where they do not
    EXPECT_TRUE(out.find("policy 'present': loads") != std::string::npos ||
                out.find("policy 'present': needs-kernel-feature") != std::string::npos)
        << out;
    // LSM hooks are judged on kernels built with BPF LSM (they have bpf_lsm_file_open)
    if (slurp("/proc/kallsyms").find(" bpf_lsm_file_open\n") != std::string::npos) {
        EXPECT_NE(out.find("LSM hook 'palisade_no_such_hook' does not exist on this kernel"), std::string::npos)
            << out;
    }
    unlink(file.c_str());
}

TEST(Cli, RulesListShowsEventTypes)
{
    Agent list = start_agent({"rules", "list"}, "list", 65534);
    EXPECT_EQ(wait_exit(list), 0) << slurp(list.err_path);
    const auto out = slurp(list.out_path);
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(Fileless execution +Critical +execve,execveat)"))) << out;
}

}  // namespace

namespace {

// One plain HTTP/1.0 GET on loopback: the response, headers included.
std::string http_get(int port, const std::string& path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
        if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            char buf[4096];
            for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
                response.append(buf, n);
        }
    }
    close(fd);
    return response;
}

TEST(Cli, MetricsAreServedForPrometheusWithAHealthCheck)
{
    const int port = 19464;
    std::string metrics, health;
    palisade::test::run_agent_around({"--no-rules", "-o", "null", "--metrics-addr", "127.0.0.1:" + std::to_string(port)},
                                     [&](pid_t) {
                                         metrics = http_get(port, "/metrics");
                                         health = http_get(port, "/healthz");
                                     });
    EXPECT_NE(metrics.find("200 OK"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("# TYPE palisade_events_total counter"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("palisade_events_total{type=\"exec\"}"), std::string::npos);
    EXPECT_NE(metrics.find("palisade_kernel_drops_total{type=\"open\"} 0"), std::string::npos);
    EXPECT_NE(metrics.find("palisade_degraded{feature=\"kprobes\"} 1"), std::string::npos) << "this kernel lacks them";
    EXPECT_NE(health.find("\r\n\r\nok"), std::string::npos) << health;
}

}  // namespace
