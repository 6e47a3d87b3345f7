// Falco's own rules on real actions: the agent runs with falco_rules.yaml
// (or Palisade's default rules), real programs do what the rules look for,
// and the alerts must name the rule Falco would fire, with its key fields.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/agent_process.h"

namespace {

const std::string kFalcoRules = PALISADE_CORPUS_DIR "/falco-rules/falco_rules.yaml";
const std::string kActions = PALISADE_ACTIONS_BIN;

using palisade::test::slurp;
std::string temp(const std::string& name) { return palisade::test::temp_path(name); }

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

// Runs the agent with `rules` around `actions`; returns its alerts.
std::vector<nlohmann::json> alerts_for(const std::vector<std::string>& rules,
                                       const std::function<void(pid_t agent)>& actions)
{
    std::vector<std::string> args;
    for (const auto& r : rules)
        args.insert(args.end(), {"-r", r});
    return palisade::test::run_agent_around(args, actions).lines;
}

// The first alert of `rule` whose output_fields[key] == value.
const nlohmann::json* find(const std::vector<nlohmann::json>& alerts, const std::string& rule, const std::string& key,
                           const nlohmann::json& value)
{
    for (const auto& a : alerts)
        if (a["rule"] == rule && a["output_fields"].contains(key) && a["output_fields"][key] == value)
            return &a;
    return nullptr;
}

std::string dump(const std::vector<nlohmann::json>& alerts)
{
    std::string text;
    for (const auto& a : alerts)
        text += a["rule"].get<std::string>() + ": " + a["output"].get<std::string>() + "\n";
    return text;
}

TEST(FalcoRulesEndToEnd, RealActionsFireTheRulesFalcoWould)
{
    const auto link = temp("link"), shm = "/dev/shm/palisade-e2e-" + std::to_string(getpid());
    const auto alerts = alerts_for({kFalcoRules}, [&](pid_t) {
        run("/bin/cat /etc/shadow > /dev/null");
        run("/bin/ln -sf /etc/shadow " + link);
        run("/usr/bin/find /tmp -maxdepth 1 -name id_rsa");
        run(kActions + " memfd-exec");
        run(kActions + " ptrace-attach");
        run("cp /bin/true " + shm + " && " + shm + " && rm -f " + shm);
    });
    unlink(link.c_str());

    const auto* shadow = find(alerts, "Read sensitive file untrusted", "fd.name", "/etc/shadow");
    ASSERT_NE(shadow, nullptr) << dump(alerts);
    EXPECT_EQ((*shadow)["output_fields"]["proc.name"], "cat");
    EXPECT_EQ((*shadow)["priority"], "Warning");
    EXPECT_EQ((*shadow)["source"], "syscall");

    const auto* symlink = find(alerts, "Create Symlink Over Sensitive Files", "evt.arg.target", "/etc/shadow");
    ASSERT_NE(symlink, nullptr) << dump(alerts);
    EXPECT_EQ((*symlink)["output_fields"]["evt.arg.linkpath"], link);

    ASSERT_NE(find(alerts, "Search Private Keys or Passwords", "proc.name", "find"), nullptr) << dump(alerts);

    const auto* fileless = find(alerts, "Fileless execution via memfd_create", "proc.exepath", "/memfd:palisade-e2e");
    ASSERT_NE(fileless, nullptr) << dump(alerts);
    EXPECT_EQ((*fileless)["priority"], "Critical");

    ASSERT_NE(find(alerts, "PTRACE attached to process", "evt.type", "ptrace"), nullptr) << dump(alerts);
    ASSERT_NE(find(alerts, "Execution from /dev/shm", "proc.exepath", shm), nullptr) << dump(alerts);

    // Nothing the tests did is a shell spawned by a protected service.
    for (const auto& a : alerts)
        EXPECT_NE(a["rule"], "Run shell untrusted") << a.dump();
}

TEST(DefaultRulesEndToEnd, ReverseShellAndMetadataAccessAreCaught)
{
    const auto alerts = alerts_for({}, [&](pid_t) {
        run(kActions + " socket-on-stdout");
        run(kActions + " connect 169.254.169.254 80");
        run(kActions + " memfd-exec");
    });
    const auto* shell = find(alerts, "Standard stream redirected to a network socket", "evt.rawres", 1);
    ASSERT_NE(shell, nullptr) << dump(alerts);
    EXPECT_EQ((*shell)["priority"], "Critical");
    ASSERT_NE(find(alerts, "Cloud metadata service contacted", "proc.name", "palisade-test-a"), nullptr)
        << dump(alerts);
    EXPECT_NE(find(alerts, "Fileless execution", "proc.exepath", "/memfd:palisade-e2e"), nullptr) << dump(alerts);
}

void write_rule(const std::string& path, const std::string& name, const std::string& condition)
{
    std::ofstream(path) << "- rule: " << name << "\n  desc: d\n  condition: " << condition
                        << "\n  output: \"%proc.name opened %fd.name\"\n  priority: NOTICE\n";
}

// The agent is told to reload with SIGHUP: a broken file keeps the running
// rules, a good one replaces them, hooks included.
TEST(RulesReload, SighupSwapsRulesAndABrokenFileKeepsThePrevious)
{
    const auto file = temp("reload.yaml");
    write_rule(file, "hostname read", "evt.type = openat and fd.name = /etc/hostname");
    const auto alerts = alerts_for({file}, [&](pid_t agent) {
        auto reload = [&] {
            kill(agent, SIGHUP);
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        };
        run("/bin/cat /etc/hostname > /dev/null");
        std::ofstream(file) << "- rule: broken\n  condition: evt.type = openat and (\n";
        reload();
        run("/bin/cat /etc/hostname > /dev/null");
        write_rule(file, "hostname link", "evt.type in (link, linkat) and evt.arg.oldpath = /etc/hostname");
        reload();
        run("/bin/cat /etc/hostname > /dev/null");
        run("/bin/ln /etc/hostname " + temp("hardlink") + " 2>/dev/null || true");
    });
    unlink(temp("hardlink").c_str());
    int hostname_reads = 0, links = 0;
    for (const auto& a : alerts) {
        hostname_reads += a["rule"] == "hostname read";
        links += a["rule"] == "hostname link";
    }
    EXPECT_EQ(hostname_reads, 2) << "before the broken file and while it was refused\n" << dump(alerts);
    EXPECT_EQ(links, 1) << "the link hooks were attached by the reload\n" << dump(alerts);
    unlink(file.c_str());
}

}  // namespace
