// Runtime metadata readers on fixture files (real runc/podman output from
// this machine, CRI-O and containerd bundles as those runtimes write them),
// and the resolver's caching, asynchrony and retries with a fake source.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "container/docker_state.h"
#include "container/metadata.h"
#include "container/podman.h"
#include "container/resolver.h"
#include "container/runtime_state.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;

const std::string kData = PALISADE_CONTAINER_FIXTURES;
const std::string kPodmanId = "e767d4e984424b1c381b5d80e618dad54eb29847e7a537bafd7a59ab8405d49b";
const std::string kCrioId = "07860ade39cf2fc5df7f94ae60d204deccb7bd3ff8756c4241ddd2554dce10e6";
const std::string kCrioSandbox = "5b2c8e0f9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b";

std::string fixture(const std::string& name) { return read_text_file(kData + "/" + name).value(); }

TEST(RuntimeState, RuncStateCarriesAnnotationsBundleAndCreation)
{
    OciState state;
    ASSERT_TRUE(parse_runc_state(fixture("runc_state.json"), state));
    EXPECT_EQ(state.bundle, "/var/lib/containers/storage/overlay-containers/" + kPodmanId + "/userdata");
    EXPECT_EQ(state.annotations.at("io.container.manager"), "libpod");
    EXPECT_EQ(state.annotations.at("io.kubernetes.pod.namespace"), "shop");
    EXPECT_FALSE(state.annotations.contains("bundle"));
    EXPECT_EQ(state.created_ns, parse_rfc3339_ns("2026-11-21T22:30:58.217913763Z"));
    EXPECT_EQ(state.created_ns % 1'000'000'000, 217913763u);
    EXPECT_FALSE(parse_runc_state("not json", state));
    EXPECT_FALSE(parse_runc_state("[1,2]", state));
}

TEST(RuntimeState, Rfc3339WithOffsets)
{
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01Z"), 1'000'000'000u);
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T01:00:01.5+01:00"), 1'500'000'000u);
    EXPECT_EQ(parse_rfc3339_ns("garbage"), 0u);
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01"), 0u);
}

TEST(RuntimeState, OciConfigMountsAndPrivilege)
{
    OciState podman;
    ASSERT_TRUE(parse_oci_config(fixture("podman_oci_config.json"), podman));
    EXPECT_EQ(podman.privileged, false) << "podman's own annotation";
    for (const auto& mount : podman.mounts)
        EXPECT_NE(mount.destination, "/proc") << "only bind mounts are listed";

    OciState crio;
    ASSERT_TRUE(parse_oci_config(fixture("crio_container_config.json"), crio));
    EXPECT_EQ(crio.privileged, false) << "no CAP_SYS_ADMIN, paths masked";
    ASSERT_EQ(crio.mounts.size(), 2u);
    EXPECT_EQ(crio.mounts[1].destination, "/var/run/secrets/kubernetes.io/serviceaccount");
    EXPECT_FALSE(crio.mounts[1].read_write);
    EXPECT_EQ(crio.mounts[1].propagation, "rprivate");

    OciState containerd;
    ASSERT_TRUE(parse_oci_config(fixture("containerd_config.json"), containerd));
    EXPECT_EQ(containerd.privileged, true) << "CAP_SYS_ADMIN and nothing masked";
    ASSERT_EQ(containerd.mounts.size(), 1u);
    EXPECT_TRUE(containerd.mounts[0].read_write);
    EXPECT_EQ(containerd.mounts[0].propagation, "rshared");
}

TEST(Podman, InspectGivesNameImageLabelsMountsAndPod)
{
    const auto c = parse_podman_container_inspect(fixture("podman_container_inspect.json"));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->metadata.name, "webpod-box");
    EXPECT_EQ(c->metadata.image, "localhost/palisade-test:latest");
    EXPECT_EQ(c->metadata.image_repository, "localhost/palisade-test");
    EXPECT_EQ(c->metadata.image_tag, "latest");
    EXPECT_EQ(c->metadata.image_id.size(), 64u);
    EXPECT_TRUE(c->metadata.image_digest.starts_with("sha256:"));
    EXPECT_EQ(c->metadata.labels.at("app"), "web");
    EXPECT_EQ(c->metadata.privileged, false);
    ASSERT_EQ(c->metadata.mounts.size(), 1u);
    EXPECT_EQ(c->metadata.mounts[0].destination, "/data");
    EXPECT_FALSE(c->metadata.mounts[0].read_write);
    EXPECT_EQ(c->pod_id, "771ec111842f2d702edeadb8cb761d45645827f9aecf1c57bccec071642a6d22");
    EXPECT_EQ(c->annotations.at("io.kubernetes.pod.namespace"), "shop");
    EXPECT_GT(c->metadata.start_ns, 0u);

    const auto pod = parse_podman_pod_inspect(fixture("podman_pod_inspect.json"));
    ASSERT_TRUE(pod);
    EXPECT_EQ(pod->name, "webpod");
    EXPECT_EQ(pod->labels.at("tier"), "front");
    EXPECT_FALSE(parse_podman_container_inspect("[]"));
    EXPECT_FALSE(parse_podman_pod_inspect("{}"));
}

