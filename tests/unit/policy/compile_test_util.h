// Helpers of the compiler tests: policy text in, KernelTables out, checked
// against what the kernel relies on (kernel_model.h).
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "unit/policy/kernel_model.h"
#include "unit/policy/policy_test_util.h"

namespace palisade::policy::test {

// syscall numbers of x86-64, as the kernel dispatches them
constexpr std::uint32_t kRead = 0, kWrite = 1, kOpen = 2, kLseek = 8, kConnect = 42, kBind = 49, kExecve = 59,
                        kKill = 62, kSetuid = 105, kCreat = 85, kOpenat = 257, kExecveat = 322, kOpenat2 = 437;

// A TracingPolicy document; `spec` holds the lines under "spec:" (line 6 on).
inline std::string tracing_policy(const std::string& name, const std::string& spec)
{
    return "apiVersion: cilium.io/v1alpha1\n"  // 1
           "kind: TracingPolicy\n"             // 2
           "metadata:\n"                       // 3
           "  name: " + name + "\n"            // 4
           "spec:\n" +                         // 5
           spec;
}

// A policy on sys_openat(int dfd, string path, int flags); `selectors` are the
// lines under "selectors:" (line 14 on), items written "    - matchArgs:".
inline std::string openat_policy(const std::string& name, const std::string& selectors)
{
    return tracing_policy(name, "  kprobes:\n"                      // 6
                                "  - call: sys_openat\n"            // 7
                                "    syscall: true\n"               // 8
                                "    args:\n"                       // 9
                                "    - {index: 0, type: int}\n"     // 10
                                "    - {index: 1, type: string}\n"  // 11
                                "    - {index: 2, type: int}\n"     // 12
                                "    selectors:\n" +                // 13
                                    selectors);
}

// One selector of openat_policy: a matchArgs on the path and an action.
inline std::string openat_path_policy(const std::string& name, const std::string& op,
                                      const std::string& values, const std::string& action = "Post")
{
    return openat_policy(name, "    - matchArgs:\n"
                               "      - {index: 1, operator: " + op + ", values: " + values + "}\n"
                               "      matchActions:\n"
                               "      - {action: " + action + "}\n");
}

// Documents joined into one file.
inline std::string documents(const std::vector<std::string>& docs)
{
    std::string out;
    for (const auto& d : docs)
        out += (out.empty() ? "" : "---\n") + d;
    return out;
}

// Compiles `yaml`, which must parse cleanly; the tables must be well formed.
inline CompileResult compile_text(const std::string& yaml, const CompileEnv& env = {})
{
    ParseResult parsed = parse(yaml);
    EXPECT_TRUE(parsed.errors.empty()) << rendered(parsed.errors);
    CompileResult result = compile_policies(parsed.policies, env);
    model::expect_well_formed(result.tables);
    return result;
}

inline std::vector<std::string> rendered_errors(const CompileResult& result)
{
    std::vector<std::string> out;
    for (const auto& e : result.errors)
        out.push_back(e.render());
    return out;
}

// Compiles `yaml`, expecting every policy to load.
inline CompileResult compile_ok(const std::string& yaml, const CompileEnv& env = {})
{
    CompileResult result = compile_text(yaml, env);
    for (const auto& e : result.errors)
        ADD_FAILURE() << e.render();
    return result;
}

// The one error compiling `yaml` gives, rendered ("file:line:column: policy 'x': message").
inline std::string compile_error(const std::string& yaml, const CompileEnv& env = {})
{
    CompileResult result = compile_text(yaml, env);
    EXPECT_EQ(result.errors.size(), 1u);
    return result.errors.empty() ? "" : result.errors.front().render();
}

// A raw register holding a 32-bit int as the syscall ABI passes it: only the
// low half is defined, and the high half here is zero.
inline std::uint64_t reg32(std::int32_t v) { return static_cast<std::uint32_t>(v); }
inline std::uint64_t reg64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// openat(AT_FDCWD, path, flags) as the model's kernel sees it.
inline model::Outcome openat(model::Kernel& k, const std::string& path, std::int32_t flags = 0,
                             const model::Task& task = {})
{
    return k.syscall(task, kOpenat, {reg32(model::kAtFdcwd), 0x7ffd0000, reg32(flags), 0, 0, 0}, path);
}

using Lines = std::vector<std::string>;

}  // namespace palisade::policy::test
