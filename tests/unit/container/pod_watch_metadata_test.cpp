// The API server's pods complete what a runtime knows of a container: a
// docker container with no Kubernetes labels gets its pod from the watch.
#include <gtest/gtest.h>

#include "container/metadata.h"
#include "support/fake_api_server.h"

namespace palisade {
namespace {

using kube::test::Certificate;
using kube::test::FakeApiServer;
using kube::test::pod_object;

TEST(PodWatchMetadata, TheWatchNamesThePodTheRuntimeDoesNot)
{
    Certificate tls;
    FakeApiServer api(tls.cert, tls.key);
    const std::string id = std::string(64, 'a');
    api.set_items(nlohmann::json::array({pod_object("web", "u-1", id, {{"app", "web"}})}));
    auto pods = std::make_shared<kube::PodWatch>(
        kube::ApiConfig{"https://127.0.0.1:" + std::to_string(api.port()), "test-token", tls.cert, "node-a"});
    ASSERT_TRUE(pods->wait_synced(std::chrono::seconds(5)));

    MetadataSources sources;
    sources.paths.runc_states = {"/nonexistent/{id}/state.json"};  // the runtime knows nothing
    sources.paths.oci_configs = {};
    sources.podman.clear();
    sources.docker_containers.clear();
    sources.pods = pods;
    auto m = fetch_metadata({.id = id, .runtime = ContainerRuntime::Docker}, sources);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->pod_name, "web");
    EXPECT_EQ(m->pod_namespace, "shop");
    EXPECT_EQ(m->pod_uid, "u-1");
    EXPECT_EQ(m->pod_ip, "10.1.2.3");
    EXPECT_EQ(m->pod_labels.at("app"), "web");
    EXPECT_EQ(m->pod_annotations.at("team"), "payments");

    // by the pod uid the cgroup path names, when the container id is not listed yet
    auto by_uid = fetch_metadata({.id = std::string(64, 'b'), .runtime = ContainerRuntime::Docker, .pod_uid = "u-1"},
                                 sources);
    ASSERT_TRUE(by_uid);
    EXPECT_EQ(by_uid->pod_name, "web");
    EXPECT_FALSE(fetch_metadata({.id = std::string(64, 'c'), .runtime = ContainerRuntime::Docker}, sources));
}

}  // namespace
}  // namespace palisade
