#include "output/format.h"

#include <sys/syscall.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "event/decoder.h"
#include "record_builder.h"

namespace palisade {
namespace {

using test::RecordBuilder;

Event exec_event(std::uint32_t pid, std::uint32_t ppid, ExecId id, ExecId parent, const std::string& path,
                 const std::string& argv)
{
    RecordBuilder<pl_exec_event> b(PL_EV_EXEC);
    b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
    b.fixed.hdr.ts_ns = 1'000'000'000;
    b.fixed.exec_id = {id.start_ns, id.pid, 0};
    b.fixed.parent_exec_id = {parent.start_ns, parent.pid, 0};
    b.fixed.ppid = ppid;
    b.fixed.creds.uid = 1000;
    std::strcpy(b.fixed.comm, "x");
    b.fixed.filename_len = b.tail(path);
    b.fixed.path_len = b.tail(path);
    b.fixed.argv_len = b.tail(argv);
    b.fixed.cwd_len = b.tail("/home/u");
    return *decode_record(b.bytes());
}

class FormatTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        for (const auto& ev : {init_, shell_})
            cache_.apply(ev), cache_.settle(ev);
    }
    // 1 s after boot is 2026-11-21T20:00:00Z with this offset.
    EventFormatter formatter_{1'795'291'200'000'000'000 - 1'000'000'000};
    ProcessCache cache_;
    Event init_ = exec_event(1, 0, {10, 1}, {}, "/sbin/init", "init");
    Event shell_ = exec_event(200, 1, {20, 200}, {10, 1}, "/usr/bin/bash", "bash");
};

TEST_F(FormatTest, JsonCarriesProcessParentAndLineage)
{
    Event ev = exec_event(300, 200, {30, 300}, {20, 200}, "/usr/bin/curl", std::string("curl\0-s\0http://x\"y", 19));
    cache_.apply(ev);
    fmt::memory_buffer out;
    formatter_.json(ev, cache_, out);
    auto j = nlohmann::json::parse(std::string_view(out.data(), out.size()));
    EXPECT_EQ(j["time"], "2026-11-21T20:00:00.000000000Z");
    EXPECT_EQ(j["type"], "exec");
    EXPECT_EQ(j["pid"], 300);
    EXPECT_EQ(j["process"]["exe"], "/usr/bin/curl");
    EXPECT_EQ(j["process"]["args"], (std::vector<std::string>{"curl", "-s", "http://x\"y"}));
    EXPECT_EQ(j["process"]["exec_id"], "300:30");
    EXPECT_EQ(j["parent"]["exe"], "/usr/bin/bash");
    EXPECT_EQ(j["parent"]["exec_id"], j["process"]["parent_exec_id"]);
    ASSERT_EQ(j["ancestors"].size(), 2u);
    EXPECT_EQ(j["ancestors"][1]["exe"], "/sbin/init");
    EXPECT_EQ(j["exec"]["creds"]["uid"], 1000);
    EXPECT_EQ(j["exec"]["flags"].size(), 0u);
}

TEST_F(FormatTest, JsonEscapesControlCharacters)
{
    RecordBuilder<pl_open_event> b(PL_EV_OPEN);
    b.fixed.hdr.tgid = 200;
    b.fixed.syscall_nr = SYS_openat;
    b.fixed.path_len = b.tail("/tmp/a\nb\x01");
    auto ev = *decode_record(b.bytes());
    fmt::memory_buffer out;
    formatter_.json(ev, cache_, out);
    const std::string line(out.data(), out.size());
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one event, one line";
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["open"]["path"], "/tmp/a\nb\x01");
    EXPECT_EQ(j["open"]["syscall"], "openat");
    EXPECT_EQ(j["process"]["exe"], "/usr/bin/bash");
}

TEST_F(FormatTest, TextIsOneLineWithTheEssentials)
{
    RecordBuilder<pl_net_event> b(PL_EV_NET);
    b.fixed.hdr.tgid = 200;
    b.fixed.op = PL_NET_CONNECT;
    b.fixed.family = 2;
    b.fixed.remote_port = 80;
    b.fixed.remote_addr[0] = 169, b.fixed.remote_addr[1] = 254, b.fixed.remote_addr[2] = 169,
    b.fixed.remote_addr[3] = 254;
    auto ev = *decode_record(b.bytes());
    fmt::memory_buffer out;
    formatter_.text(ev, cache_, out);
    const std::string line(out.data(), out.size());
    EXPECT_NE(line.find("net     pid=200 x uid=1000 ppid=1 connect inet 0.0.0.0:0 -> 169.254.169.254:80 ret=0"),
              std::string::npos)
        << line;
}

TEST(Rfc3339, FormatsNanosecondsInUtc)
{
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    EXPECT_EQ(format_rfc3339(1'795'291'200'123'456'789), "2026-11-21T20:00:00.123456789Z");
}

}  // namespace
}  // namespace palisade
