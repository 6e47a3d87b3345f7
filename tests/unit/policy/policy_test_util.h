// Helpers shared by the policy parser tests.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/parser.h"

namespace palisade::policy::test {

// The first four lines of a TracingPolicy named "test"; `spec` follows at line 5.
constexpr const char* kTracingHeader = "apiVersion: cilium.io/v1alpha1\n"
                                       "kind: TracingPolicy\n"
                                       "metadata:\n"
                                       "  name: test\n";

inline ParseResult parse(const std::string& yaml)
{
    return parse_policy_text(yaml, "test.yaml");
}

// "line:column: message", the parts of a diagnostic a test pins down.
inline std::vector<std::string> located(const std::vector<PolicyDiagnostic>& diagnostics)
{
    std::vector<std::string> out;
    for (const auto& d : diagnostics)
        out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " + d.message);
    return out;
}

inline std::string rendered(const std::vector<PolicyDiagnostic>& diagnostics)
{
    std::string out;
    for (const auto& d : diagnostics)
        out += d.render() + "\n";
    return out;
}

// The one policy of `yaml`, which must parse without errors or warnings.
inline Policy parse_one(const std::string& yaml)
{
    ParseResult result = parse(yaml);
    EXPECT_TRUE(result.errors.empty()) << rendered(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << rendered(result.warnings);
    EXPECT_EQ(result.policies.size(), 1u);
    return result.policies.empty() ? Policy{} : result.policies.front();
}

// A TracingPolicy with one kprobe on fd_install whose `selectors:` is at
// line 12: `selectors` starts at line 13, its items written "    - matchArgs:".
inline std::string kprobe_with_selectors(const std::string& selectors)
{
    return "apiVersion: cilium.io/v1alpha1\n"  // 1
           "kind: TracingPolicy\n"             // 2
           "metadata:\n"                       // 3
           "  name: test\n"                    // 4
           "spec:\n"                           // 5
           "  kprobes:\n"                      // 6
           "  - call: fd_install\n"            // 7
           "    syscall: false\n"              // 8
           "    args:\n"                       // 9
           "    - index: 1\n"                  // 10
           "      type: file\n"                // 11
           "    selectors:\n" +                // 12
           selectors;
}

// The single selector of kprobe_with_selectors(selectors).
inline Selector parse_selector(const std::string& selectors)
{
    Policy policy = parse_one(kprobe_with_selectors(selectors));
    if (policy.hooks.size() != 1 || policy.hooks[0].selectors.size() != 1) {
        ADD_FAILURE() << "expected one hook with one selector";
        return {};
    }
    return policy.hooks[0].selectors[0];
}

// The errors of kprobe_with_selectors(selectors), located.
inline std::vector<std::string> selector_errors(const std::string& selectors)
{
    return located(parse(kprobe_with_selectors(selectors)).errors);
}

}  // namespace palisade::policy::test
