// What the compiler refuses, with the exact message and where in the file;
// and that a refused policy leaves the others as they would be without it.
#include <gtest/gtest.h>

#include "unit/policy/compile_test_util.h"

namespace palisade::policy {
namespace {

using model::Kernel;
using model::summary;
using namespace test;

// A policy with one kprobe `call` declaring `args`, and `selectors` at line 10 on.
std::string kprobe_policy(const std::string& call, const std::string& args, const std::string& selectors,
                          const std::string& name = "bad")
{
    return tracing_policy(name, "  kprobes:\n"                   // 6
                                "  - call: " + call + "\n"       // 7
                                "    args: " + args + "\n"       // 8
                                "    selectors:\n" + selectors); // 9
}

TEST(PolicyCompilerErrors, UnknownSyscall)
{
    CompileResult r = compile_text(kprobe_policy("sys_frobnicate", "[{index: 0, type: int}]", ""));
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].render(), "test.yaml:7:5: policy 'bad': 'sys_frobnicate' is not a syscall of this "
                                    "architecture");
    EXPECT_EQ(r.errors[0].support, Support::Unsupported);
    EXPECT_TRUE(r.loaded.empty());
    EXPECT_TRUE(r.tables.hooks.empty());
}

TEST(PolicyCompilerErrors, UnreadableArgumentTypeOnlyWhenMatched)
{
    const std::string args = "[{index: 0, type: int}, {index: 1, type: char_buf}, {index: 2, type: size_t}]";
    EXPECT_EQ(compile_error(kprobe_policy("sys_write", args,
                                          "    - matchArgs:\n"
                                          "      - {index: 2, operator: GT, values: [0]}\n"
                                          "      - {index: 1, operator: Equal, values: [secret]}\n")),
              "test.yaml:12:9: policy 'bad': matchArgs index 1: a 'char_buf' argument of write is not read at "
              "syscall entry");
    compile_ok(kprobe_policy("sys_write", args, "    - matchArgs: [{index: 2, operator: GT, values: [0]}]\n"));
    EXPECT_EQ(compile_error(kprobe_policy("sys_write", args, "    - matchArgs: [{index: 3, operator: GT, "
                                                             "values: [0]}]\n")),
              "test.yaml:10:19: policy 'bad': matchArgs index 3 names no argument the hook declares");
}

TEST(PolicyCompilerErrors, TwoMatchersOfOneOperatorOnOneArgument)
{
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs:\n"
                                                 "      - {index: 1, operator: Prefix, values: [/etc/]}\n"
                                                 "      - {index: 1, operator: Prefix, values: [/usr/]}\n")),
              "test.yaml:16:9: policy 'bad': two matchArgs in one selector use Prefix on the same value; put the "
              "values in one matcher");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs:\n"
                                                 "      - {index: 2, operator: Equal, values: [1]}\n"
                                                 "      - {index: 2, operator: InMap, values: [2]}\n")),
              "test.yaml:16:9: policy 'bad': two matchArgs in one selector use InMap on the same value; put the "
              "values in one matcher");
    // a positive and a negated matcher on one argument are two different things
    compile_ok(openat_policy("good", "    - matchArgs:\n"
                                     "      - {index: 1, operator: Prefix, values: [/etc/]}\n"
                                     "      - {index: 1, operator: NotPrefix, values: [/etc/ssl/]}\n"
                                     "      - {index: 2, operator: Equal, values: [1]}\n"
                                     "      - {index: 2, operator: NotEqual, values: [2]}\n"));
}

