// A bounded user-space mirror of the process tree, fed by decoded events in
// ring-buffer order, so consumers can name the process and the lineage behind
// every event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "event/model.h"

namespace palisade {

struct Container;  // container/container.h

// One process image: what a fork copied or an exec loaded.
struct Process {
    ExecId exec_id, parent_exec_id;
    std::uint32_t pid = 0, ppid = 0;
    std::string comm, exe /*resolved path*/, filename;
    std::vector<std::string> argv;
    std::string cwd;
    Creds creds;
    Namespaces ns;
    std::uint64_t cgroup_id = 0;
    std::uint32_t tty = 0, sessionid = 0, exec_flags = 0;
    std::uint64_t start_ns = 0;  // task start (fork) time, CLOCK_BOOTTIME
    // The container the image runs in, shared by every image in it; null on the
    // host (or without an exec observer). Forks inherit it with the rest.
    std::shared_ptr<const Container> container;
    bool exited = false;
    std::int32_t exit_status = 0;  // wait(2) status
};

// Lifetime follows Tetragon's process cache: an image is kept while it is the
// live image of its pid or while any image whose parent_exec_id names it is
// still cached, so the lineage of a live process stays queryable and exited
// leaves vanish after their last event. Each image is released on its own
// rather than recursively, so deep chains cannot exhaust the stack.
//
// Call apply() before consumers see an event and settle() after all of them
// have handled it. Neither throws for any input: events that are inconsistent
// or name unknown processes are ignored. Pointers returned by the lookups stay
// valid until the next apply() or settle().
class ProcessCache {
 public:
    explicit ProcessCache(std::size_t max_entries = 65536);
    ProcessCache(const ProcessCache&) = delete;
    ProcessCache& operator=(const ProcessCache&) = delete;

    // Exec, fork, exit and credential changes take effect.
    void apply(const Event& event);
    // Images that the event ended (exited, or replaced by an exec) are released.
    void settle(const Event& event);

    // Runs on each image an exec creates or refreshes, before apply() returns:
    // where other layers (container identity) annotate the image.
    using ExecObserver = std::function<void(const ExecData&, Process&)>;
    void set_exec_observer(ExecObserver observer) { exec_observer_ = std::move(observer); }

    const Process* find(const ExecId& exec_id) const;
    // The current image of that thread-group id (an exiting one until its exit settles).
    const Process* find_pid(std::uint32_t tgid) const;
    const Process* parent(const Process& process) const;
    // Parent, grandparent, ... at most max_depth, stopping where the chain leaves the cache.
    std::vector<const Process*> ancestors(const Process& process, std::size_t max_depth = 64) const;

    std::size_t size() const { return nodes_.size(); }
    // Images dropped to honour max_entries; normal releases are not counted.
    std::uint64_t evictions() const { return evictions_; }

 private:
    enum class Liveness : std::uint8_t {
        Current,    // the live image of its pid
        Releasing,  // exited or replaced; released once the event that ended it settles
        Retained,   // ended, kept only because cached children name it as their parent
    };

    struct Node {
        Process process;
        // Intrusive links into live_ (Current/Releasing) or retained_: eviction
        // order without another allocation per image.
        Node* prev = nullptr;
        Node* next = nullptr;
        ExecId replaced;              // image of the same pid this one superseded, released when it settles
        std::uint32_t child_refs = 0;  // cached images whose parent_exec_id names this one
        Liveness liveness = Liveness::Current;
        bool holds_parent_ref = false;  // counted in its parent's child_refs
    };

    struct NodeList {
        Node* head = nullptr;
        Node* tail = nullptr;
        void push_back(Node* node);
        void erase(Node* node);
    };

    void apply_exec(const ExecData& exec);
    void apply_fork(const ForkData& fork);
    void apply_exit(const Event& event, const ExitData& exit);
    void apply_syscall(const Event& event, const SyscallData& syscall);

    Node* node(const ExecId& exec_id);
    Node* current_node(std::uint32_t tgid);
    Node* exit_target(const Event& event, const ExitData& exit);
    // Inserts a new current image for process.pid, superseding the previous one.
    void insert_current(Process process);
    // Called when the event that ended an image settles.
    void end_if_releasing(Node* ending);
    void end(Node* ending);
    void remove(Node* doomed);
    void evict_over_bound();

    std::unordered_map<ExecId, Node, ExecIdHash> nodes_;
    std::unordered_map<std::uint32_t, Node*> current_by_pid_;
    NodeList live_;      // creation order
    NodeList retained_;  // order in which the images ended
    std::size_t max_entries_;
    std::uint64_t evictions_ = 0;
    ExecObserver exec_observer_;
};

}  // namespace palisade
