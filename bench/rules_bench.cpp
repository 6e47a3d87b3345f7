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

struct Mix {
    test::World world;
    std::vector<Event> events;
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
        const std::uint8_t ips[][4] = {{10, 0, 0, 7}, {93, 184, 216, 34}, {169, 254, 169, 254}};
        for (int i = 0; i < 400; ++i) {
            const std::uint32_t pid = i % 3 == 0 ? 300 : 301;
            if (i % 10 < 6)
                events.push_back(world.open(pid, paths[i % 8], i % 4 ? O_RDONLY : O_WRONLY | O_CREAT));
            else if (i % 10 < 8)
                events.push_back(world.connect(pid, ips[i % 3], i % 2 ? 443 : 80));
            else
                events.push_back(world.exec(1000 + i, 200, i % 20 < 10 ? "/usr/bin/ls" : "/usr/bin/curl",
                                            {"child", "-la", "/srv"}));
        }
    }
};

Mix& mix()
{
    static Mix m;
    return m;
}

void BM_BaselineProcessLookup(benchmark::State& state)
{
    auto& m = mix();
    std::size_t i = 0;
    for (auto _ : state) {
        const Event& ev = m.events[i++ % m.events.size()];
        benchmark::DoNotOptimize(m.world.cache.find_pid(ev.tgid));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineProcessLookup);

void BM_EvaluateOfficialRules(benchmark::State& state)
{
    auto& m = mix();
    std::vector<rules::CompiledRule*> matched;
    std::size_t i = 0, alerts = 0;
    for (auto _ : state) {
        const Event& ev = m.events[i++ % m.events.size()];
        m.engine->match({ev, m.world.cache, m.world.cache.find_pid(ev.tgid)}, matched);
        alerts += matched.size();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["rules"] = m.engine->rules().size();
    state.counters["alerts_per_event"] = double(alerts) / state.iterations();
}
BENCHMARK(BM_EvaluateOfficialRules);

}  // namespace
}  // namespace palisade

BENCHMARK_MAIN();
