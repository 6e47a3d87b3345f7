#include "source/record_file.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "palisade/abi.h"

namespace palisade {
namespace {

std::string temp_file(const char* name) { return "/tmp/palisade-unit-" + std::to_string(getpid()) + name; }

std::vector<std::vector<std::uint8_t>> read_all(RecordSource& source)
{
    std::vector<std::vector<std::uint8_t>> out;
    while (!source.exhausted())
        source.poll(0, [&](std::span<const std::uint8_t> r) { out.emplace_back(r.begin(), r.end()); });
    return out;
}

TEST(RecordFile, RoundTripsRecordsInOrder)
{
    const auto path = temp_file("rt.plr");
    std::string error;
    const std::vector<std::vector<std::uint8_t>> records = {{1, 2, 3}, {}, std::vector<std::uint8_t>(5000, 7)};
    {
        auto writer = RecordWriter::create(path, &error);
        ASSERT_TRUE(writer) << error;
        for (const auto& r : records)
            ASSERT_TRUE(writer->write(r));
    }
    auto source = FileRecordSource::open(path, &error);
    ASSERT_TRUE(source) << error;
    EXPECT_EQ(read_all(*source), records);
    EXPECT_TRUE(source->truncation().empty());
    unlink(path.c_str());
}

TEST(RecordFile, TruncatedFileKeepsWholeRecordsAndSaysWhere)
{
    const auto path = temp_file("trunc.plr");
    std::string error;
    {
        auto writer = RecordWriter::create(path, &error);
        writer->write(std::vector<std::uint8_t>(100, 1));
        writer->write(std::vector<std::uint8_t>(100, 2));
    }
    truncate(path.c_str(), 16 + 4 + 100 + 4 + 50);
    auto source = FileRecordSource::open(path, &error);
    ASSERT_TRUE(source) << error;
    EXPECT_EQ(read_all(*source).size(), 1u);
    EXPECT_NE(source->truncation().find("file ends inside a record of 100 bytes"), std::string::npos)
        << source->truncation();
    EXPECT_NE(source->truncation().find(path), std::string::npos);
    unlink(path.c_str());
}

TEST(RecordFile, RejectsWhatIsNotARecording)
{
    const auto path = temp_file("bad.plr");
    std::ofstream(path) << "not a recording at all";
    std::string error;
    EXPECT_FALSE(FileRecordSource::open(path, &error));
    EXPECT_EQ(error, path + ": not a Palisade recording (bad magic)");
    EXPECT_FALSE(FileRecordSource::open(temp_file("missing.plr"), &error));
    EXPECT_NE(error.find("No such file or directory"), std::string::npos);
    unlink(path.c_str());
}

TEST(MemoryRecordSource, DeliversQueuedRecordsOnce)
{
    MemoryRecordSource source;
    source.push({1});
    source.push({2});
    EXPECT_EQ(read_all(source), (std::vector<std::vector<std::uint8_t>>{{1}, {2}}));
    EXPECT_EQ(source.poll(0, [](auto) {}), 0);
}

}  // namespace
}  // namespace palisade
