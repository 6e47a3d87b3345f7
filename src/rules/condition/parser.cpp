#include "rules/condition/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "rules/condition/lexer.h"

namespace palisade::rules {
namespace {

using condition::Lexer;
using condition::QuotedString;

constexpr std::array<std::string_view, 5> kTransformers = {"tolower", "toupper", "b64", "basename", "len"};
// val(field): the value of another field, on the right of an operator.
constexpr std::array<std::string_view, 1> kVal = {"val"};

// Fields whose argument may follow a dot: evt.arg.flags is evt.arg[flags].
constexpr std::array<std::string_view, 2> kDottedArgFields = {"evt.arg", "evt.rawarg"};

// What an operator expects on its right.
enum class OperatorFamily { Unary, Numeric, String, List };

struct OperatorSpelling {
    std::string_view text;
    OperatorFamily family;
};

constexpr std::array<OperatorSpelling, 20> kOperators = {{
    {"exists", OperatorFamily::Unary},
    {"<=", OperatorFamily::Numeric},
    {"<", OperatorFamily::Numeric},
    {">=", OperatorFamily::Numeric},
    {">", OperatorFamily::Numeric},
    {"==", OperatorFamily::String},
    {"=", OperatorFamily::String},
    {"!=", OperatorFamily::String},
    {"contains", OperatorFamily::String},
    {"icontains", OperatorFamily::String},
    {"bcontains", OperatorFamily::String},
    {"startswith", OperatorFamily::String},
    {"bstartswith", OperatorFamily::String},
    {"endswith", OperatorFamily::String},
    {"glob", OperatorFamily::String},
    {"iglob", OperatorFamily::String},
    {"regex", OperatorFamily::String},
    {"in", OperatorFamily::List},
    {"intersects", OperatorFamily::List},
    {"pmatch", OperatorFamily::List},
}};

std::optional<OperatorFamily> operator_family(std::string_view spelled) {
    for (const auto& op : kOperators) {
        if (op.text == spelled) return op.family;
    }
    return std::nullopt;
}

// In a message, what came before the unexpected text: " after 'and'", or
// nothing at the start of the text.
struct After {
    std::string_view token;
};

}  // namespace
}  // namespace palisade::rules

template <>
struct fmt::formatter<palisade::rules::After> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(palisade::rules::After after, FormatContext& context) const {
        if (after.token.empty()) return context.out();
        return fmt::format_to(context.out(), " after '{}'", after.token);
    }
};

namespace palisade::rules {
namespace {

// Counts '(' groups on the parser's stack; nesting past kMaxNestingDepth is
// refused before it can exhaust the stack.
class NestingLevel {
public:
    explicit NestingLevel(std::uint32_t& depth) : depth_(depth) { ++depth_; }
    ~NestingLevel() { --depth_; }
    NestingLevel(const NestingLevel&) = delete;
    NestingLevel& operator=(const NestingLevel&) = delete;
    bool too_deep() const { return depth_ > kMaxNestingDepth; }

private:
    std::uint32_t& depth_;
};

// Recursive descent over the grammar in parser.h. Methods return nullptr /
// false / nullopt on the first error, which is kept in error_; callers just
// pass the failure up. `after` parameters name the token before the
// production, for messages.
//
// Nesting recurses through parse_or, parse_not, parse_check and parse_group,
// which therefore stay lean: and/or share one loop, messages are formatted
// out of line (expected(), fail()) and field checks are parsed in
// parse_field_check().
class Parser {
public:
    Parser(std::string_view text, std::string_view text_name) : lex_(text, text_name) {}

    ParseResult parse_whole_condition() {
        ParseResult result;
        lex_.skip_blanks();
        if (lex_.at_end()) {
            fail(Location{}, "the condition is empty");
        } else if (ExprPtr expr = parse_or(""); expr) {
            lex_.skip_blanks();
            if (lex_.at_end()) {
                result.expr = std::move(expr);
            } else {
                expected("'and', 'or' or the end of the condition");
            }
        }
        result.error = std::move(error_);
        return result;
    }

