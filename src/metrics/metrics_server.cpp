#include "metrics/metrics_server.h"

#include <httplib.h>

#include <fmt/format.h>

namespace palisade {

MetricsServer::MetricsServer() : server_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer()
{
    server_->stop();
    if (thread_.joinable())
        thread_.join();
}

std::unique_ptr<MetricsServer> MetricsServer::start(const std::string& address, std::string* error)
{
    const auto colon = address.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
        try {
            port = std::stoi(address.substr(colon + 1));
        } catch (...) {
        }
    }
    if (colon == std::string::npos || port < 0 || port > 65535) {
        *error = fmt::format("--metrics-addr '{}' is not HOST:PORT", address);
        return nullptr;
    }
    std::string host = address.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    std::unique_ptr<MetricsServer> self(new MetricsServer());
    MetricsServer* raw = self.get();
    self->server_->Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
        std::lock_guard lock(raw->mutex_);
        res.set_content(raw->exposition_, "text/plain; version=0.0.4");
    });
    self->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok\n", "text/plain");
    });
    self->port_ = port == 0 ? self->server_->bind_to_any_port(host.empty() ? "0.0.0.0" : host)
                            : (self->server_->bind_to_port(host.empty() ? "0.0.0.0" : host, port) ? port : -1);
    if (self->port_ < 0) {
        *error = fmt::format("cannot serve metrics on {}: the address is taken or not local", address);
        return nullptr;
    }
    self->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
    return self;
}

void MetricsServer::publish(std::string exposition)
{
    std::lock_guard lock(mutex_);
    exposition_ = std::move(exposition);
}

void append_metric(std::string& out, const char* name, const char* help, const char* type, double value,
                   const std::string& labels)
{
    // HELP and TYPE once per family: callers add the labelled samples of one
    // family one after another.
    if (out.find(fmt::format("# TYPE {} ", name)) == std::string::npos)
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    out += fmt::format("{}{}{}{} {}\n", name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", value);
}

}  // namespace palisade
