// `palisade policy validate|explain`, and loading policy files for `run`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "loader/features.h"
#include "policy/compiler.h"

namespace palisade {

struct PolicyOptions {
    std::vector<std::string> files;
};

void add_policy_command(CLI::App& app, PolicyOptions& options, CLI::App** validate, CLI::App** explain);
int policy_validate(const PolicyOptions& options);
int policy_explain(const PolicyOptions& options);

// What compilation needs from this host: kernel features, cgroup ids, the
// agent's namespaces.
policy::CompileEnv host_compile_env(const KernelFeatures& features, policy::Mode default_mode);

// Parses and compiles every policy file under `paths`; prints each
// diagnostic on stderr. nullopt when any file or policy has an error: the
// caller keeps what it runs.
std::optional<policy::CompileResult> load_policies(const std::vector<std::string>& paths,
                                                   const policy::CompileEnv& env);

// A fingerprint of the policy files (names, sizes, times) to notice changes.
std::string policy_files_fingerprint(const std::vector<std::string>& paths);

}  // namespace palisade