    std::optional<ParseError> parse_output(std::vector<OutputChunk>& out) {
        if (lex_.at_end()) {
            fail(Location{}, "the output format is empty");
            return error_;
        }
        std::string literal;
        while (!lex_.at_end()) {
            literal += lex_.take(lex_.rest().find('%'));  // to the end when there is no '%'
            if (lex_.at_end()) break;
            if (!literal.empty()) out.push_back(OutputChunk{.is_field = false, .text = std::move(literal)});
            literal.clear();
            lex_.take(1);
            OutputChunk field_chunk{.is_field = true};
            if (!parse_output_field(field_chunk)) return error_;
            out.push_back(std::move(field_chunk));
        }
        if (!literal.empty()) out.push_back(OutputChunk{.is_field = false, .text = std::move(literal)});
        return std::nullopt;
    }

private:
    // OrExpr ::= AndExpr ( 'or' AndExpr )* and AndExpr ::= NotExpr ( 'and' NotExpr )*
    // in one loop: 'and' extends the current run of operands, 'or' closes it.
    ExprPtr parse_or(std::string_view after) {
        std::vector<ExprPtr> alternatives;  // the operands of 'or'
        std::vector<ExprPtr> conjuncts;     // the current run of operands of 'and'
        lex_.skip_blanks();
        Location or_start = lex_.location();
        Location and_start = or_start;
        while (true) {
            ExprPtr operand = parse_not(after);
            if (!operand) return nullptr;
            conjuncts.push_back(std::move(operand));
            lex_.skip_blanks();
            if (lex_.accept_keyword("and")) {
                after = "and";
                continue;
            }
            alternatives.push_back(combine<AndExpr>(std::move(conjuncts), and_start));
            conjuncts.clear();  // from moved-from to empty
            if (!lex_.accept_keyword("or")) break;
            after = "or";
            lex_.skip_blanks();
            and_start = lex_.location();
        }
        return combine<OrExpr>(std::move(alternatives), or_start);
    }

    // One operand as itself, several as one node of kind `Node`.
    template <class Node>
    static ExprPtr combine(std::vector<ExprPtr> operands, Location where) {
        if (operands.size() == 1) return std::move(operands.front());
        return make_expr(Node{std::move(operands)}, where);
    }

    // NotExpr ::= 'not' NotExpr | Check, as a loop: a run of `not`s
    // costs no stack, and pairs of them cancel out as in Falco.
    ExprPtr parse_not(std::string_view after) {
        lex_.skip_blanks();
        Location where = lex_.location();
        bool negated = false;
        while (lex_.accept_keyword("not")) {
            negated = !negated;
            after = "not";
            lex_.skip_blanks();
        }
        ExprPtr check = parse_check(after);
        if (!check || !negated) return check;
        return make_expr(NotExpr{std::move(check)}, where);
    }

    // Check ::= '(' OrExpr ')' | FieldOrCall Comparison | Identifier
    ExprPtr parse_check(std::string_view after) {
        lex_.skip_blanks();
        Location where = lex_.location();
        if (lex_.accept('(')) return parse_group(where);
        if (at_field_or_call()) return parse_field_check(where);
        if (std::size_t length = lex_.match_identifier(); length != 0) {
            return make_expr(IdentifierExpr{std::string(lex_.take(length))}, where);
        }
        expected("a field check, a macro name, 'not' or '('{}", After{after});
        return nullptr;
    }

    // FieldOrCall Comparison, starting at `where`. Out of line to keep its
    // locals off the recursive path through parse_check().
    [[gnu::noinline]] ExprPtr parse_field_check(Location where) {
        FieldExpr lhs;
        if (!parse_field_or_call(lhs, "")) return nullptr;
        return parse_comparison(std::move(lhs), where);
    }

    // The rest of '(' OrExpr ')', after the '(' at `open`.
    ExprPtr parse_group(Location open) {
        NestingLevel level(depth_);
        if (level.too_deep()) {
            fail(open, "expected at most {} nested '(', found more", kMaxNestingDepth);
            return nullptr;
        }
        ExprPtr inner = parse_or("(");
        if (!inner) return nullptr;
        lex_.skip_blanks();
        if (!lex_.accept(')')) {
            expected("')' to close the '(' at line {}, column {}", open.line, open.column);
            return nullptr;
        }
        return inner;
    }

    // Comparison ::= UnaryOp | NumOp ... | StrOp ... | ListOp ..., after `lhs`.
    ExprPtr parse_comparison(FieldExpr lhs, Location where) {
        lex_.skip_blanks();
        std::size_t length = lex_.match_symbolic_operator();
        if (length == 0) length = lex_.match_letters();
        std::string op(lex_.rest().substr(0, length));
        std::optional<OperatorFamily> family = operator_family(op);
        if (!family) {
            expected("an operator after '{}'", to_string(lhs));
            return nullptr;
        }
        lex_.take(length);
        if (*family == OperatorFamily::Unary) return make_expr(UnaryExpr{std::move(lhs), std::move(op)}, where);
        std::optional<Operand> rhs = parse_operand(*family, op);
        if (!rhs) return nullptr;
        return make_expr(CompareExpr{std::move(lhs), std::move(op), std::move(*rhs)}, where);
    }

