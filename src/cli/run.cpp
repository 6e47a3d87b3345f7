#include "cli/run.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <atomic>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/policy_cmd.h"
#include "cli/rules_cmd.h"
#include "container/resolver.h"
#include "event/decoder.h"
#include "event/syscalls.h"
#include "loader/sensor.h"
#include "loader/system.h"
#include "metrics/metrics_server.h"
#include "notify/notifier.h"
#include "output/format.h"
#include "proc/cgroup_hierarchy.h"
#include "proc/proc_snapshot.h"
#include "proc/process_cache.h"
#include "rules/prefilter/open_prefilter.h"
#include "source/record_file.h"

namespace palisade {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reload = true;
    else
        g_stop = true;
}

void install_signal_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal;  // no SA_RESTART: the ring-buffer wait returns at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);  // reload the rule files, as Falco does
}

const char* event_group(const Event& ev)
{
    switch (ev.type) {
    case EventType::Exec: return "exec";
    case EventType::Fork: return "fork";
    case EventType::Exit: return "exit";
    default: break;
    }
    std::uint32_t nr = std::visit(
        [](const auto& d) -> std::uint32_t {
            if constexpr (requires { d.syscall_nr; })
                return d.syscall_nr;
            return 0;
        },
        ev.data);
    const auto* sc = syscall_by_nr(nr);
    return sc ? sc->group : "";
}

std::string host_name()
{
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return name;
}

// Decodes records, keeps the process cache, and writes either the alerts of
// the rules engine or (without rules) the selected events.
class Pipeline {
public:
    Pipeline(OutputFormat format, std::set<std::string> groups, RecordWriter* recorder,
             std::unique_ptr<rules::RuleEngine> engine, ContainerResolver::Options containers)
        : format_(format), groups_(std::move(groups)), recorder_(recorder), containers_(std::move(containers)),
          engine_(std::move(engine)), alerts_(host_name(), formatter_.wall_ns(0))
    {
        cache_.set_exec_observer(
            [this](const ExecData& exec, Process& image) { image.container = containers_.lookup(exec.cgroup); });
    }

    void on_record(std::span<const std::uint8_t> record)
    {
        if (recorder_)
            recorder_->write(record);
        DecodeError err;
        auto ev = decode_record(record, &err);
        if (!ev) {
            // Counted and exported; only the first few are worth a log line.
            if (decode_errors_++ < 10)
                spdlog::warn("dropped an undecodable record: {}", err.message);
            return;
        }
        ++events_total_;
        ++events_by_type_[static_cast<std::size_t>(ev->type)];
        containers_.poll();
        if (ev->type == EventType::Policy) {
            policy_event(*ev);
            return;
        }
        cache_.apply(*ev);
        const Process* process = cache_.find_pid(ev->tgid);
        if (engine_) {
            if (!ev->snapshot()) {
                containers_.note_event(process ? process->container.get() : nullptr);
                alert(*ev, process);
            }
        } else if (!ev->snapshot() && groups_.count(event_group(*ev))) {
            containers_.note_event(process ? process->container.get() : nullptr);
            write_line([&](bool json, fmt::memory_buffer& out) {
                json ? formatter_.json(*ev, cache_, out) : formatter_.text(*ev, cache_, out);
            });
        }
        cache_.settle(*ev);
    }

