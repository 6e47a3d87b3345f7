#include "proc/process_cache.h"

#include <sys/syscall.h>

#include <algorithm>
#include <utility>
#include <variant>

namespace palisade {
namespace {

// The payload of an event whose type and data agree; nullptr otherwise, so a
// hand-built inconsistent event is ignored instead of throwing bad_variant_access.
template <class T>
const T* payload(const Event& event, EventType type) {
    return event.type == type ? std::get_if<T>(&event.data) : nullptr;
}

// The image an exec or a process fork creates; invalid for every other event.
ExecId created_image(const Event& event) {
    if (const auto* exec = payload<ExecData>(event, EventType::Exec)) return exec->exec_id;
    if (const auto* fork = payload<ForkData>(event, EventType::Fork); fork && !fork->thread) return fork->exec_id;
    return {};
}

Process image_from_exec(const ExecData& exec) {
    Process image;
    image.exec_id = exec.exec_id;
    image.parent_exec_id = exec.parent_exec_id;
    image.pid = exec.exec_id.pid;
    image.ppid = exec.ppid;
    image.comm = exec.comm;
    image.exe = exec.path;
    image.filename = exec.filename;
    image.argv = exec.argv;
    image.cwd = exec.cwd;
    image.creds = exec.creds;
    image.ns = exec.ns;
    image.cgroup_id = exec.cgroup_id;
    image.tty = exec.tty;
    image.sessionid = exec.sessionid;
    image.exec_flags = exec.flags;
    image.start_ns = exec.start_boottime_ns != 0 ? exec.start_boottime_ns : exec.exec_id.start_ns;
    return image;
}

}  // namespace

void ProcessCache::NodeList::push_back(Node* node) {
    node->prev = tail;
    node->next = nullptr;
    (tail ? tail->next : head) = node;
    tail = node;
}

void ProcessCache::NodeList::erase(Node* node) {
    (node->prev ? node->prev->next : head) = node->next;
    (node->next ? node->next->prev : tail) = node->prev;
    node->prev = node->next = nullptr;
}

ProcessCache::ProcessCache(std::size_t max_entries) : max_entries_(std::max<std::size_t>(max_entries, 1)) {}

void ProcessCache::apply(const Event& event) {
    if (const auto* exec = payload<ExecData>(event, EventType::Exec))
        apply_exec(*exec);
    else if (const auto* fork = payload<ForkData>(event, EventType::Fork))
        apply_fork(*fork);
    else if (const auto* exit = payload<ExitData>(event, EventType::Exit))
        apply_exit(event, *exit);
    else if (const auto* syscall = payload<SyscallData>(event, EventType::Syscall))
        apply_syscall(event, *syscall);
}

void ProcessCache::settle(const Event& event) {
    if (const auto* exit = payload<ExitData>(event, EventType::Exit)) {
        if (Node* exited = exit_target(event, *exit); exited && exited->process.exited) end_if_releasing(exited);
    } else if (Node* created = node(created_image(event)); created && created->replaced.valid()) {
        end_if_releasing(node(std::exchange(created->replaced, ExecId{})));
    }
}

void ProcessCache::apply_exec(const ExecData& exec) {
    if (!exec.exec_id.valid()) return;
    Process image = image_from_exec(exec);
    if (exec_observer_) exec_observer_(exec, image);
    if (Node* known = node(exec.exec_id)) {
        // The same image reported twice, e.g. a /proc snapshot racing the live
        // stream: refresh what it describes, keep its lineage and lifetime.
        image.parent_exec_id = known->process.parent_exec_id;
        image.exited = known->process.exited;
        image.exit_status = known->process.exit_status;
        known->process = std::move(image);
        return;
    }
    insert_current(std::move(image));
}

void ProcessCache::apply_fork(const ForkData& fork) {
    // A new thread shares its process's image.
    if (fork.thread || !fork.exec_id.valid() || node(fork.exec_id)) return;
    // Should the kernel's id for the parent not match ours, the forking thread
    // group's current image is still the parent.
    const Node* parent = node(fork.parent_exec_id);
    if (!parent) parent = current_node(fork.parent_tgid);
    if (!parent) return;

    Process child = parent->process;
    child.exec_id = fork.exec_id;
    child.parent_exec_id = parent->process.exec_id;
    child.pid = fork.exec_id.pid;
    child.ppid = parent->process.pid;
    child.start_ns = fork.exec_id.start_ns;
    child.exited = false;
    child.exit_status = 0;
    insert_current(std::move(child));
}

void ProcessCache::apply_exit(const Event& event, const ExitData& exit) {
    Node* exited = exit_target(event, exit);
    if (!exited) return;
    exited->process.exited = true;
    exited->process.exit_status = exit.status;
    if (exited->liveness == Liveness::Current) exited->liveness = Liveness::Releasing;
}

void ProcessCache::apply_syscall(const Event& event, const SyscallData& syscall) {
    Node* caller = current_node(event.tgid);
    if (!caller) return;
    // aux carries the ids read back in the kernel after the call (real in the low half, effective in the
    // high), so it is the truth whatever the call returned: setfsuid returns the previous id, and a failed
    // call leaves the ids as they were.
    const auto real_id = static_cast<std::uint32_t>(syscall.aux);
    const auto effective_id = static_cast<std::uint32_t>(syscall.aux >> 32);
    Creds& creds = caller->process.creds;
    switch (syscall.syscall_nr) {
        case SYS_setuid:
        case SYS_setreuid:
        case SYS_setresuid:
        case SYS_setfsuid:
            creds.uid = real_id;
            creds.euid = effective_id;
            break;
        case SYS_setgid:
        case SYS_setregid:
        case SYS_setresgid:
        case SYS_setfsgid:
            creds.gid = real_id;
            creds.egid = effective_id;
            break;
        case SYS_capset:
            creds.cap_effective = syscall.aux;
            break;
        default:
            break;
    }
}

ProcessCache::Node* ProcessCache::node(const ExecId& exec_id) {
    if (!exec_id.valid()) return nullptr;
    const auto it = nodes_.find(exec_id);
    return it == nodes_.end() ? nullptr : &it->second;
}

ProcessCache::Node* ProcessCache::current_node(std::uint32_t tgid) {
    const auto it = current_by_pid_.find(tgid);
    return it == current_by_pid_.end() ? nullptr : it->second;
}

// The image an exit event ends. Only an exit without an id falls back to the
// pid's current image: an id that names nothing cached may be a stale or
// replayed exit, and must not end a newer process that reused the pid.
ProcessCache::Node* ProcessCache::exit_target(const Event& event, const ExitData& exit) {
    return exit.exec_id.valid() ? node(exit.exec_id) : current_node(event.tgid);
}

void ProcessCache::insert_current(Process process) {
    const ExecId exec_id = process.exec_id;
    Node& created = nodes_[exec_id];
    created.process = std::move(process);
    if (Node* parent = node(created.process.parent_exec_id); parent && parent != &created) {
        ++parent->child_refs;
        created.holds_parent_ref = true;
    }

    // An exec replaces the pid's image; a fork onto a pid that still has one
    // means its exit was missed. Either way the old image is no longer live.
    Node*& current = current_by_pid_[exec_id.pid];
    if (current && current->liveness == Liveness::Current) {
        current->liveness = Liveness::Releasing;
        created.replaced = current->process.exec_id;
    }
    current = &created;
    live_.push_back(&created);
    evict_over_bound();
}

void ProcessCache::end_if_releasing(Node* ending) {
    if (ending && ending->liveness == Liveness::Releasing) end(ending);
}

// The image stops counting as live: it goes at once unless children still name it.
void ProcessCache::end(Node* ended) {
    if (ended->child_refs == 0) {
        remove(ended);
        return;
    }
    live_.erase(ended);
    if (const auto it = current_by_pid_.find(ended->process.pid); it != current_by_pid_.end() && it->second == ended)
        current_by_pid_.erase(it);
    ended->liveness = Liveness::Retained;
    retained_.push_back(ended);
}

// Drops the image, then each retained ancestor whose last reference it was.
void ProcessCache::remove(Node* doomed) {
    while (doomed) {
        (doomed->liveness == Liveness::Retained ? retained_ : live_).erase(doomed);
        if (const auto it = current_by_pid_.find(doomed->process.pid); it != current_by_pid_.end() && it->second == doomed)
            current_by_pid_.erase(it);
        Node* parent = doomed->holds_parent_ref ? node(doomed->process.parent_exec_id) : nullptr;
        const ExecId exec_id = doomed->process.exec_id;  // erase() must not read the key from the node it frees
        nodes_.erase(exec_id);

        // An evicted parent may have been re-created since this reference was
        // taken, so the count is never taken below zero.
        doomed = nullptr;
        if (parent && parent->child_refs > 0 && --parent->child_refs == 0 && parent->liveness == Liveness::Retained)
            doomed = parent;
    }
}

// Ended images go first, those that ended longest ago before others; then the
// oldest live ones. Evicting a parent only cuts its children's lineage short.
void ProcessCache::evict_over_bound() {
    while (nodes_.size() > max_entries_) {
        Node* victim = retained_.head ? retained_.head : live_.head;
        if (!victim) return;
        ++evictions_;
        remove(victim);
    }
}

const Process* ProcessCache::find(const ExecId& exec_id) const {
    const auto it = nodes_.find(exec_id);
    return it == nodes_.end() ? nullptr : &it->second.process;
}

const Process* ProcessCache::find_pid(std::uint32_t tgid) const {
    const auto it = current_by_pid_.find(tgid);
    return it == current_by_pid_.end() ? nullptr : &it->second->process;
}

const Process* ProcessCache::parent(const Process& process) const {
    if (!process.parent_exec_id.valid() || process.parent_exec_id == process.exec_id) return nullptr;
    return find(process.parent_exec_id);
}

std::vector<const Process*> ProcessCache::ancestors(const Process& process, std::size_t max_depth) const {
    std::vector<const Process*> chain;
    for (const Process* next = parent(process); next && chain.size() < max_depth; next = parent(*next)) {
        // Inconsistent input can make parent links loop; a repeat ends the chain.
        if (next == &process || std::find(chain.begin(), chain.end(), next) != chain.end()) break;
        chain.push_back(next);
    }
    return chain;
}

}  // namespace palisade
