// Gives each process image its container: the cgroup path names it at once
// (parsed once per cgroup, then cached), the runtime's metadata follows from
// a worker thread, so the event path never waits on a file or a command.
//
// Every public method belongs to the event thread;
// the worker only reads requests and hands back results under a lock, and
// results are applied to Container objects on the event thread (poll()), so
// readers of a Container need no synchronisation.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "container/cgroup_parser.h"
#include "container/container.h"
#include "container/metadata.h"

namespace palisade {

struct ContainerStats {
    std::uint64_t containers = 0;               // distinct containers seen
    std::uint64_t cgroups_parsed = 0;           // cache misses: each cgroup path is parsed once
    std::uint64_t metadata_known = 0;
    std::uint64_t metadata_unavailable = 0;     // no source answered after every retry
    std::uint64_t events_before_metadata = 0;   // events that left while their container's metadata was pending
    double metadata_ms_last = 0, metadata_ms_max = 0, metadata_ms_mean = 0;  // first seen -> known
    // CRI lookups (containerd, CRI-O), counted on the worker.
    std::uint64_t cri_lookups = 0, cri_found = 0, cri_not_found = 0, cri_errors = 0;
};

class ContainerResolver {
public:
    using Fetch = std::function<std::optional<ContainerMetadata>(const MetadataRequest&)>;

    struct Options {
        MetadataSources sources;
        Fetch fetch;  // default: fetch_metadata(request, sources); tests inject their own
        bool resolve_metadata = true;  // false: identity from cgroups only, no worker
        std::size_t max_cgroups = 16384;  // cached paths; host paths are cheap to forget
        // Waits before asking again when no source knows the container yet
        // (a lookup can race the runtime writing its state).
        std::vector<std::chrono::milliseconds> retry_delays = {std::chrono::milliseconds(100),
                                                               std::chrono::milliseconds(500),
                                                               std::chrono::milliseconds(2000)};
    };

    explicit ContainerResolver(Options options);
    ContainerResolver() : ContainerResolver(Options{}) {}
    ~ContainerResolver();
    ContainerResolver(const ContainerResolver&) = delete;
    ContainerResolver& operator=(const ContainerResolver&) = delete;

    // The container of a process in this cgroup; null for the host (and for an empty path).
    std::shared_ptr<const Container> lookup(std::string_view cgroup_path);
    // Applies the worker's finished lookups; one atomic load when there are none.
    void poll();
    // Counts an event leaving while its container's metadata is still pending.
    void note_event(const Container* container)
    {
        if (container && container->state == MetadataState::Pending)
            ++stats_.events_before_metadata;
    }
    // Waits (polling) until no lookup is outstanding or `timeout` passes; true when idle. For tests and benchmarks.
    bool wait_idle(std::chrono::milliseconds timeout);

    ContainerStats stats() const;

    // Changes whenever a container's metadata becomes known: what workload
    // selectors select may have changed.
    std::uint64_t generation() const { return generation_; }
    // Every container with known metadata, by the cgroup path it was seen in.
    std::vector<std::pair<std::string, std::shared_ptr<const Container>>> known_containers() const;

private:
    struct Task {
        MetadataRequest request;
        std::size_t attempt = 0;
        std::chrono::steady_clock::time_point due;
    };
    struct Result {
        std::string id;
        std::optional<ContainerMetadata> metadata;
    };

    std::shared_ptr<Container> container_for(const CgroupMatch& match);
    void work();

    Options options_;
    // Event thread only.
    std::unordered_map<std::string, std::shared_ptr<Container>> by_path_;  // null value: the host
    std::unordered_map<std::string, std::weak_ptr<Container>> by_id_;
    std::size_t outstanding_ = 0;
    ContainerStats stats_;
    double latency_total_ms_ = 0;
    std::uint64_t generation_ = 0;

    // Shared with the worker.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Task> tasks_;
    std::vector<Result> results_;
    std::atomic<bool> results_ready_{false};
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace palisade
