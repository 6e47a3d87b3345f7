// Where raw ABI records come from. The agent reads the live ring buffer;
// replay reads a recording; tests hand records in directly. Everything
// downstream (decoder, process cache, outputs) cannot tell them apart.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <vector>

namespace palisade {

using RecordHandler = std::function<void(std::span<const std::uint8_t>)>;

class RecordSource {
public:
    virtual ~RecordSource() = default;
    // Hands every record available within timeout_ms to `handle`, in order.
    // Returns how many were handed over, or -errno.
    virtual int poll(int timeout_ms, const RecordHandler& handle) = 0;
    // True once a finite source has nothing more to give.
    virtual bool exhausted() const { return false; }
};

// Records queued in memory: for tests, and for the /proc snapshot at start.
class MemoryRecordSource final : public RecordSource {
public:
    void push(std::vector<std::uint8_t> record) { records_.push_back(std::move(record)); }
    int poll(int, const RecordHandler& handle) override
    {
        int n = 0;
        for (; !records_.empty(); ++n) {
            handle(records_.front());
            records_.pop_front();
        }
        return n;
    }
    bool exhausted() const override { return records_.empty(); }

private:
    std::deque<std::vector<std::uint8_t>> records_;
};

}  // namespace palisade
