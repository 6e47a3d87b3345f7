// The rules engine end to end without a kernel: rule files in, events
// (built as the kernel would write them) through, alerts out.
#include "rules/engine/engine.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/event_world.h"
#include "event/decoder.h"
#include "rules/ruleset/rule_loader.h"

namespace palisade::rules {
namespace {

using test::World;

const std::string kCorpus = PALISADE_CORPUS_DIR "/falco-rules/";

struct Built {
    RuleSet set;
    std::unique_ptr<RuleEngine> engine;
    std::vector<Diagnostic> diagnostics;
    std::size_t errors() const
    {
        return std::count_if(diagnostics.begin(), diagnostics.end(),
                             [](const auto& d) { return d.severity == Diagnostic::Severity::Error; });
    }
    std::string all() const
    {
        std::string text;
        for (const auto& d : diagnostics)
            text += d.render() + "\n";
        return text;
    }
};

Built build_files(const std::vector<std::string>& files)
{
    RuleLoader loader;
    for (const auto& f : files)
        loader.load_file(f);
    Built b;
    b.set = loader.finish();
    b.diagnostics = b.set.diagnostics;
    b.engine = RuleEngine::build(b.set, &b.diagnostics);
    return b;
}

Built build_yaml(const std::string& yaml)
{
    RuleLoader loader;
    loader.load_string("test.yaml", yaml);
    Built b;
    b.set = loader.finish();
    b.diagnostics = b.set.diagnostics;
    b.engine = RuleEngine::build(b.set, &b.diagnostics);
    return b;
}

// How long loading takes is measured by bench/rules_bench.cpp (BM_LoadOfficialRuleFiles), not here.
TEST(Engine, OfficialFalcoRulesAllCompile)
{
    auto b = build_files({kCorpus + "falco_rules.yaml"});
    EXPECT_EQ(b.errors(), 0u) << b.all();
    EXPECT_EQ(b.engine->rules().size(), b.set.rules.size()) << b.all();
    EXPECT_EQ(b.engine->rules().size(), 25u);
}

TEST(Engine, IncubatingAndSandboxRulesMostlyCompile)
{
    auto b = build_files({kCorpus + "falco_rules.yaml", kCorpus + "falco-incubating_rules.yaml",
                          kCorpus + "falco-sandbox_rules.yaml"});
    std::size_t enabled = 0;
    for (const auto& r : b.set.rules)
        enabled += r.enabled && !r.skipped;
    // Every rule that is left out says why; at least 95% compile.
    EXPECT_GE(b.engine->rules().size() * 100, enabled * 95) << b.all();
    for (const auto& d : b.diagnostics)
        if (d.severity == Diagnostic::Severity::Error)
            std::printf("left out: %s\n", d.render().c_str());
}

TEST(Engine, FalcoRulesFireOnTheirEvents)
{
    auto b = build_files({kCorpus + "falco_rules.yaml"});
    World w;
    // A non-trusted program reads /etc/shadow.
    w.exec(300, 200, "/usr/bin/cat", {"cat", "/etc/shadow"});
    auto shadow = w.open(300, "/etc/shadow", 0 /* O_RDONLY */);
    EXPECT_EQ(w.fired(*b.engine, shadow), (std::vector<std::string>{"Read sensitive file untrusted"}));
    // sshd reading it is trusted.
    auto sshd_read = w.open(100, "/etc/shadow", 0);
    EXPECT_TRUE(w.fired(*b.engine, sshd_read).empty());

    // Fileless execution via memfd.
    auto memfd = w.exec(301, 200, "/memfd:payload", {"payload"}, PL_EXEC_MEMFD | PL_EXEC_DELETED);
    EXPECT_EQ(w.fired(*b.engine, memfd), (std::vector<std::string>{"Fileless execution via memfd_create"}));
}

TEST(Engine, RulesAreEvaluatedOnlyOnTheirEventTypes)
{
    auto b = build_yaml(R"(
- rule: connects
  desc: d
  condition: evt.type = connect and fd.rport = 443
  output: "c %fd.name"
  priority: NOTICE
- rule: not opens
  desc: d
  condition: not evt.type in (open, openat, openat2) and proc.name = bash
  output: o
  priority: NOTICE
)");
    ASSERT_EQ(b.errors(), 0u) << b.all();
    const auto& rules = b.engine->rules();
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0]->event_types, (std::set<std::string>{"connect"}));
    ASSERT_TRUE(rules[1]->event_types);
    EXPECT_FALSE(rules[1]->event_types->count("openat"));
    EXPECT_TRUE(rules[1]->event_types->count("connect"));
    World w;
    std::uint8_t ip[4] = {1, 2, 3, 4};
    EXPECT_EQ(w.fired(*b.engine, w.connect(200, ip, 443)), (std::vector<std::string>{"connects", "not opens"}));
    EXPECT_TRUE(w.fired(*b.engine, w.open(200, "/etc/hosts", 0)).empty());
}

