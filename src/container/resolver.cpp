#include "container/resolver.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

namespace palisade {

using Clock = std::chrono::steady_clock;

ContainerResolver::ContainerResolver(Options options) : options_(std::move(options))
{
    if (!options_.fetch) {
        options_.fetch = [sources = options_.sources](const MetadataRequest& request) {
            return fetch_metadata(request, sources);
        };
    }
    if (options_.resolve_metadata) {
        // The worker inherits a mask blocking every signal: the agent's SIGINT
        // and SIGHUP must reach the event thread, whose wait they cut short.
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &previous);
        worker_ = std::thread([this] { work(); });
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
}

ContainerResolver::~ContainerResolver()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

std::shared_ptr<const Container> ContainerResolver::lookup(std::string_view cgroup_path)
{
    if (cgroup_path.empty())
        return nullptr;
    // Exec events are the callers: a string key per lookup costs less than the exec itself.
    const std::string key(cgroup_path);
    if (const auto it = by_path_.find(key); it != by_path_.end())
        return it->second;
    ++stats_.cgroups_parsed;
    if (by_path_.size() >= options_.max_cgroups) {
        // Forgetting a path only costs parsing it again; containers stay shared through by_id_.
        by_path_.clear();
        std::erase_if(by_id_, [](const auto& entry) { return entry.second.expired(); });
    }
    const auto match = parse_container_cgroup(cgroup_path);
    std::shared_ptr<Container> container = match ? container_for(*match) : nullptr;
    by_path_.emplace(key, container);
    return container;
}

std::shared_ptr<Container> ContainerResolver::container_for(const CgroupMatch& match)
{
    if (auto known = by_id_[match.id].lock())
        return known;
    auto container = std::make_shared<Container>();
    container->id = match.id;
    container->short_id = match.id.substr(0, 12);
    container->runtime = match.runtime;
    container->pod_uid = match.pod_uid;
    container->podman_pod_id = match.podman_pod_id;
    container->first_seen = Clock::now();
    by_id_[match.id] = container;
    ++stats_.containers;
    if (!options_.resolve_metadata) {
        container->state = MetadataState::Unavailable;
        return container;
    }
    ++outstanding_;
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back({{match.id, match.runtime, match.pod_uid, match.podman_pod_id}, 0, Clock::now()});
    }
    wake_.notify_one();
    return container;
}

ContainerStats ContainerResolver::stats() const
{
    ContainerStats out = stats_;
    if (const auto& cri = options_.sources.cri) {
        const CriCounters& c = cri->counters();
        out.cri_lookups = c.lookups.load(std::memory_order_relaxed);
        out.cri_found = c.found.load(std::memory_order_relaxed);
        out.cri_not_found = c.not_found.load(std::memory_order_relaxed);
        out.cri_errors = c.errors.load(std::memory_order_relaxed);
    }
    return out;
}

std::vector<std::pair<std::string, std::shared_ptr<const Container>>> ContainerResolver::known_containers() const
{
    std::vector<std::pair<std::string, std::shared_ptr<const Container>>> out;
    for (const auto& [path, container] : by_path_)
        if (container && container->known())
            out.emplace_back(path, container);
    return out;
}

void ContainerResolver::poll()
{
    if (!results_ready_.load(std::memory_order_acquire))
        return;
    std::vector<Result> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(results_);
        results_ready_.store(false, std::memory_order_relaxed);
    }
    const auto now = Clock::now();
    for (auto& result : done) {
        --outstanding_;
        const auto container = by_id_[result.id].lock();
        if (!container)
            continue;  // every process in it is gone
        if (!result.metadata) {
            container->state = MetadataState::Unavailable;
            ++stats_.metadata_unavailable;
            continue;
        }
        container->metadata = std::make_shared<const ContainerMetadata>(std::move(*result.metadata));
        container->state = MetadataState::Known;
        ++generation_;
        const double ms = std::chrono::duration<double, std::milli>(now - container->first_seen).count();
        ++stats_.metadata_known;
        latency_total_ms_ += ms;
        stats_.metadata_ms_last = ms;
        stats_.metadata_ms_max = std::max(stats_.metadata_ms_max, ms);
        stats_.metadata_ms_mean = latency_total_ms_ / static_cast<double>(stats_.metadata_known);
    }
}

bool ContainerResolver::wait_idle(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (poll(); outstanding_ > 0 && Clock::now() < deadline; poll())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return outstanding_ == 0;
}

void ContainerResolver::work()
{
    std::unique_lock lock(mutex_);
    while (true) {
        if (stopping_)
            return;
        if (tasks_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto next = std::min_element(tasks_.begin(), tasks_.end(),
                                           [](const Task& a, const Task& b) { return a.due < b.due; });
        if (next->due > Clock::now()) {
            wake_.wait_until(lock, next->due);
            continue;
        }
        Task task = std::move(*next);
        tasks_.erase(next);
        lock.unlock();
        auto metadata = options_.fetch(task.request);
        lock.lock();
        if (!metadata && task.attempt < options_.retry_delays.size()) {
            task.due = Clock::now() + options_.retry_delays[task.attempt++];
            tasks_.push_back(std::move(task));
            continue;
        }
        results_.push_back({std::move(task.request.id), std::move(metadata)});
        results_ready_.store(true, std::memory_order_release);
    }
}

}  // namespace palisade
