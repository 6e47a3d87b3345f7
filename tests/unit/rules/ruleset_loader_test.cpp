#include "rules/ruleset/rule_loader.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace palisade::rules {
namespace {

const std::string kCorpus = std::string(PALISADE_CORPUS_DIR) + "/falco-rules/";
const std::string kFixtures = std::string(PALISADE_SOURCE_DIR) + "/tests/unit/rules/data/ruleset/";
const std::vector<std::string> kOfficialFiles = {"falco_rules.yaml", "falco-incubating_rules.yaml",
                                                 "falco-sandbox_rules.yaml"};

// Loads one file's worth of YAML named "test.yaml" into a fresh loader.
RuleSet load_yaml(const std::string& yaml)
{
    RuleLoader loader;
    loader.load_string("test.yaml", yaml);
    return loader.finish();
}

template <typename Def>
const Def* find_named(const std::vector<Def>& defs, const std::string& name)
{
    auto found = std::ranges::find(defs, name, &Def::name);
    return found == defs.end() ? nullptr : &*found;
}

// "file:line:column: message", the parts of a diagnostic a test pins down.
std::vector<std::string> located(const RuleSet& set, Diagnostic::Severity severity)
{
    std::vector<std::string> out;
    for (const auto& d : set.diagnostics)
        if (d.severity == severity)
            out.push_back(d.where.file + ":" + std::to_string(d.where.line) + ":" + std::to_string(d.where.column) +
                          ": " + d.message);
    return out;
}

std::vector<std::string> errors(const RuleSet& set)
{
    return located(set, Diagnostic::Severity::Error);
}
std::vector<std::string> warnings(const RuleSet& set)
{
    return located(set, Diagnostic::Severity::Warning);
}

const std::string kLegitRule = R"(- rule: legit_rule
  desc: legit rule description
  condition: evt.type=open
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
)";

// ---------------------------------------------------------------------------
// The official rule files

TEST(RulesetOfficialRules, LoadInOrderWithoutAnyDiagnostic)
{
    RuleLoader loader;
    for (const auto& file : kOfficialFiles)
        EXPECT_TRUE(loader.load_file(kCorpus + file)) << file;
    RuleSet set = loader.finish();

    for (const auto& d : set.diagnostics)
        ADD_FAILURE() << d.render();
    EXPECT_FALSE(set.has_errors());
    // Per file (rules, macros, lists): 25/87/49, 31/82/54 and 37/183/60
    // items. The three files share no rule; they redefine many macros and
    // lists, and a redefinition replaces the earlier one: counted with
    // `yq`/PyYAML over the pinned corpus (see shared/corpus/falco-rules/SOURCE).
    EXPECT_EQ(set.rules.size(), 93u);
    EXPECT_EQ(set.macros.size(), 315u);
    EXPECT_EQ(set.lists.size(), 118u);
    EXPECT_EQ(set.required_engine_version, "0.57.0");
    ASSERT_EQ(set.required_plugin_versions.size(), 3u);
    ASSERT_EQ(set.required_plugin_versions[0].size(), 1u);
    EXPECT_EQ(set.required_plugin_versions[0][0].name, "container");
    EXPECT_EQ(set.required_plugin_versions[0][0].version, "0.4.0");
}

TEST(RulesetOfficialRules, FirstFileAloneHasItsOwnCounts)
{
    RuleLoader loader;
    ASSERT_TRUE(loader.load_file(kCorpus + "falco_rules.yaml"));
    RuleSet set = loader.finish();
    EXPECT_EQ(set.rules.size(), 25u);
    EXPECT_EQ(set.macros.size(), 87u);
    EXPECT_EQ(set.lists.size(), 49u);
}

TEST(RulesetOfficialRules, RulesKeepTheirFields)
{
    RuleLoader loader;
    for (const auto& file : kOfficialFiles)
        loader.load_file(kCorpus + file);
    RuleSet set = loader.finish();

    const RuleDef* shell = find_named(set.rules, "Terminal shell in container");
    ASSERT_NE(shell, nullptr);
    EXPECT_EQ(shell->condition,
              "spawned_process and container and shell_procs and proc.tty != 0 and container_entrypoint and not "
              "user_expected_terminal_shell_in_container_conditions\n");
    EXPECT_EQ(shell->priority, Priority::Notice);
    EXPECT_EQ(priority_name(shell->priority), "Notice");
    EXPECT_EQ(shell->tags,
              (std::vector<std::string>{"T1059", "container", "maturity_stable", "mitre_execution", "shell"}));
    EXPECT_EQ(shell->source, "syscall");
    EXPECT_TRUE(shell->enabled);
    EXPECT_FALSE(shell->skipped);
    EXPECT_EQ(shell->where, (SourceRef{kCorpus + "falco_rules.yaml", 713, 3}));
    EXPECT_EQ(static_cast<const SourceRef&>(shell->condition_where), (SourceRef{kCorpus + "falco_rules.yaml", 721, 5}));
    EXPECT_TRUE(shell->output.starts_with("A shell was spawned in a container with an attached terminal | evt_type="));

    const RuleDef* hidden = find_named(set.rules, "Create Hidden Files or Directories");
    ASSERT_NE(hidden, nullptr);
    EXPECT_FALSE(hidden->enabled);

    // The sandbox file writes this macro's `condition` before its name.
    const MacroDef* recon = find_named(set.macros, "recon_binaries_procs");
    ASSERT_NE(recon, nullptr);
    EXPECT_EQ(recon->condition, "(proc.name in (recon_binaries))");
}

