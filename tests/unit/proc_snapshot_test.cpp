#include "proc/proc_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "event/decoder.h"
#include "palisade/abi.h"
#include "proc/process_cache.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using Record = std::vector<std::uint8_t>;

// A record split by hand along the ABI, independent of the decoder.
struct RawExec {
    pl_exec_event fixed{};
    std::string filename, path, argv, cwd, cgroup;  // tail fields as stored, trailing NUL included
};

RawExec split_record(const Record& record) {
    RawExec raw;
    EXPECT_GE(record.size(), sizeof raw.fixed);
    if (record.size() < sizeof raw.fixed) return raw;
    std::memcpy(&raw.fixed, record.data(), sizeof raw.fixed);
    EXPECT_EQ(raw.fixed.hdr.size, record.size());
    std::size_t offset = sizeof raw.fixed;
    auto take = [&](std::uint16_t length, std::string& field) {
        ASSERT_LE(offset + length, record.size());
        field.assign(reinterpret_cast<const char*>(record.data()) + offset, length);
        offset += length;
    };
    take(raw.fixed.filename_len, raw.filename);
    take(raw.fixed.path_len, raw.path);
    take(raw.fixed.argv_len, raw.argv);
    take(raw.fixed.cwd_len, raw.cwd);
    take(raw.fixed.cgroup_len, raw.cgroup);
    EXPECT_EQ(offset, record.size());
    return raw;
}

std::map<std::uint32_t, RawExec> by_pid(const std::vector<Record>& records) {
    std::map<std::uint32_t, RawExec> processes;
    for (const Record& record : records) {
        RawExec raw = split_record(record);
        processes.emplace(raw.fixed.hdr.tgid, std::move(raw));
    }
    return processes;
}

// Fails unless every process's parent, when present, comes first.
void expect_parents_first(const std::vector<Record>& records) {
    std::vector<pl_exec_event> fixed;
    for (const Record& record : records) fixed.push_back(split_record(record).fixed);
    std::map<std::uint32_t, std::size_t> position;
    for (std::size_t i = 0; i < fixed.size(); ++i) position[fixed[i].hdr.tgid] = i;
    for (std::size_t i = 0; i < fixed.size(); ++i) {
        const auto parent = position.find(fixed[i].ppid);
        if (parent == position.end()) continue;
        EXPECT_LT(parent->second, i) << "pid " << fixed[i].hdr.tgid << " comes before its parent " << fixed[i].ppid;
    }
}

std::uint64_t ns_per_tick() { return 1'000'000'000 / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK)); }

std::uint64_t inode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
}

std::string with_nul(std::string_view s) { return std::string(s) + '\0'; }

// A /proc look-alike in a temporary directory.
class FakeProc {
 public:
    FakeProc() {
        std::string pattern = (fs::temp_directory_path() / "palisade-proc-XXXXXX").string();
        root_ = ::mkdtemp(pattern.data());
        fs::create_directories(proc());
    }
    ~FakeProc() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    std::string proc() const { return (root_ / "proc").string(); }
    fs::path root() const { return root_; }

    void write(const std::string& relative, std::string_view content) const {
        const fs::path file = root_ / "proc" / relative;
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << content;
    }
    void link(const std::string& relative, const std::string& target) const {
        const fs::path file = root_ / "proc" / relative;
        fs::create_directories(file.parent_path());
        fs::create_symlink(target, file);
    }

    struct Spec {
        std::uint32_t pid, ppid;
        std::string comm;
        std::uint64_t starttime;
        int tty_nr = 0;
        std::string uids = "0\t0\t0\t0", gids = "0\t0\t0\t0";
        std::string exe;  // no link when empty, as for kernel threads
        std::string cmdline;
        std::string cwd = "/";
        std::string cgroup = "0::/\n";
    };

