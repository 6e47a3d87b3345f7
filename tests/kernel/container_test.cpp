// Container identity end to end on real podman containers (runc, this
// machine's cgroupfs layout): the agent's events name the container, its
// image and its pod, host processes stay "host", and Falco's container rules
// fire for execs inside a container and not for the same execs on the host.
//
// The image is made offline from busybox-static (`podman import` of a
// rootfs) the first time and kept in podman's storage under a versioned tag.
// podman missing is a failure, not a skip: scripts/install-deps.sh installs it.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/agent_process.h"
#include "support/command.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using test::AgentProcess;

// Bump the tag when the rootfs below changes.
const std::string kImage = "localhost/palisade-test:v1";
const std::string kTag = std::to_string(getpid());
const std::string kWork = "/tmp/palisade-container-test-" + kTag;
// This machine's hard limits reject podman's default ulimits; crun rejects its cgroups.
const std::string kRun = "podman run --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --network none";
// A package manager that only says what it was asked: Falco's rules look at its name.
const std::string kApkStub = "#!/bin/sh\necho \"apk $*\"\n";

using palisade::test::Command;
using palisade::test::run;

void write_file(const fs::path& path, const std::string& text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    fs::permissions(path, perms | fs::perms::group_read | fs::perms::others_read);
}

// The rootfs: busybox as /bin/busybox and its applets, /tmp, and the apk stub.
std::string build_image()
{
    const fs::path rootfs = kWork + "/rootfs";
    fs::create_directories(rootfs / "bin");
    for (const char* dir : {"tmp", "proc", "sys", "dev", "etc", "root"})
        fs::create_directories(rootfs / dir);
    fs::permissions(rootfs / "tmp", fs::perms::all | fs::perms::sticky_bit);
    const fs::path busybox = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
    fs::copy_file(busybox, rootfs / "bin/busybox");
    for (const char* applet : {"sh", "ls", "cat", "echo", "sleep", "true", "id", "ps"})
        fs::create_symlink("busybox", rootfs / "bin" / applet);
    write_file(rootfs / "bin/apk", kApkStub, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    const auto imported = run("tar -C " + rootfs.string() + " -c . | podman import - " + kImage);
    return imported.status == 0 ? std::string() : imported.output;
}

class ContainerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        fs::create_directories(kWork);
        // kube play has no flags for these: a containers.conf of the test's own.
        const std::string conf = kWork + "/containers.conf";
        write_file(conf, "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n"
                         "[engine]\nruntime = \"runc\"\n");
        setenv("CONTAINERS_CONF", conf.c_str(), 1);
        const auto version = run("podman --version");
        podman_error_ = version.status != 0 ? "podman is not installed (scripts/install-deps.sh installs it): " + version.output
                                            : std::string();
        if (podman_error_.empty() && run("podman image exists " + kImage).status != 0)
            podman_error_ = build_image();
    }
    static void TearDownTestSuite() { fs::remove_all(kWork); }
    void SetUp() override { ASSERT_EQ(podman_error_, "") << "cannot run containers"; }

    static inline std::string podman_error_;
};

std::string args_of(const nlohmann::json& exec_event)
{
    std::string joined;
    for (const auto& a : exec_event["exec"]["args"])
        joined += a.get<std::string>() + " ";
    return joined;
}

// The exec events whose arguments contain `marker`.
std::vector<nlohmann::json> execs_with(const std::vector<nlohmann::json>& events, const std::string& marker)
{
    std::vector<nlohmann::json> found;
    for (const auto& ev : events)
        if (ev.is_object() && ev["type"] == "exec" && args_of(ev).find(marker) != std::string::npos)
            found.push_back(ev);
    return found;
}