    std::string stats_json(const Sensor* sensor) const
    {
        const SensorStats kernel = sensor ? sensor->stats() : SensorStats{};
        std::string by_type;
        for (std::size_t t = PL_EV_EXEC; t < PL_EV_TYPE_MAX; ++t)
            by_type += fmt::format("{}\"{}\":{}", by_type.empty() ? "" : ",", event_type_name(EventType(t)),
                                   events_by_type_[t]);
        const ContainerStats c = containers_.stats();
        return fmt::format("{{\"events_total\":{},\"drops_total\":{},\"kernel_emitted_total\":{},\"kernel_filtered_total\":{},"
                           "\"decode_errors\":{},\"events_by_type\":{{{}}},\"process_cache_size\":{},"
                           "\"process_cache_evictions\":{},\"alerts_total\":{},\"policy_events_total\":{},\"policies_loaded\":{},"
                           "\"containers\":{{\"seen\":{},\"cgroups_parsed\":{},\"metadata_known\":{},"
                           "\"metadata_unavailable\":{},\"events_before_metadata\":{},\"metadata_ms_last\":{:.1f},"
                           "\"metadata_ms_max\":{:.1f},\"metadata_ms_mean\":{:.1f},\"cri_lookups\":{},\"cri_found\":{},"
                           "\"cri_not_found\":{},\"cri_errors\":{}}}}}",
                           events_total_, kernel.dropped_total(), kernel.emitted_total(), kernel.filtered_total(),
                           decode_errors_, by_type,
                           cache_.size(), cache_.evictions(), alerts_total_, policy_events_total_, policies_[active_bank_].size(), c.containers, c.cgroups_parsed,
                           c.metadata_known, c.metadata_unavailable, c.events_before_metadata, c.metadata_ms_last,
                           c.metadata_ms_max, c.metadata_ms_mean, c.cri_lookups, c.cri_found, c.cri_not_found,
                           c.cri_errors);
    }

    // The same counters in Prometheus' text format.
    std::string prometheus(const Sensor* sensor) const
    {
        std::string out;
        const SensorStats kernel = sensor ? sensor->stats() : SensorStats{};
        for (std::size_t t = PL_EV_EXEC; t < PL_EV_TYPE_MAX; ++t)
            append_metric(out, "palisade_events_total", "Events decoded, by type.", "counter", events_by_type_[t],
                          fmt::format("type=\"{}\"", event_type_name(EventType(t))));
        for (std::size_t t = PL_EV_EXEC; t < PL_EV_TYPE_MAX; ++t)
            append_metric(out, "palisade_kernel_drops_total",
                          "Records the kernel could not write: ring buffer full.", "counter", kernel.dropped[t],
                          fmt::format("type=\"{}\"", event_type_name(EventType(t))));
        for (std::size_t t = PL_EV_EXEC; t < PL_EV_TYPE_MAX; ++t)
            append_metric(out, "palisade_kernel_filtered_total",
                          "Records the kernel prefilter kept back: no loaded rule could match them.", "counter",
                          kernel.filtered[t], fmt::format("type=\"{}\"", event_type_name(EventType(t))));
        append_metric(out, "palisade_decode_errors_total", "Records refused by the decoder.", "counter",
                      decode_errors_);
        append_metric(out, "palisade_alerts_total", "Rule alerts written.", "counter", alerts_total_);
        append_metric(out, "palisade_policy_events_total", "Policy events written.", "counter",
                      policy_events_total_);
        append_metric(out, "palisade_policy_notify_total", "GetUrl and DnsLookup actions done, by outcome.",
                      "counter", notifier_.done(), "outcome=\"ok\"");
        append_metric(out, "palisade_policy_notify_total", "GetUrl and DnsLookup actions done, by outcome.",
                      "counter", notifier_.failed(), "outcome=\"failed\"");
        append_metric(out, "palisade_policy_notify_total", "GetUrl and DnsLookup actions done, by outcome.",
                      "counter", notifier_.dropped(), "outcome=\"dropped\"");
        append_metric(out, "palisade_policies_loaded", "Policies enforced or monitored now.", "gauge",
                      policies_[active_bank_].size());
        const ContainerStats c = containers_.stats();
        append_metric(out, "palisade_containers_seen_total", "Distinct containers seen.", "counter", c.containers);
        append_metric(out, "palisade_container_metadata_total", "Containers whose runtime metadata lookup ended, by outcome.",
                      "counter", c.metadata_known, "outcome=\"known\"");
        append_metric(out, "palisade_container_metadata_total", "Containers whose runtime metadata lookup ended, by outcome.",
                      "counter", c.metadata_unavailable, "outcome=\"unavailable\"");
        append_metric(out, "palisade_events_before_container_metadata_total",
                      "Events that left while their container's metadata was still being looked up.", "counter",
                      c.events_before_metadata);
        append_metric(out, "palisade_cri_lookups_total", "Containers asked about on the CRI sockets, by outcome.",
                      "counter", c.cri_found, "outcome=\"found\"");
        append_metric(out, "palisade_cri_lookups_total", "Containers asked about on the CRI sockets, by outcome.",
                      "counter", c.cri_not_found, "outcome=\"not_found\"");
        append_metric(out, "palisade_cri_errors_total", "Failed CRI calls: socket refused, deadline passed.",
                      "counter", c.cri_errors);
        append_metric(out, "palisade_process_cache_size", "Process images cached.", "gauge", cache_.size());
        append_metric(out, "palisade_process_cache_evictions_total", "Images dropped to bound the cache.",
                      "counter", cache_.evictions());
        if (sensor)
            for (const auto& line : sensor->features().degraded())
                append_metric(out, "palisade_degraded", "Kernel features missing here, and what replaces them.",
                              "gauge", 1, fmt::format("feature=\"{}\"", line.substr(0, line.find(':'))));
        if (sensor)
            for (const auto& served : sensor->policy_kernel_hooks()) {
                const auto slash = served.find('/');
                append_metric(out, "palisade_policy_kernel_hook",
                              "Kernel functions the policies hook, by what serves them (fentry, fexit, kprobe, ...).",
                              "gauge", 1,
                              fmt::format("mechanism=\"{}\",function=\"{}\"", served.substr(0, slash),
                                          served.substr(slash + 1)));
            }
        return out;
    }