TEST(RulesetOfficialRules, RedefinitionsKeepTheFirstPlaceAndTheLastText)
{
    RuleLoader loader;
    for (const auto& file : kOfficialFiles)
        loader.load_file(kCorpus + file);
    RuleSet set = loader.finish();

    // shell_binaries is defined in all three files: the sandbox definition
    // wins, at the place of the falco_rules.yaml one.
    const ListDef* shells = find_named(set.lists, "shell_binaries");
    ASSERT_NE(shells, nullptr);
    EXPECT_EQ(shells->where.file, kCorpus + "falco-sandbox_rules.yaml");
    EXPECT_EQ(shells->items, (std::vector<std::string>{"ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash"}));
    EXPECT_LT(shells->order, shells->visibility);
    EXPECT_EQ(set.lists.front().name, "shell_binaries");
    const MacroDef* open_write = find_named(set.macros, "open_write");
    ASSERT_NE(open_write, nullptr);
    EXPECT_EQ(open_write->where, (SourceRef{kCorpus + "falco-sandbox_rules.yaml", 42, 3}));
    EXPECT_EQ(set.macros.front().name, "open_write");
}

TEST(RulesetOfficialRules, UserFileAddsExceptionsToAnOfficialRule)
{
    RuleLoader loader;
    ASSERT_TRUE(loader.load_file(kCorpus + "falco_rules.yaml"));
    std::string official = find_named(loader.finish().rules, "Terminal shell in container")->condition;
    ASSERT_TRUE(loader.load_file(kFixtures + "terminal_shell_exceptions.yaml"));
    RuleSet set = loader.finish();
    EXPECT_FALSE(set.has_errors());

    const RuleDef* shell = find_named(set.rules, "Terminal shell in container");
    ASSERT_NE(shell, nullptr);
    // Falco's build_rule_exception_infos: the condition parenthesized, then
    // one "and not" per exception; a list name given to `in` is
    // parenthesized and stays bare for list expansion; values with blanks
    // are quoted.
    EXPECT_EQ(shell->condition,
              "(" + official +
                  ") and not (( container.image.repository = docker.io/library/debug-tools and  proc.name in (bash, "
                  "sh)) or ( container.image.repository = registry.example/ops and  proc.name in (shell_binaries))) "
                  "and not (proc.pname in (tmux, \"sshd: admin\"))");
    ASSERT_EQ(shell->exceptions.size(), 2u);
    EXPECT_EQ(shell->exceptions[1].comps, (ExceptionEntry{.item = "in"}));  // Falco's default for a single field
}

// ---------------------------------------------------------------------------
// Overrides, appends and redefinitions (cases from Falco's test_rule_loader.cpp)

TEST(RulesetOverride, AppendConditionOutputAndDesc)
{
    RuleSet set = load_yaml(kLegitRule + R"(
- rule: legit_rule
  desc: with append
  condition: and proc.name = cat
  output: proc=%proc.name
  override:
    desc: append
    condition: append
    output: append
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set), std::vector<std::string>{});
    const RuleDef& rule = set.rules.at(0);
    EXPECT_EQ(rule.condition, "evt.type=open and proc.name = cat");
    EXPECT_EQ(rule.output, "user=%user.name command=%proc.cmdline file=%fd.name proc=%proc.name");
    EXPECT_EQ(rule.desc, "legit rule description with append");
}

