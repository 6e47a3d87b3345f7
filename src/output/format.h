// Event output: one JSON object per line, or a readable one-line text form,
// each naming the process and its lineage from the process cache.
#pragma once

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "event/model.h"
#include "proc/process_cache.h"

namespace palisade {

enum class OutputFormat { Json, Text, Null };

// Converts CLOCK_BOOTTIME stamps to wall-clock time with one offset taken
// when constructed (the boot clock keeps counting across suspend).
class EventFormatter {
public:
    EventFormatter();
    // For tests and replays: a fixed offset.
    explicit EventFormatter(std::int64_t boot_to_realtime_ns) : boot_to_realtime_ns_(boot_to_realtime_ns) {}

    // Appends the event (no trailing newline) to `out`.
    void json(const Event& event, const ProcessCache& cache, fmt::memory_buffer& out) const;
    void text(const Event& event, const ProcessCache& cache, fmt::memory_buffer& out) const;

    std::int64_t wall_ns(std::uint64_t boot_ns) const { return static_cast<std::int64_t>(boot_ns) + boot_to_realtime_ns_; }

private:
    std::int64_t boot_to_realtime_ns_;
};

// RFC 3339 with nanoseconds, UTC: "2026-11-21T20:09:23.123456789Z".
std::string format_rfc3339(std::int64_t wall_ns);

// Names for flag words and enums used by both forms.
std::string_view net_op_name(std::uint16_t op);
std::string_view family_name(std::uint16_t family);
const char* policy_action_name(std::uint8_t action);  // pl_pol_action

}  // namespace palisade
