// The cost of container identity on the event path, one core (Google
// Benchmark). Each exec parses or looks up its cgroup path and hands the
// image its container; every other event only reads what the image holds.
// BM_Exec runs the process cache's exec path without and with the resolver:
// the difference is what identity adds to an exec. Metadata lookups run on
// the resolver's worker thread and are not on this path (disabled here).
#include <benchmark/benchmark.h>

#include <string>

#include "container/cgroup_parser.h"
#include "container/resolver.h"
#include "proc/process_cache.h"

namespace palisade {
namespace {

const std::string kId = "e767d4e984424b1c381b5d80e618dad54eb29847e7a537bafd7a59ab8405d49b";
const std::string kPaths[] = {
    "/libpod_parent/771ec111842f2d702edeadb8cb761d45645827f9aecf1c57bccec071642a6d22/libpod-" + kId,
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f0ae5e2_3a4b_4c5d_8e9f_0a1b2c3d4e5f.slice/"
    "cri-containerd-" + kId + ".scope",
    "/process_api/67e42f5acc659e539b923ab39554e042",  // a host process on this machine
};
const char* kLabels[] = {"podman", "kubepods-systemd", "host"};

void BM_ParseCgroupPath(benchmark::State& state)
{
    const std::string& path = kPaths[state.range(0)];
    for (auto _ : state)
        benchmark::DoNotOptimize(parse_container_cgroup(path));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(kLabels[state.range(0)]);
}
BENCHMARK(BM_ParseCgroupPath)->DenseRange(0, 2);

ContainerResolver::Options identity_only()
{
    ContainerResolver::Options options;
    options.resolve_metadata = false;
    return options;
}

// What each exec pays once its cgroup has been seen: a cache hit.
void BM_ResolverLookupCached(benchmark::State& state)
{
    ContainerResolver resolver(identity_only());
    const std::string& path = kPaths[state.range(0)];
    resolver.lookup(path);
    for (auto _ : state)
        benchmark::DoNotOptimize(resolver.lookup(path));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(kLabels[state.range(0)]);
}
BENCHMARK(BM_ResolverLookupCached)->DenseRange(0, 2);

// One exec replacing the image of one pid, through the process cache, with
// (range 1) or without (range 0) the resolver attached.
void BM_Exec(benchmark::State& state)
{
    ProcessCache cache;
    ContainerResolver resolver(identity_only());
    if (state.range(0))
        cache.set_exec_observer(
            [&](const ExecData& exec, Process& image) { image.container = resolver.lookup(exec.cgroup); });
    ExecData exec;
    exec.comm = "sh";
    exec.path = exec.filename = "/bin/busybox";
    exec.argv = {"/bin/sh", "-c", "true"};
    exec.cwd = "/";
    exec.cgroup = kPaths[0];
    Event ev{EventType::Exec, 0, 0, 4242, 4242, exec};
    std::uint64_t clock = 1;
    for (auto _ : state) {
        auto& data = std::get<ExecData>(ev.data);
        data.exec_id = {++clock, 4242};
        cache.apply(ev);
        cache.settle(ev);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(state.range(0) ? "with identity" : "without identity");
}
BENCHMARK(BM_Exec)->Arg(0)->Arg(1);

}  // namespace
}  // namespace palisade

BENCHMARK_MAIN();
