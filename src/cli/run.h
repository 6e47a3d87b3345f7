// `palisade run`: the agent's main loop from a record source to the outputs.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace palisade {

struct RunOptions {
    std::vector<std::string> rules_files;  // empty: Palisade's default rules
    bool no_rules = false;                 // print the raw event stream instead of alerts
    bool no_prefilter = false;             // send every open to user space, even those no rule can match
    std::vector<std::string> policy_paths; // TracingPolicy / NetworkPolicy files or directories
    std::string policy_mode = "enforce";   // for policies that do not choose
    std::string events;                    // empty: what the rules need (all without rules)
    std::string output = "json";
    bool stats = false;
    double stats_interval_s = 5;
    std::string stats_file;
    std::string ready_file;
    std::string metrics_addr;              // HOST:PORT for /metrics and /healthz; empty = none
    std::string record_file;
    std::string replay_file;
    std::string lock_file = "/run/palisade.lock";
    unsigned ringbuf_mb = 8;  // with the open prefilter 8 MiB absorbs 400k events/s; RSS stays under 40 MiB
    double duration_s = 0;
    std::vector<std::string> cri_sockets;  // empty: the usual containerd and CRI-O sockets
    std::string k8s_watch = "auto";        // auto: watch this node's pods when in a pod with a service account
};

void add_run_command(CLI::App& app, RunOptions& options);
int run_agent(const RunOptions& options);

}  // namespace palisade
