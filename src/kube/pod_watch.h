// This node's pods from the Kubernetes API server: a list, then a watch that
// keeps it current, on a thread of its own. Fills pod labels and annotations
// that a container runtime does not carry (docker, or a runtime without CRI).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace httplib {
class Client;
}

namespace palisade::kube {

struct Pod {
    std::string name, ns, uid, ip;
    std::map<std::string, std::string> labels, annotations;
    std::vector<std::string> container_ids;  // runtime ids, without "containerd://" and the like
};

// A pod object of the API (v1 Pod) as Palisade keeps it; nullopt without a uid.
std::optional<Pod> parse_pod(const nlohmann::json& object);

struct ApiConfig {
    std::string server;   // "https://10.96.0.1:443"
    std::string token;    // bearer token
    std::string ca_file;  // the server's CA; empty: the system's
    std::string node;     // only pods scheduled here
    // From a pod's service account: KUBERNETES_SERVICE_HOST/PORT and
    // /var/run/secrets/kubernetes.io/serviceaccount; the node from NODE_NAME.
    static std::optional<ApiConfig> in_cluster(std::string* why,
                                               const std::string& account_dir =
                                                   "/var/run/secrets/kubernetes.io/serviceaccount");
};

class PodWatch {
public:
    explicit PodWatch(ApiConfig config);
    ~PodWatch();
    PodWatch(const PodWatch&) = delete;
    PodWatch& operator=(const PodWatch&) = delete;

    std::optional<Pod> by_container(const std::string& container_id) const;
    std::optional<Pod> by_uid(const std::string& uid) const;
    // Waits until the first list has arrived (tests, start-up); false on timeout.
    bool wait_synced(std::chrono::milliseconds timeout) const;

    struct Counters {
        std::uint64_t lists = 0, watch_events = 0, errors = 0;
        std::size_t pods = 0;
    };
    Counters counters() const;

private:
    void run();
    bool list(httplib::Client& client, std::string* resource_version);
    void watch(httplib::Client& client, const std::string& resource_version);
    void apply(const std::string& type, const nlohmann::json& object);
    std::string pods_path(bool watch, const std::string& resource_version) const;

    ApiConfig config_;
    mutable std::mutex mutex_;
    mutable std::condition_variable synced_cv_;
    bool synced_ = false;
    std::unordered_map<std::string, Pod> pods_;                  // by uid
    std::unordered_map<std::string, std::string> uid_by_container_;
    Counters counters_;
    std::atomic<bool> stopping_{false};
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    struct ClientSlot;
    std::shared_ptr<ClientSlot> client_;  // the request in flight, so the destructor can cut it
    std::thread worker_;
};

}  // namespace palisade::kube