TEST(RulesetOverride, ReplaceConditionAndDescAppendNothingElse)
{
    RuleSet set = load_yaml(kLegitRule + R"(
- rule: legit_rule
  desc: a replaced legit description
  condition: evt.type = close
  override:
    desc: replace
    condition: replace
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    const RuleDef& rule = set.rules.at(0);
    EXPECT_EQ(rule.condition, "evt.type = close");
    EXPECT_EQ(rule.output, "user=%user.name command=%proc.cmdline file=%fd.name");
    EXPECT_EQ(rule.desc, "a replaced legit description");
    EXPECT_EQ(static_cast<const SourceRef&>(rule.condition_where), (SourceRef{"test.yaml", 9, 14}));
}

TEST(RulesetOverride, AppendAndReplaceInOneItem)
{
    RuleSet set = load_yaml(kLegitRule + R"(
- rule: legit_rule
  desc: a replaced legit description
  condition: and proc.name = cat
  priority: WARNING
  override:
    desc: replace
    condition: append
    priority: replace
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    const RuleDef& rule = set.rules.at(0);
    EXPECT_EQ(rule.condition, "evt.type=open and proc.name = cat");
    EXPECT_EQ(rule.desc, "a replaced legit description");
    EXPECT_EQ(rule.priority, Priority::Warning);
}

TEST(RulesetOverride, TagsAppendAsASetAndReplace)
{
    RuleSet appended = load_yaml(kLegitRule + R"(  tags: [b, a]
- rule: legit_rule
  tags: [c, a]
  override:
    tags: append
)");
    ASSERT_EQ(errors(appended), std::vector<std::string>{});
    EXPECT_EQ(appended.rules.at(0).tags, (std::vector<std::string>{"a", "b", "c"}));

    RuleSet replaced = load_yaml(kLegitRule + R"(  tags: [b, a]
- rule: legit_rule
  tags: [z]
  override:
    tags: replace
)");
    ASSERT_EQ(errors(replaced), std::vector<std::string>{});
    EXPECT_EQ(replaced.rules.at(0).tags, (std::vector<std::string>{"z"}));
}

TEST(RulesetOverride, ReplaceFlags)
{
    RuleSet set = load_yaml(kLegitRule + R"(  enabled: false
- rule: legit_rule
  enabled: true
  warn_evttypes: false
  skip-if-unknown-filter: true
  override:
    enabled: replace
    warn_evttypes: replace
    skip-if-unknown-filter: replace
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set), std::vector<std::string>{});
    const RuleDef& rule = set.rules.at(0);
    EXPECT_TRUE(rule.enabled);
    EXPECT_FALSE(rule.warn_evttypes);
    EXPECT_TRUE(rule.skip_if_unknown_filter);
}

TEST(RulesetOverride, ExceptionsAppendValuesByNameAndReplaceWholesale)
{
    const std::string base = kLegitRule + R"(  exceptions:
    - name: procs
      fields: [proc.name, fd.name]
      values:
        - [cat, /etc/passwd]
)";
    RuleSet appended = load_yaml(base + R"(- rule: legit_rule
  exceptions:
    - name: procs
      values:
        - [vi, /etc/shadow]
  override:
    exceptions: append
)");
    ASSERT_EQ(errors(appended), std::vector<std::string>{});
    EXPECT_EQ(appended.rules.at(0).condition,
              "(evt.type=open) and not (( proc.name = cat and  fd.name = /etc/passwd) or ( proc.name = vi and  fd.name "
              "= /etc/shadow))");

    RuleSet replaced = load_yaml(base + R"(- rule: legit_rule
  exceptions:
    - name: dirs
      fields: fd.directory
      values: [/tmp]
  override:
    exceptions: replace
)");
    ASSERT_EQ(errors(replaced), std::vector<std::string>{});
    EXPECT_EQ(replaced.rules.at(0).condition, "(evt.type=open) and not (fd.directory in (/tmp))");
}

TEST(RulesetOverride, EnabledFalseKeepsTheRuleDisabled)
{
    RuleSet set = load_yaml(kLegitRule + "  enabled: false\n");
    ASSERT_EQ(set.rules.size(), 1u);
    EXPECT_FALSE(set.rules[0].enabled);
    EXPECT_EQ(set.diagnostics.size(), 0u);
}

TEST(RulesetOverride, StandaloneEnabledIsDeprecatedButWorks)
{
    RuleSet set = load_yaml(kLegitRule + R"(  enabled: false
- rule: legit_rule
  enabled: true
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set), std::vector<std::string>{
                                 "test.yaml:8:3: rule 'legit_rule': the standalone 'enabled' key is deprecated; add "
                                 "'override' with 'enabled: replace' instead"});
    EXPECT_TRUE(set.rules.at(0).enabled);
}