TEST(Podman, RunCommandReturnsStdoutAndKillsOverruns)
{
    EXPECT_EQ(run_command({"/bin/echo", "hello"}, std::chrono::seconds(5)), "hello\n");
    EXPECT_EQ(run_command({"/bin/false"}, std::chrono::seconds(5)), std::nullopt);
    EXPECT_EQ(run_command({"/nonexistent/podman"}, std::chrono::seconds(5)), std::nullopt);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(run_command({"/bin/sleep", "10"}, std::chrono::milliseconds(200)), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// A runtime state tree laid out as CRI-O's, in a temporary directory.
class CrioTree : public ::testing::Test {
protected:
    void SetUp() override
    {
        root_ = fs::temp_directory_path() / ("palisade-crio-" + std::to_string(getpid()));
        for (const auto& [id, file] : {std::pair{kCrioId, "crio_container_config.json"},
                                       std::pair{kCrioSandbox, "crio_sandbox_config.json"}}) {
            fs::create_directories(root_ / id / "userdata");
            fs::copy_file(kData + "/" + file, root_ / id / "userdata" / "config.json");
        }
        sources_.paths.runc_states.clear();
        sources_.paths.oci_configs = {(root_ / "{id}/userdata/config.json").string()};
        sources_.podman.clear();
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path root_;
    MetadataSources sources_;
};

TEST_F(CrioTree, KubernetesIdentityFromAnnotationsAndPodLabelsFromTheSandbox)
{
    const auto m = fetch_metadata({kCrioId, ContainerRuntime::CriO, "", ""}, sources_);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->name, "nginx");
    EXPECT_EQ(m->image, "docker.io/library/nginx:1.25.3");
    EXPECT_EQ(m->image_repository, "docker.io/library/nginx");
    EXPECT_EQ(m->image_tag, "1.25.3");
    EXPECT_EQ(m->pod_name, "web-7d4b9c-x2x9q");
    EXPECT_EQ(m->pod_namespace, "shop");
    EXPECT_EQ(m->pod_uid, "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f");
    EXPECT_EQ(m->pod_labels, (std::map<std::string, std::string>{{"app", "web"}, {"pod-template-hash", "7d4b9c"}}));
    EXPECT_EQ(m->labels.at("io.kubernetes.container.name"), "nginx");
    EXPECT_EQ(m->privileged, false);
    EXPECT_EQ(m->mounts.size(), 2u);

    EXPECT_FALSE(fetch_metadata({std::string(64, 'f'), ContainerRuntime::CriO, "", ""}, sources_))
        << "a container no source knows";
}

TEST(Metadata, ContainerdAnnotationsNameThePod)
{
    ContainerMetadata m;
    OciState state;
    ASSERT_TRUE(parse_oci_config(fixture("containerd_config.json"), state));
    apply_annotations(state.annotations, m);
    EXPECT_EQ(m.name, "debug");
    EXPECT_EQ(m.pod_name, "debug-pod");
    EXPECT_EQ(m.pod_namespace, "kube-system");
    EXPECT_EQ(m.pod_uid, "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(m.image_repository, "registry.example.com:5000/tools/debug");
    EXPECT_EQ(m.image_tag, "2.1");
    EXPECT_EQ(m.image_digest, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    // Known fields are kept.
    ContainerMetadata named;
    named.name = "from-podman";
    apply_annotations(state.annotations, named);
    EXPECT_EQ(named.name, "from-podman");
}

// --- the resolver -------------------------------------------------------------

const std::string kDockerPath = "/docker/" + kCrioId;

ContainerResolver::Options fake_options(std::function<std::optional<ContainerMetadata>(const MetadataRequest&)> fetch)
{
    ContainerResolver::Options options;
    options.fetch = std::move(fetch);
    options.retry_delays = {std::chrono::milliseconds(1), std::chrono::milliseconds(1)};
    return options;
}

TEST(Resolver, HostPathsAreNullAndEachCgroupIsParsedOnce)
{
    std::atomic<int> fetches{0};
    ContainerResolver resolver(fake_options([&](const MetadataRequest& r) {
        ++fetches;
        ContainerMetadata m;
        m.name = "n-" + r.id.substr(0, 4);
        return m;
    }));
    EXPECT_EQ(resolver.lookup("/process_api/67e42f5acc659e539b923ab39554e042"), nullptr);
    EXPECT_EQ(resolver.lookup(""), nullptr);
    const auto a = resolver.lookup(kDockerPath);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->short_id, kCrioId.substr(0, 12));
    EXPECT_EQ(a->runtime, ContainerRuntime::Docker);
    EXPECT_EQ(resolver.lookup(kDockerPath), a);
    // Another cgroup of the same container shares it and asks the runtime once.
    EXPECT_EQ(resolver.lookup("/system.slice/docker-" + kCrioId + ".scope"), a);
    EXPECT_EQ(resolver.lookup("/process_api/67e42f5acc659e539b923ab39554e042"), nullptr);
    EXPECT_EQ(resolver.stats().cgroups_parsed, 3u) << "the empty path is not parsed";
    EXPECT_EQ(resolver.stats().containers, 1u);

    ASSERT_TRUE(resolver.wait_idle(std::chrono::seconds(5)));
    EXPECT_EQ(fetches, 1);
    ASSERT_NE(a->known(), nullptr);
    EXPECT_EQ(a->known()->name, "n-0786");
    EXPECT_GE(resolver.stats().metadata_ms_last, 0.0);
    EXPECT_EQ(resolver.stats().metadata_known, 1u);
}

TEST(Resolver, EventsBeforeMetadataAreCountedAndLookupsNeverBlock)
{
    std::mutex gate;
    gate.lock();  // the runtime "hangs" until the test lets it answer
    ContainerResolver resolver(fake_options([&](const MetadataRequest&) {
        std::lock_guard hold(gate);
        return std::optional<ContainerMetadata>(ContainerMetadata{});
    }));
    const auto start = std::chrono::steady_clock::now();
    const auto c = resolver.lookup(kDockerPath);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    resolver.note_event(c.get());
    resolver.note_event(c.get());
    resolver.note_event(nullptr);  // host events never wait for anything
    EXPECT_EQ(c->state, MetadataState::Pending);
    EXPECT_EQ(resolver.stats().events_before_metadata, 2u);
    gate.unlock();
    ASSERT_TRUE(resolver.wait_idle(std::chrono::seconds(5)));
    EXPECT_EQ(c->state, MetadataState::Known);
    resolver.note_event(c.get());
    EXPECT_EQ(resolver.stats().events_before_metadata, 2u);
}

TEST(Resolver, RetriesUntilTheRuntimeKnowsThenGivesUp)
{
    std::atomic<int> asked{0};
    ContainerResolver late(fake_options([&](const MetadataRequest&) -> std::optional<ContainerMetadata> {
        return ++asked >= 2 ? std::optional<ContainerMetadata>(ContainerMetadata{}) : std::nullopt;
    }));
    const auto c = late.lookup(kDockerPath);
    ASSERT_TRUE(late.wait_idle(std::chrono::seconds(5)));
    EXPECT_EQ(c->state, MetadataState::Known);
    EXPECT_EQ(asked, 2);

    ContainerResolver never(fake_options([](const MetadataRequest&) { return std::optional<ContainerMetadata>(); }));
    const auto d = never.lookup(kDockerPath);
    ASSERT_TRUE(never.wait_idle(std::chrono::seconds(5)));
    EXPECT_EQ(d->state, MetadataState::Unavailable);
    EXPECT_EQ(never.stats().metadata_unavailable, 1u);
}

}  // namespace
}  // namespace palisade

namespace palisade {
namespace {

// docker's records, laid out as /var/lib/docker/containers/<id>/ (fixtures in docker 24's format).
TEST(DockerState, NameImageLabelsMountsPrivilegedAndThePodFromItsLabels)
{
    const std::string id = "3f2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b";
    const fs::path root = fs::temp_directory_path() / ("palisade-docker-" + std::to_string(getpid()));
    fs::create_directories(root / id);
    fs::copy_file(kData + "/docker_config.v2.json", root / id / "config.v2.json");
    fs::copy_file(kData + "/docker_hostconfig.json", root / id / "hostconfig.json");
    MetadataSources sources;
    sources.paths.runc_states.clear();
    sources.paths.oci_configs.clear();
    sources.podman.clear();
    sources.docker_containers = root.string();

    const auto m = fetch_metadata({id, ContainerRuntime::Docker, "", ""}, sources);
    fs::remove_all(root);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->name, "k8s_nginx_web-7f9_shop_5c0e8b2a-7f0d-4e6b-9a57-000000000001_0") << "docker's name, without its /";
    EXPECT_EQ(m->image, "nginx:1.25.3");
    EXPECT_EQ(m->image_repository, "nginx");
    EXPECT_EQ(m->image_tag, "1.25.3");
    EXPECT_EQ(m->image_id, "a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6");
    EXPECT_EQ(m->labels.at("app"), "web");
    EXPECT_EQ(m->privileged, std::optional<bool>(true));
    ASSERT_EQ(m->mounts.size(), 2u);
    EXPECT_EQ(m->mounts[0].source, "/srv/data");
    EXPECT_EQ(m->mounts[0].destination, "/data");
    EXPECT_FALSE(m->mounts[0].read_write);
    EXPECT_EQ(m->mounts[0].propagation, "rprivate");
    EXPECT_EQ(m->mounts[1].destination, "/var/cache/nginx");
    EXPECT_TRUE(m->mounts[1].read_write);
    EXPECT_EQ(m->start_ns, parse_rfc3339_ns("2026-11-22T01:20:10.977126314Z"));
    EXPECT_EQ(m->pod_name, "web-7f9");
    EXPECT_EQ(m->pod_namespace, "shop");
    EXPECT_EQ(m->pod_uid, "5c0e8b2a-7f0d-4e6b-9a57-000000000001");

    EXPECT_EQ(parse_docker_config("{}", ""), std::nullopt);
    EXPECT_EQ(parse_docker_config("not json", ""), std::nullopt);
    const auto no_host = parse_docker_config(R"({"ID":"x","Name":"/a","Config":{"Image":"sha256:abc"},"Image":"sha256:abc"})", "");
    ASSERT_TRUE(no_host);
    EXPECT_EQ(no_host->privileged, std::nullopt);
    EXPECT_EQ(no_host->image, "") << "run by id";
    EXPECT_EQ(no_host->image_id, "abc");
}

}  // namespace
}  // namespace palisade
