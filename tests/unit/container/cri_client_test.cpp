// The CRI answers -> ContainerMetadata, and the client's behaviour when no
// runtime answers. The end-to-end test against a real containerd is
// tests/kernel/cri_test.cpp.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "container/cri_client.h"
#include "cri/api.pb.h"

namespace palisade {
namespace {

namespace v1 = runtime::v1;

v1::ContainerStatusResponse container_status(const std::string& info_json)
{
    v1::ContainerStatusResponse response;
    auto* s = response.mutable_status();
    s->set_id(std::string(64, 'a'));
    s->mutable_metadata()->set_name("box");
    s->mutable_image()->set_image("registry.example:5000/shop/web:1.4");
    s->set_image_ref("registry.example:5000/shop/web@sha256:" + std::string(64, 'd'));
    s->set_created_at(1'763'850'000'123'456'789);
    (*s->mutable_labels())["io.kubernetes.container.name"] = "box";
    (*s->mutable_labels())["component"] = "probe";
    auto* mount = s->add_mounts();
    mount->set_host_path("/srv/data");
    mount->set_container_path("/data");
    mount->set_readonly(true);
    mount->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
    auto* relabeled = s->add_mounts();
    relabeled->set_host_path("/srv/cache");
    relabeled->set_container_path("/cache");
    relabeled->set_selinux_relabel(true);
    if (!info_json.empty())
        (*response.mutable_info())["info"] = info_json;
    return response;
}

v1::PodSandboxStatusResponse sandbox_status()
{
    v1::PodSandboxStatusResponse response;
    auto* s = response.mutable_status();
    s->mutable_metadata()->set_name("web-7f9");
    s->mutable_metadata()->set_namespace_("shop");
    s->mutable_metadata()->set_uid("5c0e8b2a-7f0d-4e6b-9a57-000000000001");
    (*s->mutable_labels())["app"] = "web";
    (*s->mutable_labels())["io.kubernetes.pod.name"] = "web-7f9";
    s->mutable_network()->set_ip("10.42.0.7");
    return response;
}

TEST(CriMetadata, ContainerStatusAndSandboxGiveNamesImagePodAndLabels)
{
    // containerd's verbose info keeps the CRI ContainerConfig as JSON.
    const auto container = container_status(
        R"({"sandboxID":"b0b","pid":4242,"config":{"metadata":{"name":"box"},"linux":{"security_context":{"privileged":true}}}})");
    const auto sandbox = sandbox_status();
    const ContainerMetadata m = metadata_from_cri(container, &sandbox);
    EXPECT_EQ(m.name, "box");
    EXPECT_EQ(m.image, "registry.example:5000/shop/web:1.4");
    EXPECT_EQ(m.image_repository, "registry.example:5000/shop/web");
    EXPECT_EQ(m.image_tag, "1.4");
    EXPECT_EQ(m.image_digest, "sha256:" + std::string(64, 'd'));
    EXPECT_EQ(m.labels.at("component"), "probe");
    EXPECT_EQ(m.labels.size(), 2u) << "a container's labels are all the runtime's, the kubelet's included";
    EXPECT_EQ(m.privileged, std::optional<bool>(true));
    EXPECT_EQ(m.start_ns, 1'763'850'000'123'456'789u);
    ASSERT_EQ(m.mounts.size(), 2u);
    EXPECT_EQ(m.mounts[0].source, "/srv/data");
    EXPECT_EQ(m.mounts[0].destination, "/data");
    EXPECT_FALSE(m.mounts[0].read_write);
    EXPECT_EQ(m.mounts[0].propagation, "rslave");
    EXPECT_EQ(m.mounts[1].mode, "Z");
    EXPECT_TRUE(m.mounts[1].read_write);
    EXPECT_EQ(m.mounts[1].propagation, "rprivate");
    EXPECT_EQ(m.pod_name, "web-7f9");
    EXPECT_EQ(m.pod_namespace, "shop");
    EXPECT_EQ(m.pod_uid, "5c0e8b2a-7f0d-4e6b-9a57-000000000001");
    EXPECT_EQ(m.pod_labels, (std::map<std::string, std::string>{{"app", "web"}})) << "not the kubelet's io.kubernetes.*";
    EXPECT_EQ(m.pod_ip, "10.42.0.7");
}

TEST(CriMetadata, PrivilegedFromCrioInfoAndUnknownWithoutInfo)
{
    EXPECT_EQ(metadata_from_cri(container_status(R"({"sandboxID":"b0b","privileged":false})"), nullptr).privileged,
              std::optional<bool>(false));
    // containerd leaves a false privileged out of the config's JSON.
    EXPECT_EQ(metadata_from_cri(container_status(R"({"config":{"metadata":{"name":"box"}}})"), nullptr).privileged,
              std::optional<bool>(false));
    EXPECT_EQ(metadata_from_cri(container_status(""), nullptr).privileged, std::nullopt);
    EXPECT_EQ(metadata_from_cri(container_status("not json"), nullptr).privileged, std::nullopt);
    const ContainerMetadata alone = metadata_from_cri(container_status(""), nullptr);
    EXPECT_EQ(alone.pod_name, "");
    EXPECT_TRUE(alone.pod_labels.empty());
}

TEST(CriMetadata, ImageIdsAreNotRepositories)
{
    auto response = container_status("");
    auto* s = response.mutable_status();
    s->mutable_image()->set_image("sha256:" + std::string(64, 'e'));
    s->set_image_ref("sha256:" + std::string(64, 'e'));
    const ContainerMetadata m = metadata_from_cri(response, nullptr);
    EXPECT_EQ(m.image, "");
    EXPECT_EQ(m.image_repository, "");
    EXPECT_EQ(m.image_id, std::string(64, 'e'));
    EXPECT_EQ(m.image_digest, "");
}

TEST(CriMetadata, APodsContainerTypeIsTheRuntimeThatAnswered)
{
    Container c;
    c.runtime = ContainerRuntime::Cri;
    EXPECT_EQ(container_type(c), "cri") << "the cgroup names no runtime, and none has answered yet";
    auto m = std::make_shared<ContainerMetadata>();
    m->cri_runtime = "containerd";
    c.metadata = m;
    c.state = MetadataState::Known;
    EXPECT_EQ(container_type(c), "containerd");
    c.runtime = ContainerRuntime::CriO;
    EXPECT_EQ(container_type(c), "cri-o") << "a cgroup that names its runtime keeps it";
}

TEST(CriClient, MissingSocketsAreSkippedAndRefusedOnesCounted)
{
    const std::string dir = "/tmp/palisade-cri-unit-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    // A socket nobody listens on: the runtime is down.
    const std::string refused = dir + "/refused.sock";
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    refused.copy(addr.sun_path, sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

    CriClient client({{dir + "/absent.sock", refused}, std::chrono::milliseconds(500)});
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(client.container(std::string(64, 'a')), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "a call is bounded by its deadline";
    EXPECT_EQ(client.counters().lookups.load(), 1u);
    EXPECT_EQ(client.counters().errors.load(), 1u) << "the refused socket";
    EXPECT_EQ(client.counters().not_found.load(), 1u);
    EXPECT_EQ(client.counters().found.load(), 0u);
    close(fd);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace palisade
