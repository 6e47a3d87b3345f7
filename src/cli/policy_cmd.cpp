#include "cli/policy_cmd.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "loader/kernel_symbols.h"
#include "output/format.h"
#include "policy/parser.h"
#include "proc/proc_snapshot.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;

const char* mode_name(policy::Mode mode) { return mode == policy::Mode::Enforce ? "enforce" : "monitor"; }

const char* support_name(policy::Support s)
{
    switch (s) {
    case policy::Support::Loads: return "loads";
    case policy::Support::NeedsKernel: return "needs-kernel-feature";
    case policy::Support::Unsupported: return "unsupported";
    }
    return "";
}

std::uint32_t namespace_inode(policy::NamespaceKind kind)
{
    static const std::map<policy::NamespaceKind, const char*> names = {
        {policy::NamespaceKind::Uts, "uts"},       {policy::NamespaceKind::Ipc, "ipc"},
        {policy::NamespaceKind::Mnt, "mnt"},       {policy::NamespaceKind::Pid, "pid"},
        {policy::NamespaceKind::PidForChildren, "pid_for_children"},
        {policy::NamespaceKind::Net, "net"},       {policy::NamespaceKind::Time, "time"},
        {policy::NamespaceKind::TimeForChildren, "time_for_children"},
        {policy::NamespaceKind::Cgroup, "cgroup"}, {policy::NamespaceKind::User, "user"},
    };
    struct stat st {};
    if (::stat(fmt::format("/proc/self/ns/{}", names.at(kind)).c_str(), &st) != 0)
        return 0;
    return static_cast<std::uint32_t>(st.st_ino);
}

std::vector<std::string> policy_files(const std::vector<std::string>& paths)
{
    std::vector<std::string> files;
    for (const auto& path : paths) {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
            files.push_back(path);
            continue;
        }
        for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
            const auto ext = entry.path().extension();
            if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
                files.push_back(entry.path().string());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

struct Parsed {
    std::vector<policy::Policy> policies;
    bool ok = true;
};

Parsed parse_all(const std::vector<std::string>& paths)
{
    Parsed out;
    for (const auto& path : paths) {
        policy::ParseResult result = policy::parse_policy_path(path);
        for (const auto& d : result.warnings)
            spdlog::warn("{}", d.render());
        for (const auto& d : result.errors)
            spdlog::error("{}", d.render());
        out.ok = out.ok && result.errors.empty();
        for (auto& p : result.policies)
            out.policies.push_back(std::move(p));
    }
    return out;
}

// What runs the hook on this kernel, as one phrase for `policy explain`.
std::string mechanism_of(const policy::HookResolution& res)
{
    std::string kinds;
    auto add = [&kinds](const std::string& kind) {
        if (("/" + kinds + "/").find("/" + kind + "/") == std::string::npos)
            kinds += (kinds.empty() ? "" : "/") + kind;
    };
    for (const auto& t : res.targets) {
        if (!t.kernel_function.empty())
            add(policy::mechanism_name(t.mechanism, t.kernel_return));
        else if (t.id >= PL_HOOK_LSM_FIRST && t.id <= PL_HOOK_LSM_LAST)
            add("BPF LSM");
        else if (t.id >= PL_HOOK_CONNECT && t.id <= PL_HOOK_BIND)
            add("cgroup socket hook");
        else if (t.id >= PL_HOOK_UPROBE_FIRST && t.id < PL_HOOK_KPROBE_FIRST)
            add("uprobe");
        else if (t.id == PL_HOOK_EXEC)
            add("sched_process_exec");
        else if (t.id >= PL_HOOK_EXIT_FIRST)
            add("syscall exit");
        else
            add("syscall entry");
    }
    if (kinds.empty() && res.syscall_id_arg >= 0)
        kinds = "syscall entry";
    return res.is_substitute ? "substitute (" + kinds + ")" : kinds;
}

}  // namespace