    std::uint64_t events_total() const { return events_total_; }
    std::uint64_t containers_generation() const { return containers_.generation(); }
    // The known containers as policy workloads: cgroup v2 ids and labels.
    std::vector<policy::Workload> workloads(const std::string& cgroup2_mount)
    {
        std::vector<policy::Workload> out;
        workload_by_cgroup_.clear();
        for (const auto& [path, container] : containers_.known_containers()) {
            const ContainerMetadata& m = *container->known();
            policy::Workload w;
            struct stat st {};
            // Runtimes create the same path in every hierarchy, the v2 one included.
            if (!cgroup2_mount.empty() && ::stat((cgroup2_mount + path).c_str(), &st) == 0)
                w.cgroup_id = st.st_ino;
            workload_by_cgroup_[w.cgroup_id] = container;
            w.pod_namespace = m.pod_namespace;
            w.pod_labels = m.pod_labels;
            w.container_labels = m.labels;
            w.container_labels["name"] = m.name;
            out.push_back(std::move(w));
        }
        return out;
    }
    void replace_policies(std::uint32_t bank, std::vector<policy::PolicyInfo> info)
    {
        active_bank_ = bank % PL_POL_BANKS;
        policies_[active_bank_] = std::move(info);
    }
    bool scoped_policies() const
    {
        const auto& active = policies_[active_bank_];
        return std::any_of(active.begin(), active.end(), [](const auto& p) { return p.scoped; });
    }
    void replace_engine(std::unique_ptr<rules::RuleEngine> engine) { engine_ = std::move(engine); }

private:
    // Policy events always go out, whatever the rules and event groups.
    void policy_event(Event& ev)
    {
        auto& d = std::get<PolicyData>(ev.data);
        const auto& policies = policies_[d.bank % PL_POL_BANKS];
        if (d.policy < policies.size()) {
            const auto& info = policies[d.policy];
            d.policy_name = info.name;
            if (d.hook_index < info.hook_names.size()) {
                d.hook_name = info.hook_names[d.hook_index];
                d.message = info.message[d.hook_index];
            }
            if (d.hook_index < info.args.size())
                for (const auto& a : info.args[d.hook_index])
                    d.arg_views.push_back({a.index, a.slot, a.type, a.label, a.read});
        }
        if (auto it = workload_by_cgroup_.find(d.cgroup_id); it != workload_by_cgroup_.end()) {
            const Container& c = *it->second;
            d.container_id = c.short_id;
            if (const ContainerMetadata* m = c.known()) {
                d.container_name = m->name;
                d.pod_name = m->pod_name;
                d.pod_namespace = m->pod_namespace;
            }
        }
        if (d.policy < policies.size()) {
            const auto& notify = policies[d.policy].notify;
            if (auto it = notify.find(static_cast<std::uint32_t>(d.hook_index) << 16 | d.selector_index);
                it != notify.end())
                for (const auto& n : it->second)
                    n.url.empty() ? notifier_.dns_lookup(n.fqdn) : notifier_.get_url(n.url);
        }
        ++policy_events_total_;
        write_line([&](bool json, fmt::memory_buffer& out) {
            json ? formatter_.json(ev, cache_, out) : formatter_.text(ev, cache_, out);
        });
    }

