// Cgroup paths as real runtimes name them -> container or host; image
// references; the cgroup hierarchy chosen and read from /proc.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "container/cgroup_parser.h"
#include "proc/cgroup_hierarchy.h"

namespace palisade {
namespace {

const std::string kId = "07860ade39cf2fc5df7f94ae60d204deccb7bd3ff8756c4241ddd2554dce10e6";
const std::string kPod = "771ec111842f2d702edeadb8cb761d45645827f9aecf1c57bccec071642a6d22";

struct Case {
    std::string path;
    std::optional<ContainerRuntime> runtime;  // nullopt: the host
    std::string pod_uid = {};
    std::string podman_pod = {};
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.path; }

class CgroupParserTest : public ::testing::TestWithParam<Case> {};

TEST_P(CgroupParserTest, NamesTheContainerOrTheHost)
{
    const Case& c = GetParam();
    const auto match = parse_container_cgroup(c.path);
    ASSERT_EQ(match.has_value(), c.runtime.has_value()) << c.path;
    if (!match)
        return;
    EXPECT_EQ(match->runtime, *c.runtime) << c.path;
    EXPECT_EQ(match->id, kId) << c.path;
    EXPECT_EQ(match->pod_uid, c.pod_uid) << c.path;
    EXPECT_EQ(match->podman_pod_id, c.podman_pod) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    RealWorldPaths, CgroupParserTest,
    ::testing::Values(
        // docker: cgroupfs and systemd drivers, nested docker-in-docker
        Case{"/docker/" + kId, ContainerRuntime::Docker},
        Case{"/system.slice/docker-" + kId + ".scope", ContainerRuntime::Docker},
        Case{"/docker/" + std::string(64, 'b') + "/docker/" + kId, ContainerRuntime::Docker},
        // podman (this machine: cgroupfs manager), in a pod, systemd, rootless, and its conmon
        Case{"/libpod_parent/libpod-" + kId, ContainerRuntime::Podman},
        Case{"/libpod_parent/" + kPod + "/libpod-" + kId, ContainerRuntime::Podman, "", kPod},
        Case{"/machine.slice/libpod-" + kId + ".scope", ContainerRuntime::Podman},
        Case{"/machine.slice/machine-libpod_pod_" + kPod + ".slice/libpod-" + kId + ".scope/container",
             ContainerRuntime::Podman, "", kPod},
        Case{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
             ContainerRuntime::Podman},
        Case{"/machine.slice/libpod-conmon-" + kId + ".scope", std::nullopt},
        Case{"/libpod_parent/conmon", std::nullopt},
        // containerd / CRI, systemd driver, and nerdctl
        Case{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6f0ae5e2_3a4b_4c5d_8e9f_0a1b2c3d4e5f"
             ".slice/cri-containerd-" + kId + ".scope",
             ContainerRuntime::Containerd, "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/kubepods.slice/kubepods-pod6f0ae5e2_3a4b_4c5d_8e9f_0a1b2c3d4e5f.slice/cri-containerd-" + kId + ".scope",
             ContainerRuntime::Containerd, "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/system.slice/nerdctl-" + kId + ".scope", ContainerRuntime::Containerd},
        // CRI-O, systemd and cgroupfs; its conmon is on the host side
        Case{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f0ae5e2_3a4b_4c5d_8e9f_0a1b2c3d4e5f"
             ".slice/crio-" + kId + ".scope",
             ContainerRuntime::CriO, "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f0ae5e2_3a4b_4c5d_8e9f_0a1b2c3d4e5f"
             ".slice/crio-" + kId + ".scope/container",
             ContainerRuntime::CriO, "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/kubepods/burstable/pod6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f/crio-" + kId, ContainerRuntime::CriO,
             "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/kubepods.slice/kubepods-burstable.slice/crio-conmon-" + kId + ".scope", std::nullopt},
        // Kubernetes with the cgroupfs driver: the runtime is not named
        Case{"/kubepods/besteffort/pod6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f/" + kId, ContainerRuntime::Cri,
             "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        Case{"/kubepods/pod6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f/" + kId, ContainerRuntime::Cri,
             "6f0ae5e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"},
        // the host: this machine's sandbox cgroups, services, sessions, roots, look-alikes
        Case{"/process_api/67e42f5acc659e539b923ab39554e042", std::nullopt},
        Case{"/process_api/" + kId, std::nullopt},
        Case{"/" + kId, std::nullopt},
        Case{"/", std::nullopt},
        Case{"", std::nullopt},
        Case{"/system.slice/containerd.service", std::nullopt},
        Case{"/user.slice/user-0.slice/session-3.scope", std::nullopt},
        Case{"/kubepods/besteffort", std::nullopt},
        Case{"/docker/" + kId.substr(0, 63), std::nullopt},
        Case{"/docker/" + std::string(64, 'G'), std::nullopt},
        Case{"/system.slice/docker-" + kId + ".scope.bak", std::nullopt},
        Case{"/mydocker/" + kId, std::nullopt}),
    [](const ::testing::TestParamInfo<Case>& info) {
        const auto& runtime = info.param.runtime;
        std::string name = runtime ? std::string(runtime_name(*runtime)) : "host";
        std::erase(name, '-');
        return std::to_string(info.index) + "_" + name;
    });

TEST(ContainerImage, ReferencesSplitIntoRepositoryTagAndDigest)
{
    auto ref = parse_image_reference("localhost/palisade-test:latest");
    EXPECT_EQ(ref.repository, "localhost/palisade-test");
    EXPECT_EQ(ref.tag, "latest");
    EXPECT_EQ(ref.digest, "");
    ref = parse_image_reference("registry.example.com:5000/tools/debug:2.1@sha256:abc");
    EXPECT_EQ(ref.repository, "registry.example.com:5000/tools/debug");
    EXPECT_EQ(ref.tag, "2.1");
    EXPECT_EQ(ref.digest, "sha256:abc");
    ref = parse_image_reference("registry.example.com:5000/tools/debug");
    EXPECT_EQ(ref.repository, "registry.example.com:5000/tools/debug");
    EXPECT_EQ(ref.tag, "");
    ref = parse_image_reference("nginx@sha256:abc");
    EXPECT_EQ(ref.repository, "nginx");
    EXPECT_EQ(ref.tag, "");
    EXPECT_EQ(ref.digest, "sha256:abc");
}

TEST(CgroupHierarchy, V1ControllersWinOverTheUnifiedHierarchy)
{
    // This machine: hybrid, memory has a hierarchy of its own.
    const auto hybrid = choose_cgroup_hierarchy_from("#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                                     "cpuset\t3\t7\t1\ncpu\t1\t7\t1\nmemory\t4\t78\t1\npids\t8\t7\t1\n");
    EXPECT_EQ(hybrid.id, PL_CGROUP_MEMORY);
    EXPECT_EQ(hybrid.controller, "memory");
    // memory disabled: the next candidate
    const auto no_memory = choose_cgroup_hierarchy_from("cpu\t1\t7\t1\nmemory\t4\t78\t0\npids\t8\t7\t1\n");
    EXPECT_EQ(no_memory.id, PL_CGROUP_PIDS);
    // pure cgroup v2: every controller on hierarchy 0
    const auto unified = choose_cgroup_hierarchy_from("cpu\t0\t90\t1\nmemory\t0\t90\t1\npids\t0\t90\t1\n");
    EXPECT_EQ(unified.id, PL_CGROUP_UNIFIED);
    EXPECT_EQ(unified.controller, "");
    EXPECT_EQ(choose_cgroup_hierarchy_from("").id, PL_CGROUP_UNIFIED);
}

TEST(CgroupHierarchy, PathIsReadFromTheMatchingLine)
{
    const std::string proc_cgroup = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/67e4\n1:cpu,cpuacct:/a\n0::/b\n";
    EXPECT_EQ(cgroup_path_in(proc_cgroup, {PL_CGROUP_MEMORY, "memory"}), "/process_api/67e4");
    EXPECT_EQ(cgroup_path_in(proc_cgroup, {PL_CGROUP_CPU, "cpu"}), "/a") << "co-mounted controllers";
    EXPECT_EQ(cgroup_path_in(proc_cgroup, {PL_CGROUP_PIDS, "pids"}), "/");
    EXPECT_EQ(cgroup_path_in(proc_cgroup, {}), "/b");
    EXPECT_EQ(cgroup_path_in(proc_cgroup, {PL_CGROUP_CPUSET, "cpuset"}), std::nullopt);
    EXPECT_EQ(cgroup_path_in("4:memory:/x", {}), std::nullopt) << "v1 only: no unified line";
}

}  // namespace
}  // namespace palisade