TEST(RulesetOverride, LegacyAppendForRuleMacroAndList)
{
    RuleSet set = load_yaml(R"(- list: dev_creation_binaries
  items: [blkid]
- list: dev_creation_binaries
  items: ["csi-provisioner", "csi-attacher"]
  append: true
- macro: open_simple
  condition: evt.type in (open,openat)
- macro: open_simple
  condition: or evt.type = openat2
  append: true
)" + kLegitRule + R"(- rule: legit_rule
  condition: and proc.name = cat
  append: true
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    const std::string deprecated =
        "'append' is deprecated; add an entry under 'override' instead (e.g. 'condition: append')";
    EXPECT_EQ(warnings(set), (std::vector<std::string>{
                                 "test.yaml:5:3: list 'dev_creation_binaries': " + deprecated,
                                 "test.yaml:10:3: macro 'open_simple': " + deprecated,
                                 "test.yaml:18:3: rule 'legit_rule': " + deprecated,
                             }));
    EXPECT_EQ(set.lists.at(0).items, (std::vector<std::string>{"blkid", "csi-provisioner", "csi-attacher"}));
    EXPECT_EQ(set.macros.at(0).condition, "evt.type in (open,openat) or evt.type = openat2");
    EXPECT_EQ(set.rules.at(0).condition, "evt.type=open and proc.name = cat");
}

TEST(RulesetOverride, ListAndMacroOverridesAndLoadOrder)
{
    RuleSet set = load_yaml(R"(- list: a
  items: [x]
- list: b
  items: [a, y]
- list: a
  items: [z]
  override:
    items: append
- list: b
  items: [w]
  override:
    items: replace
- macro: m
  condition: evt.type = open
- macro: m
  condition: or evt.type = close
  override:
    condition: append
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    ASSERT_EQ(set.lists.size(), 2u);
    const ListDef& a = set.lists[0];
    const ListDef& b = set.lists[1];
    EXPECT_EQ(a.items, (std::vector<std::string>{"x", "z"}));
    EXPECT_EQ(b.items, (std::vector<std::string>{"w"}));
    // Falco's index and visibility: b's items were written before a was
    // appended to, so a list item of b naming a sees a's first definition.
    EXPECT_EQ(a.order, 0u);
    EXPECT_EQ(a.visibility, 2u);
    EXPECT_EQ(b.order, 1u);
    EXPECT_EQ(b.visibility, 3u);
    EXPECT_EQ(set.macros.at(0).condition, "evt.type = open or evt.type = close");
    EXPECT_EQ(set.macros[0].order, 4u);
    EXPECT_EQ(set.macros[0].visibility, 5u);
}

TEST(RulesetOverride, RedefinitionReplacesTheWholeRule)
{
    RuleSet set = load_yaml(kLegitRule + R"(  enabled: false
  tags: [old]
- rule: legit_rule
  desc: redefined rule syntax
  condition: proc.name = cat
  output: o
  priority: WARNING
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    ASSERT_EQ(set.rules.size(), 1u);
    const RuleDef& rule = set.rules[0];
    EXPECT_EQ(rule.condition, "proc.name = cat");
    EXPECT_TRUE(rule.enabled);
    EXPECT_TRUE(rule.tags.empty());
    EXPECT_EQ(rule.where, (SourceRef{"test.yaml", 8, 3}));
}

TEST(RulesetOverride, LaterFilesOverrideEarlierOnes)
{
    RuleLoader loader;
    ASSERT_TRUE(loader.load_string("base.yaml", kLegitRule));
    ASSERT_TRUE(loader.load_string("local.yaml", R"(- rule: legit_rule
  priority: critical
  override:
    priority: replace
)"));
    EXPECT_EQ(loader.finish().rules.at(0).priority, Priority::Critical);
}

TEST(RulesetOverride, FailedFileKeepsWhatEarlierFilesLoaded)
{
    RuleLoader loader;
    ASSERT_TRUE(loader.load_string("base.yaml", "- list: a\n  items: [x]\n" + kLegitRule));
    // Everything before the unknown item would load on its own.
    EXPECT_FALSE(loader.load_string("broken.yaml", R"(- list: a
  items: [y]
  override:
    items: append
- rule: legit_rule
  condition: and proc.name = cat
  override:
    condition: append
- list: c
  items: [z]
- lists: typo
)"));
    RuleSet set = loader.finish();
    EXPECT_TRUE(set.has_errors());
    EXPECT_EQ(set.lists.size(), 1u);
    EXPECT_EQ(set.lists.at(0).items, std::vector<std::string>{"x"});
    EXPECT_EQ(set.rules.at(0).condition, "evt.type=open");

    // The loader stays usable, and the next good file builds on base.yaml.
    EXPECT_TRUE(loader.load_string("next.yaml", "- list: a\n  items: [w]\n  override:\n    items: append\n"));
    EXPECT_EQ(loader.finish().lists.at(0).items, (std::vector<std::string>{"x", "w"}));
}

TEST(RulesetOverride, RulesOfOtherSourcesAreKeptButSkipped)
{
    RuleSet set = load_yaml(R"(- rule: Audit rule
  desc: d
  condition: ka.verb = create
  output: o
  priority: INFO
  source: k8s_audit
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set),
              std::vector<std::string>{"test.yaml:1:3: rule 'Audit rule': source 'k8s_audit' is not supported, only "
                                       "'syscall' rules are loaded; the rule is kept but skipped"});
    ASSERT_EQ(set.rules.size(), 1u);
    EXPECT_TRUE(set.rules[0].skipped);
    EXPECT_EQ(set.rules[0].source, "k8s_audit");
}

TEST(RulesetOverride, EngineAndPluginVersions)
{
    RuleSet set = load_yaml(R"(- required_engine_version: 26
- required_engine_version: 0.31.2
- required_engine_version: 0.9.0
- required_plugin_versions:
    - name: k8saudit
      version: 0.7.0
      alternatives:
        - name: k8saudit-eks
          version: 0.4.0
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(set.required_engine_version, "0.31.2");
    ASSERT_EQ(set.required_plugin_versions.size(), 1u);
    EXPECT_EQ(set.required_plugin_versions[0].size(), 2u);
    EXPECT_EQ(set.required_plugin_versions[0][1].name, "k8saudit-eks");
}

TEST(RulesetOverride, PrioritiesAcceptFalcoSpellings)
{
    EXPECT_EQ(parse_priority("INFO"), Priority::Informational);
    EXPECT_EQ(parse_priority("info"), Priority::Informational);
    EXPECT_EQ(parse_priority("Informational"), Priority::Informational);
    EXPECT_EQ(parse_priority("ERROR"), Priority::Error);
    EXPECT_EQ(parse_priority("error"), Priority::Error);
    EXPECT_EQ(parse_priority("WARNING"), Priority::Warning);
    EXPECT_EQ(parse_priority("emergency"), Priority::Emergency);
    EXPECT_EQ(parse_priority("warn"), std::nullopt);
    EXPECT_EQ(priority_name(Priority::Informational), "Informational");
    EXPECT_EQ(priority_name(Priority::Emergency), "Emergency");
}

// ---------------------------------------------------------------------------
// Exceptions compiled into conditions, in Falco's text format

TEST(RulesetExceptions, FieldTuplesWithComps)
{
    // The example of Falco's "rules now support exceptions" announcement.
    RuleSet set = load_yaml(R"(- rule: Write below binary dir
  desc: an attempt to write to any file below a set of binary directories
  condition: bin_dir and evt.dir = < and open_write
  output: File below a known binary directory opened for writing (file=%fd.name)
  priority: ERROR
  exceptions:
    - name: known_bin_writers
      fields: [proc.name, fd.name]
      comps: [=, contains]
      values:
        - [nginx, /usr/bin/nginx]
        - [apache, /bin/apache]
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(set.rules.at(0).condition,
              "(bin_dir and evt.dir = < and open_write) and not (( proc.name = nginx and  fd.name contains "
              "/usr/bin/nginx) or ( proc.name = apache and  fd.name contains /bin/apache))");
}

TEST(RulesetExceptions, SingleFieldDefaultsToIn)
{
    RuleSet set = load_yaml(R"(- list: known_tools
  items: [curl]
- rule: R
  desc: d
  condition: evt.type = execve
  output: o
  priority: INFO
  exceptions:
    - name: tools
      fields: proc.name
      values: [cat, "my app", known_tools, "a,b", say "hi"]
    - name: nothing_yet
      fields: [proc.name, proc.pname]
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    // A list name stays bare so that list expansion finds it; values the
    // condition grammar would split are quoted. An exception without
    // values adds nothing.
    EXPECT_EQ(set.rules.at(0).condition,
              "(evt.type = execve) and not (proc.name in (cat, \"my app\", known_tools, \"a,b\", \"say \\\"hi\\\"\"))");
    const auto& exceptions = set.rules[0].exceptions;
    ASSERT_EQ(exceptions.size(), 2u);
    EXPECT_EQ(exceptions[1].comps, (ExceptionEntry{.is_list = true, .items = {{.item = "="}, {.item = "="}}}));
}

TEST(RulesetExceptions, TupleItemsThatAreListsOrListNames)
{
    RuleSet set = load_yaml(R"(- rule: R
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: shells_in_tmp
      fields: [proc.name, fd.directory, proc.args]
      comps: [in, pmatch, contains]
      values:
        - [[bash, zsh], [/tmp, /var/tmp], "-c echo"]
        - [shell_binaries, /run, '"quoted already"']
)");
    ASSERT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(set.rules.at(0).condition,
              "(evt.type = open) and not (( proc.name in (bash, zsh) and  fd.directory pmatch (/tmp, /var/tmp) and  "
              "proc.args contains \"-c echo\") or ( proc.name in (shell_binaries) and  fd.directory pmatch (/run) and  "
              "proc.args contains \"quoted already\"))");
}

TEST(RulesetExceptions, ShapeErrorsPointAtTheOffendingPart)
{
    const std::string rule = R"(- rule: R
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: ex
)";
    EXPECT_EQ(
        errors(load_yaml(rule + R"(      fields: [proc.name, fd.name]
      values:
        - [cat, /etc]
        - [cat]
)")),
        std::vector<std::string>{
            "test.yaml:11:11: rule 'R': exception 'ex': each value must be a list with one item per field (2 fields)"});
    EXPECT_EQ(errors(load_yaml(rule + R"(      fields: [proc.name, fd.name]
      comps: [=, like]
)")),
              std::vector<std::string>{
                  "test.yaml:9:14: rule 'R': exception 'ex': 'like' is not a supported comparison operator"});
    EXPECT_EQ(errors(load_yaml(rule + R"(      fields: proc.name
      comps: =
)")),
              std::vector<std::string>{"test.yaml:9:14: rule 'R': exception 'ex': when 'fields' is a single field, "
                                       "'comps' must be one of in, pmatch, intersects"});
    EXPECT_EQ(errors(load_yaml(rule + "      values: [cat]\n")),
              std::vector<std::string>{"test.yaml:7:7: rule 'R': exception 'ex': missing required key 'fields'"});
}

// ---------------------------------------------------------------------------
// Errors and warnings, each with its exact position

TEST(RulesetDiagnostics, TopLevelMustBeASequence)
{
    RuleSet set = load_yaml("rule: x\ndesc: y\n");
    EXPECT_EQ(errors(set), std::vector<std::string>{
                               "test.yaml:1:1: rules content must be a sequence of items (rules, macros, lists), not "
                               "a mapping"});
}

TEST(RulesetDiagnostics, UnknownTopLevelItem)
{
    RuleSet set = load_yaml("- list: a\n  items: [x]\n- rules: typo\n  condition: x\n");
    EXPECT_EQ(errors(set),
              std::vector<std::string>{"test.yaml:3:3: unknown top-level item: expected a 'rule', 'macro', 'list', "
                                       "'required_engine_version' or 'required_plugin_versions' key"});
    EXPECT_TRUE(set.lists.empty());
}

TEST(RulesetDiagnostics, RuleMissingARequiredKey)
{
    for (std::string missing : {"condition", "output", "desc", "priority"}) {
        std::string yaml = "- rule: R\n";
        for (std::string key : {"desc", "condition", "output", "priority"})
            if (key != missing)
                yaml += "  " + key + ": " + (key == "priority" ? "INFO" : "x") + "\n";
        EXPECT_EQ(errors(load_yaml(yaml)),
                  std::vector<std::string>{"test.yaml:1:3: rule 'R': missing required key '" + missing + "'"})
            << yaml;
    }
    // An item with none of them is taken as a standalone `enabled`, which it
    // lacks too; the first missing key is named.
    EXPECT_EQ(errors(load_yaml("- rule: R\n  tags: [a]\n")),
              std::vector<std::string>{"test.yaml:1:3: rule 'R': missing required key 'condition'"});
}

TEST(RulesetDiagnostics, BadPriority)
{
    RuleLoader loader;
    EXPECT_FALSE(loader.load_file(kFixtures + "bad_priority.yaml"));
    RuleSet set = loader.finish();
    ASSERT_EQ(set.diagnostics.size(), 1u);
    const Diagnostic& d = set.diagnostics[0];
    EXPECT_EQ(d.where, (SourceRef{kFixtures + "bad_priority.yaml", 5, 13}));
    EXPECT_EQ(d.message,
              "rule 'Noisy rule': invalid priority 'URGENT' (expected one of emergency, alert, critical, error, "
              "warning, notice, informational or info, debug; any case)");
    EXPECT_EQ(d.source_line, "  priority: URGENT");
    EXPECT_TRUE(set.rules.empty());
}

TEST(RulesetDiagnostics, OverrideOfAnUndefinedItem)
{
    struct Case {
        std::string yaml;
        std::string error;
    };
    const Case cases[] = {
        {"- rule: Missing\n  condition: and proc.name = cat\n  override:\n    condition: append\n",
         "test.yaml:1:3: cannot append to rule 'Missing': no rule by that name is defined earlier"},
        {"- rule: Missing\n  condition: proc.name = cat\n  override:\n    condition: replace\n",
         "test.yaml:1:3: cannot override rule 'Missing': no rule by that name is defined earlier"},
        {"- rule: Missing\n  condition: and proc.name = cat\n  append: true\n",
         "test.yaml:1:3: cannot append to rule 'Missing': no rule by that name is defined earlier"},
        {"- rule: Missing\n  enabled: false\n",
         "test.yaml:1:3: cannot enable or disable rule 'Missing': no rule by that name is defined earlier"},
        {"- macro: missing\n  condition: or evt.type = openat2\n  override:\n    condition: append\n",
         "test.yaml:1:3: cannot append to macro 'missing': no macro by that name is defined earlier"},
        {"- macro: missing\n  condition: evt.type = openat2\n  override:\n    condition: replace\n",
         "test.yaml:1:3: cannot override macro 'missing': no macro by that name is defined earlier"},
        {"- list: missing\n  items: [blkid]\n  override:\n    items: append\n",
         "test.yaml:1:3: cannot append to list 'missing': no list by that name is defined earlier"},
        {"- list: missing\n  items: [blkid]\n  append: true\n",
         "test.yaml:1:3: cannot append to list 'missing': no list by that name is defined earlier"},
        {"- list: missing\n  items: [blkid]\n  override:\n    items: replace\n",
         "test.yaml:1:3: cannot override list 'missing': no list by that name is defined earlier"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(errors(load_yaml(c.yaml)), std::vector<std::string>{c.error}) << c.yaml;
}

TEST(RulesetDiagnostics, WrongYamlTypes)
{
    EXPECT_EQ(errors(load_yaml("- list: binaries\n  items: bash\n")),
              std::vector<std::string>{"test.yaml:2:10: list 'binaries': 'items' must be a sequence, not a string"});
    EXPECT_EQ(errors(load_yaml("- macro: m\n  condition: [evt.type = open]\n")),
              std::vector<std::string>{"test.yaml:2:14: macro 'm': 'condition' must be a string, not a sequence"});
    EXPECT_EQ(errors(load_yaml("- macro: m\n  condition:\n")),
              std::vector<std::string>{"test.yaml:2:3: macro 'm': 'condition' must be a string, not an empty value"});
    EXPECT_EQ(
        errors(load_yaml(kLegitRule + "  enabled: maybe\n")),
        std::vector<std::string>{"test.yaml:6:12: rule 'legit_rule': 'enabled' must be true or false, not 'maybe'"});
    EXPECT_EQ(
        errors(load_yaml(kLegitRule + "  tags: [a, {b: c}]\n")),
        std::vector<std::string>{"test.yaml:6:13: rule 'legit_rule': items of 'tags' must be strings, not a mapping"});
    EXPECT_EQ(errors(load_yaml("- list: a\n  items: [x]\n  override: append\n")),
              std::vector<std::string>{"test.yaml:3:13: list 'a': 'override' must be a mapping of keys to 'append' or "
                                       "'replace', not a string"});
}

TEST(RulesetDiagnostics, KeysThatCannotBeOverridden)
{
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  source: k8s_audit
  override:
    source: replace
)")),
              std::vector<std::string>{"test.yaml:9:5: rule 'legit_rule': key 'source' cannot be overridden"});
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  desc: an appended incorrect field
  condition: and proc.name = cat
  priority: WARNING
  override:
    desc: replace
    condition: append
    priority: append
)")),
              std::vector<std::string>{
                  "test.yaml:13:5: rule 'legit_rule': key 'priority' cannot be appended to, use 'replace' instead"});
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  condition: and proc.name = cat
  override:
    condition: merge
)")),
              std::vector<std::string>{"test.yaml:9:16: rule 'legit_rule': invalid override operation 'merge' for key "
                                       "'condition' (allowed: append, replace)"});
}

TEST(RulesetDiagnostics, OverrideKeysAndItemKeysMustMatch)
{
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  desc: an appended incorrect field
  override:
    desc: replace
    condition: append
)")),
              std::vector<std::string>{"test.yaml:10:5: rule 'legit_rule': an append override for 'condition' was "
                                       "specified but 'condition' is not defined"});
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  condition: and proc.name = cat
  priority: WARNING
  override:
    condition: append
)")),
              std::vector<std::string>{"test.yaml:8:3: rule 'legit_rule': unexpected key 'priority': no corresponding "
                                       "entry under 'override' is defined"});
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(- rule: legit_rule
  condition: and proc.name = cat
  append: true
  override:
    condition: append
)")),
              std::vector<std::string>{"test.yaml:9:3: rule 'legit_rule': 'override' and 'append: true' cannot be used "
                                       "together; add an 'append' entry under 'override' instead (e.g. 'condition: "
                                       "append')"});
}

