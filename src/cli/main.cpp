// palisade: the command line. Subcommands live in their own files.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/policy_cmd.h"
#include "cli/rules_cmd.h"
#include "cli/run.h"
#include "loader/features.h"

namespace {

int print_features()
{
    const auto f = palisade::probe_kernel_features();
    auto yes = [](bool b) { return b ? "yes" : "no"; };
    std::printf("kernel          %s\nbtf             %s\nringbuf         %s\nraw_tracepoint  %s\n"
                "kprobe          %s\nkprobe_override %s\nfentry          %s\nfmod_ret        %s\n"
                "bpf_lsm         %s\ncgroup_signal   %s\n",
                f.release.c_str(), yes(f.btf), yes(f.ringbuf), yes(f.raw_tracepoint), yes(f.kprobe),
                yes(f.kprobe_override), yes(f.fentry), yes(f.fmod_ret), yes(f.bpf_lsm), yes(f.cgroup_signal));
    for (const auto& line : f.degraded())
        std::printf("degraded        %s\n", line.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    // Logs go to stderr so stdout carries only events.
    spdlog::set_default_logger(spdlog::stderr_color_mt("palisade"));
    spdlog::set_pattern("palisade: %^%l%$: %v");

    CLI::App app{"Palisade: eBPF runtime security for Linux hosts and Kubernetes nodes"};
    app.require_subcommand(1);
    app.fallthrough();
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

    palisade::RunOptions run_options;
    palisade::add_run_command(app, run_options);
    auto* features = app.add_subcommand("features", "Probe what this kernel offers the sensor and print it");
    palisade::RulesOptions rules_options;
    CLI::App *validate = nullptr, *list = nullptr;
    palisade::add_rules_command(app, rules_options, &validate, &list);
    palisade::PolicyOptions policy_options;
    CLI::App *policy_validate = nullptr, *policy_explain = nullptr;
    palisade::add_policy_command(app, policy_options, &policy_validate, &policy_explain);

    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (features->parsed())
        return print_features();
    if (validate->parsed())
        return palisade::rules_validate(rules_options);
    if (list->parsed())
        return palisade::rules_list(rules_options);
    if (policy_validate->parsed())
        return palisade::policy_validate(policy_options);
    if (policy_explain->parsed())
        return palisade::policy_explain(policy_options);
    return palisade::run_agent(run_options);
}