TEST_F(ContainerTest, ExecsInAPodmanContainerCarryItsIdNameAndImageAndHostExecsCarryHost)
{
    AgentProcess agent({"run", "--no-rules", "--events", "exec"}, "identity");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    const std::string name = "palisade-ct-" + kTag;
    const std::string cidfile = kWork + "/identity.cid";
    const auto started = std::chrono::steady_clock::now();
    const auto container = run(kRun + " --rm --cidfile " + cidfile + " --name " + name + " " + kImage +
                               " /bin/sh -c 'sleep 1; /bin/true ctr-marker-" + kTag + "'");
    const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(container.status, 0) << container.output;
    ASSERT_EQ(run("/bin/true host-marker-" + kTag).status, 0);
    agent.stop();

    const std::string id = AgentProcess::slurp(cidfile);
    ASSERT_EQ(id.size(), 64u) << id;
    const auto events = agent.lines();
    std::vector<nlohmann::json> inside, host;
    for (const auto& ev : execs_with(events, "ctr-marker-" + kTag))
        (ev["container"]["id"] == "host" ? host : inside).push_back(ev);
    EXPECT_GE(host.size(), 1u) << "the podman command itself runs on the host";
    ASSERT_EQ(inside.size(), 2u) << "the shell and /bin/true; stderr: " << agent.log();
    for (const auto& ev : inside) {
        EXPECT_EQ(ev["container"]["id"], id.substr(0, 12)) << ev.dump();
        EXPECT_EQ(ev["container"]["full_id"], id);
        EXPECT_EQ(ev["container"]["type"], "podman");
        EXPECT_NE(ev["exec"]["cgroup"].get<std::string>().find("libpod-" + id), std::string::npos) << ev.dump();
    }
    const auto& late = inside.back();  // a second after the container started: the runtime has answered
    EXPECT_EQ(late["exec"]["path"], "/bin/busybox");
    EXPECT_EQ(late["container"]["name"], name) << late.dump();
    EXPECT_EQ(late["container"]["image"], kImage) << late.dump();

    host = execs_with(events, "host-marker-" + kTag);  // the shell popen() starts, and /bin/true
    ASSERT_GE(host.size(), 1u);
    for (const auto& ev : host) {
        EXPECT_EQ(ev["container"]["id"], "host") << ev.dump();
        EXPECT_FALSE(ev.contains("k8s"));
    }

    const auto stats = agent.stats();
    ASSERT_TRUE(stats.is_object()) << agent.log();
    const auto& c = stats["containers"];
    EXPECT_GE(c["metadata_known"].get<int>(), 1) << stats.dump();
    std::printf("[ figures  ] container first exec -> metadata known: last %.1f ms, max %.1f ms, mean %.1f ms "
                "(%d events left before; podman run took %.0f ms)\n",
                c["metadata_ms_last"].get<double>(), c["metadata_ms_max"].get<double>(),
                c["metadata_ms_mean"].get<double>(), c["events_before_metadata"].get<int>(), run_ms);
}

// Alerts of a rule that prints every container and pod field, on execs with `marker`.
const std::string kIdentityRule = R"(- rule: exec with identity
  desc: prints what Palisade knows of the container and pod
  condition: evt.type = execve and container.id != host and proc.args contains "pod-marker"
  output: "%container.id %container.name %container.image.repository %container.image.tag %k8s.pod.name %k8s.ns.name %k8s.pod.labels %k8s.pod.label[app] %proc.args"
  priority: NOTICE
)";

