// Runs the real `palisade run` binary around a test's actions and returns
// what it printed: one JSON object per stdout line.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace palisade::test {

inline std::string temp_path(const std::string& name)
{
    return "/tmp/palisade-test-" + std::to_string(getpid()) + "-" + name;
}

inline std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct AgentOutput {
    std::vector<nlohmann::json> lines;
    std::string log;  // stderr
};

// Starts the agent with `args` after "run", waits until its hooks are
// attached, calls `actions`, then stops it and collects its output.
inline AgentOutput run_agent_around(const std::vector<std::string>& args,
                                    const std::function<void(pid_t agent)>& actions)
{
    const auto out = temp_path("out"), err = temp_path("err"), ready = temp_path("ready");
    unlink(ready.c_str());
    pid_t agent = fork();
    if (agent == 0) {
        freopen(out.c_str(), "w", stdout);
        freopen(err.c_str(), "w", stderr);
        std::vector<std::string> all = {PALISADE_BIN, "run", "--lock-file", temp_path("lock"), "--ready-file", ready};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(PALISADE_BIN, argv.data());
        _exit(127);
    }
    for (int i = 0; i < 1000 && access(ready.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(access(ready.c_str(), F_OK), 0) << slurp(err);
    actions(agent);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(agent, SIGINT);
    waitpid(agent, nullptr, 0);
    AgentOutput result;
    result.log = slurp(err);
    std::istringstream lines(slurp(out));
    for (std::string line; std::getline(lines, line);)
        result.lines.push_back(nlohmann::json::parse(line));
    return result;
}

}  // namespace palisade::test
