#include "notify/notifier.h"

#include <netdb.h>

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace palisade {
namespace {

constexpr std::size_t kMaxQueued = 1024;

// "https://host:port/path?q" -> ("https://host:port", "/path?q")
std::pair<std::string, std::string> split_url(const std::string& url)
{
    const auto scheme_end = url.find("://");
    const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (path_start == std::string::npos)
        return {url, "/"};
    return {url.substr(0, path_start), url.substr(path_start)};
}

bool fetch(const std::string& url)
{
    const auto [origin, path] = split_url(url);
    httplib::Client client(origin);
    client.set_connection_timeout(3);
    client.set_read_timeout(3);
    auto response = client.Get(path);
    if (!response)
        spdlog::warn("GetUrl {}: {}", url, httplib::to_string(response.error()));
    return response && response->status < 500;
}

bool resolve(const std::string& fqdn)
{
    addrinfo* result = nullptr;
    const int rc = getaddrinfo(fqdn.c_str(), nullptr, nullptr, &result);
    if (result)
        freeaddrinfo(result);
    if (rc != 0)
        spdlog::warn("DnsLookup {}: {}", fqdn, gai_strerror(rc));
    return rc == 0;
}

}  // namespace

Notifier::Notifier() : worker_([this] { work(); }) {}

Notifier::~Notifier()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    worker_.join();
}

void Notifier::push(Job job)
{
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueued) {
            ++dropped_;
            return;
        }
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void Notifier::work()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty())
            return;  // stopping, and what was queued is done
        Job job = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        const bool ok = job.url.empty() ? resolve(job.fqdn) : fetch(job.url);
        lock.lock();
        ++(ok ? done_ : failed_);
    }
}

}  // namespace palisade
