// palisade-policy-reload-latency: time from a policy file change to its
// enforcement, against an agent already running with `-p DIR` in enforce mode.
//
//   palisade-policy-reload-latency DIR [TRIALS]
//
// Each trial writes into DIR a TracingPolicy that SIGKILLs execve of a private
// copy of /bin/echo, then fork+execs the copy until a run dies of SIGKILL
// ("add"); then it removes the file and runs the copy until one exits 0 again
// ("remove"). Printed, one line:
//   add_ms=<median> add_ms_max=<max> remove_ms=<median> remove_ms_max=<max>
//   add_ms_trials=a,b,... remove_ms_trials=a,b,...
// Exits 1 (a measurement error) when the agent does not react within 10 s or
// the copy fails to run.
//
// Times are from the rename that makes the file visible (or the unlink) to the
// start of the first attempt that shows the new state: attempts start about every 1.5 ms
// (the exec itself plus a 1 ms pause that leaves the agent its CPU on a small
// machine), which bounds the resolution. The agent checks its policy files
// every 500 ms, so a trial waits a random 0-500 ms after the previous one:
// the change then lands at a random point of that cycle and the median is
// the typical latency rather than one phase of it.
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// What die() and a normal exit remove: the policy file and the binary's copy.
std::vector<fs::path> g_remove;

void cleanup()
{
    std::error_code ec;
    for (const auto& p : g_remove)
        fs::remove_all(p, ec);
}

[[noreturn]] void die(const std::string& what)
{
    std::fprintf(stderr, "palisade-policy-reload-latency: %s\n", what.c_str());
    cleanup();
    std::exit(1);
}

double now_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

void sleep_ms(double ms)
{
    timespec ts{};
    ts.tv_sec = time_t(ms / 1e3);
    ts.tv_nsec = long((ms - double(ts.tv_sec) * 1e3) * 1e6);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

enum class Outcome { Ran, Killed };

// fork + execve(binary) with stdout to /dev/null; how the child ended.
Outcome run_once(const std::string& binary)
{
    pid_t pid = fork();
    if (pid < 0)
        die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execl(binary.c_str(), binary.c_str(), "palisade", nullptr);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die(std::string("waitpid: ") + std::strerror(errno));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return Outcome::Killed;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return Outcome::Ran;
    die("the test binary " + binary + " failed (status " + std::to_string(status) + ")");
}

// Attempts until one ends as `want`; ms from t0 to the start of that attempt.
double wait_for(const std::string& binary, Outcome want, double t0)
{
    for (;;) {
        const double start = now_ms();
        if (run_once(binary) == want)
            return start - t0;
        if (start - t0 > 10'000)
            die(std::string("no ") + (want == Outcome::Killed ? "enforcement" : "release") +
                " 10 s after the policy file changed: is an agent running with -p on this directory?");
        sleep_ms(1);
    }
}

std::string policy_text(const std::string& binary)
{
    return "apiVersion: cilium.io/v1alpha1\n"
           "kind: TracingPolicy\n"
           "metadata:\n"
           "  name: reload-latency\n"
           "spec:\n"
           "  kprobes:\n"
           "    - call: \"sys_execve\"\n"
           "      syscall: true\n"
           "      args:\n"
           "        - index: 0\n"
           "          type: \"string\"\n"
           "      selectors:\n"
           "        - matchArgs:\n"
           "            - index: 0\n"
           "              operator: \"Equal\"\n"
           "              values:\n"
           "                - \"" + binary + "\"\n"
           "          matchActions:\n"
           "            - action: Sigkill\n";
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string join(const std::vector<double>& v)
{
    std::string s;
    char buf[32];
    for (double x : v) {
        std::snprintf(buf, sizeof buf, "%s%.1f", s.empty() ? "" : ",", x);
        s += buf;
    }
    return s;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: palisade-policy-reload-latency POLICY_DIR [TRIALS]\n");
        return 2;
    }
    const fs::path dir = argv[1];
    const int trials = argc == 3 ? std::atoi(argv[2]) : 5;
    if (trials < 1)
        die("TRIALS must be a positive number");
    if (!fs::is_directory(dir))
        die(dir.string() + " is not a directory");

    // A private copy: the policy names its exact path, so nothing else is killed.
    char tmpl[] = "/tmp/palisade-reload-latency.XXXXXX";
    if (!mkdtemp(tmpl))
        die(std::string("mkdtemp: ") + std::strerror(errno));
    g_remove.push_back(tmpl);
    const std::string binary = std::string(tmpl) + "/victim";
    std::error_code ec;
    fs::copy_file("/bin/echo", binary, ec);
    if (ec)
        die("copy /bin/echo: " + ec.message());
    fs::permissions(binary, fs::perms::owner_all, ec);

    // The agent reads only *.yaml files, so the policy is written under another
    // name and renamed into place: the agent never sees half a file.
    const fs::path policy = dir / "palisade-reload-latency.yaml";
    const fs::path staging = dir / "palisade-reload-latency.yaml.tmp";
    g_remove.insert(g_remove.end(), {policy, staging});

    if (run_once(binary) != Outcome::Ran)
        die("the test binary is killed before any policy names it");

    std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<double> phase(0, 500);
    std::vector<double> add, remove;
    for (int t = 0; t < trials; ++t) {
        sleep_ms(phase(rng));
        std::ofstream out(staging);
        out << policy_text(binary);
        out.close();
        if (!out)
            die("cannot write " + staging.string());
        double t0 = now_ms();
        if (rename(staging.c_str(), policy.c_str()) != 0)
            die(std::string("rename: ") + std::strerror(errno));
        add.push_back(wait_for(binary, Outcome::Killed, t0));

        sleep_ms(phase(rng));
        t0 = now_ms();
        if (unlink(policy.c_str()) != 0)
            die(std::string("unlink: ") + std::strerror(errno));
        remove.push_back(wait_for(binary, Outcome::Ran, t0));
        std::fprintf(stderr, "[reload] trial %d: enforced after %.1f ms, released after %.1f ms\n", t + 1,
                     add.back(), remove.back());
    }
    cleanup();
    std::printf("add_ms=%.1f add_ms_max=%.1f remove_ms=%.1f remove_ms_max=%.1f add_ms_trials=%s remove_ms_trials=%s\n",
                median(add), *std::max_element(add.begin(), add.end()), median(remove),
                *std::max_element(remove.begin(), remove.end()), join(add).c_str(), join(remove).c_str());
    return 0;
}
