// Container metadata from the Kubernetes Container Runtime Interface: the
// runtime's own gRPC API (runtime.v1 RuntimeService) on its unix socket.
// containerd and CRI-O answer it for every pod container, whatever the cgroup
// driver or the on-disk layout; the pod (name, namespace, uid, labels, IP)
// comes from the container's sandbox. Blocking calls with a short deadline:
// the resolver's worker thread is the only caller.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "container/container.h"

namespace runtime::v1 {
class ContainerStatusResponse;
class PodSandboxStatusResponse;
}  // namespace runtime::v1

namespace palisade {

// Read from any thread; written by the caller of CriClient::container().
struct CriCounters {
    std::atomic<std::uint64_t> lookups{0};    // containers asked about
    std::atomic<std::uint64_t> found{0};      // ... that a runtime knew
    std::atomic<std::uint64_t> not_found{0};  // ... that no runtime's socket knew
    std::atomic<std::uint64_t> errors{0};     // failed calls: socket refused, deadline passed, bad answer
};

// A container's metadata from its CRI status (verbose: the runtime's "info"
// JSON says whether it is privileged) and, when known, its sandbox's status.
ContainerMetadata metadata_from_cri(const runtime::v1::ContainerStatusResponse& container,
                                    const runtime::v1::PodSandboxStatusResponse* sandbox);

class CriClient {
public:
    struct Options {
        std::vector<std::string> sockets = default_sockets();  // asked in order; absent ones are skipped
        std::chrono::milliseconds timeout{1000};                // per call
    };
    // containerd, CRI-O and k3s's containerd at their usual places.
    static std::vector<std::string> default_sockets();

    explicit CriClient(Options options);
    ~CriClient();
    CriClient(const CriClient&) = delete;
    CriClient& operator=(const CriClient&) = delete;

    // The container (full id) and its pod, from the first runtime that knows
    // it; nullopt when none does (yet) or none answers.
    std::optional<ContainerMetadata> container(const std::string& id);

    const CriCounters& counters() const { return counters_; }

private:
    struct Endpoint;
    std::optional<ContainerMetadata> ask(Endpoint& endpoint, const std::string& id, bool& known);
    std::optional<ContainerMetadata> sandbox_itself(Endpoint& endpoint, const std::string& id, bool& known);

    Options options_;
    std::vector<std::unique_ptr<Endpoint>> endpoints_;
    CriCounters counters_;
};

}  // namespace palisade