    void add(const Spec& p) const {
        const std::string dir = std::to_string(p.pid) + "/";
        // Fields 3..22 of /proc/PID/stat, then a few more; the values not
        // asserted on are arbitrary.
        write(dir + "stat", std::to_string(p.pid) + " (" + p.comm + ") S " + std::to_string(p.ppid) + " " +
                                std::to_string(p.pid) + " " + std::to_string(p.pid) + " " + std::to_string(p.tty_nr) +
                                " -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 " + std::to_string(p.starttime) +
                                " 1000 100 18446744073709551615\n");
        write(dir + "status", "Name:\t" + p.comm + "\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" + p.uids +
                                  "\nGid:\t" + p.gids + "\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n" +
                                  "CapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\n");
        write(dir + "comm", p.comm + "\n");
        write(dir + "cmdline", p.cmdline);
        write(dir + "loginuid", "1000");
        write(dir + "sessionid", "3");
        write(dir + "cgroup", "1:cpu:/\n" + p.cgroup);
        if (!p.exe.empty()) link(dir + "exe", p.exe);
        link(dir + "cwd", p.cwd);
        const std::pair<const char*, std::uint32_t> namespaces[] = {
            {"pid", 4026531836}, {"mnt", 4026531841}, {"net", 4026531840}, {"user", 4026531837},
            {"uts", 4026531838}, {"ipc", 4026531839}, {"cgroup", 4026531835}};
        for (const auto& [name, inode] : namespaces)
            link(dir + "ns/" + name, std::string(name) + ":[" + std::to_string(inode) + "]");
    }

 private:
    fs::path root_;
};

class ProcSnapshotFakeTest : public ::testing::Test {
 protected:
    void SetUp() override {
        // The cgroup2 mount point has a space in it, which mountinfo escapes.
        cgroup_dir = proc.root() / "cg root" / "system.slice" / "app.service";
        fs::create_directories(cgroup_dir);
        proc.write("self/mountinfo",
                   "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                   "41 31 0:38 / " + (proc.root() / "cg\\040root").string() +
                       " rw,relatime shared:9 - cgroup2 cgroup2 rw\n");

        proc.add({.pid = 1, .ppid = 0, .comm = "init", .starttime = 1, .exe = "/sbin/init",
                  .cmdline = with_nul("/sbin/init") + with_nul("splash")});
        proc.add({.pid = 2, .ppid = 0, .comm = "kthreadd", .starttime = 1});
        // The child has a lower pid than its parent: order must follow lineage, not pid.
        proc.add({.pid = 42, .ppid = 1, .comm = "a) S 9 (b", .starttime = 500, .tty_nr = 34816,
                  .uids = "1000\t0\t0\t0", .exe = "/tmp/payload (deleted)",
                  .cmdline = with_nul("payload") + std::string(3000, 'x') + '\0', .cwd = "/tmp",
                  .cgroup = "0::/system.slice/app.service\n"});
        proc.add({.pid = 7, .ppid = 42, .comm = "evil", .starttime = 900, .exe = "/memfd:evil (deleted)",
                  .cmdline = with_nul("evil") + with_nul("-c")});
        // Listed but gone before it could be read.
        fs::create_directories(proc.proc() + "/99");
    }

    FakeProc proc;
    fs::path cgroup_dir;
};

TEST_F(ProcSnapshotFakeTest, OneRecordPerProcessParentsFirst) {
    const auto records = snapshot_processes(proc.proc());
    ASSERT_EQ(records.size(), 4u);  // 99 vanished, "self" is not a process
    expect_parents_first(records);
}

TEST_F(ProcSnapshotFakeTest, FieldsMatchTheProcTree) {
    const auto processes = by_pid(snapshot_processes(proc.proc()));
    ASSERT_TRUE(processes.contains(42));
    const RawExec& payload = processes.at(42);
    const pl_exec_event& ev = payload.fixed;

    EXPECT_EQ(ev.hdr.type, PL_EV_EXEC);
    EXPECT_EQ(ev.hdr.flags, PL_HDR_SNAPSHOT);
    EXPECT_EQ(ev.hdr.tgid, 42u);
    EXPECT_EQ(ev.hdr.tid, 42u);
    EXPECT_EQ(ev.hdr.ts_ns, 500 * ns_per_tick());
    EXPECT_EQ(ev.start_boottime_ns, 500 * ns_per_tick());
    EXPECT_EQ(ev.exec_id.start_ns, 500 * ns_per_tick());
    EXPECT_EQ(ev.exec_id.pid, 42u);
    EXPECT_EQ(ev.parent_exec_id.start_ns, 1 * ns_per_tick());
    EXPECT_EQ(ev.parent_exec_id.pid, 1u);
    EXPECT_EQ(ev.ppid, 1u);
    EXPECT_EQ(ev.tty, 34816u);
    EXPECT_STREQ(ev.comm, "a) S 9 (b");

    EXPECT_EQ(ev.creds.uid, 1000u);
    EXPECT_EQ(ev.creds.euid, 0u);
    EXPECT_EQ(ev.creds.suid, 0u);
    EXPECT_EQ(ev.creds.gid, 0u);
    EXPECT_EQ(ev.creds.loginuid, 1000u);
    EXPECT_EQ(ev.creds.cap_effective, 0xa80425fbu);
    EXPECT_EQ(ev.creds.cap_permitted, 0x1ffffffffffu);
    EXPECT_EQ(ev.sessionid, 3u);
    EXPECT_EQ(ev.ns.pid, 4026531836u);
    EXPECT_EQ(ev.ns.mnt, 4026531841u);
    EXPECT_EQ(ev.ns.net, 4026531840u);
    EXPECT_EQ(ev.ns.user, 4026531837u);
    EXPECT_EQ(ev.ns.uts, 4026531838u);
    EXPECT_EQ(ev.ns.ipc, 4026531839u);
    EXPECT_EQ(ev.ns.cgroup, 4026531835u);
    EXPECT_EQ(ev.cgroup_id, inode(cgroup_dir));

    EXPECT_EQ(payload.path, with_nul("/tmp/payload"));
    EXPECT_EQ(payload.filename, payload.path);
    EXPECT_EQ(payload.cwd, with_nul("/tmp"));
    EXPECT_EQ(payload.cgroup, with_nul("/system.slice/app.service")) << "no v1 controller: the unified hierarchy";
    EXPECT_EQ(ev.flags, PL_EXEC_DELETED | PL_EXEC_SETUID | PL_EXEC_ARGV_TRUNCATED);

    // argv: the first PL_ARGV_MAX - 1 bytes of cmdline plus a NUL.
    ASSERT_EQ(payload.argv.size(), std::size_t{PL_ARGV_MAX});
    EXPECT_EQ(payload.argv, with_nul("payload") + std::string(PL_ARGV_MAX - 1 - 8, 'x') + '\0');
}

