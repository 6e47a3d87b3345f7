// The Falco condition parser: grammar, tree shape, locations, error
// messages, output formats, and every condition of Falco's official rules.
#include "rules/condition/parser.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>
#include <vector>

namespace palisade::rules {
namespace {

// Parses and fails the test with the parser's message on error.
ExprPtr parse_ok(std::string_view text) {
    ParseResult result = parse_condition(text);
    EXPECT_FALSE(result.error.has_value()) << "'" << text << "': " << result.error->message << " at line "
                                           << result.error->where.line << ", column " << result.error->where.column;
    EXPECT_NE(result.expr, nullptr);
    return std::move(result.expr);
}

// The canonical form of `text`, or "<error>" when it does not parse.
std::string canonical(std::string_view text) {
    ParseResult result = parse_condition(text);
    return result.expr ? to_string(*result.expr) : "<error: " + result.error->message + ">";
}

ParseError parse_error(std::string_view text) {
    ParseResult result = parse_condition(text);
    EXPECT_EQ(result.expr, nullptr) << "'" << text << "' parsed as " << to_string(*result.expr);
    return result.error.value_or(ParseError{{}, "<no error>"});
}

// The macro name of an Identifier node, or a marker that fails comparisons.
std::string identifier_name(const Expr& expr) {
    const IdentifierExpr* identifier = expr.as<IdentifierExpr>();
    return identifier != nullptr ? identifier->name : "<not an identifier: " + to_string(expr) + ">";
}

const CompareExpr& as_compare(const ExprPtr& expr) {
    static const CompareExpr none{};
    EXPECT_EQ(expr->kind(), ExprKind::Compare);
    const CompareExpr* compare = expr->as<CompareExpr>();
    return compare != nullptr ? *compare : none;
}

const Literal& as_literal(const Operand& operand) {
    static const Literal none{};
    EXPECT_TRUE(std::holds_alternative<Literal>(operand));
    const Literal* literal = std::get_if<Literal>(&operand);
    return literal != nullptr ? *literal : none;
}

void expect_location(Location where, std::uint32_t offset, std::uint32_t line, std::uint32_t column) {
    EXPECT_EQ(where.offset, offset);
    EXPECT_EQ(where.line, line);
    EXPECT_EQ(where.column, column);
}

// ---------------------------------------------------------------- operators

struct OperatorCase {
    std::string name;  // for the test's name, which cannot hold symbols
    std::string op;
    std::string rhs;
};

class ConditionOperatorTest : public ::testing::TestWithParam<OperatorCase> {};

TEST_P(ConditionOperatorTest, ParsesAsComparisonWithThatOperator) {
    const auto& [name, op, rhs] = GetParam();
    ExprPtr expr = parse_ok("proc.name " + op + " " + rhs);
    ASSERT_NE(expr, nullptr);
    const CompareExpr& compare = as_compare(expr);
    EXPECT_EQ(compare.lhs.field, "proc.name");
    EXPECT_EQ(compare.op, op);
    EXPECT_EQ(to_string(compare.rhs), rhs);
}

INSTANTIATE_TEST_SUITE_P(
    ConditionEveryBinaryOperator, ConditionOperatorTest,
    ::testing::Values(OperatorCase{"Eq", "=", "bash"}, OperatorCase{"EqEq", "==", "bash"},
                      OperatorCase{"Ne", "!=", "bash"}, OperatorCase{"Lt", "<", "10"},
                      OperatorCase{"Le", "<=", "-1"}, OperatorCase{"Gt", ">", "0x10"},
                      OperatorCase{"Ge", ">=", "1.5e+3"}, OperatorCase{"Contains", "contains", "sh"},
                      OperatorCase{"IContains", "icontains", "SH"}, OperatorCase{"BContains", "bcontains", "0a0b"},
                      OperatorCase{"StartsWith", "startswith", "/etc/"},
                      OperatorCase{"BStartsWith", "bstartswith", "7f454c46"},
                      OperatorCase{"EndsWith", "endswith", ".sock"}, OperatorCase{"Glob", "glob", "/tmp/*"},
                      OperatorCase{"IGlob", "iglob", "*.SH"}, OperatorCase{"Regex", "regex", "\"^ba(sh|tch)$\""},
                      OperatorCase{"In", "in", "(bash, sh)"}, OperatorCase{"Intersects", "intersects", "(-V, -l)"},
                      OperatorCase{"PMatch", "pmatch", "(/etc, /usr/lib)"}),
    [](const ::testing::TestParamInfo<OperatorCase>& info) { return info.param.name; });

TEST(ConditionParser, ExistsIsUnary) {
    ExprPtr expr = parse_ok("proc.pname exists");
    ASSERT_NE(expr, nullptr);
    ASSERT_EQ(expr->kind(), ExprKind::Unary);
    EXPECT_EQ(expr->as<UnaryExpr>()->lhs.field, "proc.pname");
    EXPECT_EQ(expr->as<UnaryExpr>()->op, "exists");
}

TEST(ConditionParser, OperatorsNeedNoBlanksAroundSymbols) {
    EXPECT_EQ(canonical("fd.num>=0"), "fd.num >= 0");
    EXPECT_EQ(canonical("fd.typechar='f'"), "fd.typechar = \"f\"");
    EXPECT_EQ(canonical("evt.type in(open,openat)"), "evt.type in (open, openat)");
    EXPECT_EQ(canonical("proc.name=bash"), "proc.name = bash");
}

TEST(ConditionParser, NumericOperatorsNeedANumberOrAField) {
    EXPECT_EQ(canonical("evt.rawres >= +3.25"), "evt.rawres >= +3.25");
    EXPECT_EQ(canonical("evt.rawres > val(proc.pid)"), "evt.rawres > val(proc.pid)");
    EXPECT_EQ(parse_error("evt.rawres >= abc").message, "expected a number or a field after '>=', found 'abc'");
}

TEST(ConditionParser, RightSideValuesAreBareWords) {
    for (std::string value : {"/etc/shadow", "127.0.0.1", "169.254.169.254", "-1", "0x10", "ipv4", "*", "/tmp/*",
                              "runc:[1:CHILD]", "\\", "a!b<c>"}) {
        ExprPtr expr = parse_ok("fd.name = " + value);
        ASSERT_NE(expr, nullptr);
        const Literal& literal = as_literal(as_compare(expr).rhs);
        EXPECT_EQ(literal.text, value);
        EXPECT_FALSE(literal.quoted);
    }
}

// ------------------------------------------------------------- and, or, not

TEST(ConditionParser, NotBindsTighterThanAndWhichBindsTighterThanOr) {
    ExprPtr expr = parse_ok("a or b and not c");
    ASSERT_NE(expr, nullptr);
    ASSERT_EQ(expr->kind(), ExprKind::Or);
    const auto& either = expr->as<OrExpr>()->children;
    ASSERT_EQ(either.size(), 2u);
    EXPECT_EQ(identifier_name(*either[0]), "a");
    ASSERT_EQ(either[1]->kind(), ExprKind::And);
    const auto& both = either[1]->as<AndExpr>()->children;
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(identifier_name(*both[0]), "b");
    ASSERT_EQ(both[1]->kind(), ExprKind::Not);
    EXPECT_EQ(identifier_name(*both[1]->as<NotExpr>()->child), "c");
    EXPECT_EQ(to_string(*expr), "(a or (b and (not c)))");
}

TEST(ConditionParser, RunsOfOneOperatorAreOneNode) {
    EXPECT_EQ(canonical("a and b and c or d or e"), "((a and b and c) or d or e)");
    EXPECT_EQ(canonical("a and (b and c)"), "(a and (b and c))");
}

TEST(ConditionParser, NestedParentheses) {
    EXPECT_EQ(canonical("((a))"), "a");
    EXPECT_EQ(canonical("(a or (b and (c or not (d and e))))"), "(a or (b and (c or (not (d and e)))))");
    EXPECT_EQ(canonical("not (a or b) and c"), "((not (a or b)) and c)");
    EXPECT_EQ(canonical("(a)and(b)or(c)"), "((a and b) or c)");
    EXPECT_EQ(canonical("not(a)"), "(not a)");
}

TEST(ConditionParser, DoubleNegationCancelsAsInFalco) {
    EXPECT_EQ(canonical("not not a"), "a");
    EXPECT_EQ(canonical("not not not a"), "(not a)");
}

TEST(ConditionParser, KeywordsNeedABlankOrParenthesisAfterThem) {
    // Macro names that merely start with a keyword.
    EXPECT_EQ(canonical("notify or order and android"), "(notify or (order and android))");
    // `not.x` is a field, as in Falco.
    EXPECT_EQ(canonical("not.x exists"), "not.x exists");
    EXPECT_EQ(canonical("a\nand\tb"), "(a and b)");
    // Before ')' they are keywords too, missing their operand (Falco would
    // read `(not)` as a macro named "not").
    EXPECT_EQ(parse_error("(not)").message,
              "expected a field check, a macro name, 'not' or '(' after 'not', found ')'");
    EXPECT_EQ(parse_error("(a or)").message, "expected a field check, a macro name, 'not' or '(' after 'or', found ')'");
}

TEST(ConditionParser, IdentifiersAreMacroReferences) {
    ExprPtr expr = parse_ok("  spawned_process  ");
    ASSERT_NE(expr, nullptr);
    EXPECT_EQ(identifier_name(*expr), "spawned_process");
    expect_location(expr->where, 2, 1, 3);
}

// ------------------------------------------------------ fields, transformers

TEST(ConditionParser, FieldArguments) {
    struct Case {
        std::string text;
        std::string field;
        std::optional<std::string> arg;
        bool after_dot;
    };
    for (const Case& c : std::vector<Case>{
             {"proc.name", "proc.name", std::nullopt, false},
             {"proc.aname[2]", "proc.aname", "2", false},
             {"evt.arg[1]", "evt.arg", "1", false},
             {"evt.arg.flags", "evt.arg", "flags", true},
             {"evt.rawarg.res", "evt.rawarg", "res", true},
             {"container.mount.dest[/var/run/docker.sock]", "container.mount.dest", "/var/run/docker.sock", false},
             {"container.mount.dest[/proc*]", "container.mount.dest", "/proc*", false},
             {"fd.types[]", "fd.types", "", false},
             {"k8s.ns.name", "k8s.ns.name", std::nullopt, false},
             {"ka.req.pod.containers.image", "ka.req.pod.containers.image", std::nullopt, false},
             {"proc.aenv[\"MY VAR\"]", "proc.aenv", "MY VAR", false},
         }) {
        SCOPED_TRACE(c.text);
        ExprPtr expr = parse_ok(c.text + " exists");
        ASSERT_NE(expr, nullptr);
        ASSERT_EQ(expr->kind(), ExprKind::Unary);
        const FieldExpr& field = expr->as<UnaryExpr>()->lhs;
        EXPECT_EQ(field.field, c.field);
        EXPECT_EQ(field.arg, c.arg);
        EXPECT_EQ(field.arg_after_dot, c.after_dot);
        EXPECT_TRUE(field.transformers.empty());
        EXPECT_EQ(to_string(*expr), c.text + " exists");
    }
}

TEST(ConditionParser, BadFieldArguments) {
    ParseError unclosed = parse_error("proc.aname[2 = x");
    EXPECT_EQ(unclosed.message, "expected ']' to close the argument of 'proc.aname', found ' '");
    expect_location(unclosed.where, 12, 1, 13);
}

TEST(ConditionParser, TransformersOnTheLeftNest) {
    ExprPtr expr = parse_ok("tolower( basename(proc.exepath) ) = bash");
    ASSERT_NE(expr, nullptr);
    const CompareExpr& compare = as_compare(expr);
    EXPECT_EQ(compare.lhs.transformers, (std::vector<std::string>{"tolower", "basename"}));
    EXPECT_EQ(compare.lhs.field, "proc.exepath");
    expect_location(compare.lhs.where, 18, 1, 19);
    expect_location(expr->where, 0, 1, 1);
    EXPECT_EQ(to_string(*expr), "tolower(basename(proc.exepath)) = bash");
    for (std::string transformer : {"tolower", "toupper", "b64", "basename", "len"}) {
        EXPECT_EQ(canonical(transformer + "(proc.name) exists"), transformer + "(proc.name) exists");
    }
}

TEST(ConditionParser, FieldsOnTheRight) {
    ExprPtr val = parse_ok("proc.name = val(proc.pname)");
    ASSERT_NE(val, nullptr);
    const auto* rhs = std::get_if<FieldExpr>(&as_compare(val).rhs);
    ASSERT_NE(rhs, nullptr);
    EXPECT_EQ(rhs->field, "proc.pname");
    EXPECT_TRUE(rhs->transformers.empty());
    expect_location(rhs->where, 16, 1, 17);

    ExprPtr transformed = parse_ok("toupper(proc.name) != toupper(len(proc.aname[1]))");
    ASSERT_NE(transformed, nullptr);
    rhs = std::get_if<FieldExpr>(&as_compare(transformed).rhs);
    ASSERT_NE(rhs, nullptr);
    EXPECT_EQ(rhs->transformers, (std::vector<std::string>{"toupper", "len"}));
    EXPECT_EQ(rhs->name(), "proc.aname[1]");

    EXPECT_EQ(canonical("fd.name in val(fd.directory)"), "fd.name in val(fd.directory)");
    // Without '(' right after it a transformer name is an ordinary value.
    EXPECT_EQ(as_literal(as_compare(parse_ok("proc.name = len")).rhs).text, "len");
}

TEST(ConditionParser, TransformerErrors) {
    EXPECT_EQ(parse_error("tolower(proc.name = x").message, "expected ')' to close 'tolower(', found '='");
    EXPECT_EQ(parse_error("proc.name = val(tolower(proc.name))").message,
              "expected a field name after 'val(', found 'tolower'");
    EXPECT_EQ(parse_error("proc.name = b64(x)").message,
              "expected a field or a transformer call after 'b64(', found 'x'");
}

// ------------------------------------------------------------------- values

TEST(ConditionParser, QuotedStringsWithEscapesAndBlanks) {
    struct Case {
        std::string text;
        std::string value;
    };
    for (const Case& c : std::vector<Case>{
             {R"("sh -c ls")", "sh -c ls"},
             {R"('it''s')", "<two strings>"},
             {R"("say \"hi\"")", "say \"hi\""},
             {R"('say \'hi\'')", "say 'hi'"},
             {R"("a'b")", "a'b"},
             {R"('a"b')", "a\"b"},
             {R"("\b\f\n\r\t\\\/")", "\b\f\n\r\t\\/"},
             {R"("\ ")", "\\"},  // Falco's reading of the sudo rule's "\ "
             {R"("a\\")", "a\\"},
             {R"("")", ""},
             {R"("(a, b) = c")", "(a, b) = c"},
         }) {
        SCOPED_TRACE(c.text);
        if (c.value == "<two strings>") {
            EXPECT_EQ(parse_error("proc.name = " + c.text).message,
                      "expected 'and', 'or' or the end of the condition, found \"'\"");
            continue;
        }
        ExprPtr expr = parse_ok("proc.name = " + c.text);
        ASSERT_NE(expr, nullptr);
        const Literal& literal = as_literal(as_compare(expr).rhs);
        EXPECT_EQ(literal.text, c.value);
        EXPECT_TRUE(literal.quoted);
        expect_location(literal.where, 12, 1, 13);
        // The canonical form reads back to the same value.
        EXPECT_EQ(canonical(to_string(*expr)), to_string(*expr));
    }
}

TEST(ConditionParser, EscapesOfTheOtherQuoteAreRejectedAsInFalco) {
    ParseError error = parse_error(R"(proc.name = "a\'b")");
    EXPECT_EQ(error.message, R"(expected an escape sequence (\b \f \n \r \t \\ \/ or the quote), found '\'')");
    expect_location(error.where, 14, 1, 15);
}

TEST(ConditionParser, ListsKeepRawItemsAndWhetherTheyWereQuoted) {
    ExprPtr expr = parse_ok("proc.name in (a, \"b c\", 3,'d' ,shell_binaries)");
    ASSERT_NE(expr, nullptr);
    const auto* list = std::get_if<LiteralList>(&as_compare(expr).rhs);
    ASSERT_NE(list, nullptr);
    expect_location(list->where, 13, 1, 14);
    ASSERT_EQ(list->items.size(), 5u);
    std::vector<std::pair<std::string, bool>> items;
    for (const Literal& item : list->items) items.emplace_back(item.text, item.quoted);
    EXPECT_EQ(items, (std::vector<std::pair<std::string, bool>>{
                         {"a", false}, {"b c", true}, {"3", false}, {"d", true}, {"shell_binaries", false}}));
    expect_location(list->items[1].where, 17, 1, 18);
    EXPECT_EQ(to_string(*expr), "proc.name in (a, \"b c\", 3, \"d\", shell_binaries)");
}

TEST(ConditionParser, EmptyListsAndListNames) {
    ExprPtr empty = parse_ok("proc.name in ( )");
    ASSERT_NE(empty, nullptr);
    const auto* list = std::get_if<LiteralList>(&as_compare(empty).rhs);
    ASSERT_NE(list, nullptr);
    EXPECT_TRUE(list->items.empty());

    // Falco accepts a list name without parentheses.
    ExprPtr named = parse_ok("proc.name in shell_binaries");
    ASSERT_NE(named, nullptr);
    const Literal& name = as_literal(as_compare(named).rhs);
    EXPECT_EQ(name.text, "shell_binaries");
    EXPECT_FALSE(name.quoted);
    EXPECT_EQ(to_string(*named), "proc.name in shell_binaries");
}

TEST(ConditionParser, ListErrors) {
    EXPECT_EQ(parse_error("x.y in (a,)").message, "expected a list item after ',', found ')'");
    EXPECT_EQ(parse_error("x.y in (a b)").message,
              "expected ',' or ')' in the list opened at line 1, column 8, found 'b'");
    EXPECT_EQ(parse_error("x.y in (a").message,
              "expected ',' or ')' in the list opened at line 1, column 8, found end of condition");
    EXPECT_EQ(parse_error("x.y in \"a\"").message, "expected a list, a list name or a field after 'in', found '\"'");
}

// ------------------------------------------------------------------- errors

TEST(ConditionParserErrors, UnclosedParenthesis) {
    ParseError error = parse_error("(proc.name = bash and\n  (fd.name = x or y)");
    EXPECT_EQ(error.message, "expected ')' to close the '(' at line 1, column 1, found end of condition");
    expect_location(error.where, 42, 2, 21);
}

TEST(ConditionParserErrors, MissingValue) {
    ParseError error = parse_error("(proc.name contains )");
    EXPECT_EQ(error.message, "expected a value after 'contains', found ')'");
    expect_location(error.where, 20, 1, 21);

    ParseError at_end = parse_error("proc.name =\n");
    EXPECT_EQ(at_end.message, "expected a value after '=', found end of condition");
    expect_location(at_end.where, 12, 2, 1);
}

TEST(ConditionParserErrors, UnknownOperator) {
    ParseError error = parse_error("proc.name ~= x");
    EXPECT_EQ(error.message, "expected an operator after 'proc.name', found '~='");
    expect_location(error.where, 10, 1, 11);

    // Falco would read this as `in list`; we want the typo reported.
    EXPECT_EQ(parse_error("proc.name inlist").message, "expected an operator after 'proc.name', found 'inlist'");
    EXPECT_EQ(parse_error("tolower(proc.aname[1])").message,
              "expected an operator after 'tolower(proc.aname[1])', found end of condition");
}

TEST(ConditionParserErrors, TrailingGarbage) {
    ParseError error = parse_error("proc.name = bash\r\n  and fd.name = x )");
    EXPECT_EQ(error.message, "expected 'and', 'or' or the end of the condition, found ')'");
    expect_location(error.where, 36, 2, 19);

    EXPECT_EQ(parse_error("a orb").message, "expected 'and', 'or' or the end of the condition, found 'orb'");

    // A lone carriage return ends a line too.
    expect_location(parse_error("a\r)").where, 2, 2, 1);
}

TEST(ConditionParserErrors, EmptyCondition) {
    for (std::string text : {"", " \n\t "}) {
        ParseError error = parse_error(text);
        EXPECT_EQ(error.message, "the condition is empty");
        expect_location(error.where, 0, 1, 1);
    }
}

TEST(ConditionParserErrors, UnterminatedString) {
    ParseError error = parse_error("proc.name = bash or\nproc.cmdline contains 'sh -c");
    EXPECT_EQ(error.message, "unterminated string: expected a closing \"'\", found end of condition");
    expect_location(error.where, 42, 2, 23);

    EXPECT_EQ(parse_error(R"(proc.name = "a\")").message,
              "unterminated string: expected a closing '\"', found end of condition");
}

TEST(ConditionParserErrors, MissingOperand) {
    ParseError error = parse_error("a and ");
    EXPECT_EQ(error.message, "expected a field check, a macro name, 'not' or '(' after 'and', found end of condition");
    expect_location(error.where, 6, 1, 7);
    EXPECT_EQ(parse_error("not = x").message,
              "expected a field check, a macro name, 'not' or '(' after 'not', found '='");
    EXPECT_EQ(parse_error("()").message, "expected a field check, a macro name, 'not' or '(' after '(', found ')'");
    EXPECT_EQ(parse_error("\x01").message, "expected a field check, a macro name, 'not' or '(', found '\\x01'");
}

TEST(ConditionParserErrors, NestingIsBounded) {
    std::string deepest_allowed = std::string(kMaxNestingDepth, '(') + "a" + std::string(kMaxNestingDepth, ')');
    EXPECT_EQ(canonical(deepest_allowed), "a");

    std::string too_deep = "not (" + std::string(kMaxNestingDepth, '(') + "a";
    ParseError error = parse_error(too_deep);
    EXPECT_EQ(error.message, "expected at most 1000 nested '(', found more");
    expect_location(error.where, 4 + kMaxNestingDepth, 1, 5 + kMaxNestingDepth);

    // Not and transformer runs are loops, not recursion: no limit needed.
    std::string many_nots;
    for (int i = 0; i < 100001; ++i) many_nots += "not ";
    EXPECT_EQ(canonical(many_nots + "a"), "(not a)");
    std::string many_calls;
    for (int i = 0; i < 100000; ++i) many_calls += "len(";
    ExprPtr calls = parse_ok(many_calls + "proc.name" + std::string(100000, ')') + " > 0");
    ASSERT_NE(calls, nullptr);
    EXPECT_EQ(as_compare(calls).lhs.transformers.size(), 100000u);
}

// -------------------------------------------------------------- tree, clone

TEST(ConditionAst, LocationsOfNodes) {
    ExprPtr expr = parse_ok("spawned_process and\n  not proc.name in (a, b)\n  and (x.y exists)");
    ASSERT_NE(expr, nullptr);
    // The shape, so that walking it below is safe.
    ASSERT_EQ(to_string(*expr), "(spawned_process and (not proc.name in (a, b)) and x.y exists)");
    const auto& children = expr->as<AndExpr>()->children;
    expect_location(expr->where, 0, 1, 1);
    expect_location(children[0]->where, 0, 1, 1);
    expect_location(children[1]->where, 22, 2, 3);  // the `not`
    const Expr& compare = *children[1]->as<NotExpr>()->child;
    expect_location(compare.where, 26, 2, 7);
    expect_location(compare.as<CompareExpr>()->lhs.where, 26, 2, 7);
    expect_location(children[2]->where, 53, 3, 8);  // inside the parentheses
}

TEST(ConditionAst, CloneIsDeep) {
    ExprPtr original = parse_ok("a and not (proc.name in (x, \"y\") or tolower(fd.name) = val(fd.directory))");
    ASSERT_NE(original, nullptr);
    std::string text = to_string(*original);
    // The shape, so that walking the copy below is safe.
    ASSERT_EQ(text, "(a and (not (proc.name in (x, \"y\") or tolower(fd.name) = val(fd.directory))))");
    ExprPtr copy = clone(*original);
    ASSERT_EQ(to_string(*copy), text);
    expect_location(copy->where, 0, 1, 1);

    copy->as<AndExpr>()->children[0]->as<IdentifierExpr>()->name = "b";
    Expr& negated = *copy->as<AndExpr>()->children[1]->as<NotExpr>()->child;
    std::get<LiteralList>(negated.as<OrExpr>()->children[0]->as<CompareExpr>()->rhs).items.clear();
    EXPECT_EQ(to_string(*copy), "(b and (not (proc.name in () or tolower(fd.name) = val(fd.directory))))");
    EXPECT_EQ(to_string(*original), text);
}

TEST(ConditionAst, ToStringQuotesWhatWouldNotReadBack) {
    ExprPtr built = make_expr(
        CompareExpr{FieldExpr{.field = "proc.aenv", .arg = "A B"}, "in",
                    LiteralList{.items = {Literal{.text = "a,b"}, Literal{.text = ""}, Literal{.text = "plain"}}}},
        Location{});
    EXPECT_EQ(to_string(*built), R"(proc.aenv["A B"] in ("a,b", "", plain))");
    EXPECT_EQ(canonical(to_string(*built)), to_string(*built));
}

// ----------------------------------------------------------- output formats

TEST(ConditionOutputFormat, SplitsLiteralsAndFields) {
    std::vector<OutputChunk> chunks;
    auto error = parse_output_format(
        "file=%fd.name flags=%evt.arg.flags gparent=%proc.aname[2] %tolower(proc.name)%(proc.pname)_x 100%12user.name",
        chunks);
    ASSERT_FALSE(error.has_value()) << error->message;
    std::vector<std::string> shown;
    for (const auto& chunk : chunks) shown.push_back((chunk.is_field ? "F:" : "L:") + chunk.text);
    EXPECT_EQ(shown, (std::vector<std::string>{"L:file=", "F:fd.name", "L: flags=", "F:evt.arg.flags", "L: gparent=",
                                               "F:proc.aname[2]", "L: ", "F:tolower(proc.name)", "F:proc.pname",
                                               "L:_x 100", "F:user.name"}));
    ASSERT_EQ(chunks.size(), 11u);
    EXPECT_EQ(chunks[3].field.field, "evt.arg");
    EXPECT_EQ(chunks[3].field.arg, "flags");
    EXPECT_EQ(chunks[5].field.arg, "2");
    expect_location(chunks[5].field.where, 44, 1, 45);
    EXPECT_EQ(chunks[7].field.transformers, std::vector<std::string>{"tolower"});
    EXPECT_EQ(chunks[10].width, 12u);
    EXPECT_EQ(chunks[10].field.field, "user.name");
}

TEST(ConditionOutputFormat, FieldNamesEndWhereTheNameDoes) {
    std::vector<OutputChunk> chunks;
    ASSERT_FALSE(parse_output_format("(%proc.name) %fd.name.", chunks).has_value());
    ASSERT_EQ(chunks.size(), 5u);
    EXPECT_EQ(chunks[1].text, "proc.name");
    EXPECT_EQ(chunks[2].text, ") ");
    EXPECT_EQ(chunks[3].text, "fd.name");
    EXPECT_EQ(chunks[4].text, ".");
}

TEST(ConditionOutputFormat, Errors) {
    std::vector<OutputChunk> chunks{OutputChunk{.text = "stale"}};
    auto error = parse_output_format("ok\nvalue=% x", chunks);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->message, "expected a field name after '%', found ' '");
    expect_location(error->where, 10, 2, 8);
    EXPECT_TRUE(chunks.empty());

    EXPECT_EQ(parse_output_format("100%", chunks)->message,
              "expected a field name after '%', found end of output format");
    EXPECT_EQ(parse_output_format("", chunks)->message, "the output format is empty");
    EXPECT_EQ(parse_output_format("%proc.aname[2", chunks)->message,
              "expected ']' to close the argument of 'proc.aname', found end of output format");
    EXPECT_EQ(parse_output_format("%(proc.name", chunks)->message,
              "expected ')' to close '%(', found end of output format");
    EXPECT_EQ(parse_output_format("%99999999999proc.name", chunks)->message,
              "expected a field width below 4294967295, found '99999999999'");
}

// ----------------------------------------------------- Falco's rule files

struct FalcoRuleTexts {
    std::vector<std::string> conditions;  // of macros and rules
    std::vector<std::string> outputs;
};

FalcoRuleTexts load_falco_rules() {
    FalcoRuleTexts texts;
    for (const char* file : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}) {
        YAML::Node document = YAML::LoadFile(std::string(PALISADE_CORPUS_DIR) + "/falco-rules/" + file);
        for (const auto& entry : document) {
            if (entry["condition"]) texts.conditions.push_back(entry["condition"].as<std::string>());
            if (entry["output"]) texts.outputs.push_back(entry["output"].as<std::string>());
        }
    }
    return texts;
}

TEST(ConditionCorpus, EveryOfficialFalcoConditionAndOutputParses) {
    FalcoRuleTexts texts = load_falco_rules();
    // 352 macros and 93 rules at the pinned commit of falcosecurity/rules.
    EXPECT_EQ(texts.conditions.size(), 445u);
    EXPECT_EQ(texts.outputs.size(), 93u);

    for (const auto& condition : texts.conditions) {
        ParseResult result = parse_condition(condition);
        ASSERT_FALSE(result.error.has_value()) << result.error->message << " at line " << result.error->where.line
                                               << ", column " << result.error->where.column << " of:\n"
                                               << condition;
        // The canonical form reads back to itself.
        std::string text = to_string(*result.expr);
        EXPECT_EQ(canonical(text), text);
    }
    for (const auto& output : texts.outputs) {
        std::vector<OutputChunk> chunks;
        auto error = parse_output_format(output, chunks);
        ASSERT_FALSE(error.has_value()) << error->message << " in:\n" << output;
        EXPECT_TRUE(std::any_of(chunks.begin(), chunks.end(), [](const auto& c) { return c.is_field; })) << output;
    }
}

TEST(ConditionCorpus, ParsingEveryOfficialConditionTakesMilliseconds) {
    FalcoRuleTexts texts = load_falco_rules();
    ASSERT_FALSE(texts.conditions.empty());
    auto start = std::chrono::steady_clock::now();
    std::size_t parsed = 0;
    for (const auto& condition : texts.conditions) parsed += parse_condition(condition).expr != nullptr;
    for (const auto& output : texts.outputs) {
        std::vector<OutputChunk> chunks;
        parsed += !parse_output_format(output, chunks).has_value();
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(parsed, texts.conditions.size() + texts.outputs.size());
    // About 2 ms in a RelWithDebInfo build; the margin absorbs sanitizers and noisy machines.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 100);
}

}  // namespace
}  // namespace palisade::rules
