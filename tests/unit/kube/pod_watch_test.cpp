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
#include "support/fake_api_server.h"

namespace palisade::kube {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Certificate;
using test::eventually;
using test::FakeApiServer;
using test::pod_object;

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
