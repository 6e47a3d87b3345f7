// The open prefilter on real actions: the same workload under the agent with
// falco_rules.yaml, once with the prefilter and once with --no-prefilter,
// must give the same alerts, and the prefilter must have kept opens back.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "event/decoder.h"
#include "loader/sensor.h"
#include "rules/prefilter/open_prefilter.h"
#include "support/agent_process.h"

namespace {

const std::string kFalcoRules = PALISADE_CORPUS_DIR "/falco-rules/falco_rules.yaml";

// Runs argv[0] (a path) directly, not through a shell, and waits.
void spawn(std::vector<std::string> argv)
{
    const pid_t pid = fork();
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        std::vector<char*> raw;
        for (auto& a : argv)
            raw.push_back(a.data());
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 127) << argv[0] << " " << argv[1] << ": status " << status;
}

// Every command line carries `marker` (as a file that does not exist), so
// the alerts of this workload can be told from those of other processes.
void workload(const std::string& marker)
{
    const std::string missing = "/tmp/" + marker + "-missing";
    const std::string log = "/var/log/" + marker + ".log";
    // Opens that must alert.
    spawn({"/bin/cat", "/etc/shadow", missing});
    spawn({"/bin/cat", "/etc//shadow", missing});                  // normalised in user space
    spawn({"/bin/cat", "/etc/pam.d/.././shadow", missing});
    spawn({"/bin/cat", "/tmp/../../etc/passwd", missing});         // directory traversal
    spawn({"/bin/sh", "-c", "cd / && cat etc/shadow " + missing});  // relative
    spawn({"/bin/sh", "-c", ": > " + log + "; rm -f " + log + " " + missing});  // clear a log
    // Many opens that must not.
    for (int i = 0; i < 20; ++i)
        spawn({"/bin/cat", "/etc/hosts", "/etc/passwd", "/proc/self/status", "/usr/lib/os-release", missing});
    spawn({"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do : > /tmp/" + marker + "-$i; cat /tmp/" + marker +
                                "-$i; rm -f /tmp/" + marker + "-$i; done; true " + missing});
}

struct WorkloadRun {
    std::vector<std::string> alerts;  // "rule | fd.name | proc.name | proc.cmdline", sorted
    std::uint64_t filtered = 0;
};

std::string field(const nlohmann::json& fields, const char* key)
{
    return fields.contains(key) && fields[key].is_string() ? fields[key].get<std::string>() : "";
}