TEST(RulesetDiagnostics, DuplicateKey)
{
    RuleSet set = load_yaml(R"(- rule: R
  desc: d
  condition: evt.type = open
  output: o
  condition: evt.type = close
  priority: INFO
)");
    EXPECT_EQ(errors(set),
              std::vector<std::string>{
                  "test.yaml:5:3: rule 'R': duplicate key 'condition' (first defined at line 3, column 3)"});
    EXPECT_EQ(errors(load_yaml(kLegitRule + R"(  exceptions:
    - name: e
      fields: proc.name
      name: f
)")),
              std::vector<std::string>{"test.yaml:9:7: rule 'legit_rule': exception 'e': duplicate key 'name' (first "
                                       "defined at line 7, column 7)"});
}

TEST(RulesetDiagnostics, YamlSyntaxError)
{
    // yaml-cpp notices the unclosed flow sequence at the ':' of the next item.
    RuleSet set = load_yaml("- rule: R\n  desc: [unclosed\n- rule: S\n");
    EXPECT_EQ(errors(set), std::vector<std::string>{"test.yaml:3:7: invalid YAML: end of sequence flow not found"});
    EXPECT_EQ(errors(load_yaml("- rule: x\n   condition: y\n")),
              std::vector<std::string>{"test.yaml:2:13: invalid YAML: illegal map value"});
}

TEST(RulesetDiagnostics, UnknownAndUnusedKeysWarn)
{
    RuleSet set = load_yaml(kLegitRule + R"(  tag: [x]
- list: l
  items: [a]
  overide:
    items: append
- rule: legit_rule
  condition: and proc.name = cat
  output: ignored
  append: true
)");
    EXPECT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set), (std::vector<std::string>{
                                 "test.yaml:6:3: rule 'legit_rule': unknown key 'tag' (ignored)",
                                 "test.yaml:9:3: list 'l': unknown key 'overide' (ignored)",
                                 "test.yaml:14:3: rule 'legit_rule': 'append' is deprecated; add an entry under "
                                 "'override' instead (e.g. 'condition: append')",
                                 "test.yaml:13:3: rule 'legit_rule': 'output' has no effect with 'append: true' "
                                 "(ignored)",
                             }));
    EXPECT_EQ(set.rules.at(0).output, "user=%user.name command=%proc.cmdline file=%fd.name");
}

