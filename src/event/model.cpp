#include "event/model.h"

#include <fmt/format.h>

namespace palisade {

std::string ExecId::str() const { return fmt::format("{}:{}", pid, start_ns); }

const char* event_type_name(EventType type)
{
    switch (type) {
    case EventType::Exec: return "exec";
    case EventType::Fork: return "fork";
    case EventType::Exit: return "exit";
    case EventType::Open: return "open";
    case EventType::FileOp: return "file";
    case EventType::Net: return "net";
    case EventType::Syscall: return "syscall";
    case EventType::Policy: return "policy";
    }
    return "unknown";
}

}  // namespace palisade
