// Prometheus metrics and a health check over HTTP (cpp-httplib), served from
// a thread of its own. The agent's loop publishes a finished exposition text
// now and then; requests read the last one, so serving never touches the
// event path.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace palisade {

class MetricsServer {
public:
    // "HOST:PORT"; returns nullptr with the cause in `error` (bad address, port taken).
    static std::unique_ptr<MetricsServer> start(const std::string& address, std::string* error);
    ~MetricsServer();

    // Replaces what GET /metrics answers.
    void publish(std::string exposition);
    int port() const { return port_; }

private:
    MetricsServer();
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::mutex mutex_;
    std::string exposition_;
    int port_ = 0;
};

// One Prometheus text-format sample line builder: name{labels} value.
void append_metric(std::string& out, const char* name, const char* help, const char* type, double value,
                   const std::string& labels = {});

}  // namespace palisade
