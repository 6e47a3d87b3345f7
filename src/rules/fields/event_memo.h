// Work several extractors of one event share, done once per event: the fd
// the event acts on (describe_fd) and its endpoint addresses parsed into
// bytes. The engine owns one memo, resets it for every event it matches and
// passes it in EvalContext::memo; without a memo (alert rendering, tests)
// each extractor computes what it needs itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "rules/fields/fd_view.h"
#include "rules/fields/field.h"

namespace palisade::rules::fields {

struct EventMemo {
    bool fd_ready = false;
    FdView fd;
    // Addresses parsed this event, keyed by the text they came from (the two
    // ends of a socket at most).
    struct ParsedAddress {
        const char* text = nullptr;
        std::size_t size = 0;
        bool ok = false;
        std::uint8_t ip[16] = {};
    };
    ParsedAddress addresses[2];

    void reset() {
        fd_ready = false;
        addresses[0].text = addresses[1].text = nullptr;
    }
};

// The event's fd view: from the memo when there is one, else described into
// a per-thread scratch view (valid until the next call on this thread).
const FdView& fd_of(const EvalContext& ctx);

// parse_ip(), remembered in the memo for the rest of the event.
bool parse_ip_once(const EvalContext& ctx, std::string_view text, std::uint8_t (&ip)[16]);

}  // namespace palisade::rules::fields
