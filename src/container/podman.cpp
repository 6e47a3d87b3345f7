#include "container/podman.h"

#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/json_util.h"
#include "container/runtime_state.h"

extern char** environ;

namespace palisade {
namespace {

using nlohmann::json;
using namespace json_util;

// Podman 4 answers `pod inspect` with an object, podman 5 with an array of one.
const json& first_object(const json& doc)
{
    return doc.is_array() && !doc.empty() ? doc.front() : doc;
}

void apply_image(ContainerMetadata& m, std::string image, std::string image_id, std::string digest)
{
    const auto ref = parse_image_reference(image);
    m.image = std::move(image);
    m.image_repository = ref.repository;
    m.image_tag = ref.tag;
    m.image_digest = digest.empty() ? ref.digest : std::move(digest);
    if (image_id.starts_with("sha256:"))
        image_id.erase(0, 7);
    m.image_id = std::move(image_id);
}

}  // namespace

std::optional<PodmanContainer> parse_podman_container_inspect(std::string_view text)
{
    const json doc = json::parse(text, nullptr, false);
    const json& c = first_object(doc);
    if (!c.is_object() || string_at(c, "Id").empty())
        return std::nullopt;
    PodmanContainer out;
    ContainerMetadata& m = out.metadata;
    m.name = string_at(c, "Name");
    apply_image(m, string_at(c, "ImageName"), string_at(c, "Image"), string_at(c, "ImageDigest"));
    const json& config = member(c, "Config");
    m.labels = string_map(member(config, "Labels"));
    out.annotations = string_map(member(config, "Annotations"));
    if (const json& privileged = member(member(c, "HostConfig"), "Privileged"); privileged.is_boolean())
        m.privileged = privileged.get<bool>();
    if (const json& mounts = member(c, "Mounts"); mounts.is_array()) {
        for (const auto& mount : mounts) {
            const json& rw = member(mount, "RW");
            m.mounts.push_back({string_at(mount, "Source"), string_at(mount, "Destination"), string_at(mount, "Mode"),
                                rw.is_boolean() ? rw.get<bool>() : true, string_at(mount, "Propagation")});
        }
    }
    m.start_ns = parse_rfc3339_ns(string_at(c, "Created"));
    out.pod_id = string_at(c, "Pod");
    return out;
}

std::optional<PodmanPod> parse_podman_pod_inspect(std::string_view text)
{
    const json doc = json::parse(text, nullptr, false);
    const json& pod = first_object(doc);
    if (!pod.is_object() || string_at(pod, "Name").empty())
        return std::nullopt;
    return PodmanPod{string_at(pod, "Name"), string_map(member(pod, "Labels"))};
}

std::optional<std::string> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout)
{
    if (argv.empty())
        return std::nullopt;
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The caller may block signals (the resolver's worker does): the command starts with none blocked.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int spawned = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    if (spawned != 0) {
        close(out[0]);
        return std::nullopt;
    }

    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    for (char buf[8192];;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd pfd{out[0], POLLIN, 0};
        const int ready = left.count() > 0 ? poll(&pfd, 1, static_cast<int>(left.count())) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            timed_out = true;
            break;
        }
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        output.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return std::nullopt;
    return output;
}

}  // namespace palisade