// With v1 controllers mounted the path comes from the chosen one, bounded as
// the kernel bounds it.
TEST_F(ProcSnapshotFakeTest, CgroupPathComesFromTheChosenHierarchy) {
    proc.write("cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t7\t1\nmemory\t4\t78\t1\n");
    const std::string id(64, 'a');
    proc.add({.pid = 50, .ppid = 1, .comm = "sleep", .starttime = 700, .exe = "/bin/sleep",
              .cgroup = "4:memory:/libpod_parent/libpod-" + id + "\n0::/other\n"});
    std::string deep;
    for (int level = 0; level < PL_CGROUP_DEPTH + 2; ++level) deep += "/l" + std::to_string(level);
    proc.add({.pid = 51, .ppid = 1, .comm = "deep", .starttime = 700, .exe = "/bin/true",
              .cgroup = "4:memory:" + deep + "\n"});
    const auto processes = by_pid(snapshot_processes(proc.proc()));
    EXPECT_EQ(processes.at(50).cgroup, with_nul("/libpod_parent/libpod-" + id));
    EXPECT_EQ(processes.at(50).fixed.flags & PL_EXEC_CGROUP_TRUNCATED, 0u);
    EXPECT_EQ(processes.at(51).cgroup, with_nul("/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13"));
    EXPECT_TRUE(processes.at(51).fixed.flags & PL_EXEC_CGROUP_TRUNCATED);
    EXPECT_EQ(processes.at(1).fixed.cgroup_len, 0) << "no memory line: no path";
}

TEST_F(ProcSnapshotFakeTest, MemfdAndKernelThreads) {
    const auto processes = by_pid(snapshot_processes(proc.proc()));

    const RawExec& memfd = processes.at(7);
    EXPECT_EQ(memfd.fixed.flags, PL_EXEC_DELETED | PL_EXEC_MEMFD);
    EXPECT_EQ(memfd.path, with_nul("/memfd:evil"));
    EXPECT_EQ(memfd.argv, with_nul("evil") + with_nul("-c") + '\0');
    EXPECT_EQ(memfd.fixed.parent_exec_id.pid, 42u);
    EXPECT_EQ(memfd.fixed.parent_exec_id.start_ns, 500 * ns_per_tick());
    EXPECT_EQ(memfd.fixed.cgroup_id, inode(proc.root() / "cg root"));  // "0::/": the hierarchy's root

    const RawExec& kthread = processes.at(2);
    EXPECT_EQ(kthread.fixed.path_len, 0);
    EXPECT_EQ(kthread.fixed.filename_len, 0);
    EXPECT_EQ(kthread.fixed.argv_len, 0);
    EXPECT_EQ(kthread.fixed.flags, 0u);
    EXPECT_STREQ(kthread.fixed.comm, "kthreadd");
    EXPECT_EQ(kthread.fixed.parent_exec_id.pid, 0u);
    EXPECT_EQ(kthread.fixed.parent_exec_id.start_ns, 0u);

    const RawExec& init = processes.at(1);
    EXPECT_EQ(init.argv, with_nul("/sbin/init") + with_nul("splash") + '\0');
    EXPECT_EQ(init.fixed.flags, 0u);
}