    // What follows a binary operator `op` of `family`.
    std::optional<Operand> parse_operand(OperatorFamily family, std::string_view op) {
        lex_.skip_blanks();
        Location where = lex_.location();
        // Falco tries val() and transformer calls before plain values.
        if (at_call(kVal) || at_call(kTransformers)) {
            FieldExpr field;
            if (!parse_rhs_field(field)) return std::nullopt;
            return field;
        }
        if (family == OperatorFamily::Numeric) {
            std::size_t length = lex_.match_number();
            if (length == 0) {
                expected("a number or a field{}", After{op});
                return std::nullopt;
            }
            return Literal{std::string(lex_.take(length)), false, where};
        }
        if (family == OperatorFamily::List) {
            if (lex_.accept('(')) return parse_list(where);
            if (std::size_t length = lex_.match_identifier(); length != 0) {
                return Literal{std::string(lex_.take(length)), false, where};
            }
            expected("a list, a list name or a field{}", After{op});
            return std::nullopt;
        }
        Literal value;
        if (!parse_value(value, "a value", op)) return std::nullopt;
        return value;
    }

    // List ::= '(' ( ListItem ( ',' ListItem )* )? ')', after the '(' at `open`.
    std::optional<Operand> parse_list(Location open) {
        LiteralList list{.where = open};
        lex_.skip_blanks();
        if (lex_.accept(')')) return list;
        std::string_view what = "a list item or ')'";
        std::string_view after = "(";
        do {
            lex_.skip_blanks();
            if (!parse_value(list.items.emplace_back(), what, after)) return std::nullopt;
            what = "a list item";
            after = ",";
            lex_.skip_blanks();
        } while (lex_.accept(','));
        if (!lex_.accept(')')) {
            expected("',' or ')' in the list opened at line {}, column {}", open.line, open.column);
            return std::nullopt;
        }
        return list;
    }

    // QuotedStr | BareStr, as a single value or a list item; `what` it is, for messages.
    bool parse_value(Literal& out, std::string_view what, std::string_view after) {
        out.where = lex_.location();
        if (lex_.next_is('"') || lex_.next_is('\'')) {
            out.quoted = true;
            return parse_quoted(out.text);
        }
        std::size_t length = lex_.match_bare_value();
        if (length == 0) return expected("{}{}", what, After{after});
        out.text = lex_.take(length);
        return true;
    }

    bool parse_quoted(std::string& out) {
        QuotedString quoted = lex_.scan_quoted();
        switch (quoted.status) {
        case QuotedString::Status::Ok:
            out = std::move(quoted.text);
            return true;
        case QuotedString::Status::Unterminated:
            // The cursor is still on the opening quote.
            return fail(quoted.problem, "unterminated string: expected a closing {}, found {}", lex_.describe_next(),
                        lex_.describe_end());
        case QuotedString::Status::BadEscape:
            return fail(quoted.problem,
                        "expected an escape sequence (\\b \\f \\n \\r \\t \\\\ \\/ or the quote), found '{}'",
                        quoted.bad_escape);
        }
        return false;
    }

    // True when a name followed at once by '(' is one of `names`.
    template <std::size_t N>
    bool at_call(const std::array<std::string_view, N>& names) const {
        std::size_t length = lex_.match_identifier();
        std::string_view text = lex_.rest();
        if (length == 0 || length >= text.size() || text[length] != '(') return false;
        return std::find(names.begin(), names.end(), text.substr(0, length)) != names.end();
    }

    bool at_field_or_call() const { return lex_.match_field_name() != 0 || at_call(kTransformers); }

    // FieldOrCall ::= Transformer '(' FieldOrCall ')' | Field. Transformer
    // calls are read in a loop, so they cost no stack however deep they nest.
    bool parse_field_or_call(FieldExpr& out, std::string_view after) {
        while (at_call(kTransformers)) {
            std::string_view name = lex_.take(lex_.match_identifier());
            lex_.take(1);  // '('
            out.transformers.emplace_back(name);
            lex_.skip_blanks();
        }
        if (lex_.match_field_name() == 0) {
            if (out.transformers.empty()) return expected("a field name{}", After{after});
            return expected("a field or a transformer call after '{}('", out.transformers.back());
        }
        if (!parse_field(out)) return false;
        for (auto transformer = out.transformers.rbegin(); transformer != out.transformers.rend(); ++transformer) {
            lex_.skip_blanks();
            if (!lex_.accept(')')) return expected("')' to close '{}('", *transformer);
        }
        return true;
    }

