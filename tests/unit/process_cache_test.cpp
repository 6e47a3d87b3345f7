#include "proc/process_cache.h"

#include <sys/syscall.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace palisade {
namespace {

// Exec ids whose start time encodes the pid and an image generation, so every
// image in a test has a distinct, readable id.
ExecId id(std::uint32_t pid, std::uint64_t generation = 0) { return {1'000'000 * pid + generation, pid}; }

Event exec_event(const ExecId& image, const ExecId& parent, std::uint32_t ppid, std::string path,
                 std::vector<std::string> argv = {}) {
    ExecData exec;
    exec.exec_id = image;
    exec.parent_exec_id = parent;
    exec.ppid = ppid;
    exec.start_boottime_ns = image.start_ns;
    exec.comm = path.substr(path.rfind('/') + 1);
    exec.filename = path;
    exec.path = std::move(path);
    exec.argv = std::move(argv);
    exec.cwd = "/home/user";
    exec.creds.uid = exec.creds.euid = 1000;
    exec.creds.gid = exec.creds.egid = 100;
    exec.ns.pid = 4026531836;
    exec.cgroup_id = 77;
    return Event{EventType::Exec, 0, image.start_ns, image.pid, image.pid, std::move(exec)};
}

Event fork_event(const ExecId& child, const ExecId& parent) {
    return Event{EventType::Fork, 0, child.start_ns, child.pid, child.pid, ForkData{child, parent, parent.pid, parent.pid, false}};
}

Event thread_event(const ExecId& process, std::uint32_t tid) {
    return Event{EventType::Fork, 0, 0, process.pid, tid, ForkData{process, {}, process.pid, process.pid, true}};
}

Event exit_event(const ExecId& image, std::int32_t status = 0) {
    return Event{EventType::Exit, 0, 0, image.pid, image.pid, ExitData{image, status}};
}

Event syscall_event(std::uint32_t tgid, long nr, std::uint64_t aux, std::int64_t ret = 0) {
    SyscallData syscall;
    syscall.ret = ret;
    syscall.syscall_nr = static_cast<std::uint32_t>(nr);
    syscall.aux = aux;
    return Event{EventType::Syscall, 0, 0, tgid, tgid, syscall};
}

// What the pipeline does when nothing needs to look between the two steps.
void feed(ProcessCache& cache, const Event& event) {
    cache.apply(event);
    cache.settle(event);
}

std::vector<std::uint32_t> ancestor_pids(const ProcessCache& cache, const Process& process) {
    std::vector<std::uint32_t> pids;
    for (const Process* ancestor : cache.ancestors(process)) pids.push_back(ancestor->pid);
    return pids;
}

// init (1) -> bash (100), the root of most scenarios.
class ProcessCacheTest : public ::testing::Test {
 protected:
    void SetUp() override {
        feed(cache, exec_event(init, {}, 0, "/sbin/init"));
        feed(cache, exec_event(bash, init, 1, "/bin/bash", {"bash", "-l"}));
    }
    // bash forks a child with the given pid.
    ExecId fork_child(std::uint32_t pid, std::uint64_t generation = 0) {
        feed(cache, fork_event(id(pid, generation), bash));
        return id(pid, generation);
    }

    ProcessCache cache;
    const ExecId init = id(1);
    const ExecId bash = id(100);
};

TEST_F(ProcessCacheTest, ForkCopiesTheParentImageWithTheForkIds) {
    const ExecId child = fork_child(200);

    const Process* copy = cache.find_pid(200);
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(copy, cache.find(child));
    EXPECT_EQ(copy->exec_id, child);
    EXPECT_EQ(copy->parent_exec_id, bash);
    EXPECT_EQ(copy->pid, 200u);
    EXPECT_EQ(copy->ppid, 100u);
    EXPECT_EQ(copy->start_ns, child.start_ns);
    EXPECT_EQ(copy->exe, "/bin/bash");
    EXPECT_EQ(copy->comm, "bash");
    EXPECT_EQ(copy->argv, (std::vector<std::string>{"bash", "-l"}));
    EXPECT_EQ(copy->cwd, "/home/user");
    EXPECT_EQ(copy->creds.uid, 1000u);
    EXPECT_EQ(copy->ns.pid, 4026531836u);
    EXPECT_EQ(copy->cgroup_id, 77u);
}

TEST_F(ProcessCacheTest, ForkThenExecBuildsLineage) {
    const ExecId forked = fork_child(200);
    const ExecId ls = id(200, 1);
    const Event exec = exec_event(ls, bash, 100, "/usr/bin/ls", {"ls", "-la"});
    cache.apply(exec);

    const Process* image = cache.find_pid(200);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(image->exec_id, ls);
    EXPECT_EQ(image->exe, "/usr/bin/ls");
    EXPECT_EQ(image->argv, (std::vector<std::string>{"ls", "-la"}));
    // Consumers of the exec event can still see the image it replaced.
    ASSERT_NE(cache.find(forked), nullptr);
    EXPECT_EQ(cache.find(forked)->exe, "/bin/bash");

    cache.settle(exec);
    EXPECT_EQ(cache.find(forked), nullptr);
    EXPECT_EQ(cache.size(), 3u);

    const Process* parent = cache.parent(*image);
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(parent->exec_id, bash);
    const Process* grandparent = cache.parent(*parent);
    ASSERT_NE(grandparent, nullptr);
    EXPECT_EQ(grandparent->exec_id, init);
    EXPECT_EQ(cache.parent(*grandparent), nullptr);
    EXPECT_EQ(ancestor_pids(cache, *image), (std::vector<std::uint32_t>{100, 1}));
    EXPECT_EQ(cache.ancestors(*image, 1).size(), 1u);
}

TEST_F(ProcessCacheTest, ThreadForkChangesNothing) {
    feed(cache, thread_event(bash, 101));
    feed(cache, thread_event(id(100, 7), 102));  // whatever id it carries

    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.find_pid(101), nullptr);
    EXPECT_EQ(cache.find_pid(100)->exec_id, bash);
}

