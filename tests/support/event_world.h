// Builds events exactly as the kernel writes them, for a small process tree
// (init -> sshd -> bash) kept in a ProcessCache: for rule tests and the
// rules benchmark, which need realistic events without a kernel.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>
#include <string>
#include <vector>

#include "event/decoder.h"
#include "proc/process_cache.h"
#include "rules/engine/engine.h"
#include "unit/record_builder.h"

namespace palisade::test {

// A process image in the cache plus events it makes.
class World {
public:
    World()
    {
        exec(1, 0, "/sbin/init", {"init"});
        exec(100, 1, "/usr/sbin/sshd", {"sshd"});
        exec(200, 100, "/usr/bin/bash", {"bash"});
    }
    Event exec(std::uint32_t pid, std::uint32_t ppid, const std::string& path, std::vector<std::string> argv,
               std::uint32_t flags = 0)
    {
        RecordBuilder<pl_exec_event> b(PL_EV_EXEC);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.hdr.ts_ns = ++clock_;
        b.fixed.exec_id = {clock_, pid, 0};
        if (auto* parent = cache.find_pid(ppid))
            b.fixed.parent_exec_id = {parent->exec_id.start_ns, ppid, 0};
        b.fixed.ppid = ppid;
        b.fixed.flags = flags;
        const std::string comm = path.substr(path.rfind('/') + 1).substr(0, 15);
        std::memcpy(b.fixed.comm, comm.data(), comm.size());
        b.fixed.filename_len = b.tail(path);
        b.fixed.path_len = b.tail(path);
        std::string joined;
        for (const auto& a : argv)
            joined += a + std::string(1, '\0');
        b.fixed.argv_len = b.tail(joined);
        b.fixed.cwd_len = b.tail("/root");
        return feed(b.bytes());
    }
    Event open(std::uint32_t pid, const std::string& path, std::uint32_t flags, std::int64_t ret = 3)
    {
        RecordBuilder<pl_open_event> b(PL_EV_OPEN);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.hdr.ts_ns = ++clock_;
        b.fixed.syscall_nr = SYS_openat;
        b.fixed.dirfd = -100;
        b.fixed.flags = flags;
        b.fixed.ret = ret;
        b.fixed.path_len = b.tail(path);
        return feed(b.bytes());
    }
    Event connect(std::uint32_t pid, const std::uint8_t (&ip)[4], std::uint16_t port)
    {
        RecordBuilder<pl_net_event> b(PL_EV_NET);
        b.fixed.hdr.tgid = b.fixed.hdr.tid = pid;
        b.fixed.hdr.ts_ns = ++clock_;
        b.fixed.syscall_nr = SYS_connect;
        b.fixed.op = PL_NET_CONNECT;
        b.fixed.family = AF_INET;
        b.fixed.sock_type = SOCK_STREAM;
        b.fixed.protocol = IPPROTO_TCP;
        b.fixed.fd = 3;
        std::memcpy(b.fixed.remote_addr, ip, 4);
        b.fixed.remote_port = port;
        b.fixed.local_addr[0] = 10, b.fixed.local_addr[3] = 5;
        b.fixed.local_port = 40000;
        return feed(b.bytes());
    }
    std::vector<std::string> fired(rules::RuleEngine& engine, const Event& ev)
    {
        std::vector<rules::CompiledRule*> matched;
        engine.match({ev, cache, cache.find_pid(ev.tgid)}, matched);
        std::vector<std::string> names;
        for (auto* r : matched)
            names.push_back(r->name);
        return names;
    }

    ProcessCache cache;

private:
    Event feed(const std::vector<std::uint8_t>& record)
    {
        auto ev = decode_record(record);
        if (!ev)
            std::abort();  // the builder writes only valid records
        cache.apply(*ev);
        return *ev;
    }
    std::uint64_t clock_ = 1000;
};

}  // namespace palisade::test
