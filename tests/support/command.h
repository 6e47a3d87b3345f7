// A shell command's exit status and its output (stdout and stderr), for the
// tests that drive podman, containerd's ctr and the like.
#pragma once

#include <cstdio>
#include <string>

namespace palisade::test {

struct Command {
    int status = -1;
    std::string output;
};

inline Command run(const std::string& command)
{
    Command result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return result;
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
        result.output.append(buf, n);
    result.status = pclose(pipe);
    return result;
}

}  // namespace palisade::test
