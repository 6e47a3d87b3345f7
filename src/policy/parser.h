// Reads policy files into the typed model of policy/model.h, with every error
// and warning placed at a file:line:column.
//
// Kinds read:
//   apiVersion: cilium.io/v1alpha1    kind: TracingPolicy | TracingPolicyNamespaced
//     Tetragon's format, with Tetragon's defaults (a kprobe without `syscall` is a
//     syscall) and Tetragon's spellings (operators are case-sensitive, action names
//     are not). A file may hold several documents separated by `---`.
//   apiVersion: palisade.dev/v1alpha1 kind: NetworkPolicy
//     Palisade's own: which addresses and ports a cgroup's sockets may connect or
//     send to (egress) and bind (bind). Enforced by cgroup sock_addr hooks.
//
//     apiVersion: palisade.dev/v1alpha1
//     kind: NetworkPolicy
//     metadata: {name: build-runner-egress}
//     spec:
//       options: [{name: policy-mode, value: enforce}]   # or monitor; optional
//       cgroups: ["/palisade-test/runner"]   # cgroup v2 paths below the cgroup2 mount, each
//                                            # starting with '/'; optional (empty = every cgroup
//                                            # the selectors leave in scope)
//       containerSelector: {matchLabels: {name: runner}}   # optional; podSelector too
//       egress:                              # connect() and sendmsg()
//         default: deny                      # allow (when absent) or deny
//         allow:                             # a list of rules
//           - cidrs: ["127.0.0.1/32", "10.0.0.0/8", "::1"]   # bare address = /32 or /128
//             ports: [8080]                  # 1..65535; absent = any port
//             protocol: TCP                  # TCP or UDP; absent = both
//         deny:                              # checked before allow
//           - cidrs: ["169.254.169.254/32"]  # absent cidrs = any address
//       bind:                                # bind(): the same shape
//         default: allow
//         deny: [{ports: [22]}]
//
//   A destination is denied when it matches a `deny` rule, else allowed when it
//   matches an `allow` rule, else gets the `default`. Addresses are validated here
//   (v4 and v6, prefix length in range) and kept as written, a bare address gaining
//   its full-length prefix; ports must be 1..65535.
//
// Unknown keys of Tetragon's kinds are warnings (the rest of the policy still
// loads), except where ignoring one would make a policy match more than written:
// inside hook selectors (a dropped filter widens a Sigkill) and pod / container
// selectors (an empty selector selects everything). There, and anywhere in a
// NetworkPolicy (Palisade's own format), they are errors. Nothing here throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/model.h"

namespace palisade::policy {

struct PolicyDiagnostic {
    enum class Severity { Error, Warning };

    Location loc;
    std::string message;      // the cause, one line
    std::string source_line;  // the offending line of the file, if known
    Severity severity = Severity::Error;

    // "file:line:column: error: message\n  <source line>\n  <caret under column>";
    // only the first line when the position or the line's text is unknown.
    std::string render() const;
};

struct ParseResult {
    std::vector<Policy> policies;
    std::vector<PolicyDiagnostic> errors;    // empty = success
    std::vector<PolicyDiagnostic> warnings;  // e.g. ignored fields
};

// `file_name` is only used in locations. Documents with errors are left out of
// `policies`; the other documents of the text are still read.
ParseResult parse_policy_text(const std::string& text, const std::string& file_name);
// An error "cannot read" when the file cannot be opened or read.
ParseResult parse_policy_file(const std::string& path);
// Every *.yaml / *.yml file under a directory (recursive, sorted by path), or the one file.
ParseResult parse_policy_path(const std::string& path);

// "500ms", "10s", "1m", "1h", or a bare number of seconds ("30"); the suffix's
// case does not matter. *ok is false (and 0 returned) for anything else,
// including values that do not fit in 64 bits of nanoseconds.
std::uint64_t parse_duration_ns(std::string_view text, bool* ok);

}  // namespace palisade::policy