TEST_F(ProcessCacheTest, ExitedLeafGoesWhenItsExitSettles) {
    const ExecId child = fork_child(200);
    const Event exit = exit_event(child, 9);
    cache.apply(exit);

    const Process* exiting = cache.find_pid(200);
    ASSERT_NE(exiting, nullptr);
    EXPECT_TRUE(exiting->exited);
    EXPECT_EQ(exiting->exit_status, 9);

    cache.settle(exit);
    EXPECT_EQ(cache.find(child), nullptr);
    EXPECT_EQ(cache.find_pid(200), nullptr);
    EXPECT_NE(cache.find(bash), nullptr);
    EXPECT_EQ(cache.size(), 2u);
}

TEST_F(ProcessCacheTest, ExitedParentStaysWhileAChildLives) {
    const ExecId child = fork_child(200);
    feed(cache, exit_event(bash));

    const Process* parent = cache.find(bash);
    ASSERT_NE(parent, nullptr);
    EXPECT_TRUE(parent->exited);
    EXPECT_EQ(cache.find_pid(100), nullptr);
    EXPECT_EQ(ancestor_pids(cache, *cache.find(child)), (std::vector<std::uint32_t>{100, 1}));

    feed(cache, exit_event(child));
    EXPECT_EQ(cache.find(child), nullptr);
    EXPECT_EQ(cache.find(bash), nullptr);
    EXPECT_EQ(cache.size(), 1u);
}

TEST_F(ProcessCacheTest, ReplacedImageIsKeptOnlyWhileChildrenNameIt) {
    const ExecId child = fork_child(200);
    const ExecId python = id(100, 1);
    feed(cache, exec_event(python, init, 1, "/usr/bin/python3"));

    EXPECT_EQ(cache.find_pid(100)->exec_id, python);
    const Process* old_image = cache.find(bash);
    ASSERT_NE(old_image, nullptr);
    EXPECT_FALSE(old_image->exited);
    EXPECT_EQ(cache.parent(*cache.find(child)), old_image);

    feed(cache, exit_event(child));
    EXPECT_EQ(cache.find(bash), nullptr);
    EXPECT_NE(cache.find(python), nullptr);
    EXPECT_EQ(cache.size(), 2u);
}

TEST_F(ProcessCacheTest, ReusedPidGetsANewEntry) {
    const ExecId first = fork_child(200);
    feed(cache, exit_event(first));
    const ExecId second = fork_child(200, 5);

    EXPECT_EQ(cache.find(first), nullptr);
    ASSERT_NE(cache.find_pid(200), nullptr);
    EXPECT_EQ(cache.find_pid(200)->exec_id, second);
    EXPECT_FALSE(cache.find_pid(200)->exited);

    // A late or replayed exit of the first image must not end the second.
    feed(cache, exit_event(first));
    ASSERT_NE(cache.find(second), nullptr);
    EXPECT_FALSE(cache.find(second)->exited);
}

TEST_F(ProcessCacheTest, CredentialSyscallsUpdateTheLiveImage) {
    feed(cache, syscall_event(100, SYS_setresuid, std::uint64_t{0} << 32 | 1000));
    EXPECT_EQ(cache.find_pid(100)->creds.uid, 1000u);
    EXPECT_EQ(cache.find_pid(100)->creds.euid, 0u);

    feed(cache, syscall_event(100, SYS_setgid, std::uint64_t{0} << 32 | 0));
    EXPECT_EQ(cache.find_pid(100)->creds.gid, 0u);
    EXPECT_EQ(cache.find_pid(100)->creds.egid, 0u);

    feed(cache, syscall_event(100, SYS_capset, 0x1ffffffffff));
    EXPECT_EQ(cache.find_pid(100)->creds.cap_effective, 0x1ffffffffffu);

    // A failed call reports the ids as the kernel left them: unchanged.
    feed(cache, syscall_event(100, SYS_setuid, std::uint64_t{0} << 32 | 1000, -1));
    EXPECT_EQ(cache.find_pid(100)->creds.uid, 1000u);
    // setfsuid returns the previous fs id, not 0: the ids read back still count.
    feed(cache, syscall_event(100, SYS_setfsuid, std::uint64_t{0} << 32 | 1000, 1000));
    EXPECT_EQ(cache.find_pid(100)->creds.uid, 1000u);
    feed(cache, syscall_event(100, SYS_setresuid, std::uint64_t{2000} << 32 | 2000, 0));
    EXPECT_EQ(cache.find_pid(100)->creds.euid, 2000u);
    // Other processes are untouched.
    EXPECT_EQ(cache.find_pid(1)->creds.euid, 1000u);
}

