#include "kube/pod_watch.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace palisade::kube {
namespace {

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    return s;
}

std::map<std::string, std::string> string_map(const nlohmann::json& object, const char* key)
{
    std::map<std::string, std::string> out;
    if (auto it = object.find(key); it != object.end() && it->is_object())
        for (const auto& [k, v] : it->items())
            if (v.is_string())
                out[k] = v.get<std::string>();
    return out;
}

std::string string_at(const nlohmann::json& object, const char* key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "containerd://<id>", "cri-o://<id>", "docker://<id>" -> "<id>"
std::string runtime_id(const std::string& container_id)
{
    const auto sep = container_id.find("://");
    return sep == std::string::npos ? container_id : container_id.substr(sep + 3);
}

std::string url_encode(const std::string& s)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace

std::optional<Pod> parse_pod(const nlohmann::json& object)
{
    if (!object.is_object())
        return std::nullopt;
    const auto metadata = object.value("metadata", nlohmann::json::object());
    Pod pod;
    pod.uid = string_at(metadata, "uid");
    if (pod.uid.empty())
        return std::nullopt;
    pod.name = string_at(metadata, "name");
    pod.ns = string_at(metadata, "namespace");
    pod.labels = string_map(metadata, "labels");
    pod.annotations = string_map(metadata, "annotations");
    const auto status = object.value("status", nlohmann::json::object());
    pod.ip = string_at(status, "podIP");
    for (const char* list : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"})
        if (auto it = status.find(list); it != status.end() && it->is_array())
            for (const auto& c : *it)
                if (std::string id = runtime_id(string_at(c, "containerID")); !id.empty())
                    pod.container_ids.push_back(std::move(id));
    return pod;
}

std::optional<ApiConfig> ApiConfig::in_cluster(std::string* why, const std::string& account_dir)
{
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host) {
        *why = "KUBERNETES_SERVICE_HOST is not set: not running in a pod";
        return std::nullopt;
    }
    ApiConfig c;
    const std::string h = host;
    c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + (port ? port : "443");
    c.token = trimmed(read_file(account_dir + "/token"));
    if (c.token.empty()) {
        *why = "no service account token in " + account_dir;
        return std::nullopt;
    }
    c.ca_file = account_dir + "/ca.crt";
    const char* node = std::getenv("NODE_NAME");
    if (!node || !*node) {
        *why = "NODE_NAME is not set (the chart sets it from spec.nodeName)";
        return std::nullopt;
    }
    c.node = node;
    return c;
}

struct PodWatch::ClientSlot {
    std::mutex mutex;
    httplib::Client* client = nullptr;
};

PodWatch::PodWatch(ApiConfig config)
    : config_(std::move(config)), client_(std::make_shared<ClientSlot>()), worker_([this] { run(); })
{
}

PodWatch::~PodWatch()
{
    stopping_ = true;
    {
        std::lock_guard lock(client_->mutex);
        if (client_->client)
            client_->client->stop();
    }
    stop_cv_.notify_all();
    worker_.join();
}

std::string PodWatch::pods_path(bool watch, const std::string& resource_version) const
{
    std::string path = "/api/v1/pods?fieldSelector=" + url_encode("spec.nodeName=" + config_.node);
    if (watch)
        path += "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" +
                url_encode(resource_version);
    return path;
}

void PodWatch::run()
{
    auto backoff = std::chrono::milliseconds(500);
    while (!stopping_) {
        httplib::Client client(config_.server);
        client.set_bearer_token_auth(config_.token);
        if (!config_.ca_file.empty())
            client.set_ca_cert_path(config_.ca_file);
        client.enable_server_certificate_verification(true);
        client.set_connection_timeout(std::chrono::seconds(5));
        client.set_read_timeout(std::chrono::seconds(330));  // the server ends a watch at timeoutSeconds
        {
            std::lock_guard lock(client_->mutex);
            client_->client = &client;
        }
        std::string version;
        if (list(client, &version)) {
            backoff = std::chrono::milliseconds(500);
            watch(client, version);  // until timeoutSeconds or an error; then a fresh list
        }
        {
            std::lock_guard lock(client_->mutex);
            client_->client = nullptr;
        }
        if (stopping_)
            break;
        std::unique_lock lock(stop_mutex_);
        stop_cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
}

bool PodWatch::list(httplib::Client& client, std::string* resource_version)
{
    auto res = client.Get(pods_path(false, ""));
    nlohmann::json body;
    if (res && res->status == 200)
        body = nlohmann::json::parse(res->body, nullptr, false);
    if (!res || res->status != 200 || !body.is_object() || !body.contains("items")) {
        std::lock_guard lock(mutex_);
        ++counters_.errors;
        return false;
    }
    std::unordered_map<std::string, Pod> pods;
    for (const auto& item : body["items"])
        if (auto pod = parse_pod(item))
            pods[pod->uid] = std::move(*pod);
    *resource_version = string_at(body.value("metadata", nlohmann::json::object()), "resourceVersion");
    {
        std::lock_guard lock(mutex_);
        pods_ = std::move(pods);
        uid_by_container_.clear();
        for (const auto& [uid, pod] : pods_)
            for (const auto& id : pod.container_ids)
                uid_by_container_[id] = uid;
        ++counters_.lists;
        synced_ = true;
    }
    synced_cv_.notify_all();
    return true;
}

void PodWatch::watch(httplib::Client& client, const std::string& resource_version)
{
    std::string pending;  // one JSON event per line; a chunk may end mid-line
    bool failed = false;
    auto res = client.Get(pods_path(true, resource_version), [&](const char* data, size_t size) {
        pending.append(data, size);
        for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            const auto event = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
            pending.erase(0, nl + 1);
            const std::string type = event.is_object() ? string_at(event, "type") : "";
            if (type.empty() || type == "ERROR") {
                failed = true;  // e.g. 410 Gone: the version is too old; list again
                return false;
            }
            apply(type, event.value("object", nlohmann::json::object()));
        }
        return !stopping_.load();
    });
    if (!stopping_ && (failed || !res || res->status != 200)) {
        std::lock_guard lock(mutex_);
        ++counters_.errors;
    }
}

void PodWatch::apply(const std::string& type, const nlohmann::json& object)
{
    if (type == "BOOKMARK")
        return;
    auto pod = parse_pod(object);
    if (!pod)
        return;
    std::lock_guard lock(mutex_);
    ++counters_.watch_events;
    if (auto old = pods_.find(pod->uid); old != pods_.end())
        for (const auto& id : old->second.container_ids)
            uid_by_container_.erase(id);
    if (type == "DELETED") {
        pods_.erase(pod->uid);
        return;
    }
    for (const auto& id : pod->container_ids)
        uid_by_container_[id] = pod->uid;
    pods_[pod->uid] = std::move(*pod);
}

std::optional<Pod> PodWatch::by_uid(const std::string& uid) const
{
    std::lock_guard lock(mutex_);
    auto it = pods_.find(uid);
    return it == pods_.end() ? std::nullopt : std::optional<Pod>(it->second);
}

std::optional<Pod> PodWatch::by_container(const std::string& container_id) const
{
    std::lock_guard lock(mutex_);
    auto it = uid_by_container_.find(container_id);
    if (it == uid_by_container_.end())
        return std::nullopt;
    auto pod = pods_.find(it->second);
    return pod == pods_.end() ? std::nullopt : std::optional<Pod>(pod->second);
}

bool PodWatch::wait_synced(std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    return synced_cv_.wait_for(lock, timeout, [this] { return synced_; });
}

PodWatch::Counters PodWatch::counters() const
{
    std::lock_guard lock(mutex_);
    Counters c = counters_;
    c.pods = pods_.size();
    return c;
}

}  // namespace palisade::kube
