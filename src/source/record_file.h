// Recordings of raw ABI records, for replay and for test fixtures.
// Format: "PLSDREC1", u32 ABI version, u32 reserved; then per record a u32
// length followed by the record bytes exactly as the kernel wrote them.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "source/record_source.h"

namespace palisade {

class RecordWriter {
public:
    // Returns nullptr and fills `error` when the file cannot be created.
    static std::unique_ptr<RecordWriter> create(const std::string& path, std::string* error);
    ~RecordWriter();
    bool write(std::span<const std::uint8_t> record);

private:
    explicit RecordWriter(std::FILE* file) : file_(file) {}
    std::FILE* file_;
};

class FileRecordSource final : public RecordSource {
public:
    // Returns nullptr and fills `error` (naming the file and the cause) when
    // the file is missing, not a recording, or from another ABI version.
    static std::unique_ptr<FileRecordSource> open(const std::string& path, std::string* error);
    ~FileRecordSource() override;
    int poll(int timeout_ms, const RecordHandler& handle) override;
    bool exhausted() const override { return done_; }
    // Set when the file ended inside a record: what was whole was delivered.
    const std::string& truncation() const { return truncation_; }

private:
    FileRecordSource(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
    std::FILE* file_;
    std::string path_;
    bool done_ = false;
    std::string truncation_;
};

}  // namespace palisade