TEST(RulesetDiagnostics, NamesConditionsCannotReferToWarn)
{
    RuleSet set = load_yaml("- list: my list\n  items: [a]\n- macro: 1st\n  condition: evt.type = open\n");
    EXPECT_EQ(errors(set), std::vector<std::string>{});
    EXPECT_EQ(warnings(set), (std::vector<std::string>{
                                 "test.yaml:1:9: list 'my list': invalid list name: conditions cannot refer to a list "
                                 "whose name has blanks, quotes, parentheses, commas or '='",
                                 "test.yaml:3:10: macro '1st': invalid macro name: conditions can only refer to macros "
                                 "named by a letter followed by letters, digits or '_'",
                             }));
    EXPECT_EQ(set.lists.size(), 1u);
}

TEST(RulesetDiagnostics, EngineVersionMustParse)
{
    EXPECT_EQ(errors(load_yaml("- required_engine_version: seven\n")),
              std::vector<std::string>{"test.yaml:1:28: required_engine_version: unable to parse engine version "
                                       "'seven' as a semver string (expected \"x.y.z\")"});
}

TEST(RulesetDiagnostics, RedefinitionWithAnotherSource)
{
    EXPECT_EQ(errors(load_yaml(kLegitRule + kLegitRule + "  source: k8s_audit\n")),
              std::vector<std::string>{"test.yaml:6:3: rule 'legit_rule': redefined with source 'k8s_audit', but it "
                                       "was defined with source 'syscall'"});
}