    void alert(const Event& ev, const Process* process)
    {
        const rules::EvalContext ctx{ev, cache_, process};
        engine_->match(ctx, matched_);
        for (rules::CompiledRule* rule : matched_) {
            ++alerts_total_;
            write_line([&](bool json, fmt::memory_buffer& out) {
                json ? alerts_.json(*rule, ctx, out) : alerts_.text(*rule, ctx, out);
            });
        }
    }

    // One line on stdout in the chosen format; nothing for --output null.
    template <class Format> void write_line(const Format& format)
    {
        if (format_ == OutputFormat::Null)
            return;
        line_.clear();
        format(format_ == OutputFormat::Json, line_);
        line_.push_back('\n');
        std::fwrite(line_.data(), 1, line_.size(), stdout);
    }

    OutputFormat format_;
    std::set<std::string> groups_;
    RecordWriter* recorder_;
    ContainerResolver containers_;  // the container of each exec'd image, by its cgroup
    ProcessCache cache_;
    EventFormatter formatter_;
    std::unique_ptr<rules::RuleEngine> engine_;
    rules::AlertFormatter alerts_;
    std::vector<rules::CompiledRule*> matched_;
    std::uint64_t alerts_total_ = 0;
    // Policy sets by kernel bank: events still in flight after a reload name the old one.
    std::array<std::vector<policy::PolicyInfo>, PL_POL_BANKS> policies_;
    std::uint32_t active_bank_ = 0;
    Notifier notifier_;  // GetUrl / DnsLookup actions
    std::unordered_map<std::uint64_t, std::shared_ptr<const Container>> workload_by_cgroup_;
    std::uint64_t policy_events_total_ = 0;
    fmt::memory_buffer line_;
    std::uint64_t events_total_ = 0;
    std::uint64_t decode_errors_ = 0;
    std::array<std::uint64_t, PL_EV_TYPE_MAX> events_by_type_{};
};

void write_file_atomically(const std::string& path, const std::string& text)
{
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << '\n';
    }
    std::rename(tmp.c_str(), path.c_str());
}

// The open prefilter for `set`: opens no rule can match stay in the kernel.
// Off (every open emitted) when `enabled` is false.
bool install_open_prefilter(Sensor& sensor, const rules::RuleSet* set, bool enabled)
{
    rules::prefilter::OpenTables tables;
    if (enabled && set) {
        const auto prefilter = rules::prefilter::derive_open_prefilter(*set);
        tables = rules::prefilter::build_open_tables(prefilter);
        if (prefilter.pass_all)
            spdlog::info("open prefilter passes every open: {}", prefilter.reason);
        else
            spdlog::info("open prefilter: {} rules see opens, {} alternatives, {} prefix and {} suffix entries",
                         prefilter.rules.size(), prefilter.alternatives.size(), tables.prefix.size(),
                         tables.postfix.size());
    }
    std::string error;
    if (!sensor.set_open_prefilter(tables.header, tables.prefix, tables.postfix, &error)) {
        spdlog::error("open prefilter: {}", error);
        return false;
    }
    return true;
}

// SIGHUP: the rule files are loaded again. A set that fails to load leaves
// the running rules (and hooks) exactly as they were. `prefilter_sensor`
// (null: no prefilter) gets the open prefilter of the new rules.
void reload_rules(const std::vector<std::string>& files, Sensor* sensor, Sensor* prefilter_sensor, Pipeline& pipeline)
{
    spdlog::info("reloading rules from {}", fmt::join(files, ", "));
    rules::RuleSet set;
    auto engine = load_rules(files, &set);
    if (!engine) {
        spdlog::error("reload failed: the previous rules keep running");
        return;
    }
    std::string error;
    if (sensor && !sensor->select(event_groups_for(engine->event_types()), &error)) {
        spdlog::error("reload failed: {}; the previous rules keep running", error);
        return;
    }
    // Off while the engine is swapped, then narrowed to the new rules.
    if (prefilter_sensor)
        install_open_prefilter(*prefilter_sensor, nullptr, false);
    pipeline.replace_engine(std::move(engine));
    if (prefilter_sensor)
        install_open_prefilter(*prefilter_sensor, &set, true);
}

