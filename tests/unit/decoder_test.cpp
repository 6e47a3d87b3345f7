#include "event/decoder.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include "event/syscalls.h"
#include "record_builder.h"

namespace palisade {
namespace {

using test::RecordBuilder;

std::vector<std::uint8_t> exec_record()
{
    RecordBuilder<pl_exec_event> b(PL_EV_EXEC);
    b.fixed.exec_id = {1000, 4242, 0};
    b.fixed.parent_exec_id = {900, 1, 0};
    b.fixed.ppid = 1;
    b.fixed.flags = PL_EXEC_MEMFD;
    b.fixed.creds.uid = 1000;
    b.fixed.creds.euid = 0;
    b.fixed.creds.cap_effective = 0x1ff;
    b.fixed.ns.mnt = 4026531841;
    std::strcpy(b.fixed.comm, "bash");
    b.fixed.filename_len = b.tail("/bin/bash");
    b.fixed.path_len = b.tail("/usr/bin/bash");
    // argv is NUL-separated and the kernel adds one more NUL.
    std::string argv("bash\0-c\0\0echo hi", 17);
    b.fixed.argv_len = b.tail(argv);
    b.fixed.cwd_len = b.tail("/root");
    b.fixed.cgroup_len = b.tail("/docker/abc");
    return b.bytes();
}

TEST(Decoder, ExecRecordDecodesEveryField)
{
    auto ev = decode_record(exec_record());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->type, EventType::Exec);
    EXPECT_EQ(ev->tgid, 4242u);
    EXPECT_EQ(ev->ts_ns, 123456789u);
    const auto& d = ev->as<ExecData>();
    EXPECT_EQ(d.exec_id, (ExecId{1000, 4242}));
    EXPECT_EQ(d.parent_exec_id, (ExecId{900, 1}));
    EXPECT_EQ(d.exec_id.str(), "4242:1000");
    EXPECT_EQ(d.comm, "bash");
    EXPECT_EQ(d.filename, "/bin/bash");
    EXPECT_EQ(d.path, "/usr/bin/bash");
    EXPECT_EQ(d.argv, (std::vector<std::string>{"bash", "-c", "", "echo hi"})) << "empty arguments survive";
    EXPECT_EQ(d.cwd, "/root");
    EXPECT_EQ(d.cgroup, "/docker/abc");
    EXPECT_EQ(d.creds.uid, 1000u);
    EXPECT_EQ(d.creds.cap_effective, 0x1ffu);
    EXPECT_EQ(d.ns.mnt, 4026531841u);
    EXPECT_TRUE(d.flags & PL_EXEC_MEMFD);
}

TEST(Decoder, TruncatedRecordsAreRefusedWithTheReason)
{
    auto record = exec_record();
    DecodeError err;
    // Cut inside the tail: the header still claims the full size.
    auto cut = std::span<const std::uint8_t>(record).first(record.size() - 3);
    EXPECT_FALSE(decode_record(cut, &err));
    EXPECT_NE(err.message.find("truncated exec record"), std::string::npos) << err.message;

    EXPECT_FALSE(decode_record(std::span<const std::uint8_t>(record).first(10), &err));
    EXPECT_NE(err.message.find("shorter than its header"), std::string::npos) << err.message;

    // A header that lies about its tail lengths.
    auto lying = record;
    reinterpret_cast<pl_exec_event*>(lying.data())->cwd_len = 9000;
    EXPECT_FALSE(decode_record(lying, &err));
    EXPECT_NE(err.message.find("overrun"), std::string::npos) << err.message;

    auto unknown = record;
    reinterpret_cast<pl_event_header*>(unknown.data())->type = 99;
    EXPECT_FALSE(decode_record(unknown, &err));
    EXPECT_EQ(err.message, "unknown event type 99");
}

TEST(Decoder, RelativeOpenIsJoinedToItsDirectory)
{
    RecordBuilder<pl_open_event> b(PL_EV_OPEN);
    b.fixed.syscall_nr = SYS_openat;
    b.fixed.ret = 3;
    b.fixed.path_len = b.tail("../etc/./shadow");
    b.fixed.dir_len = b.tail("/home/user");
    auto ev = decode_record(b.bytes());
    ASSERT_TRUE(ev);
    const auto& d = ev->as<OpenData>();
    EXPECT_EQ(d.raw_path, "../etc/./shadow");
    EXPECT_EQ(d.path, "/home/etc/shadow");
    EXPECT_EQ(syscall_name(d.syscall_nr), "openat");
}

TEST(Decoder, SymlinkResolvesTheLinkNotTheTarget)
{
    RecordBuilder<pl_file_op_event> b(PL_EV_FILE_OP);
    b.fixed.syscall_nr = SYS_symlinkat;
    b.fixed.path_len = b.tail("target/elsewhere");
    b.fixed.path2_len = b.tail("link");
    b.fixed.dir_len = b.tail("/srv");
    auto ev = decode_record(b.bytes());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->as<FileOpData>().path, "target/elsewhere") << "a symlink target is kept as written";
    EXPECT_EQ(ev->as<FileOpData>().path2, "/srv/link");
}