TEST_F(ProcSnapshotFakeTest, RecordsDecodeIntoTheCache) {
    ProcessCache cache;
    for (const Record& record : snapshot_processes(proc.proc())) {
        DecodeError err;
        const auto event = decode_record(record, &err);
        ASSERT_TRUE(event) << err.message;
        cache.apply(*event);
        cache.settle(*event);
    }
    const Process* evil = cache.find_pid(7);
    ASSERT_NE(evil, nullptr);
    EXPECT_EQ(evil->exe, "/memfd:evil");
    EXPECT_EQ(evil->argv, (std::vector<std::string>{"evil", "-c"}));
    const auto ancestors = cache.ancestors(*evil);
    ASSERT_EQ(ancestors.size(), 2u);
    EXPECT_EQ(ancestors[0]->pid, 42u);
    EXPECT_EQ(ancestors[1]->pid, 1u);
}

TEST(ProcSnapshot, MissingProcRootGivesNothing) {
    EXPECT_TRUE(snapshot_processes("/nonexistent/palisade-proc").empty());
}

std::string read_link(const std::string& path) {
    std::error_code ec;
    return fs::read_symlink(path, ec).string();
}

TEST(ProcSnapshot, RealProcHasThisProcessAndItsLineage) {
    const auto records = snapshot_processes();
    expect_parents_first(records);
    const auto processes = by_pid(records);

    ASSERT_TRUE(processes.contains(::getpid()));
    const RawExec& self = processes.at(::getpid());
    EXPECT_EQ(self.path, with_nul(read_link("/proc/self/exe")));
    EXPECT_EQ(self.fixed.ppid, static_cast<std::uint32_t>(::getppid()));
    EXPECT_EQ(self.fixed.creds.uid, ::getuid());
    EXPECT_EQ(self.fixed.creds.euid, ::geteuid());

    ASSERT_TRUE(processes.contains(::getppid()));
    const pl_exec_id& parent_id = processes.at(::getppid()).fixed.exec_id;
    EXPECT_NE(self.fixed.parent_exec_id.start_ns, 0u);
    EXPECT_EQ(self.fixed.parent_exec_id.start_ns, parent_id.start_ns);
    EXPECT_EQ(self.fixed.parent_exec_id.pid, parent_id.pid);
}

TEST(ProcSnapshot, RealProcRecordsDecodeAndSeedTheCache) {
    const auto records = snapshot_processes();
    ASSERT_FALSE(records.empty());

    ProcessCache cache;
    for (const Record& record : records) {
        const RawExec raw = split_record(record);
        DecodeError err;
        const auto event = decode_record(record, &err);
        ASSERT_TRUE(event) << "pid " << raw.fixed.hdr.tgid << ": " << err.message;
        EXPECT_EQ(event->type, EventType::Exec);
        EXPECT_TRUE(event->snapshot());
        EXPECT_EQ(event->tgid, raw.fixed.hdr.tgid);
        const auto& exec = event->as<ExecData>();
        EXPECT_EQ(exec.exec_id, (ExecId{raw.fixed.exec_id.start_ns, raw.fixed.exec_id.pid}));
        EXPECT_EQ(exec.parent_exec_id, (ExecId{raw.fixed.parent_exec_id.start_ns, raw.fixed.parent_exec_id.pid}));
        EXPECT_EQ(exec.comm, std::string(raw.fixed.comm));
        EXPECT_EQ(with_nul(exec.path), raw.fixed.path_len ? raw.path : with_nul(""));
        EXPECT_EQ(with_nul(exec.cwd), raw.fixed.cwd_len ? raw.cwd : with_nul(""));
        cache.apply(*event);
        cache.settle(*event);
    }

    const Process* self = cache.find_pid(::getpid());
    ASSERT_NE(self, nullptr);
    EXPECT_EQ(self->exe, read_link("/proc/self/exe"));
    const auto ancestors = cache.ancestors(*self);
    ASSERT_FALSE(ancestors.empty());
    EXPECT_EQ(ancestors.front()->pid, static_cast<std::uint32_t>(::getppid()));
    EXPECT_EQ(ancestors.back()->pid, 1u);
    EXPECT_EQ(cache.evictions(), 0u);
}

}  // namespace
}  // namespace palisade