WorkloadRun run_workload(bool prefilter, const std::string& marker)
{
    std::vector<std::string> args = {"run", "-r", kFalcoRules, "-o", "json"};
    if (!prefilter)
        args.push_back("--no-prefilter");
    palisade::test::AgentProcess agent(args, prefilter ? "prefilter" : "noprefilter");
    EXPECT_TRUE(agent.wait_ready()) << agent.log();
    workload(marker);
    agent.stop();
    WorkloadRun run;
    for (const auto& a : agent.lines()) {
        if (!a.is_object() || !a.contains("output_fields"))
            continue;
        const auto& f = a["output_fields"];
        const std::string cmdline = field(f, "proc.cmdline");
        if (a["output"].get<std::string>().find(marker) == std::string::npos &&
            cmdline.find(marker) == std::string::npos)
            continue;
        run.alerts.push_back(a["rule"].get<std::string>() + " | " + field(f, "fd.name") + " | " +
                             field(f, "proc.name") + " | " + cmdline);
    }
    std::sort(run.alerts.begin(), run.alerts.end());
    const auto stats = agent.stats();
    if (stats.is_object() && stats.contains("kernel_filtered_total"))
        run.filtered = stats["kernel_filtered_total"].get<std::uint64_t>();
    return run;
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(OpenPrefilter, SameAlertsWithAndWithoutThePrefilter)
{
    const std::string marker = "palisade-pf-" + std::to_string(getpid());
    const WorkloadRun with = run_workload(true, marker);
    const WorkloadRun without = run_workload(false, marker);

    EXPECT_EQ(with.alerts, without.alerts) << "with the prefilter:\n"
                                           << joined(with.alerts) << "without:\n"
                                           << joined(without.alerts);
    // The workload's alerts are there (the comparison is not of two empty sets).
    auto count = [&](const std::string& rule) {
        return std::count_if(without.alerts.begin(), without.alerts.end(),
                             [&](const auto& a) { return a.rfind(rule + " |", 0) == 0; });
    };
    EXPECT_EQ(count("Read sensitive file untrusted"), 4) << joined(without.alerts);
    EXPECT_EQ(count("Directory traversal monitored file read"), 1) << joined(without.alerts);
    EXPECT_EQ(count("Clear Log Activities"), 1) << joined(without.alerts);
    EXPECT_GT(with.filtered, 100u);
    EXPECT_EQ(without.filtered, 0u);
}

// SIGHUP loads the rules again: the prefilter is installed for them anew,
// keeps filtering, and the alerts still come.
TEST(OpenPrefilter, InstalledAgainOnReload)
{
    const std::string marker = "palisade-pf-hup-" + std::to_string(getpid());
    palisade::test::AgentProcess agent({"run", "-r", kFalcoRules, "-o", "json", "--log-level", "info"}, "hup");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    kill(agent.pid(), SIGHUP);
    auto installs = [&] {
        const std::string log = agent.log();
        std::size_t n = 0;
        for (auto at = log.find("open prefilter:"); at != std::string::npos; at = log.find("open prefilter:", at + 1))
            ++n;
        return n;
    };
    for (int i = 0; i < 100 && installs() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(installs(), 2u) << agent.log();
    workload(marker);
    agent.stop();
    std::size_t shadow = 0;
    for (const auto& a : agent.lines())
        if (a.is_object() && a.contains("rule") && a["rule"] == "Read sensitive file untrusted" &&
            a["output"].get<std::string>().find(marker) != std::string::npos)
            ++shadow;
    EXPECT_EQ(shadow, 4u);
    EXPECT_GT(agent.stats()["kernel_filtered_total"].get<std::uint64_t>(), 100u);
}

// The kernel's path scan (eight bytes at a time) against its user-space
// statement, kernel_passes(): paths with every shape the scan must notice
// ("//", "/./", "/../", "../", a trailing "/", "/." or "/..", dot files) at
// every offset within a word and across word boundaries, and lengths around
// the tries' limit. Each open reaches user space exactly when kernel_passes
// says it does.
TEST(OpenPrefilter, KernelPathScanAgreesWithUserSpace)
{
    using namespace palisade::rules::prefilter;
    OpenPrefilter prefilter;
    OpenAlternative by_path;
    by_path.paths = std::set<PathPattern>{{PathMatch::Prefix, "/etc/"},
                                          {PathMatch::Exact, "/tmp/pf-exact"},
                                          {PathMatch::Suffix, ".pfkey"}};
    OpenAlternative traversal;
    traversal.facts = 1u << PL_OF_DOTDOT;
    prefilter.alternatives = {by_path, traversal};
    const OpenTables tables = build_open_tables(prefilter);

    std::vector<std::string> paths = {"/", "//", "/.", "/..", "/etc", "/etc/", "/etc/.", "/etc/..", "/etc/x/",
                                      "/etc//x", "/etc/./x", "/etc/../x", "/etc/.x", "/etc/..x", "/etc/x..",
                                      "/etc/x../y", "/etc/...", "../etc/x", "etc/x", "./x", "x", "/tmp/pf-exact",
                                      "/tmp/pf-exact/", "/tmp/pf-exactly", "/tmp/a.pfkey", "/tmp/a.pfkey/",
                                      "/tmp/x/../a.pfkey", "/tmp/.pfkey", "/.pfkey", "/tmp/a.pfkeyx"};
    const char* shapes[] = {"//b", "/./b", "/../b", "../b", "/", "/.", "/..", ".pfkey", "/.hidden", "..", "/...", "/etc"};
    for (int pad = 0; pad < 18; ++pad)
        for (const char* shape : shapes) {
            paths.push_back("/etc/" + std::string(pad, 'a') + shape);
            paths.push_back("/tmp/" + std::string(pad, 'a') + shape);
        }
    for (int len = PL_PF_PATH_MAX - 12; len <= PL_PF_PATH_MAX + 4; ++len) {
        paths.push_back("/etc/" + std::string(len - 5, 'a'));
        paths.push_back("/tmp/" + std::string(len - 5, 'a'));
        paths.push_back("/tmp/" + std::string(len - 9, 'a') + "/../");
        paths.push_back("/tmp/" + std::string(len - 8, 'a') + "/..");
        paths.push_back("/tmp/" + std::string(len - 11, 'a') + ".pfkey");
    }

    palisade::SensorOptions options;
    options.groups = {"open"};
    options.exclude_tgid = 1;  // this process's own opens are the workload
    std::string error;
    auto sensor = palisade::Sensor::start(options, &error);
    ASSERT_NE(sensor, nullptr) << error;
    ASSERT_TRUE(sensor->set_open_prefilter(tables.header, tables.prefix, tables.postfix, &error)) << error;

    std::map<std::string, std::int64_t> results;
    for (const auto& path : paths) {
        const int fd = open(path.c_str(), O_RDONLY);
        results[path] = fd < 0 ? -errno : fd;
        if (fd >= 0)
            close(fd);
    }
    close(open("/tmp/pf-end-marker", O_RDONLY));  // unmatched: filtered; /etc/ marks the end
    close(open("/etc/pf-end-marker", O_RDONLY));
    std::set<std::string> delivered;
    bool ended = false;
    for (int i = 0; i < 100 && !ended; ++i)
        sensor->poll(50, [&](std::span<const std::uint8_t> record) {
            palisade::DecodeError err;
            auto ev = palisade::decode_record(record, &err);
            if (!ev || ev->tgid != static_cast<std::uint32_t>(getpid()))
                return;
            if (const auto* open = std::get_if<palisade::OpenData>(&ev->data)) {
                delivered.insert(open->raw_path);
                ended = ended || open->raw_path == "/etc/pf-end-marker";
            }
        });
    ASSERT_TRUE(ended);
    std::size_t passing = 0;
    for (const auto& [path, ret] : results) {
        const bool passes = kernel_passes(tables, open_facts(PL_SC_OPENAT, O_RDONLY, ret, path), path);
        passing += passes;
        EXPECT_EQ(delivered.count(path) == 1, passes) << "\"" << path << "\" (" << path.size() << " bytes)";
    }
    // Both outcomes are exercised.
    EXPECT_GT(passing, 50u);
    EXPECT_GT(paths.size() - passing, 50u);
}

}  // namespace