TEST(PolicyCompilerErrors, ValuesLongerThanTheKernelMatches)
{
    const std::string equal_max(PL_POL_STR_MAX - 2, 'e'), lpm_max(PL_POL_LPM_STR_MAX, 'p');
    compile_ok(openat_path_policy("fits", "Equal", "[\"/" + equal_max.substr(1) + "\"]"));
    compile_ok(openat_path_policy("fits", "Prefix", "[\"/" + lpm_max.substr(1) + "\"]"));
    compile_ok(openat_path_policy("fits", "Postfix", "[\"/" + lpm_max.substr(1) + "\"]"));
    EXPECT_EQ(compile_error(openat_path_policy("bad", "Equal", "[\"" + equal_max + "e\"]")),
              "test.yaml:15:9: policy 'bad': value 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee...' is longer than the 254 "
              "bytes matched in the kernel");
    EXPECT_EQ(compile_error(openat_path_policy("bad", "NotPostfix", "[\"" + lpm_max + "p\"]")),
              "test.yaml:15:9: policy 'bad': value 'pppppppppppppppppppppppppppppppp...' is longer than the 252 "
              "bytes matched in the kernel");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchBinaries: [{operator: In, values: [\"" + lpm_max +
                                                     "b\"]}]\n")),
              "test.yaml:14:23: policy 'bad': binary path 'pppppppppppppppppppppppppppppppp...' is longer than the "
              "252 bytes matched in the kernel");
}

// The kernel reads at most 255 bytes of a string, so a 255-byte value would
// also equal every longer string that starts with it (refused above); the
// longest value accepted equals only itself.
TEST(PolicyCompilerErrors, TheLongestEqualValueNeverMatchesATruncatedString)
{
    const std::string value = "/" + std::string(PL_POL_STR_MAX - 3, 'a');  // 254 bytes: the longest accepted
    auto r = compile_ok(documents({openat_path_policy("eq", "Equal", "[\"" + value + "\"]"),
                                   openat_path_policy("neq", "NotEqual", "[\"" + value + "\"]")}));
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, value)), Lines{"eq:0:post"});
    auto longer = openat(k, value + "b");
    EXPECT_EQ(summary(longer), Lines{"neq:0:post"});
    auto longest = openat(k, value + "bc");
    EXPECT_EQ(summary(longest), Lines{"neq:0:post"});
    EXPECT_TRUE(longest.str_truncated);
    EXPECT_TRUE(longest.acted.at(0).flags & PL_POLF_STR_TRUNCATED);
}

TEST(PolicyCompilerErrors, MoreSelectorsOnOneHookThanTheMask)
{
    // 18 lines per document: document i starts at line 18 * i + 1, its selector 13 lines further
    std::vector<std::string> docs;
    for (int i = 0; i <= PL_POL_SELECTORS; ++i)
        docs.push_back(openat_path_policy("p" + std::to_string(i), "Equal", "[/f" + std::to_string(i) + "]"));
    docs.push_back(kprobe_policy("sys_open", "[{index: 0, type: string}]",
                                 "    - matchArgs: [{index: 0, operator: Equal, values: [/f256]}]\n", "other"));
    CompileResult r = compile_text(documents(docs));
    EXPECT_EQ(rendered_errors(r), Lines{"test.yaml:4622:7: policy 'p256': sys_openat already carries 256 selectors "
                                        "from all policies (the limit)"});
    ASSERT_EQ(r.loaded.size(), 257u);
    EXPECT_EQ(r.loaded[255], "p255");
    EXPECT_EQ(r.loaded[256], "other");
    Kernel k(r.tables);
    EXPECT_EQ(summary(openat(k, "/f255")), Lines{"p255:0:post"});
    EXPECT_EQ(summary(openat(k, "/f256")), Lines{});
    EXPECT_EQ(summary(k.syscall({}, kOpen, {}, "/f256")), Lines{"other:0:post"});
}

TEST(PolicyCompilerErrors, AHookWithoutSelectorsIsPlacedAtTheHook)
{
    std::vector<std::string> docs;
    for (int i = 0; i < PL_POL_SELECTORS; ++i)
        docs.push_back(openat_path_policy("p" + std::to_string(i), "Equal", "[/f]"));
    // 18 * 256 = 4608 lines before it; the kprobe is its 7th line
    docs.push_back(kprobe_policy("sys_openat", "[{index: 1, type: string}]", "", "all"));
    EXPECT_EQ(rendered_errors(compile_text(documents(docs))),
              Lines{"test.yaml:4615:5: policy 'all': sys_openat already carries 256 selectors from all policies "
                    "(the limit)"});
}

