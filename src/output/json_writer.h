// A small streaming JSON writer into a reusable buffer: the event path
// formats thousands of records a second and must not allocate per field.
#pragma once

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace palisade {

class JsonWriter {
public:
    explicit JsonWriter(fmt::memory_buffer& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    JsonWriter& key(std::string_view k)
    {
        separate();
        string_literal(k);
        out_.push_back(':');
        after_key_ = true;
        return *this;
    }
    void value(std::string_view s) { separate(); string_literal(s); }
    void value(const char* s) { value(std::string_view(s)); }
    void value(bool b) { separate(); append(b ? "true" : "false"); }
    template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>> void value(Int n)
    {
        separate();
        fmt::format_to(std::back_inserter(out_), "{}", n);
    }

    template <class T> void field(std::string_view k, const T& v) { key(k).value(v); }
    // A value that is already JSON text (a number, null, a nested object).
    void raw_value(std::string_view json) { separate(); append(json); }

private:
    void open(char c) { separate(); out_.push_back(c); first_ = true; }
    void close(char c) { out_.push_back(c); first_ = false; }
    void separate()
    {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_)
            out_.push_back(',');
        first_ = false;
    }
    void append(std::string_view s) { out_.append(s.data(), s.data() + s.size()); }
    void string_literal(std::string_view s)
    {
        out_.push_back('"');
        for (unsigned char c : s) {
            switch (c) {
            case '"': append("\\\""); break;
            case '\\': append("\\\\"); break;
            case '\n': append("\\n"); break;
            case '\r': append("\\r"); break;
            case '\t': append("\\t"); break;
            default:
                if (c < 0x20)
                    fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
                else
                    out_.push_back(static_cast<char>(c));
            }
        }
        out_.push_back('"');
    }

    fmt::memory_buffer& out_;
    bool first_ = true;
    bool after_key_ = false;
};

}  // namespace palisade
