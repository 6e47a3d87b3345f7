// The palisade binary as kernel tests run it: started with its stdout and
// stderr in files, waited for until every hook is attached, stopped with
// SIGINT, and its output read back as JSON lines.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace palisade::test {

class AgentProcess {
public:
    // Runs `palisade ARGS...` plus its own lock, ready and stats files, named after `tag`.
    AgentProcess(const std::vector<std::string>& args, const std::string& tag)
    {
        const std::string base = "/tmp/palisade-agent-" + std::to_string(getpid()) + "-" + tag;
        out_ = base + ".out";
        err_ = base + ".err";
        ready_ = base + ".ready";
        stats_ = base + ".stats";
        unlink(ready_.c_str());
        std::vector<std::string> argv = {PALISADE_BIN};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--lock-file", base + ".lock", "--ready-file", ready_, "--stats-file", stats_});
        pid_ = fork();
        if (pid_ == 0) {
            if (!freopen(out_.c_str(), "w", stdout) || !freopen(err_.c_str(), "w", stderr))
                _exit(126);
            std::vector<char*> raw;
            for (auto& a : argv)
                raw.push_back(a.data());
            raw.push_back(nullptr);
            execv(PALISADE_BIN, raw.data());
            _exit(127);
        }
    }
    ~AgentProcess() { stop(); }
    AgentProcess(const AgentProcess&) = delete;
    AgentProcess& operator=(const AgentProcess&) = delete;

    // True once the agent has attached its hooks; false if it exited first or took too long.
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const
    {
        for (auto waited = std::chrono::milliseconds(0); waited < timeout; waited += std::chrono::milliseconds(20)) {
            if (access(ready_.c_str(), F_OK) == 0)
                return true;
            if (waitpid(pid_, nullptr, WNOHANG) == pid_)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    // Lets what the kernel wrote drain, then stops the agent; returns its wait status.
    int stop()
    {
        if (pid_ <= 0)
            return status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        kill(pid_, SIGINT);
        waitpid(pid_, &status_, 0);
        pid_ = -1;
        return status_;
    }

    std::vector<nlohmann::json> lines() const
    {
        std::vector<nlohmann::json> parsed;
        std::istringstream in(slurp(out_));
        for (std::string line; std::getline(in, line);)
            parsed.push_back(nlohmann::json::parse(line, nullptr, false));
        return parsed;
    }
    // The counters the agent wrote at exit (--stats-file).
    nlohmann::json stats() const { return nlohmann::json::parse(slurp(stats_), nullptr, false); }
    std::string log() const { return slurp(err_); }
    pid_t pid() const { return pid_; }

    static std::string slurp(const std::string& path)
    {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    std::string out_, err_, ready_, stats_;
};

inline std::string temp_path(const std::string& name)
{
    return "/tmp/palisade-test-" + std::to_string(getpid()) + "-" + name;
}

inline std::string slurp(const std::string& path) { return AgentProcess::slurp(path); }

struct AgentOutput {
    std::vector<nlohmann::json> lines;
    std::string log;  // stderr
};

// `palisade run ARGS...` around `actions`, once its hooks are attached.
inline AgentOutput run_agent_around(const std::vector<std::string>& args,
                                    const std::function<void(pid_t agent)>& actions)
{
    static int runs = 0;
    std::vector<std::string> all = {"run"};
    all.insert(all.end(), args.begin(), args.end());
    AgentProcess agent(all, "run" + std::to_string(runs++));
    EXPECT_TRUE(agent.wait_ready()) << agent.log();
    actions(agent.pid());
    agent.stop();
    return {agent.lines(), agent.log()};
}

}  // namespace palisade::test