TEST(RulesetDiagnostics, UnreadableFile)
{
    RuleLoader loader;
    EXPECT_FALSE(loader.load_file(kFixtures + "does_not_exist.yaml"));
    RuleSet set = loader.finish();
    ASSERT_EQ(set.diagnostics.size(), 1u);
    EXPECT_EQ(set.diagnostics[0].render(),
              kFixtures + "does_not_exist.yaml: error: cannot read rules file: No such file or directory");
}

TEST(RulesetDiagnostics, RenderShowsTheLineAndACaret)
{
    RuleSet set = load_yaml(kLegitRule + "  tags: oops\n");
    ASSERT_EQ(set.diagnostics.size(), 1u);
    EXPECT_EQ(set.diagnostics[0].render(),
              "test.yaml:6:9: error: rule 'legit_rule': 'tags' must be a sequence, not a string\n"
              "    tags: oops\n"
              "          ^");

    Diagnostic tabbed{Diagnostic::Severity::Warning, SourceRef{"f.yaml", 3, 4}, "look here", "\tx: y"};
    EXPECT_EQ(tabbed.render(), "f.yaml:3:4: warning: look here\n  \tx: y\n  \t  ^");
}

// ---------------------------------------------------------------------------
// Carets into conditions

TEST(RulesetConditionPositions, FoldedLinesMapBackToTheFile)
{
    RuleSet set = load_yaml(R"(- macro: m
  condition: >
    evt.type = open
    and proc.name = cat
)");
    const MacroDef& macro = set.macros.at(0);
    ASSERT_EQ(macro.condition, "evt.type = open and proc.name = cat\n");
    EXPECT_EQ(static_cast<const SourceRef&>(macro.condition_where), (SourceRef{"test.yaml", 3, 5}));
    EXPECT_EQ(locate_in_condition(macro.condition_where, 1, 1), (SourceRef{"test.yaml", 3, 5}));
    EXPECT_EQ(locate_in_condition(macro.condition_where, 1, 21), (SourceRef{"test.yaml", 4, 9}));
    // Past the end: where the last line ends.
    EXPECT_EQ(locate_in_condition(macro.condition_where, 2, 1), (SourceRef{"test.yaml", 4, 24}));
}

