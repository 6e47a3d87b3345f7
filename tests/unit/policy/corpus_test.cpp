// Every TracingPolicy of Tetragon's examples (the shared corpus) parses.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/parser.h"

namespace palisade::policy {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(PALISADE_CORPUS_DIR) + "/tetragon-policies";

std::vector<std::string> corpus_files()
{
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(kCorpus))
        if (entry.is_regular_file() && (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml"))
            files.push_back(entry.path().string());
    std::ranges::sort(files);
    return files;
}

TEST(PolicyCorpus, EveryTetragonExampleParses)
{
    std::vector<std::string> files = corpus_files();
    ASSERT_FALSE(files.empty()) << "no corpus under " << kCorpus;
    std::size_t policies = 0, hooks = 0, warnings = 0;
    for (const std::string& file : files) {
        ParseResult result = parse_policy_file(file);
        for (const auto& error : result.errors)
            ADD_FAILURE() << error.render();
        for (const auto& warning : result.warnings)
            std::cout << warning.render() << "\n";
        EXPECT_FALSE(result.policies.empty()) << file;
        policies += result.policies.size();
        warnings += result.warnings.size();
        for (const Policy& policy : result.policies)
            hooks += policy.hooks.size();
    }
    std::cout << "[ corpus   ] " << files.size() << " files, " << policies << " policies, " << hooks << " hooks, "
              << warnings << " warnings, 0 errors\n";
}

}  // namespace
}  // namespace palisade::policy