// Policy files changed (or SIGHUP): compiled again and swapped in as map
// data. A set with any error leaves the running policies as they were.
bool reload_policies(const RunOptions& o, const policy::CompileEnv& env, Sensor* sensor, Pipeline& pipeline)
{
    auto compiled = load_policies(o.policy_paths, env);
    if (!compiled) {
        spdlog::error("policy reload failed: the previous policies keep running");
        return false;
    }
    std::string error;
    if (sensor && !sensor->apply_policies(compiled->tables, &error)) {
        spdlog::error("policy reload failed: {}", error);
        return false;
    }
    spdlog::info("policies loaded: {}", compiled->loaded.empty() ? "none" : fmt::format("{}", fmt::join(compiled->loaded, ", ")));
    pipeline.replace_policies(sensor ? sensor->policy_bank() : 0, compiled->tables.info);
    return true;
}

}  // namespace

void add_run_command(CLI::App& app, RunOptions& o)
{
    auto* run = app.add_subcommand("run", "Start the sensor and print one event per line");
    run->add_option("-r,--rules", o.rules_files, "Falco-syntax rule file, repeatable, loaded in order "
                                                  "(default: Palisade's own rules)");
    run->add_flag("--no-rules", o.no_rules, "Print the event stream instead of rule alerts");
    run->add_flag("--no-prefilter", o.no_prefilter,
                  "Send every open to user space, even those no loaded rule can match");
    run->add_option("-p,--policy", o.policy_paths,
                    "TracingPolicy or NetworkPolicy file or directory, repeatable; changes apply while running");
    run->add_option("--policy-mode", o.policy_mode, "Mode of policies that do not set policy-mode")
        ->check(CLI::IsMember({"enforce", "monitor"}))
        ->capture_default_str();
    run->add_option("-e,--events", o.events,
                    "Event groups to watch: all, or a comma list (default: what the rules need)");
    run->add_option("-o,--output", o.output, "json, text or null")
        ->check(CLI::IsMember({"json", "text", "null"}))
        ->capture_default_str();
    run->add_flag("--stats", o.stats, "Print events/s and drops on stderr periodically");
    run->add_option("--stats-interval", o.stats_interval_s, "Seconds between --stats lines")->capture_default_str();
    run->add_option("--stats-file", o.stats_file, "Rewrite this file with JSON counters every second and at exit");
    run->add_option("--ready-file", o.ready_file, "Create this file once every hook is attached");
    run->add_option("--metrics-addr", o.metrics_addr,
                    "Serve Prometheus metrics on HOST:PORT (/metrics) with a health check (/healthz)");
    run->add_option("--record", o.record_file, "Also write every raw record to this file for replay");
    run->add_option("--replay", o.replay_file, "Read records from a recording instead of the kernel");
    run->add_option("--lock-file", o.lock_file, "Lock that keeps a second agent from starting")
        ->capture_default_str();
    run->add_option("--ringbuf-mb", o.ringbuf_mb, "Ring buffer size in MiB (power of two)")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    run->add_option("--duration", o.duration_s, "Stop after this many seconds (0: run until signalled)");
    run->add_option("--cri-socket", o.cri_sockets,
                    "CRI runtime socket (containerd, CRI-O) to ask for container and pod metadata, repeatable "
                    "(default: /run/containerd/containerd.sock, /run/crio/crio.sock, "
                    "/run/k3s/containerd/containerd.sock, those that exist)");
    run->add_option("--k8s-watch", o.k8s_watch,
                    "Watch this node's pods on the API server for labels and annotations: auto (in a pod with a "
                    "service account and NODE_NAME) or off")
        ->check(CLI::IsMember({"auto", "off"}))
        ->capture_default_str();
}

