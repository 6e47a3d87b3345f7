// The policy parser: YAML errors, wrong types and how diagnostics render;
// files and directories; durations.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "unit/policy/policy_test_util.h"

namespace palisade::policy {
namespace {

using test::located;
using test::parse;
using test::rendered;
using Lines = std::vector<std::string>;
using test::kTracingHeader;

// ---------------------------------------------------------------------------
// YAML errors, wrong types, and how diagnostics render

TEST(PolicyDiagnostics, YamlSyntaxErrorIsOneLocatedError)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: TracingPolicy\n"
                               "metadata:\n"
                               "  name: x\n"
                               "    bad: 1\n");
    EXPECT_EQ(located(result.errors), Lines({"5:8: invalid YAML: illegal map value"}));
    EXPECT_EQ(result.errors[0].source_line, "    bad: 1");
    EXPECT_TRUE(result.policies.empty());
}

TEST(PolicyDiagnostics, WrongTypesNameTheExpectedType)
{
    std::string spec = std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: f\n";
    EXPECT_EQ(located(parse(spec + "    selectors: {matchArgs: []}\n").errors),
              Lines({"8:16: 'selectors' must be a sequence, not a mapping"}));
    EXPECT_EQ(located(parse(spec + "    args: [[0]]\n").errors),
              Lines({"8:12: an argument must be a mapping, not a sequence"}));
    EXPECT_EQ(located(parse(spec + "    syscall: maybe\n").errors),
              Lines({"8:14: 'syscall' must be true or false, not 'maybe'"}));
    EXPECT_EQ(located(parse(spec + "    args:\n    - index: -1\n").errors),
              Lines({"9:14: 'index' must be between 0 and 2147483647, not -1"}));
    EXPECT_EQ(located(parse(spec + "    args:\n    - index: 1.5\n").errors),
              Lines({"9:14: 'index' must be an integer, not '1.5'"}));
    EXPECT_EQ(located(parse(spec + "    message: {text: hi}\n").errors),
              Lines({"8:14: 'message' must be a string, not a mapping"}));
    EXPECT_EQ(located(parse(std::string(kTracingHeader) + "spec: [kprobes]\n").errors),
              Lines({"5:7: 'spec' must be a mapping, not a sequence"}));
}

TEST(PolicyDiagnostics, EmptyValueIsPlacedAtItsKey)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call:\n    syscall: false\n");
    EXPECT_EQ(located(result.errors), Lines({"7:5: 'call' must be a string, not empty"}));
}

TEST(PolicyDiagnostics, RenderShowsTheLineAndACaretUnderTheColumn)
{
    ParseResult result = parse("apiVersion: cilium.io/v1alpha1\n"
                               "kind: Foo\n"
                               "metadata: {name: test}\n"
                               "spec: {}\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].render(),
              "test.yaml:2:7: error: unknown kind 'Foo' for apiVersion cilium.io/v1alpha1; expected TracingPolicy or "
              "TracingPolicyNamespaced\n"
              "  kind: Foo\n"
              "        ^");
}

TEST(PolicyDiagnostics, RenderOfAWarningSaysWarning)
{
    ParseResult result = parse(std::string(kTracingHeader) + "spec:\n  kprobes:\n  - call: f\n    colour: red\n");
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0].render(), "test.yaml:8:5: warning: unknown key 'colour' in a kprobe (ignored)\n"
                                           "      colour: red\n"
                                           "      ^");
}

TEST(PolicyDiagnostics, RenderCopiesTabsAndLeavesOutWhatIsUnknown)
{
    PolicyDiagnostic tabbed{Location{"f.yaml", 3, 4}, "bad", "\t\tx: y"};
    EXPECT_EQ(tabbed.render(), "f.yaml:3:4: error: bad\n  \t\tx: y\n  \t\t ^");
    PolicyDiagnostic no_line{Location{"f.yaml", 3, 4}, "bad", ""};
    EXPECT_EQ(no_line.render(), "f.yaml:3:4: error: bad");
    PolicyDiagnostic no_position{Location{"f.yaml"}, "bad", "", PolicyDiagnostic::Severity::Warning};
    EXPECT_EQ(no_position.render(), "f.yaml: warning: bad");
}