TEST(PolicyCompilerErrors, MoreSlowMatchersOnOneHookThanTheKernelLoops)
{
    std::string pids;
    for (int i = 1; i <= 40; ++i)
        pids += (i > 1 ? ", " : "") + std::to_string(i);
    const std::string selector = "    - matchPIDs: [{operator: NotIn, values: [" + pids + "]}]\n";
    CompileResult r = compile_text(documents({openat_policy("forty", selector), openat_policy("forty-more", selector),
                                              openat_policy("small", "    - matchPIDs: [{operator: In, values: "
                                                                     "[1, 2]}]\n")}));
    EXPECT_EQ(rendered_errors(r), Lines{"test.yaml:29:19: policy 'forty-more': sys_openat already has 64 "
                                        "process/namespace/capability/range matchers (the limit)"});
    EXPECT_EQ(r.loaded, (Lines{"forty", "small"}));
    EXPECT_EQ(r.tables.hooks.at(kOpenat).slow_count, 42u);
}

TEST(PolicyCompilerErrors, UnsupportedSelectorParts)
{
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchActions: [{action: Post}, {action: TrackSock}]\n")),
              "test.yaml:14:38: policy 'bad': action 'TrackSock' is not supported");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchActions: [{action: GetUrl, argUrl: \"ftp://x\"}]\n")),
              "test.yaml:14:22: policy 'bad': argUrl 'ftp://x' is not an http:// or https:// URL");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchActions: [{action: Signal}]\n")),
              "test.yaml:14:22: policy 'bad': action Signal needs argSig");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs: [{index: 1, operator: Prefix, values: [/]}]\n"
                                                 "      matchReturnArgs: [{index: 0, operator: LT, values: [0]}]\n")),
              "test.yaml:15:25: policy 'bad': matchReturnArgs needs a return probe (return: true on a syscall)");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs: [{index: 1, operator: Mask, values: [1]}]\n")),
              "test.yaml:14:19: policy 'bad': hook 'sys_openat', selector 0: operator Mask does not apply to a string or "
              "path");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs: [{index: 2, operator: GT, values: [1, 2]}]\n")),
              "test.yaml:14:19: policy 'bad': GT takes exactly one value");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs: [{index: 2, operator: Equal, values: [O_RDWR]}]\n")),
              "test.yaml:14:19: policy 'bad': 'O_RDWR' is not an integer");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchArgs: [{index: 2, operator: InMap, "
                                                 "values: [\"list:x\"]}]\n")),
              "test.yaml:14:19: policy 'bad': 'list:x' names no list in spec.lists");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchNamespaces: [{namespace: Pid, operator: In, "
                                                 "values: [host_ns]}]\n")),
              "test.yaml:14:25: policy 'bad': host_ns cannot be resolved here");
    EXPECT_EQ(compile_error(openat_policy("bad", "    - matchCapabilities: [{operator: In, isNamespaceCapability: "
                                                 "true, values: [CAP_SYS_ADMIN]}]\n")),
              "test.yaml:14:27: policy 'bad': isNamespaceCapability needs the host's user namespace, which cannot "
              "be resolved here");
}

TEST(PolicyCompilerErrors, PolicyLevelErrors)
{
    EXPECT_EQ(compile_error("apiVersion: palisade.dev/v1alpha1\n"
                            "kind: NetworkPolicy\n"
                            "metadata: {name: bad}\n"
                            "spec:\n"
                            "  cgroups: [/no/such]\n"
                            "  egress: {default: deny}\n"),
              "test.yaml:1:1: policy 'bad': cgroup '/no/such' does not exist in the cgroup v2 hierarchy");
    // the two kprobes of one policy disagree on which argument is the string
    EXPECT_EQ(compile_error(tracing_policy("bad", "  kprobes:\n"
                                                  "  - call: sys_renameat\n"
                                                  "    args: [{index: 1, type: string}]\n"
                                                  "  - call: sys_renameat\n"
                                                  "    args: [{index: 3, type: string}]\n")),
              "test.yaml:9:5: policy 'bad': sys_renameat: another policy matches a different string argument");
    CompileResult lsm = compile_text(tracing_policy("bad", "  lsmhooks: [{hook: bprm_committed_creds}]\n"));
    ASSERT_EQ(lsm.errors.size(), 1u);
    EXPECT_EQ(lsm.errors[0].support, Support::NeedsKernel);
    EXPECT_EQ(lsm.errors[0].render(), "test.yaml:6:14: policy 'bad': LSM hook 'bprm_committed_creds' needs BPF LSM, "
                                      "which this kernel lacks, and has no syscall-level equivalent");
}