    // RhsField ::= 'val' '(' Field ')' | Transformer '(' FieldOrCall ')'
    bool parse_rhs_field(FieldExpr& out) {
        if (!at_call(kVal)) return parse_field_or_call(out, "");
        lex_.take(kVal[0].size() + 1);  // "val(
        lex_.skip_blanks();
        if (lex_.match_field_name() == 0) return expected("a field name after 'val('");
        if (!parse_field(out)) return false;
        lex_.skip_blanks();
        if (!lex_.accept(')')) return expected("')' to close 'val('");
        return true;
    }

    // Field ::= FieldName ( '[' FieldArg? ']' )?, with the cursor on a FieldName.
    bool parse_field(FieldExpr& out) {
        out.where = lex_.location();
        std::string_view name = lex_.take(lex_.match_field_name());
        if (lex_.accept('[')) {
            out.field = name;
            std::string& arg = out.arg.emplace();
            if (lex_.next_is('"') || lex_.next_is('\'')) {
                if (!parse_quoted(arg)) return false;
            } else {
                arg = lex_.take(lex_.match_field_arg());
            }
            if (!lex_.accept(']')) return expected("']' to close the argument of '{}'", name);
            return true;
        }
        for (std::string_view prefix : kDottedArgFields) {
            if (name.size() > prefix.size() + 1 && name.substr(0, prefix.size()) == prefix &&
                name[prefix.size()] == '.') {
                out.field = prefix;
                out.arg = name.substr(prefix.size() + 1);
                out.arg_after_dot = true;
                return true;
            }
        }
        out.field = name;
        return true;
    }

    // '%' [width] ( FieldOrCall | '(' FieldOrCall ')' ), after the '%'.
    bool parse_output_field(OutputChunk& out) {
        std::string_view text = lex_.rest();
        std::size_t digits = 0;
        while (digits < text.size() && condition::is_digit(text[digits])) ++digits;
        if (digits != 0) {
            Location width_location = lex_.location();
            auto [end, status] = std::from_chars(text.data(), text.data() + digits, out.width);
            if (status != std::errc()) {
                return fail(width_location, "expected a field width below {}, found '{}'",
                            std::numeric_limits<std::uint32_t>::max(), text.substr(0, digits));
            }
            lex_.take(digits);
        }
        bool parenthesised = lex_.accept('(');
        if (!at_field_or_call()) return expected("a field name after '%'");
        if (!parse_field_or_call(out.field, "%")) return false;
        if (parenthesised && !lex_.accept(')')) return expected("')' to close '%('");
        out.text = to_string(out.field);
        return true;
    }

    // Records "expected <what>, found <the next token>" at the cursor and
    // returns false for callers to pass up. Out of line and cold: formatting
    // needs a large buffer that would otherwise sit in every caller's frame.
    template <class... Args>
    [[gnu::noinline, gnu::cold]] bool expected(fmt::format_string<Args...> what, Args&&... args) {
        return fail(lex_.location(), "expected {}, found {}", fmt::format(what, std::forward<Args>(args)...),
                    lex_.describe_next());
    }

    // Records an error (the first one wins) and returns false.
    template <class... Args>
    [[gnu::noinline, gnu::cold]] bool fail(Location where, fmt::format_string<Args...> message, Args&&... args) {
        if (!error_) error_ = ParseError{where, fmt::format(message, std::forward<Args>(args)...)};
        return false;
    }

    Lexer lex_;
    std::optional<ParseError> error_;
    std::uint32_t depth_ = 0;
};

// Offsets in Location are 32-bit; longer texts are refused up front.
std::optional<ParseError> check_length(std::string_view text, std::string_view text_name) {
    if (text.size() < std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return ParseError{Location{}, fmt::format("the {} is too long ({} bytes)", text_name, text.size())};
}

}  // namespace

ParseResult parse_condition(std::string_view text) {
    if (auto too_long = check_length(text, "condition")) return ParseResult{nullptr, std::move(too_long)};
    return Parser(text, "condition").parse_whole_condition();
}

std::optional<ParseError> parse_output_format(std::string_view text, std::vector<OutputChunk>& out) {
    out.clear();
    std::optional<ParseError> error = check_length(text, "output format");
    if (!error) error = Parser(text, "output format").parse_output(out);
    if (error) out.clear();
    return error;
}

}  // namespace palisade::rules