TEST_F(ContainerTest, KubernetesAnnotationsAndKubePlayNameThePodItsNamespaceAndLabels)
{
    const std::string rules = kWork + "/identity_rules.yaml";
    write_file(rules, kIdentityRule);
    const std::string yaml = kWork + "/pod.yaml";
    const std::string pod = "palisade-pod-" + kTag;
    write_file(yaml, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + pod +
                         "\n  annotations:\n    io.kubernetes.pod.namespace: shop\n  labels:\n    app: web\n"
                         "    tier: front\nspec:\n  restartPolicy: Never\n  containers:\n  - name: box\n    image: " + kImage +
                         "\n    command: [\"/bin/sh\", \"-c\", \"sleep 1; /bin/true pod-marker-kube\"]\n");

    AgentProcess agent({"run", "-r", rules}, "pods");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    const auto annotated = run(kRun + " --rm --name palisade-ann-" + kTag +
                               " --annotation io.kubernetes.pod.name=checkout-7f9 --annotation "
                               "io.kubernetes.pod.namespace=payments " + kImage +
                               " /bin/sh -c 'sleep 1; /bin/true pod-marker-annotated'");
    ASSERT_EQ(annotated.status, 0) << annotated.output;
    const auto played = run("podman kube play --network none " + yaml);
    ASSERT_EQ(played.status, 0) << played.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    run("podman kube down " + yaml);
    agent.stop();

    const nlohmann::json* from_annotations = nullptr;
    const nlohmann::json* from_kube = nullptr;
    const auto alerts = agent.lines();
    for (const auto& alert : alerts) {
        // The /bin/true each container runs a second after it started, when the runtime has answered.
        const auto& fields = alert.is_object() ? alert["output_fields"] : nlohmann::json();
        const auto args = fields.is_object() && fields["proc.args"].is_string() ? fields["proc.args"].get<std::string>() : "";
        if (args == "pod-marker-annotated")
            from_annotations = &alert;
        if (args == "pod-marker-kube" && !from_kube)
            from_kube = &alert;
    }
    ASSERT_NE(from_annotations, nullptr) << agent.log();
    const auto& a = (*from_annotations)["output_fields"];
    EXPECT_EQ(a["k8s.pod.name"], "checkout-7f9") << a.dump();
    EXPECT_EQ(a["k8s.ns.name"], "payments");
    EXPECT_EQ(a["container.name"], "palisade-ann-" + kTag);
    EXPECT_EQ(a["container.image.repository"], "localhost/palisade-test");
    EXPECT_EQ(a["container.image.tag"], "v1");

    ASSERT_NE(from_kube, nullptr) << agent.log();
    const auto& k = (*from_kube)["output_fields"];
    EXPECT_EQ(k["k8s.pod.name"], pod) << k.dump();
    EXPECT_EQ(k["k8s.ns.name"], "shop");
    EXPECT_EQ(k["k8s.pod.labels"], "app:web, tier:front");
    EXPECT_EQ(k["k8s.pod.label[app]"], "web");
    EXPECT_EQ(k["container.name"], pod + "-box");
}

TEST_F(ContainerTest, FalcoShellAndPackageManagerRulesFireInTheContainerNotOnTheHost)
{
    const std::string corpus = PALISADE_CORPUS_DIR "/falco-rules/";
    const std::string name = "palisade-rules-" + kTag;
    const fs::path host_apk = kWork + "/hostbin/apk";
    write_file(host_apk, kApkStub, fs::perms::owner_all);

    AgentProcess agent({"run", "-r", corpus + "falco_rules.yaml", "-r", corpus + "falco-incubating_rules.yaml"},
                       "falco");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    const auto started = run(kRun + " -d --name " + name + " " + kImage + " /bin/sleep 30");
    ASSERT_EQ(started.status, 0) << started.output;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_EQ(run("podman exec -t " + name + " /bin/sh -c 'true ctr-shell-marker' </dev/null").status, 0);
    EXPECT_EQ(run("podman exec " + name + " /bin/apk add ctr-pkg-marker").status, 0);
    // The same execs on the host: a shell on a terminal, the same package manager.
    EXPECT_EQ(run("script -qec \"/bin/sh -c 'true host-shell-marker'\" /dev/null </dev/null").status, 0);
    EXPECT_EQ(run(host_apk.string() + " add host-pkg-marker").status, 0);
    run("podman rm -f -t 0 " + name);
    agent.stop();

    auto fired = [&](const std::string& rule, const std::string& marker) {
        for (const auto& alert : agent.lines())
            if (alert["rule"] == rule &&
                alert["output_fields"]["proc.cmdline"].get<std::string>().find(marker) != std::string::npos)
                return true;
        return false;
    };
    std::string alerts;
    for (const auto& alert : agent.lines())
        alerts += alert["rule"].get<std::string>() + ": " + alert["output"].get<std::string>() + "\n";
    EXPECT_TRUE(fired("Terminal shell in container", "ctr-shell-marker")) << alerts << agent.log();
    EXPECT_TRUE(fired("Launch Package Management Process in Container", "ctr-pkg-marker")) << alerts;
    EXPECT_FALSE(fired("Terminal shell in container", "host-shell-marker")) << alerts;
    EXPECT_FALSE(fired("Launch Package Management Process in Container", "host-pkg-marker")) << alerts;
}

}  // namespace
}  // namespace palisade

