// Tetragon's GetUrl and DnsLookup actions: when a selector matches, the agent
// fetches a URL or resolves a name, so a system that only sees HTTP or DNS
// traffic learns of it. Done on a worker thread; the event path only queues,
// and what does not fit the queue is counted, not waited for.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace palisade {

class Notifier {
public:
    Notifier();
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    void get_url(std::string url) { push({std::move(url), {}}); }
    void dns_lookup(std::string fqdn) { push({{}, std::move(fqdn)}); }

    std::uint64_t done() const { return done_; }
    std::uint64_t failed() const { return failed_; }
    std::uint64_t dropped() const { return dropped_; }

private:
    struct Job {
        std::string url, fqdn;
    };
    void push(Job job);
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> done_{0}, failed_{0}, dropped_{0};  // read by the metrics
    std::thread worker_;
};

}  // namespace palisade
