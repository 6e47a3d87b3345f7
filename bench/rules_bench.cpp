// Rule evaluation throughput with Falco's three official rule files loaded,
// over a mix of events like a busy host's: mostly opens, then execs,
// connects, dups and privilege calls. One core (Google Benchmark).
// The baseline is what every event costs before any rule runs: finding its
// process in the cache.
#include <benchmark/benchmark.h>

#include <fcntl.h>

#include "rules/ruleset/rule_loader.h"
#include "support/event_world.h"

namespace palisade {
namespace {

// Events by kind, all from the same small process tree.
struct Mix {
    test::World world;
    std::vector<Event> opens, connects, execs, mixed;
    std::unique_ptr<rules::RuleEngine> engine;

    Mix()
    {
        rules::RuleLoader loader;
        for (const char* file : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"})
            loader.load_file(std::string(PALISADE_CORPUS_DIR "/falco-rules/") + file);
        std::vector<rules::Diagnostic> diagnostics;
        engine = rules::RuleEngine::build(loader.finish(), &diagnostics);

        world.exec(300, 200, "/usr/bin/python3", {"python3", "/srv/app.py"});
        world.exec(301, 1, "/usr/sbin/nginx", {"nginx", "-g", "daemon off;"});
        const char* paths[] = {"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/srv/data/file.json",
                               "/proc/self/status", "/etc/hosts", "/var/log/app.log", "/tmp/upload.bin",
                               "/etc/shadow"};
        const char* written[] = {"/srv/data/file.json", "/var/log/app.log", "/tmp/upload.bin"};
        const std::uint8_t ips[][4] = {{10, 0, 0, 7}, {93, 184, 216, 34}, {169, 254, 169, 254}};
        for (int i = 0; i < 100; ++i) {
            const std::uint32_t pid = i % 3 == 0 ? 300 : 301;
            // Reads of libraries, config and /proc; writes to data and logs.
            const bool write = i % 4 == 0;
            opens.push_back(world.open(pid, write ? written[i % 3] : paths[i % 8],
                                       write ? O_WRONLY | O_CREAT : O_RDONLY));
            connects.push_back(world.connect(pid, ips[i % 3], i % 2 ? 443 : 80));
            execs.push_back(world.exec(1000 + i, 200, i % 2 ? "/usr/bin/ls" : "/usr/bin/curl",
                                       {"child", "-la", "/srv"}));
        }
        // A busy host: mostly opens, some connects, few execs (85/13/2).
        for (int i = 0; i < 100; ++i) {
            for (int k = 0; k < 85; ++k)
                mixed.push_back(opens[(i + k) % opens.size()]);
            for (int k = 0; k < 13; ++k)
                mixed.push_back(connects[(i + k) % connects.size()]);
            for (int k = 0; k < 2; ++k)
                mixed.push_back(execs[(i + k) % execs.size()]);
        }
        // The engine lowers an event type's rules when the first event of the
        // type comes (about a millisecond): done here, so the timed loops
        // measure evaluation only.
        std::vector<rules::CompiledRule*> matched;
        for (const Event& ev : mixed)
            engine->match({ev, world.cache, world.cache.find_pid(ev.tgid)}, matched);
    }
};

Mix& mix()
{
    static Mix m;
    return m;
}

std::vector<Event>& events(int kind)
{
    auto& m = mix();
    switch (kind) {
    case 0: return m.mixed;
    case 1: return m.opens;
    case 2: return m.connects;
    default: return m.execs;
    }
}

const char* kKinds[] = {"mix", "open", "connect", "exec"};

void BM_BaselineProcessLookup(benchmark::State& state)
{
    auto& m = mix();
    const auto& evs = events(state.range(0));
    std::size_t i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(m.world.cache.find_pid(evs[i++ % evs.size()].tgid));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(kKinds[state.range(0)]);
}
BENCHMARK(BM_BaselineProcessLookup)->Arg(0);

void BM_EvaluateOfficialRules(benchmark::State& state)
{
    auto& m = mix();
    const auto& evs = events(state.range(0));
    std::vector<rules::CompiledRule*> matched;
    std::size_t i = 0, alerts = 0;
    for (auto _ : state) {
        const Event& ev = evs[i++ % evs.size()];
        m.engine->match({ev, m.world.cache, m.world.cache.find_pid(ev.tgid)}, matched);
        alerts += matched.size();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(kKinds[state.range(0)]);
    state.counters["rules"] = m.engine->rules().size();
    state.counters["alerts_per_event"] = double(alerts) / state.iterations();
}
BENCHMARK(BM_EvaluateOfficialRules)->DenseRange(0, 3);

// Loading and compiling the three official files (target: under 200 ms).
void BM_LoadOfficialRuleFiles(benchmark::State& state)
{
    for (auto _ : state) {
        rules::RuleLoader loader;
        for (const char* file : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"})
            loader.load_file(std::string(PALISADE_CORPUS_DIR "/falco-rules/") + file);
        std::vector<rules::Diagnostic> diagnostics;
        auto engine = rules::RuleEngine::build(loader.finish(), &diagnostics);
        benchmark::DoNotOptimize(engine);
    }
}
BENCHMARK(BM_LoadOfficialRuleFiles)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace palisade


BENCHMARK_MAIN();