TEST(Engine, MacrosListsExceptionsAndTransformers)
{
    auto b = build_yaml(R"(
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh]
- rule: shell reads hosts
  desc: d
  condition: is_open and proc.name in (more_shells) and toupper(fd.name) = /ETC/HOSTS and len(fd.name) = 10
  output: "%proc.name read %fd.name"
  priority: INFO
  exceptions:
    - name: sshd_children
      fields: [proc.pname]
      comps: [=]
      values: [[sshd]]
- macro: is_open
  condition: evt.type = openat
)");
    ASSERT_EQ(b.errors(), 0u) << b.all();
    World w;
    // bash's parent is sshd: the exception holds the alert back.
    EXPECT_TRUE(w.fired(*b.engine, w.open(200, "/etc/hosts", 0)).empty());
    w.exec(400, 1, "/usr/bin/zsh", {"zsh"});
    EXPECT_EQ(w.fired(*b.engine, w.open(400, "/etc/hosts", 0)), (std::vector<std::string>{"shell reads hosts"}));
}

TEST(Engine, CompileErrorsNameRuleFileLineAndCause)
{
    auto b = build_yaml(R"(- macro: loop_a
  condition: loop_b
- macro: loop_b
  condition: loop_a
- rule: cyclic
  desc: d
  condition: loop_a
  output: o
  priority: INFO
- rule: undefined
  desc: d
  condition: evt.type = open and nosuchmacro
  output: o
  priority: INFO
- rule: unknown field
  desc: d
  condition: proc.nosuchfield = x
  output: o
  priority: INFO
- rule: bad operand
  desc: d
  condition: user.uid = root
  output: o
  priority: INFO
)");
    const auto text = b.all();
    EXPECT_TRUE(b.engine->rules().empty());
    EXPECT_NE(text.find("rule 'cyclic' left out: macro cycle: loop_a -> loop_b -> loop_a"), std::string::npos)
        << text;
    EXPECT_NE(text.find("test.yaml:12:34: error: rule 'undefined' left out: undefined macro 'nosuchmacro'"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("test.yaml:17:14: error: rule 'unknown field' left out: unknown field 'proc.nosuchfield'"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("rule 'bad operand' left out: user.uid =: 'root' is not a number"), std::string::npos)
        << text;
}

TEST(Engine, AlertsHaveFalcosJsonShape)
{
    auto b = build_yaml(R"(
- rule: metadata
  desc: d
  condition: evt.type = connect and fd.rip = 169.254.169.254
  output: "metadata contacted by %proc.name (%fd.name) port=%fd.rport missing=%proc.env again=%proc.name"
  priority: WARNING
  tags: [network, T1552]
)");
    ASSERT_EQ(b.errors(), 0u) << b.all();
    World w;
    std::uint8_t ip[4] = {169, 254, 169, 254};
    auto ev = w.connect(200, ip, 80);
    std::vector<CompiledRule*> matched;
    EvalContext ctx{ev, w.cache, w.cache.find_pid(200)};
    b.engine->match(ctx, matched);
    ASSERT_EQ(matched.size(), 1u);
    AlertFormatter formatter("node-1", 1'795'291'200'000'000'000 - 1001);
    fmt::memory_buffer out;
    formatter.json(*matched[0], ctx, out);
    auto j = nlohmann::json::parse(std::string(out.data(), out.size()));
    EXPECT_EQ(j["rule"], "metadata");
    EXPECT_EQ(j["priority"], "Warning");
    EXPECT_EQ(j["source"], "syscall");
    EXPECT_EQ(j["hostname"], "node-1");
    EXPECT_EQ(j["tags"], (std::vector<std::string>{"T1552", "network"}));
    EXPECT_EQ(j["time"].get<std::string>().substr(0, 19), "2026-11-21T20:00:00");
    const std::string output = j["output"];
    EXPECT_NE(output.find(": Warning metadata contacted by bash (10.0.0.5:40000->169.254.169.254:80) port=80 "
                          "missing=<NA>"),
              std::string::npos)
        << output;
    EXPECT_EQ(j["output_fields"]["proc.name"], "bash");
    EXPECT_EQ(j["output_fields"]["fd.rport"], 80);
    EXPECT_TRUE(j["output_fields"]["proc.env"].is_null());
    EXPECT_TRUE(j["output_fields"]["evt.time"].is_number());
    const std::string raw(out.data(), out.size());
    EXPECT_EQ(raw.find("\"proc.name\""), raw.rfind("\"proc.name\"")) << "a field printed twice is one key";
    EXPECT_NE(output.find("again=bash"), std::string::npos) << output;

    fmt::memory_buffer text;
    formatter.text(*matched[0], ctx, text);
    const std::string line(text.data(), text.size());
    EXPECT_EQ(line, output) << "the text form is the JSON's output string";
}

}  // namespace
}  // namespace palisade::rules