// A policy that fails halfway leaves nothing behind: not its first selector's
// entries, nor a policy id, binary set or hook of its own.
TEST(PolicyCompilerErrors, AFailingPolicyDoesNotAffectTheOthers)
{
    const std::string good1 = openat_path_policy("good-one", "Prefix", "[/etc/]");
    const std::string bad = openat_policy("bad", "    - matchArgs: [{index: 1, operator: Equal, "
                                                 "values: [/etc/shadow]}]\n"
                                                 "      matchBinaries: [{operator: In, values: [/usr/bin/cat]}]\n"
                                                 "      matchActions: [{action: Sigkill}]\n"
                                                 "    - matchActions: [{action: GetUrl}]\n");
    const std::string bad_hook = kprobe_policy("sys_nope", "[]", "", "bad-hook");
    const std::string good2 = openat_path_policy("good-two", "Postfix", "[shadow]");
    CompileResult with = compile_text(documents({good1, bad, bad_hook, good2}));
    CompileResult without = compile_ok(documents({good1, good2}));
    EXPECT_EQ(with.loaded, (Lines{"good-one", "good-two"}));
    EXPECT_EQ(with.errors.size(), 2u);
    ASSERT_EQ(with.tables.info.size(), 2u);
    EXPECT_EQ(with.tables.info[1].name, "good-two");
    EXPECT_EQ(with.tables.policies.size(), 2u);
    EXPECT_EQ(with.tables.hooks.size(), 1u);
    EXPECT_EQ(with.tables.slow.size(), 0u);
    EXPECT_EQ(with.tables.str_eq.size(), without.tables.str_eq.size());
    EXPECT_EQ(with.tables.str_prefix.size(), without.tables.str_prefix.size());
    EXPECT_EQ(with.tables.str_postfix.size(), without.tables.str_postfix.size());
    EXPECT_EQ(std::memcmp(&with.tables.hooks.at(kOpenat), &without.tables.hooks.at(kOpenat), sizeof(pl_pol_hook)),
              0);
    Kernel k(with.tables);
    model::Task cat;
    cat.binaries = with.tables.binary_sets("/usr/bin/cat");
    auto out = openat(k, "/etc/shadow", 0, cat);
    EXPECT_EQ(summary(out), (Lines{"good-one:0:post", "good-two:0:post"}));
    EXPECT_TRUE(out.sent.empty());
}

}  // namespace
}  // namespace palisade::policy

namespace palisade::policy {
namespace {

TEST(PolicyCompilerErrors, AFullKernelMapNamesThePolicyThatFilledIt)
{
    std::string values;
    for (int i = 0; i <= PL_POL_TABLE_ENTRIES; ++i)
        values += (values.empty() ? "" : ", ") + std::string("/srv/f") + std::to_string(i);
    const auto small = test::openat_policy("small", "    - matchArgs: [{index: 1, operator: Equal, values: [/etc/a]}]\n");
    const auto huge = test::openat_policy("huge", "    - matchArgs: [{index: 1, operator: Equal, values: [" + values +
                                                      "]}]\n");
    const auto result = test::compile_text(test::documents({small, huge}));
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].policy, "huge");
    EXPECT_EQ(result.errors[0].message,
              "with this policy the loaded policies need 16386 string-equal values; the kernel map holds 16384");
    EXPECT_EQ(result.loaded, std::vector<std::string>{"small"}) << "the other policy still loads";
}

}  // namespace
}  // namespace palisade::policy
