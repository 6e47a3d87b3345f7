// Container identity from the CRI, end to end on a real containerd (Debian's
// 1.6, its CRI plugin, runc): the test starts a containerd of its own (config,
// root, state, runc root and socket under a temp dir; cgroupfs driver), imports
// a busybox-static image offline, runs a pod on the host network (no CNI) and
// a container in it through the CRI, as the kubelet would, and checks that the
// agent's events carry the names, image, pod and labels the CRI gives.
//
// Everything of containerd's is private to the test, so the OCI state and
// annotations Palisade also reads are not there: what the events say came over
// the CRI socket. containerd missing is a failure, not a skip:
// scripts/install-deps.sh installs it.
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cri/api.grpc.pb.h"
#include "support/agent_process.h"
#include "support/command.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
namespace v1 = runtime::v1;
using test::AgentProcess;

// Bump the tag when the rootfs below changes.
const std::string kImage = "localhost/palisade-cri-test:v1";
const std::string kTag = std::to_string(getpid());
const std::string kWork = "/tmp/palisade-cri-" + kTag;
const std::string kSocket = kWork + "/containerd.sock";
// A pod uid as the kubelet makes them; the cgroup parent names it.
const std::string kPodUid = "5c0e8b2a-7f0d-4e6b-9a57-" + std::string(12 - std::min<std::size_t>(12, kTag.size()), '0') + kTag;
const std::string kCgroupParent = "/kubepods/besteffort/pod" + kPodUid;

using palisade::test::Command;
using palisade::test::run;

