// Builds ABI records byte for byte as the kernel lays them out, for tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "palisade/abi.h"

namespace palisade::test {

template <class Fixed> class RecordBuilder {
public:
    explicit RecordBuilder(std::uint16_t type)
    {
        fixed.hdr.type = type;
        fixed.hdr.tgid = fixed.hdr.tid = 4242;
        fixed.hdr.ts_ns = 123456789;
    }
    // Appends a tail field; returns its stored length (NUL included).
    std::uint16_t tail(const std::string& value)
    {
        tail_.insert(tail_.end(), value.begin(), value.end());
        tail_.push_back('\0');
        return static_cast<std::uint16_t>(value.size() + 1);
    }
    std::vector<std::uint8_t> bytes()
    {
        fixed.hdr.size = sizeof(Fixed) + tail_.size();
        std::vector<std::uint8_t> out(sizeof(Fixed));
        std::memcpy(out.data(), &fixed, sizeof(Fixed));
        out.insert(out.end(), tail_.begin(), tail_.end());
        return out;
    }
    Fixed fixed{};

private:
    std::vector<std::uint8_t> tail_;
};

}  // namespace palisade::test
