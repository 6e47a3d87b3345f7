#include "source/record_file.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "palisade/abi.h"

namespace palisade {
namespace {

constexpr char kMagic[8] = {'P', 'L', 'S', 'D', 'R', 'E', 'C', '1'};

struct FileHeader {
    char magic[8];
    std::uint32_t abi_version;
    std::uint32_t reserved;
};

}  // namespace

std::unique_ptr<RecordWriter> RecordWriter::create(const std::string& path, std::string* error)
{
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) {
        *error = fmt::format("{}: cannot create recording: {}", path, std::strerror(errno));
        return nullptr;
    }
    FileHeader header{};
    std::memcpy(header.magic, kMagic, sizeof(kMagic));
    header.abi_version = PL_ABI_VERSION;
    std::fwrite(&header, sizeof(header), 1, file);
    return std::unique_ptr<RecordWriter>(new RecordWriter(file));
}

RecordWriter::~RecordWriter() { std::fclose(file_); }

bool RecordWriter::write(std::span<const std::uint8_t> record)
{
    const auto len = static_cast<std::uint32_t>(record.size());
    return std::fwrite(&len, sizeof(len), 1, file_) == 1 &&
           std::fwrite(record.data(), 1, record.size(), file_) == record.size();
}

std::unique_ptr<FileRecordSource> FileRecordSource::open(const std::string& path, std::string* error)
{
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) {
        *error = fmt::format("{}: cannot open recording: {}", path, std::strerror(errno));
        return nullptr;
    }
    FileHeader header{};
    if (std::fread(&header, sizeof(header), 1, file) != 1 ||
        std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) {
        std::fclose(file);
        *error = fmt::format("{}: not a Palisade recording (bad magic)", path);
        return nullptr;
    }
    if (header.abi_version != PL_ABI_VERSION) {
        std::fclose(file);
        *error = fmt::format("{}: recorded with ABI version {}, this build reads version {}", path,
                             header.abi_version, PL_ABI_VERSION);
        return nullptr;
    }
    return std::unique_ptr<FileRecordSource>(new FileRecordSource(file, path));
}

FileRecordSource::~FileRecordSource() { std::fclose(file_); }

int FileRecordSource::poll(int, const RecordHandler& handle)
{
    // A bounded batch per call so a long replay still lets the caller check
    // for signals between batches.
    constexpr int kBatch = 4096;
    std::vector<std::uint8_t> buf;
    int n = 0;
    while (!done_ && n < kBatch) {
        std::uint32_t len = 0;
        const std::size_t got = std::fread(&len, 1, sizeof(len), file_);
        if (got == 0) {
            done_ = true;
            break;
        }
        if (got != sizeof(len) || len > PL_EVENT_MAX) {
            truncation_ = fmt::format("{}: corrupt record length at offset {}", path_, std::ftell(file_));
            done_ = true;
            break;
        }
        buf.resize(len);
        if (std::fread(buf.data(), 1, len, file_) != len) {
            truncation_ = fmt::format("{}: file ends inside a record of {} bytes", path_, len);
            done_ = true;
            break;
        }
        handle(buf);
        ++n;
    }
    return n;
}

}  // namespace palisade