policy::CompileEnv host_compile_env(const KernelFeatures& features, policy::Mode default_mode)
{
    policy::CompileEnv env;
    env.caps = {.kprobes = features.kprobe, .fentry = features.fentry, .bpf_lsm = features.bpf_lsm,
                .uprobes = features.uprobe, .cgroup_signal = features.cgroup_signal,
                .kprobe_override = features.kprobe_override, .fmod_ret = features.fmod_ret};
    env.kernel_function_exists = [](const std::string& name) { return running_kernel_symbols().has_function(name); };
    if (features.kprobe || features.fentry)
        // BTF and the error-injection list decide fentry and Override per function, read when asked
        // and released with the rest after each compile.
        env.caps.kernel_function = [](std::string_view name) { return running_kernel_symbols().function_info(name); };
    env.default_mode = default_mode;
    const std::string cgroup2 = find_cgroup2_mount();
    env.cgroup_id = [cgroup2](const std::string& path) -> std::optional<std::uint64_t> {
        struct stat st {};
        if (cgroup2.empty() || ::stat((cgroup2 + "/" + path).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return std::nullopt;
        return st.st_ino;  // a cgroup v2 id is its directory's inode number
    };
    env.host_namespace = namespace_inode;
    env.real_path = [](const std::string& path) {
        std::error_code ec;
        auto real = fs::canonical(path, ec);
        return ec ? std::string() : real.string();
    };
    return env;
}

std::optional<policy::CompileResult> load_policies(const std::vector<std::string>& paths,
                                                   const policy::CompileEnv& env)
{
    Parsed parsed = parse_all(paths);
    if (!parsed.ok)
        return std::nullopt;
    policy::CompileResult result = policy::compile_policies(parsed.policies, env);
    running_kernel_symbols().release_sources();  // the agent keeps the answers, not the kernel's BTF
    for (const auto& e : result.errors)
        spdlog::error("{}", e.render());
    if (!result.errors.empty())
        return std::nullopt;
    for (const auto& info : result.tables.info)
        for (const auto& note : info.notes)
            spdlog::info("policy '{}': {}", info.name, note);
    return result;
}

std::string policy_files_fingerprint(const std::vector<std::string>& paths)
{
    std::string print;
    for (const auto& file : policy_files(paths)) {
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0)
            print += fmt::format("{}:{}:{}.{};", file, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        else
            print += file + ":missing;";
    }
    return print;
}

void add_policy_command(CLI::App& app, PolicyOptions& o, CLI::App** validate, CLI::App** explain)
{
    auto* policy = app.add_subcommand("policy", "TracingPolicy and NetworkPolicy files");
    policy->require_subcommand(1);
    *validate = policy->add_subcommand(
        "validate", "Check policy files and say, for each policy, whether it loads on this kernel");
    (*validate)->add_option("files", o.files, "Policy files or directories")->required();
    *explain = policy->add_subcommand("explain", "Show how each policy is served on this kernel: hooks, maps, "
                                                 "actions");
    (*explain)->add_option("files", o.files, "Policy files or directories")->required();
}

// One line per policy: loads / needs-kernel-feature / unsupported, with the reason.
int policy_validate(const PolicyOptions& o)
{
    const auto env = host_compile_env(probe_kernel_features(), policy::Mode::Enforce);
    int errors = 0;
    std::map<std::string, int> counts;
    for (const auto& file : policy_files(o.files)) {
        policy::ParseResult parsed = policy::parse_policy_file(file);
        for (const auto& d : parsed.errors) {
            std::fprintf(stderr, "%s\n", d.render().c_str());
            ++errors;
        }
        if (!parsed.errors.empty()) {
            std::printf("%s: invalid\n", file.c_str());
            ++counts["invalid"];
            continue;
        }
        for (const auto& p : parsed.policies) {
            // Each policy alone: one that cannot load does not hide the others.
            policy::CompileResult r = policy::compile_policies({p}, env);
            if (r.errors.empty()) {
                std::printf("%s: policy '%s': loads\n", file.c_str(), p.name.c_str());
                // What differs on this kernel: substitute hooks, fentry or kprobe, what Override becomes.
                for (const auto& info : r.tables.info)
                    for (const auto& note : info.notes)
                        std::printf("  note: %s\n", note.c_str());
                ++counts["loads"];
                continue;
            }
            const auto& e = r.errors.front();
            std::printf("%s: policy '%s': %s: %s\n", file.c_str(), p.name.c_str(), support_name(e.support),
                        e.render().c_str());
            ++counts[support_name(e.support)];
            if (e.support == policy::Support::Unsupported)
                ++errors;
        }
    }
    std::printf("summary: %d loads, %d need a kernel feature, %d unsupported, %d invalid\n", counts["loads"],
                counts["needs-kernel-feature"], counts["unsupported"], counts["invalid"]);
    return errors ? 1 : 0;
}

int policy_explain(const PolicyOptions& o)
{
    const auto features = probe_kernel_features();
    const auto env = host_compile_env(features, policy::Mode::Enforce);
    Parsed parsed = parse_all(o.files);
    if (!parsed.ok)
        return 1;
    int rc = 0;
    for (const auto& p : parsed.policies) {
        std::printf("policy '%s' (%s, mode %s)\n", p.name.c_str(), p.loc.file.c_str(),
                    mode_name(p.mode_set ? p.mode : env.default_mode));
        for (const auto& hook : p.hooks) {
            const auto res = policy::resolve_hook(hook, env.caps);
            std::printf("  hook %s: %s\n", hook.call.c_str(), support_name(res.support));
            if (!res.reason.empty())
                std::printf("    why: %s\n", res.reason.c_str());
            if (!res.note.empty())
                std::printf("    note: %s\n", res.note.c_str());
            if (!res.override_fallback.empty())
                std::printf("    override: %s\n", res.override_fallback.c_str());
            std::string targets;
            for (const auto& t : res.targets) {
                // kprobes are numbered when compiled: name them by their function here
                std::string name = t.kernel_function.empty()
                                       ? policy::hook_display_name(t.id)
                                       : fmt::format("{}/{}", policy::mechanism_name(t.mechanism, t.kernel_return),
                                                     t.kernel_function);
                targets += (targets.empty() ? "" : ", ") + name;
            }
            if (res.support == policy::Support::Loads)
                std::printf("    mechanism: %s\n", mechanism_of(res).c_str());
            if (res.syscall_id_arg >= 0 && targets.empty())
                targets = "the syscalls its selectors name (raw sys_enter)";
            if (!targets.empty())
                std::printf("    served by: %s\n", targets.c_str());
        }
        policy::CompileResult r = policy::compile_policies({p}, env);
        for (const auto& e : r.errors) {
            std::printf("  error: %s\n", e.render().c_str());
            rc = 1;
        }
        if (!r.errors.empty())
            continue;
        const auto& t = r.tables;
        std::printf("  maps: %zu hook entries, %zu selectors, %zu string-equal, %zu prefix, %zu postfix, %zu CIDR, "
                    "%zu value, %zu process matchers\n",
                    t.hooks.size(), t.selectors.size(), t.str_eq.size(), t.str_prefix.size(), t.str_postfix.size(),
                    t.addrs.size(), t.values.size(), t.slow.size());
        std::map<std::string, int> actions;
        for (const auto& [key, sel] : t.selectors)
            ++actions[policy_action_name(sel.action)];
        std::string list;
        for (const auto& [name, n] : actions)
            list += fmt::format("{}{} x{}", list.empty() ? "" : ", ", name, n);
        std::printf("  actions: %s\n", list.c_str());
    }
    return rc;
}

}  // namespace palisade
