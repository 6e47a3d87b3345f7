// A local HTTPS server that answers as the Kubernetes API server does for one
// node's pods (a list, then a watch stream of JSON lines), with the pod objects
// the tests need. No API server runs on this machine; TLS, the bearer token,
// the field selector and the watch protocol are the real ones.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace palisade::kube::test {

using nlohmann::json;
namespace fs = std::filesystem;

inline json pod_object(const std::string& name, const std::string& uid, const std::string& container,
                const json& labels)
{
    return {{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", uid}, {"labels", labels},
                          {"annotations", {{"team", "payments"}}}}},
            {"status",
             {{"podIP", "10.1.2.3"}, {"containerStatuses", json::array({{{"containerID", "containerd://" + container}}})}}}};
}

// An API server for one node: the list, and a watch that streams what the test pushes.
class FakeApiServer {
public:
    FakeApiServer(const std::string& cert, const std::string& key) : server_(cert.c_str(), key.c_str())
    {
        server_.Get("/api/v1/pods", [this](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "Bearer test-token") {
                res.status = 401;
                return;
            }
            if (req.get_param_value("fieldSelector") != "spec.nodeName=node-a") {
                res.status = 400;
                return;
            }
            if (req.get_param_value("watch") != "true") {
                std::lock_guard lock(mutex_);
                res.set_content(json{{"kind", "PodList"}, {"metadata", {{"resourceVersion", "10"}}},
                                     {"items", items_}}.dump(),
                                "application/json");
                return;
            }
            watch_version_ = req.get_param_value("resourceVersion");
            res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
                std::unique_lock lock(mutex_);
                cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return !lines_.empty() || done_; });
                while (!lines_.empty()) {
                    const std::string line = lines_.front() + "\n";
                    lines_.pop_front();
                    sink.write(line.data(), line.size());
                }
                if (done_)
                    sink.done();
                return true;
            });
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ~FakeApiServer()
    {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        server_.stop();
        thread_.join();
    }
    void set_items(json items)
    {
        std::lock_guard lock(mutex_);
        items_ = std::move(items);
    }
    void push(const std::string& type, const json& object)
    {
        {
            std::lock_guard lock(mutex_);
            lines_.push_back(json{{"type", type}, {"object", object}}.dump());
        }
        cv_.notify_all();
    }
    int port() const { return port_; }
    std::string watch_version() const { return watch_version_; }

private:
    httplib::SSLServer server_;
    std::thread thread_;
    int port_ = 0;
    std::mutex mutex_;
    std::condition_variable cv_;
    json items_ = json::array();
    std::deque<std::string> lines_;
    bool done_ = false;
    std::string watch_version_;
};

// A self-signed certificate for 127.0.0.1, made with the openssl command.
struct Certificate {
    fs::path dir = fs::temp_directory_path() / ("palisade-kube-tls-" + std::to_string(::getpid()));
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    Certificate()
    {
        fs::create_directories(dir);
        const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                                "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                                key + " -out " + cert + " 2>/dev/null";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    ~Certificate() { fs::remove_all(dir); }
};

template <class F> bool eventually(F f)
{
    for (int i = 0; i < 100; ++i) {
        if (f())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace palisade::kube::test