void write_file(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

// containerd 1.6's own config: everything under kWork, the CRI plugin with runc
// on cgroupfs, our image as the pause image, and empty CNI dirs (host-network
// pods never call CNI).
std::string containerd_config()
{
    return "version = 2\nroot = \"" + kWork + "/root\"\nstate = \"" + kWork + "/state\"\n"
           "[grpc]\n  address = \"" + kSocket + "\"\n[ttrpc]\n  address = \"" + kSocket + ".ttrpc\"\n"
           "[debug]\n  address = \"\"\n[metrics]\n  address = \"\"\n"
           "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
           "  sandbox_image = \"" + kImage + "\"\n"
           "  stream_server_address = \"127.0.0.1\"\n  stream_server_port = \"0\"\n"
           "  disable_apparmor = true\n  restrict_oom_score_adj = true\n"
           "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n    default_runtime_name = \"runc\"\n"
           "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
           "      runtime_type = \"io.containerd.runc.v2\"\n"
           "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
           "        SystemdCgroup = false\n        Root = \"" + kWork + "/runc\"\n"
           "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
           "    bin_dir = \"" + kWork + "/cni-bin\"\n    conf_dir = \"" + kWork + "/cni-conf\"\n";
}

// The image: busybox and a few applets; its command keeps a sandbox alive.
std::string build_image_archive(const std::string& archive)
{
    if (run("podman image exists " + kImage).status != 0) {
        const fs::path rootfs = kWork + "/rootfs";
        fs::create_directories(rootfs / "bin");
        for (const char* dir : {"tmp", "proc", "sys", "dev", "etc", "root", "data"})
            fs::create_directories(rootfs / dir);
        const fs::path busybox = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
        fs::copy_file(busybox, rootfs / "bin/busybox");
        for (const char* applet : {"sh", "sleep", "true", "cat"})
            fs::create_symlink("busybox", rootfs / "bin" / applet);
        const auto imported = run("tar -C " + rootfs.string() + " -c . | podman import --change 'CMD [\"/bin/sleep\", \"2147483647\"]' - " + kImage);
        if (imported.status != 0)
            return "podman import: " + imported.output;
    }
    const auto saved = run("podman save -o " + archive + " " + kImage);
    return saved.status == 0 ? std::string() : "podman save: " + saved.output;
}

std::unique_ptr<v1::RuntimeService::Stub> connect()
{
    return v1::RuntimeService::NewStub(grpc::CreateChannel("unix://" + kSocket, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> deadline(int seconds = 20)
{
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
}

// Mounts containerd left under kWork (none when it cleaned up): unmounted before the tree is removed.
void unmount_leftovers()
{
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::vector<std::string> under;
    for (std::string line; std::getline(mountinfo, line);) {
        std::istringstream fields(line);
        std::string id, parent, devs, root, point;
        fields >> id >> parent >> devs >> root >> point;
        if (point.starts_with(kWork))
            under.push_back(point);
    }
    for (auto it = under.rbegin(); it != under.rend(); ++it)
        umount2(it->c_str(), MNT_DETACH);
}

class CriTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        // Another suite's podman settings (ContainerTest points this at a file it has removed since).
        unsetenv("CONTAINERS_CONF");
        fs::create_directories(kWork + "/cni-bin");
        fs::create_directories(kWork + "/cni-conf");
        fs::create_directories(kWork + "/data");
        write_file(kWork + "/config.toml", containerd_config());
        if (run("containerd --version").status != 0) {
            error_ = "containerd is not installed (scripts/install-deps.sh installs it)";
            return;
        }
        const std::string archive = kWork + "/image.tar";
        if (error_ = build_image_archive(archive); !error_.empty())
            return;
        containerd_ = fork();
        if (containerd_ == 0) {
            if (!freopen((kWork + "/containerd.log").c_str(), "w", stdout) || !freopen((kWork + "/containerd.log").c_str(), "a", stderr))
                _exit(126);
            setpgid(0, 0);
            execlp("containerd", "containerd", "--config", (kWork + "/config.toml").c_str(), nullptr);
            _exit(127);
        }
        auto stub = connect();
        for (int i = 0; i < 200; ++i) {  // 20 s
            v1::VersionRequest request;
            v1::VersionResponse version;
            if (stub->Version(deadline(1).get(), request, &version).ok()) {
                runtime_version_ = version.runtime_name() + " " + version.runtime_version();
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (runtime_version_.empty()) {
            error_ = "containerd did not answer the CRI: " + AgentProcess::slurp(kWork + "/containerd.log");
            return;
        }
        const auto imported = run("ctr -a " + kSocket + " -n k8s.io images import " + archive);
        if (imported.status != 0)
            error_ = "ctr images import: " + imported.output;
    }

    static void TearDownTestSuite()
    {
        if (containerd_ > 0) {
            kill(containerd_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 100 && waitpid(containerd_, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (waitpid(containerd_, &status, WNOHANG) == 0) {
                kill(containerd_, SIGKILL);
                waitpid(containerd_, &status, 0);
            }
        }
        unmount_leftovers();
        // runc removes the containers' cgroups; the pod's parent is ours to remove.
        for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
            std::error_code ignored;
            for (const auto& dir : {kCgroupParent, std::string("/kubepods/besteffort"), std::string("/kubepods")})
                fs::remove(hierarchy.path().string() + dir, ignored);  // rmdir: only when empty
        }
        std::error_code ignored;
        fs::remove_all(kWork, ignored);
    }

    void SetUp() override { ASSERT_EQ(error_, "") << "cannot run containerd"; }

    static inline std::string error_;
    static inline std::string runtime_version_;
    static inline pid_t containerd_ = -1;
};

// Alerts on execs with "cri-marker", printing every container and pod field.
const std::string kIdentityRule = R"(- rule: exec in a CRI container
  desc: prints what Palisade knows of the container and its pod
  condition: evt.type = execve and container.id != host and proc.args contains "cri-marker"
  output: "%container.id %container.type %container.name %container.image %container.image.repository %container.image.tag %container.labels %container.privileged %container.mounts %k8s.pod.name %k8s.ns.name %k8s.pod.uid %k8s.pod.labels %k8s.pod.label[app] %k8s.pod.ip %proc.args"
  priority: NOTICE
)";

v1::PodSandboxConfig sandbox_config()
{
    v1::PodSandboxConfig config;
    config.mutable_metadata()->set_name("web-" + kTag);
    config.mutable_metadata()->set_namespace_("shop");
    config.mutable_metadata()->set_uid(kPodUid);
    config.set_log_directory(kWork + "/logs");
    (*config.mutable_labels())["app"] = "web";
    (*config.mutable_labels())["tier"] = "front";
    // The kubelet labels every sandbox with these: not the pod's own labels.
    (*config.mutable_labels())["io.kubernetes.pod.name"] = "web-" + kTag;
    auto* linux = config.mutable_linux();
    linux->set_cgroup_parent(kCgroupParent);
    // The host's network: no CNI, and no hostname (the host's UTS namespace). Privileged: the container below is.
    linux->mutable_security_context()->mutable_namespace_options()->set_network(v1::NODE);
    linux->mutable_security_context()->set_privileged(true);
    return config;
}

TEST_F(CriTest, ExecsInAPodContainerCarryTheNamesImagePodAndLabelsTheCriGives)
{
    const std::string rules = kWork + "/rules.yaml";
    write_file(rules, kIdentityRule);
    AgentProcess agent({"run", "-r", rules, "--cri-socket", kSocket}, "cri");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    // The raw events too: their container and k8s objects.
    AgentProcess events({"run", "--no-rules", "--events", "exec", "--cri-socket", kSocket}, "cri-events");
    ASSERT_TRUE(events.wait_ready()) << events.log();

    auto stub = connect();
    const v1::PodSandboxConfig pod = sandbox_config();
    v1::RunPodSandboxRequest run_pod;
    *run_pod.mutable_config() = pod;
    v1::RunPodSandboxResponse sandbox;
    const auto ran = stub->RunPodSandbox(deadline(60).get(), run_pod, &sandbox);
    ASSERT_TRUE(ran.ok()) << ran.error_message() << "\n" << AgentProcess::slurp(kWork + "/containerd.log");

    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox.pod_sandbox_id());
    *create.mutable_sandbox_config() = pod;
    auto* config = create.mutable_config();
    config->mutable_metadata()->set_name("box");
    config->mutable_image()->set_image(kImage);
    // A second after it starts, when the runtime has been asked: the exec the test looks at.
    config->add_command("/bin/sh");
    config->add_args("-c");
    config->add_args("sleep 1; /bin/true cri-marker-" + kTag + "; sleep 1; /bin/true cri-marker-late");
    config->set_log_path("box.log");
    (*config->mutable_labels())["component"] = "probe";
    auto* mount = config->add_mounts();
    mount->set_host_path(kWork + "/data");
    mount->set_container_path("/data");
    mount->set_readonly(true);
    config->mutable_linux()->mutable_security_context()->set_privileged(true);
    v1::CreateContainerResponse created;
    const auto made = stub->CreateContainer(deadline(60).get(), create, &created);
    ASSERT_TRUE(made.ok()) << made.error_message() << "\n" << AgentProcess::slurp(kWork + "/containerd.log");

    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    const auto start_time = std::chrono::steady_clock::now();
    const auto start_status = stub->StartContainer(deadline(60).get(), start, &started);
    const double start_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_time).count();
    EXPECT_TRUE(start_status.ok()) << start_status.error_message() << "\n" << AgentProcess::slurp(kWork + "/containerd.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    agent.stop();
    events.stop();

    // The kubelet's way out: stop and remove the container, then the pod.
    v1::RemoveContainerRequest remove;
    remove.set_container_id(created.container_id());
    v1::RemoveContainerResponse removed;
    EXPECT_TRUE(stub->RemoveContainer(deadline().get(), remove, &removed).ok());
    v1::StopPodSandboxRequest stop_pod;
    stop_pod.set_pod_sandbox_id(sandbox.pod_sandbox_id());
    v1::StopPodSandboxResponse stopped_pod;
    EXPECT_TRUE(stub->StopPodSandbox(deadline().get(), stop_pod, &stopped_pod).ok());
    v1::RemovePodSandboxRequest remove_pod;
    remove_pod.set_pod_sandbox_id(sandbox.pod_sandbox_id());
    v1::RemovePodSandboxResponse removed_pod;
    EXPECT_TRUE(stub->RemovePodSandbox(deadline().get(), remove_pod, &removed_pod).ok());

    const nlohmann::json* first = nullptr;
    const auto alerts = agent.lines();
    for (const auto& alert : alerts) {
        const auto& fields = alert.is_object() ? alert["output_fields"] : nlohmann::json();
        if (fields.is_object() && fields["proc.args"] == "cri-marker-" + kTag)
            first = &alert;
    }
    ASSERT_NE(first, nullptr) << "no alert for the container's exec\n" << agent.log() << "\ncontainerd:\n"
                              << AgentProcess::slurp(kWork + "/containerd.log");
    const auto& f = (*first)["output_fields"];
    const std::string& id = created.container_id();
    EXPECT_EQ(f["container.id"], id.substr(0, 12)) << f.dump(2);
    // The cgroupfs driver's /kubepods/.../pod<uid>/<id> names no runtime; the CRI's Version does.
    EXPECT_EQ(f["container.type"], "containerd");
    EXPECT_EQ(f["container.name"], "box");
    EXPECT_EQ(f["container.image"], kImage);
    EXPECT_EQ(f["container.image.repository"], "localhost/palisade-cri-test");
    EXPECT_EQ(f["container.image.tag"], "v1");
    EXPECT_EQ(f["container.labels"].get<std::string>().find("component:probe"), 0u) << f["container.labels"];
    EXPECT_EQ(f["container.privileged"], true);
    EXPECT_NE(f["container.mounts"].get<std::string>().find(kWork + "/data:/data::false:rprivate"), std::string::npos)
        << f["container.mounts"];
    EXPECT_EQ(f["k8s.pod.name"], "web-" + kTag);
    EXPECT_EQ(f["k8s.ns.name"], "shop");
    EXPECT_EQ(f["k8s.pod.uid"], kPodUid);
    EXPECT_EQ(f["k8s.pod.labels"], "app:web, tier:front");
    EXPECT_EQ(f["k8s.pod.label[app]"], "web");
    EXPECT_TRUE(f["k8s.pod.ip"].is_null()) << "a host-network pod has no IP of its own";

    const nlohmann::json* exec = nullptr;
    const auto event_lines = events.lines();
    for (const auto& ev : event_lines)
        if (ev.is_object() && ev["type"] == "exec" && ev["exec"]["args"].dump().find("cri-marker-" + kTag + "\"") != std::string::npos)
            exec = &ev;
    ASSERT_NE(exec, nullptr) << events.log();
    EXPECT_EQ((*exec)["container"]["full_id"], id) << exec->dump(2);
    EXPECT_EQ((*exec)["container"]["name"], "box");
    EXPECT_EQ((*exec)["container"]["type"], "containerd");
    EXPECT_EQ((*exec)["container"]["image"], kImage);
    EXPECT_EQ((*exec)["k8s"]["pod"], "web-" + kTag);
    EXPECT_EQ((*exec)["k8s"]["namespace"], "shop");
    EXPECT_EQ((*exec)["k8s"]["pod_uid"], kPodUid);
    EXPECT_EQ((*exec)["k8s"]["labels"], nlohmann::json({{"app", "web"}, {"tier", "front"}}));
    EXPECT_NE((*exec)["exec"]["cgroup"].get<std::string>().find(kCgroupParent + "/" + id), std::string::npos)
        << "containerd's cgroupfs path";

    const auto stats = agent.stats();
    ASSERT_TRUE(stats.is_object()) << agent.log();
    const auto& c = stats["containers"];
    EXPECT_GE(c["cri_found"].get<int>(), 2) << "the pod's sandbox (PodSandboxStatus) and its container: " << stats.dump();
    EXPECT_EQ(c["cri_errors"].get<int>(), 0) << stats.dump();
    std::printf("[ figures  ] %s: StartContainer took %.0f ms; container first exec -> CRI metadata known: "
                "last %.1f ms, max %.1f ms, mean %.1f ms (%d events left before; %d CRI lookups)\n",
                runtime_version_.c_str(), start_ms, c["metadata_ms_last"].get<double>(),
                c["metadata_ms_max"].get<double>(), c["metadata_ms_mean"].get<double>(),
                c["events_before_metadata"].get<int>(), c["cri_lookups"].get<int>());
}

}  // namespace
}  // namespace palisade