TEST(RulesetConditionPositions, LiteralAndQuotedConditions)
{
    RuleSet set = load_yaml(R"(- macro: literal
  condition: |
    evt.type = open
      and proc.name = cat
- macro: quoted
  condition: "proc.name = \"a b\" and evt.type = open"
)");
    const MacroDef& literal = set.macros.at(0);
    ASSERT_EQ(literal.condition, "evt.type = open\n  and proc.name = cat\n");
    EXPECT_EQ(locate_in_condition(literal.condition_where, 2, 3), (SourceRef{"test.yaml", 4, 7}));

    const MacroDef& quoted = set.macros.at(1);
    ASSERT_EQ(quoted.condition, "proc.name = \"a b\" and evt.type = open");
    EXPECT_EQ(locate_in_condition(quoted.condition_where, 1, 1), (SourceRef{"test.yaml", 6, 15}));
    EXPECT_EQ(locate_in_condition(quoted.condition_where, 1, 13), (SourceRef{"test.yaml", 6, 27}));
    EXPECT_EQ(locate_in_condition(quoted.condition_where, 1, 23), (SourceRef{"test.yaml", 6, 39}));
    EXPECT_EQ(locate_in_condition(quoted.condition_where, 1, 38), (SourceRef{"test.yaml", 6, 54}));
}

TEST(RulesetConditionPositions, AppendsPointIntoTheirOwnFileAndExceptionsAtTheException)
{
    RuleLoader loader;
    ASSERT_TRUE(loader.load_string("base.yaml", kLegitRule));
    ASSERT_TRUE(loader.load_string("local.yaml", R"(- rule: legit_rule
  condition: and proc.name = cat
  exceptions:
    - name: shells
      fields: proc.name
      values: [bash]
  override:
    condition: append
    exceptions: append
)"));
    RuleSet set = loader.finish();
    const RuleDef& rule = set.rules.at(0);
    ASSERT_EQ(rule.condition, "(evt.type=open and proc.name = cat) and not (proc.name in (bash))");
    EXPECT_EQ(static_cast<const SourceRef&>(rule.condition_where), (SourceRef{"base.yaml", 3, 14}));
    EXPECT_EQ(locate_in_condition(rule.condition_where, 1, 2), (SourceRef{"base.yaml", 3, 14}));
    EXPECT_EQ(locate_in_condition(rule.condition_where, 1, 16), (SourceRef{"local.yaml", 2, 14}));
    EXPECT_EQ(locate_in_condition(rule.condition_where, 1, 20), (SourceRef{"local.yaml", 2, 18}));
    EXPECT_EQ(locate_in_condition(rule.condition_where, 1, 50), (SourceRef{"local.yaml", 4, 7}));
}

TEST(RulesetConditionPositions, WithoutTheMapOnlyTheOffsetIsKnown)
{
    SourceRef start{"f.yaml", 10, 5};
    EXPECT_EQ(locate_in_condition(start, 1, 3), (SourceRef{"f.yaml", 10, 7}));
    EXPECT_EQ(locate_in_condition(start, 2, 1), (SourceRef{"f.yaml", 11, 5}));
}

}  // namespace
}  // namespace palisade::rules