namespace palisade {
namespace {

// A command in the container until it gives the wanted status: scoped
// policies follow the container once its metadata is known (a reload away).
Command until_status(const std::string& command, int wanted)
{
    Command last;
    for (int i = 0; i < 50; ++i) {
        last = run(command);
        if (last.status == wanted)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return last;
}

TEST_F(ContainerTest, NamespacedAndSelectedPoliciesActInTheSelectedContainerOnly)
{
    const std::string selected = "palisade-scoped-" + kTag, other = "palisade-unscoped-" + kTag;
    const fs::path policies = kWork + "/scoped-policies";
    write_file(policies / "no-apk.yaml", R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata:
  name: no-package-managers
  namespace: palisade-ns
spec:
  kprobes:
  - call: sys_execve
    syscall: true
    args:
    - index: 0
      type: string
    selectors:
    - matchArgs:
      - index: 0
        operator: Postfix
        values: ["/apk"]
      matchActions:
      - action: Sigkill
)");
    write_file(policies / "egress.yaml", R"(apiVersion: palisade.dev/v1alpha1
kind: NetworkPolicy
metadata: {name: selected-egress}
spec:
  containerSelector:
    matchLabels: {name: )" + selected + R"(}
  egress:
    default: deny
)");
    AgentProcess agent({"run", "--no-rules", "--events", "exec", "-p", policies.string()}, "scoped");
    ASSERT_TRUE(agent.wait_ready()) << agent.log();
    for (const auto& [name, extra] : {std::pair{selected, std::string(" --annotation io.kubernetes.pod.namespace=palisade-ns")},
                                      std::pair{other, std::string()}}) {
        const auto started = run(kRun + " -d --name " + name + extra + " " + kImage + " /bin/sleep 30");
        ASSERT_EQ(started.status, 0) << started.output;
    }
    const auto killed = until_status("podman exec " + selected + " /bin/apk add x", 137 << 8);
    const auto allowed = run("podman exec " + other + " /bin/apk add x");
    const auto denied = until_status("podman exec " + selected + " /bin/busybox nc 127.0.0.1 9 </dev/null", 1 << 8);
    const auto refused = run("podman exec " + other + " /bin/busybox nc 127.0.0.1 9 </dev/null");
    run("podman rm -f -t 0 " + selected + " " + other);
    agent.stop();

    EXPECT_EQ(killed.status, 137 << 8) << killed.output << agent.log();
    EXPECT_EQ(allowed.status, 0) << allowed.output;
    EXPECT_NE(allowed.output.find("apk add x"), std::string::npos);
    EXPECT_NE(denied.output.find("Operation not permitted"), std::string::npos) << denied.output;
    EXPECT_NE(refused.output.find("Connection refused"), std::string::npos) << refused.output;
    int policy_events = 0;
    for (const auto& line : agent.lines())
        if (line.value("type", "") == "policy") {
            ++policy_events;
            EXPECT_EQ(line["policy"]["workload"]["container_name"], selected) << line.dump();
        }
    EXPECT_GE(policy_events, 2) << "one kill and one denial, both in the selected container";
}

}  // namespace
}  // namespace palisade