TEST(PolicyDiagnostics, CrlfAndByteOrderMarkDoNotShiftPositions)
{
    ParseResult result = parse("\xEF\xBB\xBF"
                               "apiVersion: cilium.io/v1alpha1\r\n"
                               "kind: Foo\r\n"
                               "metadata: {name: test}\r\n"
                               "spec: {}\r\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.line, 2);
    EXPECT_EQ(result.errors[0].loc.column, 7);
    EXPECT_EQ(result.errors[0].source_line, "kind: Foo");
}

// ---------------------------------------------------------------------------
// Files and directories

class PolicyFiles : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ =
            std::filesystem::temp_directory_path() / ("palisade-policy-test-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& relative, const std::string& content)
    {
        std::filesystem::path path = dir_ / relative;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << content;
        return path.string();
    }

    static std::string policy_named(const std::string& name)
    {
        return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: " + name + "}\nspec: {}\n";
    }

    std::filesystem::path dir_;
};

TEST_F(PolicyFiles, MissingFileCannotBeRead)
{
    std::string path = (dir_ / "absent.yaml").string();
    ParseResult result = parse_policy_file(path);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].render(), path + ": error: cannot read " + path + ": No such file or directory");
    EXPECT_EQ(parse_policy_path(path).errors.size(), 1u);
}

TEST_F(PolicyFiles, FileLocationsCarryTheFileName)
{
    std::string path = write("bad.yaml", "apiVersion: cilium.io/v1alpha1\nkind: Foo\nmetadata: {name: x}\nspec: {}\n");
    ParseResult result = parse_policy_file(path);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.file, path);
    EXPECT_TRUE(result.errors[0].render().starts_with(path + ":2:7: error: unknown kind 'Foo'"));
}

TEST_F(PolicyFiles, DirectoryIsReadRecursivelyInSortedOrder)
{
    write("b.yaml", policy_named("b"));
    write("a/z.yml", policy_named("az"));
    write("a/nested/c.yaml", policy_named("anc"));
    write("notes.txt", "not a policy");
    write("c.yaml.bak", "not a policy");
    ParseResult result = parse_policy_path(dir_.string());
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    std::vector<std::string> names;
    for (const Policy& policy : result.policies)
        names.push_back(policy.name);
    EXPECT_EQ(names, Lines({"anc", "az", "b"}));
}

TEST_F(PolicyFiles, SingleFilePathIsThatFile)
{
    std::string path = write("one.policy", policy_named("one"));
    ParseResult result = parse_policy_path(path);
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].name, "one");
    EXPECT_EQ(result.policies[0].loc.file, path);
}

TEST_F(PolicyFiles, ErrorsOfOneFileDoNotStopTheOthers)
{
    write("a.yaml", "kind: [\n");
    write("b.yaml", policy_named("b"));
    ParseResult result = parse_policy_path(dir_.string());
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].loc.file, (dir_ / "a.yaml").string());
    ASSERT_EQ(result.policies.size(), 1u);
    EXPECT_EQ(result.policies[0].name, "b");
}

TEST_F(PolicyFiles, EmptyDirectoryIsAWarning)
{
    ParseResult result = parse_policy_path(dir_.string());
    EXPECT_TRUE(result.errors.empty());
    EXPECT_TRUE(result.policies.empty());
    EXPECT_EQ(result.warnings.size(), 1u);
}

// ---------------------------------------------------------------------------
// Durations (rateLimit)

TEST(PolicyDuration, UnitsAndBareSeconds)
{
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"1m", 60'000'000'000ull},    {"10s", 10'000'000'000ull}, {"500ms", 500'000'000ull},
        {"1h", 3'600'000'000'000ull}, {"30", 30'000'000'000ull},  {"0", 0},
        {"2M", 120'000'000'000ull},   {"5S", 5'000'000'000ull},
    };
    for (const auto& [text, ns] : cases) {
        bool ok = false;
        EXPECT_EQ(parse_duration_ns(text, &ok), ns) << text;
        EXPECT_TRUE(ok) << text;
    }
    EXPECT_EQ(parse_duration_ns("10s", nullptr), 10'000'000'000ull);
}

TEST(PolicyDuration, AnythingElseIsNotADuration)
{
    for (const char* text : {"", "s", "10x", "-1s", "1.5s", " 1s", "1s ", "1 s", "10d", "ms", "99999999999999999999",
                             "18446744073709551615s"}) {
        bool ok = true;
        EXPECT_EQ(parse_duration_ns(text, &ok), 0u) << text;
        EXPECT_FALSE(ok) << text;
    }
}

}  // namespace
}  // namespace palisade::policy
