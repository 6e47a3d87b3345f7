// palisade-workload: syscall-heavy micro workloads used by bench/run.sh to
// measure the overhead of the Palisade kernel sensor.
//
//   palisade-workload open N        openat(/tmp/palisade-bench.dat)+close, N times
//   palisade-workload forkexec N    fork + execve(/bin/true) + waitpid, N times
//   palisade-workload connect N     loopback TCP socket+connect+accept+close, N times
//   palisade-workload rate OPS SECS paced openat+close at OPS per second for SECS
//
// The timed subcommands print one line: "ns_per_op=<float> ops=<n>", open and
// connect also "cpu_ns_per_op=<float>": this process's CPU time (user + system,
// so the BPF programs its syscalls run are in it) per op, which other load on
// the host does not inflate the way it inflates wall-clock time.
// "rate" prints: "ops_per_sec=<float> ops=<n>".
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr const char* kBenchFile = "/tmp/palisade-bench.dat";

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "palisade-workload: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: palisade-workload open N\n"
               "       palisade-workload forkexec N\n"
               "       palisade-workload connect N\n"
               "       palisade-workload rate OPS_PER_SEC SECONDS\n");
  std::exit(2);
}

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t now_ns() { return clock_ns(CLOCK_MONOTONIC); }
int64_t cpu_ns() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

uint64_t parse_count(const char* s) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v == 0) {
    std::fprintf(stderr, "palisade-workload: bad number '%s'\n", s);
    std::exit(2);
  }
  return v;
}

// cpu_elapsed_ns < 0: not reported (forkexec, whose work is mostly in its children).
void report(int64_t elapsed_ns, uint64_t n, int64_t cpu_elapsed_ns = -1) {
  std::printf("ns_per_op=%.1f ops=%llu", double(elapsed_ns) / double(n), static_cast<unsigned long long>(n));
  if (cpu_elapsed_ns >= 0) std::printf(" cpu_ns_per_op=%.1f", double(cpu_elapsed_ns) / double(n));
  std::printf("\n");
}

// Warm-up: a small fraction of N, at least a handful, at most a few thousand.
uint64_t warmup_count(uint64_t n, uint64_t cap) {
  uint64_t w = n / 20;
  if (w < 10) w = 10;
  if (w > cap) w = cap;
  return w;
}

// ---- open ---------------------------------------------------------------------

void ensure_bench_file() {
  int fd = ::open(kBenchFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die("create /tmp/palisade-bench.dat");
  static const char data[] = "palisade benchmark file\n";
  if (::write(fd, data, sizeof data - 1) < 0) die("write bench file");
  ::close(fd);
}

inline void open_close_once() {
  int fd = ::openat(AT_FDCWD, kBenchFile, O_RDONLY);
  if (fd < 0) die("openat");
  ::close(fd);
}

int cmd_open(uint64_t n) {
  ensure_bench_file();
  for (uint64_t i = 0, w = warmup_count(n, 5000); i < w; ++i) open_close_once();
  int64_t c0 = cpu_ns(), t0 = now_ns();
  for (uint64_t i = 0; i < n; ++i) open_close_once();
  int64_t t1 = now_ns(), c1 = cpu_ns();
  report(t1 - t0, n, c1 - c0);
  return 0;
}

// ---- forkexec -------------------------------------------------------------------

void fork_exec_once() {
  static char arg0[] = "/bin/true";
  static char* const argv[] = {arg0, nullptr};
  static char* const envp[] = {nullptr};
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::execve("/bin/true", argv, envp);
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "palisade-workload: /bin/true failed (status %d)\n", status);
    std::exit(1);
  }
}

int cmd_forkexec(uint64_t n) {
  for (uint64_t i = 0, w = warmup_count(n, 100); i < w; ++i) fork_exec_once();
  int64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; ++i) fork_exec_once();
  int64_t t1 = now_ns();
  report(t1 - t0, n);
  return 0;
}

// ---- connect --------------------------------------------------------------------

struct Listener {
  int fd = -1;
  sockaddr_in addr{};
};

Listener make_listener() {
  Listener l;
  l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.fd < 0) die("socket (listener)");
  int one = 1;
  ::setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  l.addr.sin_family = AF_INET;
  l.addr.sin_port = 0;
  l.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l.fd, reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr) < 0) die("bind");
  if (::listen(l.fd, 128) < 0) die("listen");
  socklen_t len = sizeof l.addr;
  if (::getsockname(l.fd, reinterpret_cast<sockaddr*>(&l.addr), &len) < 0) die("getsockname");
  return l;
}

inline void connect_once(const Listener& l) {
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) die("socket");
  // Close with RST instead of FIN so tens of thousands of iterations do not
  // exhaust ephemeral ports with sockets sitting in TIME_WAIT.
  linger lg{1, 0};
  ::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (::connect(c, reinterpret_cast<const sockaddr*>(&l.addr), sizeof l.addr) < 0) die("connect");
  int a = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (a < 0) die("accept");
  ::close(c);
  ::close(a);
}

int cmd_connect(uint64_t n) {
  Listener l = make_listener();
  for (uint64_t i = 0, w = warmup_count(n, 1000); i < w; ++i) connect_once(l);
  int64_t c0 = cpu_ns(), t0 = now_ns();
  for (uint64_t i = 0; i < n; ++i) connect_once(l);
  int64_t t1 = now_ns(), c1 = cpu_ns();
  ::close(l.fd);
  report(t1 - t0, n, c1 - c0);
  return 0;
}

// ---- rate -----------------------------------------------------------------------

void sleep_until(int64_t deadline_ns) {
  timespec ts{};
  ts.tv_sec = deadline_ns / 1'000'000'000;
  ts.tv_nsec = deadline_ns % 1'000'000'000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

int cmd_rate(uint64_t ops_per_sec, uint64_t seconds) {
  ensure_bench_file();
  for (int i = 0; i < 1000; ++i) open_close_once();

  constexpr int64_t kSliceNs = 1'000'000;  // 1 ms
  const uint64_t total_slices = seconds * 1000;
  // Spread the per-second budget over 1000 slices without losing the remainder:
  // slice k ends with floor(ops*(k+1)/1000) ops done in total.
  uint64_t done = 0;
  const int64_t t0 = now_ns();
  for (uint64_t k = 0; k < total_slices; ++k) {
    const uint64_t target = ops_per_sec * (k + 1) / 1000;
    while (done < target) {
      open_close_once();
      ++done;
    }
    const int64_t next = t0 + int64_t(k + 1) * kSliceNs;
    if (now_ns() < next) sleep_until(next);
    // If we are behind schedule, the next slice simply starts immediately; the
    // achieved rate reported below shows whether the target was reachable.
  }
  const int64_t t1 = now_ns();
  const double secs = double(t1 - t0) / 1e9;
  std::printf("ops_per_sec=%.1f ops=%llu\n", double(done) / secs,
              static_cast<unsigned long long>(done));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage();
  std::string_view cmd = argv[1];
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (cmd == "open" && argc == 3) return cmd_open(parse_count(argv[2]));
  if (cmd == "forkexec" && argc == 3) return cmd_forkexec(parse_count(argv[2]));
  if (cmd == "connect" && argc == 3) return cmd_connect(parse_count(argv[2]));
  if (cmd == "rate" && argc == 4) return cmd_rate(parse_count(argv[2]), parse_count(argv[3]));
  usage();
}