int run_agent(const RunOptions& o)
{
    std::set<std::string> groups;
    std::string error;
    if (!parse_event_groups(o.events.empty() ? "all" : o.events, &groups, &error)) {
        spdlog::error("{}", error);
        return 2;
    }
    // What can refuse the live agent is checked before the work of loading rules.
    InstanceLock lock;
    if (o.replay_file.empty() && (!have_bpf_privileges(&error) || !lock.acquire(o.lock_file, &error))) {
        spdlog::error("{}", error);
        return 1;
    }
    const auto rule_files = o.rules_files.empty() ? std::vector<std::string>{default_rules_file()} : o.rules_files;
    std::unique_ptr<rules::RuleEngine> engine;
    rules::RuleSet rule_set;
    if (!o.no_rules) {
        engine = load_rules(rule_files, &rule_set);
        if (!engine)
            return 1;
        // Only the hooks some rule needs are attached.
        if (o.events.empty())
            groups = event_groups_for(engine->event_types());
    }
    const bool use_prefilter = !o.no_rules && !o.no_prefilter && o.record_file.empty() && o.replay_file.empty();
    if (o.ringbuf_mb & (o.ringbuf_mb - 1)) {
        spdlog::error("--ringbuf-mb must be a power of two, got {}", o.ringbuf_mb);
        return 2;
    }
    const OutputFormat format = o.output == "json"   ? OutputFormat::Json
                                : o.output == "text" ? OutputFormat::Text
                                                     : OutputFormat::Null;
    std::unique_ptr<RecordWriter> recorder;
    if (!o.record_file.empty() && !(recorder = RecordWriter::create(o.record_file, &error))) {
        spdlog::error("{}", error);
        return 1;
    }
    std::unique_ptr<MetricsServer> metrics;
    if (!o.metrics_addr.empty() && !(metrics = MetricsServer::start(o.metrics_addr, &error))) {
        spdlog::error("{}", error);
        return 1;
    }
    install_signal_handlers();
    static char stdout_buffer[1 << 16];
    std::setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));

    // A replay has the recorded cgroups but not the runtimes that made them: identity only.
    ContainerResolver::Options containers;
    containers.resolve_metadata = o.replay_file.empty();
    if (containers.resolve_metadata) {
        CriClient::Options cri;
        if (!o.cri_sockets.empty())
            cri.sockets = o.cri_sockets;
        containers.sources.cri = std::make_shared<CriClient>(std::move(cri));
        std::string why;
        if (o.k8s_watch == "auto") {
            if (auto api = kube::ApiConfig::in_cluster(&why)) {
                spdlog::info("watching node {}'s pods on {}", api->node, api->server);
                containers.sources.pods = std::make_shared<kube::PodWatch>(std::move(*api));
            } else if (std::getenv("KUBERNETES_SERVICE_HOST")) {
                spdlog::info("no pod watch: {}", why);
            }
        }
    }
    Pipeline pipeline(format, groups, recorder.get(), std::move(engine), std::move(containers));
    auto handle = [&](std::span<const std::uint8_t> record) { pipeline.on_record(record); };

    std::unique_ptr<Sensor> sensor;
    std::unique_ptr<RecordSource> source;
    policy::CompileEnv policy_env;
    const std::string cgroup2_mount = find_cgroup2_mount();
    std::uint64_t workloads_seen = 0;
    std::string policy_print;
    if (!o.replay_file.empty()) {
        auto file = FileRecordSource::open(o.replay_file, &error);
        if (!file) {
            spdlog::error("{}", error);
            return 1;
        }
        source = std::move(file);
    } else {
        SensorOptions sensor_options;
        sensor_options.groups = groups;
        sensor_options.ringbuf_bytes = o.ringbuf_mb << 20;
        sensor_options.exclude_tgid = getpid();
        sensor_options.policies = !o.policy_paths.empty();
        const CgroupHierarchy hierarchy = choose_cgroup_hierarchy();
        sensor_options.cgroup_hierarchy = hierarchy.id;
        sensor = Sensor::start(sensor_options, &error);
        if (!sensor) {
            spdlog::error("{}", error);
            return 1;
        }
        for (const auto& line : sensor->features().degraded())
            spdlog::info("degraded: {}", line);
        // Only when the rules are the only reader of open records: the event
        // stream (--no-rules) and a recording need every one.
        if (use_prefilter && !install_open_prefilter(*sensor, &rule_set, true))
            return 1;
        rule_set = rules::RuleSet{};  // only the analysis needed it
        if (!o.policy_paths.empty()) {
            policy_env = host_compile_env(sensor->features(), o.policy_mode == "monitor" ? policy::Mode::Monitor
                                                                                         : policy::Mode::Enforce);
            policy_print = policy_files_fingerprint(o.policy_paths);
            if (!reload_policies(o, policy_env, sensor.get(), pipeline))
                return 1;
        }
        spdlog::info("sensor attached on kernel {}: {}", sensor->features().release,
                     fmt::join(sensor->attached_hooks(), ", "));
        // Hooks are live first, so no process is missed; the snapshot then
        // gives processes that predate the agent their identity and lineage.
        spdlog::info("container identity from the {} cgroup hierarchy",
                     hierarchy.controller.empty() ? "unified" : hierarchy.controller);
        for (const auto& record : snapshot_processes("/proc", hierarchy))
            handle(record);
        if (metrics)
            metrics->publish(pipeline.prometheus(sensor.get()));
        if (!o.ready_file.empty())
            std::ofstream(o.ready_file) << getpid() << '\n';
    }

    RecordSource& input = sensor ? static_cast<RecordSource&>(*sensor) : *source;
    Sensor* prefilter_sensor = use_prefilter ? sensor.get() : nullptr;
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    auto last_stats = started, last_stats_file = started, last_policy_check = started;
    std::uint64_t events_at_last_stats = 0, drops_at_last_stats = 0;
    int rc = 0;
    while (!g_stop) {
        const bool reload = g_reload.exchange(false);
        if (reload && !o.no_rules)
            reload_rules(rule_files, o.events.empty() ? sensor.get() : nullptr, prefilter_sensor, pipeline);
        if (sensor && !o.policy_paths.empty() &&
            (reload || Clock::now() - last_policy_check >= std::chrono::milliseconds(500))) {
            last_policy_check = Clock::now();
            auto print = policy_files_fingerprint(o.policy_paths);
            // New container metadata can change what scoped policies select.
            const bool workloads_changed = pipeline.scoped_policies() &&
                                           pipeline.containers_generation() != workloads_seen;
            if (reload || print != policy_print || workloads_changed) {
                policy_print = print;
                workloads_seen = pipeline.containers_generation();
                policy_env.workloads = pipeline.workloads(cgroup2_mount);
                reload_policies(o, policy_env, sensor.get(), pipeline);
            }
        }
        const int n = input.poll(100, handle);
        if (n < 0) {
            spdlog::error("reading events failed: {}", std::strerror(-n));
            rc = 1;
            break;
        }
        std::fflush(stdout);
        const auto now = Clock::now();
        if (o.stats && now - last_stats >= std::chrono::duration<double>(o.stats_interval_s)) {
            const double secs = std::chrono::duration<double>(now - last_stats).count();
            const auto drops = sensor ? sensor->stats().dropped_total() : 0;
            spdlog::info("stats: {:.0f} events/s, {} events, {} drops ({} new)",
                         (pipeline.events_total() - events_at_last_stats) / secs, pipeline.events_total(), drops,
                         drops - drops_at_last_stats);
            events_at_last_stats = pipeline.events_total();
            drops_at_last_stats = drops;
            last_stats = now;
        }
        if (now - last_stats_file >= std::chrono::seconds(1)) {
            if (!o.stats_file.empty())
                write_file_atomically(o.stats_file, pipeline.stats_json(sensor.get()));
            if (metrics)
                metrics->publish(pipeline.prometheus(sensor.get()));
            last_stats_file = now;
        }
        if (input.exhausted())
            break;
        if (o.duration_s > 0 && now - started >= std::chrono::duration<double>(o.duration_s))
            break;
    }
    if (sensor)
        sensor->poll(0, handle);  // what the kernel already wrote still goes out
    std::fflush(stdout);
    if (!o.stats_file.empty())
        write_file_atomically(o.stats_file, pipeline.stats_json(sensor.get()));
    if (o.stats)
        spdlog::info("stats: final {}", pipeline.stats_json(sensor.get()));
    if (auto* file = dynamic_cast<FileRecordSource*>(source.get()); file && !file->truncation().empty())
        spdlog::warn("{}", file->truncation());
    return rc;
}

}  // namespace palisade
