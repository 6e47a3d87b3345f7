#include "output/format.h"

#include <sys/socket.h>
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

// A kprobe's policy event with an skb, a cred and a capability set: the record
// as the kernel lays it out, decoded and shown as Tetragon's process_kprobe args.
TEST_F(FormatTest, PolicyEventShowsKernelStructArguments)
{
    RecordBuilder<pl_policy_event> b(PL_EV_POLICY);
    b.fixed.hdr.tgid = b.fixed.hdr.tid = 200;
    b.fixed.hook = PL_HOOK_KPROBE_FIRST;
    b.fixed.args[2] = 0x200001;  // cap_effective: CAP_CHOWN, CAP_SYS_ADMIN
    b.fixed.args[3] = static_cast<std::uint32_t>(-5);
    b.fixed.family = AF_INET;
    b.fixed.str_len = b.tail("lo");
    pl_pol_kernel_args k{};
    k.present = PL_KARG_SKB | PL_KARG_CRED;
    k.skb = {.hash = 7, .len = 60, .priority = 0, .mark = 3, .family = AF_INET, .protocol = 17, .sport = 40000,
             .dport = 53, .saddr = {}, .daddr = {}};
    const std::uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    std::memcpy(k.skb.saddr, v4, 16);
    std::memcpy(k.skb.daddr, v4, 16);
    k.skb.daddr[15] = 53;
    k.cred.uid = 1000;
    k.cred.euid = 0;
    k.cred.securebits = 1;
    k.cred.cap_effective = 1ULL << 21;
    k.cred.user_ns_level = 0;
    k.cred.user_ns_inum = 4026531837;
    b.fixed.kargs_len = b.tail(std::string(reinterpret_cast<const char*>(&k), sizeof(k))) - 1;
    auto bytes = b.bytes();
    bytes.pop_back();  // tail() adds a NUL a struct does not have
    reinterpret_cast<pl_event_header*>(bytes.data())->size = bytes.size();
    auto ev = decode_record(bytes);
    ASSERT_TRUE(ev);
    auto& d = std::get<PolicyData>(ev->data);
    ASSERT_TRUE(d.skb);
    EXPECT_EQ(d.skb->daddr, "127.0.0.53");
    ASSERT_TRUE(d.cred);
    d.arg_views = {{.index = 2, .slot = 2, .type = "skb", .label = "datagram", .read = true},
                   {.index = 0, .slot = -1, .type = "cred", .label = "", .read = true},
                   {.index = 2, .slot = 2, .type = "cap_effective", .label = "", .read = true},
                   {.index = 1, .slot = -1, .type = "net_device", .label = "", .read = true},
                   {.index = 3, .slot = 3, .type = "int", .label = "", .read = true},
                   {.index = 1, .slot = -1, .type = "sock", .label = "", .read = false}};
    fmt::memory_buffer out;
    formatter_.json(*ev, cache_, out);
    auto j = nlohmann::json::parse(std::string_view(out.data(), out.size()));
    const auto& args = j["policy"]["hook_args"];
    ASSERT_EQ(args.size(), 6u) << j.dump();
    EXPECT_EQ(args[0]["label"], "datagram");
    EXPECT_EQ(args[0]["skb_arg"]["daddr"], "127.0.0.53");
    EXPECT_EQ(args[0]["skb_arg"]["saddr"], "127.0.0.1");
    EXPECT_EQ(args[0]["skb_arg"]["dport"], 53);
    EXPECT_EQ(args[0]["skb_arg"]["sport"], 40000);
    EXPECT_EQ(args[0]["skb_arg"]["protocol"], "IPPROTO_UDP");
    EXPECT_EQ(args[0]["skb_arg"]["family"], "AF_INET");
    EXPECT_EQ(args[0]["skb_arg"]["len"], 60);
    EXPECT_EQ(args[0]["skb_arg"]["mark"], 3);
    const auto& cred = args[1]["process_credentials_arg"];
    EXPECT_EQ(cred["uid"], 1000);
    EXPECT_EQ(cred["euid"], 0);
    EXPECT_EQ(cred["caps"]["effective"], (std::vector<std::string>{"CAP_SYS_ADMIN"}));
    EXPECT_EQ(cred["securebits"], (std::vector<std::string>{"SecBitNoRoot"}));
    EXPECT_EQ(cred["user_ns"]["ns"]["inum"], 4026531837u);
    EXPECT_EQ(cred["user_ns"]["ns"]["is_host"], true);
    EXPECT_EQ(args[2]["cap_effective_arg"], "0000000000200001");
    EXPECT_EQ(args[2]["caps"], (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
    EXPECT_EQ(args[3]["net_dev_arg"]["name"], "lo");
    EXPECT_EQ(args[4]["int_arg"], -5);
    EXPECT_EQ(args[5]["read"], false);
    EXPECT_EQ(args[5]["type"], "sock");
    // A record whose struct is cut short is refused, not read past its end.
    bytes.resize(bytes.size() - 8);
    reinterpret_cast<pl_event_header*>(bytes.data())->size = bytes.size();
    EXPECT_FALSE(decode_record(bytes));
}

TEST(Rfc3339, FormatsNanosecondsInUtc)
{
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    EXPECT_EQ(format_rfc3339(1'795'291'200'123'456'789), "2026-11-21T20:00:00.123456789Z");
}

}  // namespace
}  // namespace palisade
