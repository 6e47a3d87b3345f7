#include "rules/condition/ast.h"

#include <type_traits>

#include "rules/condition/lexer.h"

namespace palisade::rules {
namespace {

// Expr::kind() casts the variant index, so ExprKind must list the node
// types in the variant's order.
template <ExprKind kind, class NodeType>
constexpr bool kind_matches =
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(kind), Expr::Node>, NodeType>;
static_assert(kind_matches<ExprKind::And, AndExpr> && kind_matches<ExprKind::Or, OrExpr> &&
              kind_matches<ExprKind::Not, NotExpr> && kind_matches<ExprKind::Identifier, IdentifierExpr> &&
              kind_matches<ExprKind::Compare, CompareExpr> && kind_matches<ExprKind::Unary, UnaryExpr> &&
              std::variant_size_v<Expr::Node> == 6);

using condition::is_bare_field_arg;
using condition::is_bare_value;
using condition::quote;

std::vector<ExprPtr> clone_all(const std::vector<ExprPtr>& children) {
    std::vector<ExprPtr> copies;
    copies.reserve(children.size());
    for (const auto& child : children) copies.push_back(clone(*child));
    return copies;
}

// Only the nodes that own subtrees need more than a copy.
Expr::Node clone_node(const AndExpr& node) { return AndExpr{clone_all(node.children)}; }
Expr::Node clone_node(const OrExpr& node) { return OrExpr{clone_all(node.children)}; }
Expr::Node clone_node(const NotExpr& node) { return NotExpr{clone(*node.child)}; }
Expr::Node clone_node(const IdentifierExpr& node) { return node; }
Expr::Node clone_node(const CompareExpr& node) { return node; }
Expr::Node clone_node(const UnaryExpr& node) { return node; }

void append_literal(std::string& out, const Literal& literal) {
    out += literal.quoted || !is_bare_value(literal.text) ? quote(literal.text) : literal.text;
}

void append_field(std::string& out, const FieldExpr& field) {
    for (const auto& transformer : field.transformers) {
        out += transformer;
        out += '(';
    }
    out += field.name();
    out.append(field.transformers.size(), ')');
}

void append_operand(std::string& out, const Operand& operand) {
    if (const auto* literal = std::get_if<Literal>(&operand)) {
        append_literal(out, *literal);
    } else if (const auto* list = std::get_if<LiteralList>(&operand)) {
        out += '(';
        for (std::size_t i = 0; i < list->items.size(); ++i) {
            if (i != 0) out += ", ";
            append_literal(out, list->items[i]);
        }
        out += ')';
    } else {
        // A bare field on the right is only legal inside val().
        const auto& field = std::get<FieldExpr>(operand);
        if (field.transformers.empty()) {
            out += "val(";
            append_field(out, field);
            out += ')';
        } else {
            append_field(out, field);
        }
    }
}

void append_expr(std::string& out, const Expr& expr);

void append_joined(std::string& out, const std::vector<ExprPtr>& children, std::string_view keyword) {
    out += '(';
    for (std::size_t i = 0; i < children.size(); ++i) {
        if (i != 0) {
            out += ' ';
            out += keyword;
            out += ' ';
        }
        append_expr(out, *children[i]);
    }
    out += ')';
}

void append_expr(std::string& out, const Expr& expr) {
    switch (expr.kind()) {
    case ExprKind::And:
        append_joined(out, expr.as<AndExpr>()->children, "and");
        break;
    case ExprKind::Or:
        append_joined(out, expr.as<OrExpr>()->children, "or");
        break;
    case ExprKind::Not:
        out += "(not ";
        append_expr(out, *expr.as<NotExpr>()->child);
        out += ')';
        break;
    case ExprKind::Identifier:
        out += expr.as<IdentifierExpr>()->name;
        break;
    case ExprKind::Compare: {
        const auto& compare = *expr.as<CompareExpr>();
        append_field(out, compare.lhs);
        out += ' ';
        out += compare.op;
        out += ' ';
        append_operand(out, compare.rhs);
        break;
    }
    case ExprKind::Unary: {
        const auto& unary = *expr.as<UnaryExpr>();
        append_field(out, unary.lhs);
        out += ' ';
        out += unary.op;
        break;
    }
    }
}

}  // namespace

std::string FieldExpr::name() const {
    std::string written = field;
    if (!arg) return written;
    if (arg_after_dot) {
        written += '.';
        written += *arg;
    } else {
        written += '[';
        // An empty argument stays empty (fd.types[]); anything the bare
        // argument syntax cannot hold is quoted.
        written += arg->empty() || is_bare_field_arg(*arg) ? *arg : quote(*arg);
        written += ']';
    }
    return written;
}

ExprPtr make_expr(Expr::Node node, Location where) {
    return std::make_unique<Expr>(Expr{std::move(node), where});
}

ExprPtr clone(const Expr& expr) {
    return make_expr(std::visit([](const auto& node) { return clone_node(node); }, expr.node), expr.where);
}

std::string to_string(const Expr& expr) {
    std::string out;
    append_expr(out, expr);
    return out;
}

std::string to_string(const FieldExpr& field) {
    std::string out;
    append_field(out, field);
    return out;
}

std::string to_string(const Operand& operand) {
    std::string out;
    append_operand(out, operand);
    return out;
}

}  // namespace palisade::rules
