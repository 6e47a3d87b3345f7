// The open prefilter's analysis: what it derives from Falco's rules, and that
// it never filters an open some rule matches (checked against the engine on
// a grid of opens).
#include "rules/prefilter/open_prefilter.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "rules/ruleset/rule_loader.h"
#include "support/event_world.h"

namespace palisade::rules::prefilter {
namespace {

const std::string kCorpus = PALISADE_CORPUS_DIR "/falco-rules/";

struct Loaded {
    RuleSet set;
    std::unique_ptr<RuleEngine> engine;
};

Loaded load(const std::vector<std::string>& files, const std::string& yaml = "")
{
    RuleLoader loader;
    for (const auto& f : files)
        loader.load_file(f);
    if (!yaml.empty())
        loader.load_string("test.yaml", yaml);
    Loaded l;
    l.set = loader.finish();
    std::vector<Diagnostic> diagnostics = l.set.diagnostics;
    l.engine = RuleEngine::build(l.set, &diagnostics);
    for (const auto& d : diagnostics)
        EXPECT_NE(d.severity, Diagnostic::Severity::Error) << d.render();
    return l;
}

std::string condition_of(const OpenPrefilter& p, const std::string& rule)
{
    for (const auto& r : p.rules)
        if (r.rule == rule)
            return describe(r.condition);
    return "(not an open rule)";
}

bool passes(const OpenTables& t, const std::string& path, std::uint32_t flags, std::int64_t ret = 3)
{
    return kernel_passes(t, open_facts(PL_SC_OPENAT, flags, ret, path), path);
}

// Every open of the grid that fires a rule must pass the prefilter; returns
// how many opens the prefilter drops.
std::size_t check_sound(const Loaded& l, const OpenTables& tables)
{
    const std::vector<std::string> paths = {
        "/etc/shadow", "/etc/shadow/", "/etc//shadow", "/etc/./shadow", "/tmp/../etc/shadow", "etc/shadow",
        "../etc/shadow", "/etc/sudoers", "/etc/pam.conf", "/etc/pam.d", "/etc/pam.d/common-auth",
        "/etc/sudoers.d/x", "/etc/security/pwquality.conf", "/etc/passwd", "/etc/hosts", "/root/.ssh/id_rsa",
        "/home/u/.ssh/id_rsa", "/home/u/id_rsa.pub", "/var/log/syslog", "/var/log/auth.log", "/var/log/nginx/access.log",
        "/sys/fs/cgroup/x/release_agent", "/tmp/release_agent", "/tmp/palisade-bench.dat", "/dev/null", "/",
        "/proc/1/environ", "/usr/lib/x.so", "/var/www/../../etc/passwd", "/etc/../etc/shadow", "/a/b..c/d",
        "/etc/ld.so.preload", "/usr/bin/ls", "/bin/sh", "/etc/cron.d/job", "/root/.bashrc", "/home/u/.aws/credentials",
        "/etc/kubernetes/admin.conf", "/var/run/secrets/kubernetes.io/serviceaccount/token", "/tmp/x",
        "/etc/pam.d/.", "/etc/pam.d/..", "/etc/sudoers.d/../shadow", "/var/log/.hidden", "/root/.ssh/../.ssh/id_rsa"};
    const std::vector<std::uint32_t> flag_sets = {O_RDONLY, O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC,
                                                  O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT, O_RDONLY | O_DIRECTORY,
                                                  O_WRONLY | O_APPEND};
    const std::vector<std::int64_t> results = {3, 0, -2, -13};
    test::World w;
    w.exec(300, 200, "/usr/bin/cat", {"cat"});
    w.exec(301, 1, "/usr/sbin/nginx", {"nginx"});
    w.exec(302, 200, "/usr/bin/python3", {"python3", "x.py"});
    std::size_t dropped = 0, fired_total = 0;
    for (std::uint32_t pid : {100u, 200u, 300u, 301u, 302u})
        for (const auto& path : paths)
            for (auto flags : flag_sets)
                for (auto ret : results) {
                    auto fired = w.fired(*l.engine, w.open(pid, path, flags, ret));
                    const bool pass = passes(tables, path, flags, ret);
                    fired_total += !fired.empty();
                    dropped += !pass;
                    if (!fired.empty())
                        EXPECT_TRUE(pass) << fired.front() << " fired on " << path << " flags " << flags << " ret "
                                          << ret << " but the prefilter drops it";
                }
    EXPECT_GT(fired_total, 0u);
    return dropped;
}

TEST(OpenPrefilter, FalcoRulesNarrowOpens)
{
    auto l = load({kCorpus + "falco_rules.yaml"});
    auto p = derive_open_prefilter(l.set);
    for (const auto& r : p.rules)
        std::printf("%-50s %s\n", r.rule.c_str(), describe(r.condition).c_str());
    ASSERT_FALSE(p.pass_all) << p.reason;
    EXPECT_EQ(p.rules.size(), 5u);
    EXPECT_EQ(condition_of(p, "Read sensitive file untrusted"),
              "(read & ok & path in {prefix /etc/pam.d/, prefix /etc/sudoers.d/, exact /etc/pam.conf, exact /etc/pam.d, "
              "exact /etc/security/pwquality.conf, exact /etc/shadow, exact /etc/sudoers, exact /etc/sudoers.d})");
    EXPECT_EQ(condition_of(p, "Directory traversal monitored file read"), "(read & ok & dotdot) | (failed & dotdot)");
    EXPECT_NE(condition_of(p, "Clear Log Activities").find("write & trunc & ok & path in {"), std::string::npos)
        << condition_of(p, "Clear Log Activities");
    EXPECT_EQ(condition_of(p, "Detect release_agent File Container Escapes"),
              "(write & ok & path in {suffix release_agent})");

    const auto tables = build_open_tables(p);
    EXPECT_EQ(tables.header.enabled, 1u);
    // The benchmark's open, and the everyday ones, stay in the kernel.
    EXPECT_FALSE(passes(tables, "/tmp/palisade-bench.dat", O_RDONLY));
    EXPECT_FALSE(passes(tables, "/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC));
    EXPECT_FALSE(passes(tables, "/etc/passwd", O_RDONLY));
    EXPECT_TRUE(passes(tables, "/etc/shadow", O_RDONLY));
    EXPECT_FALSE(passes(tables, "/etc/shadow", O_RDONLY, -13));
    EXPECT_TRUE(passes(tables, "/etc/pam.d/sshd", O_RDONLY));
    EXPECT_TRUE(passes(tables, "/sys/fs/cgroup/release_agent", O_WRONLY));
    EXPECT_FALSE(passes(tables, "/sys/fs/cgroup/release_agent", O_RDONLY));
    EXPECT_TRUE(passes(tables, "/var/log/syslog", O_WRONLY | O_TRUNC));
    EXPECT_FALSE(passes(tables, "/var/log/syslog", O_WRONLY | O_APPEND));
    EXPECT_TRUE(passes(tables, "/tmp/../etc/shadow", O_RDONLY));  // normalised later: not judged
    EXPECT_TRUE(passes(tables, "etc/shadow", O_RDONLY));          // relative: not judged by path
    EXPECT_TRUE(passes(tables, "/etc/shadow/", O_RDONLY));
    EXPECT_GT(check_sound(l, tables), 0u);
}

TEST(OpenPrefilter, SoundOnTrickyConditions)
{
    const std::string yaml = R"(
- list: secret_files
  items: [/etc/shadow, /etc/gshadow]
- list: open_types
  items: [open, openat, openat2]
- macro: writes
  condition: evt.is_open_write=true
- macro: m_or
  condition: fd.name in (secret_files) or fd.directory = /root
- rule: negated read
  desc: d
  condition: evt.type in (open_types) and not evt.is_open_read=true and fd.name startswith /var/log
  output: o
  priority: WARNING
- rule: or of macro
  desc: d
  condition: evt.type = openat and (m_or or (writes and fd.filename in (authorized_keys, id_rsa)))
  output: o
  priority: WARNING
- rule: not not
  desc: d
  condition: evt.type=openat and not (not fd.name = /etc/hosts) and not (fd.num < 0)
  output: o
  priority: WARNING
- rule: negated type
  desc: d
  condition: not evt.type in (execve, connect) and fd.name glob "/home/*/.ssh/*" and proc.name != sshd
  output: o
  priority: WARNING
- rule: exception
  desc: d
  condition: evt.type=openat and fd.name endswith .pem and evt.rawres >= 0
  exceptions:
    - name: cat
      fields: [proc.name]
      values: [[cat]]
  output: o
  priority: WARNING
- rule: NA fields
  desc: d
  condition: evt.type=openat and fd.name pmatch (/etc/cron.d) and not fd.sip = 1.2.3.4 and not fd.sport = 22
  output: o
  priority: WARNING
- rule: not an open rule
  desc: d
  condition: evt.type=execve and proc.name=cat
  output: o
  priority: WARNING
)";
    auto l = load({}, yaml);
    auto p = derive_open_prefilter(l.set);
    for (const auto& r : p.rules)
        std::printf("%-30s %s\n", r.rule.c_str(), describe(r.condition).c_str());
    ASSERT_FALSE(p.pass_all) << p.reason;
    EXPECT_EQ(condition_of(p, "not an open rule"), "(not an open rule)");
    EXPECT_EQ(condition_of(p, "negated read"), "(path in {prefix /var/log})");
    // `not (fd.num < 0)` is not negated here: it narrows nothing.
    EXPECT_EQ(condition_of(p, "not not"), "(path in {exact /etc/hosts})");
    EXPECT_EQ(condition_of(p, "negated type"), "(path in {prefix /home/})");
    EXPECT_EQ(condition_of(p, "exception"), "(ok & path in {suffix .pem})");
    EXPECT_EQ(condition_of(p, "NA fields"), "(path in {prefix /etc/cron.d})");
    EXPECT_EQ(condition_of(p, "or of macro"),
              "(path in {prefix /root/, exact /etc/gshadow, exact /etc/shadow, exact /root}) | "
              "(write & path in {suffix /authorized_keys, suffix /id_rsa})");
    check_sound(l, build_open_tables(p));
}

TEST(OpenPrefilter, OneUnnarrowedRulePassesEverything)
{
    auto l = load({}, R"(
- rule: any open by cat
  desc: d
  condition: evt.type=openat and proc.name=cat
  output: o
  priority: WARNING
- rule: shadow
  desc: d
  condition: evt.type=openat and fd.name=/etc/shadow
  output: o
  priority: WARNING
)");
    auto p = derive_open_prefilter(l.set);
    EXPECT_TRUE(p.pass_all);
    EXPECT_NE(p.reason.find("any open by cat"), std::string::npos);
    const auto tables = build_open_tables(p);
    EXPECT_EQ(tables.header.enabled, 0u);
    EXPECT_TRUE(passes(tables, "/tmp/x", O_RDONLY));
}

TEST(OpenPrefilter, TriesCarryTheBitsOfShorterPrefixes)
{
    OpenPrefilter p;
    p.alternatives = {OpenAlternative{0, std::set<PathPattern>{{PathMatch::Prefix, "/etc/"}}},
                      OpenAlternative{1u << PL_OF_WRITE, std::set<PathPattern>{{PathMatch::Exact, "/etc/shadow"}}},
                      OpenAlternative{0, std::set<PathPattern>{{PathMatch::Suffix, ".log"}}}};
    const auto t = build_open_tables(p);
    EXPECT_EQ(t.prefix.at("/etc/"), 1u);
    EXPECT_EQ(t.prefix.at(std::string("/etc/shadow") + '\0'), 3u);
    EXPECT_EQ(t.postfix.at("gol."), 4u);
    EXPECT_EQ(t.header.needs[PL_OF_WRITE], 2u);
    EXPECT_EQ(t.header.prefix_alts, 3u);
    EXPECT_EQ(t.header.suffix_alts, 4u);
    EXPECT_TRUE(passes(t, "/etc/shadow", O_RDONLY));  // the /etc/ prefix alone
    EXPECT_TRUE(passes(t, "/var/x.log", O_RDONLY));
    EXPECT_FALSE(passes(t, "/var/x.txt", O_RDONLY));
    EXPECT_TRUE(path_judgeable("/home/u/.ssh/id_rsa"));
    EXPECT_TRUE(path_judgeable("/a/b..c/..d/.e"));
    EXPECT_TRUE(path_judgeable("/"));
    for (const char* changed : {"/etc/", "/etc//shadow", "/etc/./shadow", "/tmp/../etc", "/etc/.", "/etc/..",
                                "//etc", "etc/shadow", ""})
        EXPECT_FALSE(path_judgeable(changed)) << changed;
}

}  // namespace
}  // namespace palisade::rules::prefilter