TEST(Decoder, MemfdNameIsNotTreatedAsAPath)
{
    RecordBuilder<pl_file_op_event> b(PL_EV_FILE_OP);
    b.fixed.syscall_nr = SYS_memfd_create;
    b.fixed.path2_len = b.tail("payload");
    auto ev = decode_record(b.bytes());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->as<FileOpData>().path2, "payload");
}

TEST(Decoder, NetRecordFormatsAddresses)
{
    RecordBuilder<pl_net_event> b(PL_EV_NET);
    b.fixed.op = PL_NET_CONNECT;
    b.fixed.family = AF_INET6;
    b.fixed.remote_port = 443;
    b.fixed.remote_addr[15] = 1;  // ::1
    auto ev = decode_record(b.bytes());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->as<NetData>().remote_addr, "::1");
    EXPECT_EQ(ev->as<NetData>().remote_port, 443);

    RecordBuilder<pl_net_event> u(PL_EV_NET);
    u.fixed.family = AF_UNIX;
    u.fixed.unix_path_len = u.tail("@abstract");
    auto unix_ev = decode_record(u.bytes());
    ASSERT_TRUE(unix_ev);
    EXPECT_EQ(unix_ev->as<NetData>().unix_path, "@abstract");
    EXPECT_EQ(unix_ev->as<NetData>().remote_addr, "");
}

TEST(Decoder, ExitStatusSplitsCodeAndSignal)
{
    RecordBuilder<pl_exit_event> b(PL_EV_EXIT);
    b.fixed.exit_code = (3 << 8);
    auto ev = decode_record(b.bytes());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->as<ExitData>().code(), 3);
    EXPECT_EQ(ev->as<ExitData>().signal(), 0);
    b.fixed.exit_code = 9;
    EXPECT_EQ(decode_record(b.bytes())->as<ExitData>().signal(), 9);
}

TEST(JoinPath, FoldsDotsLikeFalco)
{
    EXPECT_EQ(join_path("/a/b", "c"), "/a/b/c");
    EXPECT_EQ(join_path("/a/b", "../../../c"), "/c");
    EXPECT_EQ(join_path("/", "./x//y/"), "/x/y");
    EXPECT_EQ(join_path("/ignored", "/abs/./p"), "/abs/p");
    EXPECT_EQ(join_path("", "rel"), "rel");
    EXPECT_EQ(join_path("/a", ""), "");
}

TEST(SyscallTable, EveryWatchedSyscallHasAKindAndAGroup)
{
    for (const auto& sc : watched_syscalls()) {
        EXPECT_NE(sc.kind, PL_SC_NONE) << sc.name;
        EXPECT_LT(sc.nr, unsigned(PL_SYSCALL_MAX)) << sc.name;
        EXPECT_EQ(syscall_by_nr(sc.nr), &sc) << sc.name;
    }
    EXPECT_EQ(syscall_name(SYS_connect), "connect");
    EXPECT_EQ(syscall_name(SYS_read), "syscall_" + std::to_string(SYS_read));
}

}  // namespace
}  // namespace palisade
