// PodWatch against a local HTTPS server that answers as the API server does
// for a node's pods: a list, then a watch stream of JSON lines. (No API server
// runs on this machine; the protocol, TLS, token and field selector are real.)
#include <sys/wait.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "kube/pod_watch.h"

namespace palisade::kube {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json pod_object(const std::string& name, const std::string& uid, const std::string& container,
                const json& labels)
{
    return {{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", uid}, {"labels", labels},
                          {"annotations", {{"team", "payments"}}}}},
            {"status",
             {{"podIP", "10.1.2.3"}, {"containerStatuses", json::array({{{"containerID", "containerd://" + container}}})}}}};
}

TEST(KubePods, ParsePodKeepsIdentityLabelsAndRuntimeIds)
{
    auto pod = parse_pod(pod_object("web", "u-1", "abc123", {{"app", "web"}}));
    ASSERT_TRUE(pod);
    EXPECT_EQ(pod->name, "web");
    EXPECT_EQ(pod->ns, "shop");
    EXPECT_EQ(pod->uid, "u-1");
    EXPECT_EQ(pod->ip, "10.1.2.3");
    EXPECT_EQ(pod->labels.at("app"), "web");
    EXPECT_EQ(pod->annotations.at("team"), "payments");
    EXPECT_EQ(pod->container_ids, std::vector<std::string>{"abc123"});
    EXPECT_FALSE(parse_pod(json{{"metadata", {{"name", "no-uid"}}}}));
    EXPECT_FALSE(parse_pod(json("not an object")));
}

TEST(KubePods, InClusterConfigNamesWhatIsMissing)
{
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    std::string why;
    EXPECT_FALSE(ApiConfig::in_cluster(&why));
    EXPECT_NE(why.find("KUBERNETES_SERVICE_HOST"), std::string::npos);

    const fs::path dir = fs::temp_directory_path() / "palisade-sa";
    fs::create_directories(dir);
    std::ofstream(dir / "token") << "tok\n";
    ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ::setenv("NODE_NAME", "node-a", 1);
    auto config = ApiConfig::in_cluster(&why, dir.string());
    ASSERT_TRUE(config) << why;
    EXPECT_EQ(config->server, "https://10.96.0.1:443");
    EXPECT_EQ(config->token, "tok");
    EXPECT_EQ(config->ca_file, (dir / "ca.crt").string());
    EXPECT_EQ(config->node, "node-a");
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("NODE_NAME");
    fs::remove_all(dir);
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

TEST(KubePods, ListThenWatchOverTlsKeepsTheNodesPodsCurrent)
{
    Certificate tls;
    FakeApiServer api(tls.cert, tls.key);
    api.set_items(json::array({pod_object("web", "u-1", "abc123", {{"app", "web"}})}));
    PodWatch watch({"https://127.0.0.1:" + std::to_string(api.port()), "test-token", tls.cert, "node-a"});
    ASSERT_TRUE(watch.wait_synced(std::chrono::seconds(5))) << watch.counters().errors << " errors";
    auto web = watch.by_container("abc123");
    ASSERT_TRUE(web);
    EXPECT_EQ(web->name, "web");
    EXPECT_EQ(web->labels.at("app"), "web");
    EXPECT_TRUE(eventually([&] { return api.watch_version() == "10"; }));  // the watch starts where the list ended

    api.push("MODIFIED", pod_object("web", "u-1", "abc123", {{"app", "web"}, {"tier", "front"}}));
    EXPECT_TRUE(eventually([&] {
        auto p = watch.by_uid("u-1");
        return p && p->labels.count("tier");
    }));
    api.push("ADDED", pod_object("db", "u-2", "def456", {{"app", "db"}}));
    EXPECT_TRUE(eventually([&] { return watch.by_container("def456").has_value(); }));
    api.push("DELETED", pod_object("web", "u-1", "abc123", {}));
    EXPECT_TRUE(eventually([&] { return !watch.by_uid("u-1") && !watch.by_container("abc123"); }));
    EXPECT_EQ(watch.counters().pods, 1u);
    EXPECT_EQ(watch.counters().watch_events, 3u);
}

TEST(KubePods, AWrongTokenOrAnUntrustedServerIsAnErrorNotAPodList)
{
    Certificate tls;
    FakeApiServer api(tls.cert, tls.key);
    api.set_items(json::array({pod_object("web", "u-1", "abc123", {})}));
    {
        PodWatch watch({"https://127.0.0.1:" + std::to_string(api.port()), "wrong-token", tls.cert, "node-a"});
        EXPECT_FALSE(watch.wait_synced(std::chrono::milliseconds(800)));
        EXPECT_GE(watch.counters().errors, 1u);
    }
    {
        // the system's CAs do not trust this self-signed certificate
        PodWatch watch({"https://127.0.0.1:" + std::to_string(api.port()), "test-token", "", "node-a"});
        EXPECT_FALSE(watch.wait_synced(std::chrono::milliseconds(800)));
        EXPECT_GE(watch.counters().errors, 1u);
    }
}

}  // namespace
}  // namespace palisade::kube