TEST_F(ProcessCacheTest, EventsForUnknownProcessesAreIgnored) {
    EXPECT_NO_THROW({
        feed(cache, exit_event(id(4242)));
        feed(cache, exit_event(ExecId{}));
        feed(cache, syscall_event(4242, SYS_setuid, 0));
        feed(cache, fork_event(id(4243), id(4242)));
        feed(cache, exec_event(ExecId{}, init, 1, "/bin/invalid"));
        // Type and payload disagree: ignored rather than bad_variant_access.
        feed(cache, Event{EventType::Exec, 0, 0, 100, 100, ExitData{bash, 0}});
    });
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.find_pid(4243), nullptr);
    EXPECT_FALSE(cache.find(bash)->exited);
}

TEST_F(ProcessCacheTest, ExitWithoutAnIdEndsThePidsCurrentImage) {
    fork_child(200);
    feed(cache, exit_event(ExecId{}));  // tgid 0: nobody
    Event exit = exit_event(ExecId{});
    exit.tgid = 200;
    feed(cache, exit);
    EXPECT_EQ(cache.find_pid(200), nullptr);
}

TEST(ProcessCache, BoundEvictsEndedImagesBeforeLiveOnes) {
    ProcessCache cache(3);
    feed(cache, exec_event(id(1), {}, 0, "/sbin/init"));
    // Released normally, it leaves the eviction order too.
    feed(cache, fork_event(id(9), id(1)));
    feed(cache, exit_event(id(9)));
    feed(cache, fork_event(id(10), id(1)));
    feed(cache, fork_event(id(11), id(10)));
    feed(cache, exit_event(id(10)));  // kept for its child 11
    ASSERT_NE(cache.find(id(10)), nullptr);
    EXPECT_EQ(cache.evictions(), 0u);

    feed(cache, fork_event(id(12), id(1)));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.evictions(), 1u);
    EXPECT_EQ(cache.find(id(10)), nullptr);  // the ended image, though init is older
    ASSERT_NE(cache.find(id(11)), nullptr);
    EXPECT_EQ(cache.parent(*cache.find(id(11))), nullptr);

    feed(cache, fork_event(id(13), id(12)));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.evictions(), 2u);
    EXPECT_EQ(cache.find_pid(1), nullptr);  // no ended image left: the oldest live one goes
    EXPECT_NE(cache.find_pid(13), nullptr);

    feed(cache, fork_event(id(14), id(13)));
    EXPECT_EQ(cache.evictions(), 3u);
    EXPECT_EQ(cache.find(id(11)), nullptr);
    EXPECT_NE(cache.find(id(12)), nullptr);
    EXPECT_EQ(cache.size(), 3u);

    // Normal releases are not evictions.
    feed(cache, exit_event(id(12)));
    feed(cache, exit_event(id(13)));
    feed(cache, exit_event(id(14)));
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.evictions(), 3u);
}

TEST(ProcessCache, LongEndedChainIsReleasedWithoutRecursion) {
    // Each process forks the next and exits; the whole chain hangs off the
    // last one and must go, without deep recursion, once it exits.
    constexpr std::uint32_t depth = 200'000;
    ProcessCache cache(depth + 10);
    feed(cache, exec_event(id(1), {}, 0, "/sbin/init"));
    for (std::uint32_t pid = 2; pid <= depth; ++pid) {
        feed(cache, fork_event(id(pid), id(pid - 1)));
        if (pid > 2) feed(cache, exit_event(id(pid - 1)));
    }
    ASSERT_EQ(cache.size(), depth);
    EXPECT_EQ(cache.ancestors(*cache.find_pid(depth)).size(), 64u);

    feed(cache, exit_event(id(depth)));
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_NE(cache.find_pid(1), nullptr);
    EXPECT_EQ(cache.evictions(), 0u);
}

TEST(ProcessCache, ParentLinkLoopDoesNotHangAncestors) {
    ProcessCache cache;
    feed(cache, exec_event(id(10), id(11), 11, "/bin/a"));
    feed(cache, exec_event(id(11), id(10), 10, "/bin/b"));
    EXPECT_EQ(ancestor_pids(cache, *cache.find_pid(10)), (std::vector<std::uint32_t>{11}));
}

}  // namespace
}  // namespace palisade
