// Small real actions the end-to-end tests make the kernel see, each one a
// thing an attacker does: run a program from memory, attach with ptrace,
// put a socket behind stdout, reach the cloud metadata address.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/sdt.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int memfd_exec()
{
    int fd = memfd_create("palisade-e2e", MFD_CLOEXEC);
    int bin = open("/bin/true", O_RDONLY);
    char buf[65536];
    for (ssize_t n; (n = read(bin, buf, sizeof(buf))) > 0;)
        if (write(fd, buf, n) != n)
            return 1;
    char* const argv[] = {(char*)"fileless", nullptr};
    char* const envp[] = {nullptr};
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    return 126;
}

int ptrace_attach()
{
    pid_t target = fork();
    if (target == 0) {
        pause();
        _exit(0);
    }
    if (ptrace(PTRACE_ATTACH, target, nullptr, nullptr) == 0) {
        waitpid(target, nullptr, 0);
        ptrace(PTRACE_DETACH, target, nullptr, nullptr);
    }
    kill(target, SIGKILL);
    waitpid(target, nullptr, 0);
    return 0;
}

// connect() to ip:port without waiting for the outcome: the attempt is the event.
int connect_to(const char* ip, int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, ip, &addr.sin_addr);
    connect(s, (sockaddr*)&addr, sizeof(addr));
    close(s);
    return 0;
}

// A TCP connection to a local listener dup2'ed onto stdout, like `sh -i >& /dev/tcp/...`.
int socket_on_stdout()
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listener, (sockaddr*)&addr, sizeof(addr)) || listen(listener, 1) ||
        getsockname(listener, (sockaddr*)&addr, &len))
        return 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (sockaddr*)&addr, sizeof(addr)))
        return 2;
    dup2(s, 1);
    return 0;
}

}  // namespace

// A function for uprobe policies to attach to: kept out of line and visible
// by name in the symbol table.
extern "C" __attribute__((noinline, used)) int palisade_uprobe_target(int value)
{
    asm volatile("" ::: "memory");
    return value + 1;
}

namespace {

int call_uprobe_target(int value)
{
    std::printf("before %d\n", value);
    std::fflush(stdout);
    palisade_uprobe_target(value);
    std::printf("after %d\n", value);
    return 0;
}

// A USDT probe with two operands, as applications (and Tetragon's tests) carry them.
int fire_usdt(int value)
{
    std::printf("before %d\n", value);
    std::fflush(stdout);
    long twice = 2L * value;
    DTRACE_PROBE2(palisade, test_probe, value, twice);
    std::printf("after %d\n", value);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string action = argc > 1 ? argv[1] : "";
    if (action == "memfd-exec")
        return memfd_exec();
    if (action == "ptrace-attach")
        return ptrace_attach();
    if (action == "connect" && argc == 4)
        return connect_to(argv[2], std::atoi(argv[3]));
    if (action == "socket-on-stdout")
        return socket_on_stdout();
    if (action == "uprobe-target" && argc == 3)
        return call_uprobe_target(std::atoi(argv[2]));
    if (action == "usdt" && argc == 3)
        return fire_usdt(std::atoi(argv[2]));
    std::fprintf(stderr, "usage: palisade-test-actions memfd-exec|ptrace-attach|connect IP PORT|socket-on-stdout\n");
    return 2;
}
