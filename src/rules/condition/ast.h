// The syntax tree of a Falco filter condition, as produced by parse_condition()
// (parser.h). It keeps exactly what the text says: macro references stay
// Identifier nodes, list names stay raw values. Resolving macros and lists,
// checking field names against the catalog and mapping operators onto
// matchers is the compiler's job.
//
// Walking the tree: switch on Expr::kind() and read the node with
// Expr::as<T>() (or std::get<T>(expr.node)), or std::visit over expr.node.
//
//   void walk(const Expr& e) {
//       switch (e.kind()) {
//       case ExprKind::And:        for (auto& c : e.as<AndExpr>()->children) walk(*c); break;
//       case ExprKind::Or:         for (auto& c : e.as<OrExpr>()->children) walk(*c); break;
//       case ExprKind::Not:        walk(*e.as<NotExpr>()->child); break;
//       case ExprKind::Identifier: /* macro e.as<IdentifierExpr>()->name */ break;
//       case ExprKind::Compare:    /* field, operator, operand */ break;
//       case ExprKind::Unary:      /* field exists */ break;
//       }
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace palisade::rules {

// A position in the parsed text (a condition or an output format).
struct Location {
    std::uint32_t offset = 0;  // bytes from the start of the text
    std::uint32_t line = 1;    // 1-based; "\n", "\r\n" and a lone "\r" each end a line
    std::uint32_t column = 1;  // 1-based, in bytes
};

// A field reference, possibly wrapped in transformers:
//   proc.name                  field "proc.name"
//   proc.aname[2]              field "proc.aname", arg "2"
//   container.mount.dest[/x]   field "container.mount.dest", arg "/x"
//   fd.types[]                 field "fd.types", arg "" (present but empty)
//   evt.arg[1]                 field "evt.arg", arg "1"
//   evt.arg.flags              field "evt.arg", arg "flags", arg_after_dot
//   evt.rawarg.res             field "evt.rawarg", arg "res", arg_after_dot
//   tolower(b64(proc.name))    transformers {"tolower", "b64"}, field "proc.name"
// Only evt.arg.NAME and evt.rawarg.NAME are split at the dot: for every other
// dotted name the parser cannot tell an argument from a longer field name,
// so `field` is the whole name (FieldCatalog::find() knows the fields).
struct FieldExpr {
    std::vector<std::string> transformers;  // outermost first; empty when none
    std::string field;                      // the catalog name, without the argument
    std::optional<std::string> arg;         // the argument text, unescaped when it was quoted
    bool arg_after_dot = false;             // written evt.arg.NAME rather than evt.arg[NAME]
    Location where;                         // of the field name (not of a transformer)

    // The field in canonical form, without transformers: "proc.aname[2]",
    // "evt.arg.flags", proc.aenv["A B"] (an argument is quoted only when it
    // must be). This is also the key Falco shows it under in outputs.
    std::string name() const;
};

// A right-hand value: a bare word (/etc/shadow, 127.0.0.1, -1, 0x10, *) or a
// quoted string with its escapes already applied. `quoted` tells
// `in (shell_binaries)`, which names a list, from `in ("shell_binaries")`;
// Falco's parser drops the quotes and so expands both, the compiler decides.
struct Literal {
    std::string text;
    bool quoted = false;
    Location where;  // of the first character (the opening quote when quoted)
};

// A parenthesised list: (a, "b c", 3), possibly empty: ().
struct LiteralList {
    std::vector<Literal> items;
    Location where;  // of the '('
};

// The right-hand side of a comparison. Which alternatives occur:
//   Literal      after every operator but `exists`. After a list operator
//                (in, intersects, pmatch) it is a bare list name written
//                without parentheses, as in `proc.name in shell_binaries`.
//   LiteralList  after a list operator only.
//   FieldExpr    another field: `val(proc.pname)` has no transformers,
//                `tolower(proc.pname)` has some (Falco allows no transformer
//                inside val() and no val() inside a transformer).
using Operand = std::variant<Literal, LiteralList, FieldExpr>;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// `a and b and c` is one node with three children; parentheses start a new
// node: `a and (b and c)` has two children.
struct AndExpr {
    std::vector<ExprPtr> children;  // two or more
};

struct OrExpr {
    std::vector<ExprPtr> children;  // two or more
};

// As in Falco, `not not X` parses as X (a run of `not`s cancels in pairs);
// `not (not X)` keeps both nodes.
struct NotExpr {
    ExprPtr child;
};

// A bare name where a check is expected: a macro reference.
struct IdentifierExpr {
    std::string name;
};

// `lhs op rhs`; op is spelled as written: one of = == != < <= > >= contains
// icontains bcontains startswith bstartswith endswith glob iglob regex in
// intersects pmatch (compare_op_from() in engine/operators.h maps it).
struct CompareExpr {
    FieldExpr lhs;
    std::string op;
    Operand rhs;
};

// `lhs exists`, the only unary operator.
struct UnaryExpr {
    FieldExpr lhs;
    std::string op;  // "exists"
};

// Listed in the order of the node variant, so kind() is the variant index.
enum class ExprKind { And, Or, Not, Identifier, Compare, Unary };

struct Expr {
    using Node = std::variant<AndExpr, OrExpr, NotExpr, IdentifierExpr, CompareExpr, UnaryExpr>;

    Node node;
    // Where the node starts: the first child of And/Or, the `not` keyword,
    // the identifier, the left side (outermost transformer included) of a check.
    Location where;

    ExprKind kind() const { return static_cast<ExprKind>(node.index()); }

    // The node as T, or nullptr when it is another kind.
    template <class T> T* as() { return std::get_if<T>(&node); }
    template <class T> const T* as() const { return std::get_if<T>(&node); }
};

// Builds a node, e.g. make_expr(NotExpr{std::move(child)}, where).
ExprPtr make_expr(Expr::Node node, Location where);
// The same for one kind of node, built in place: no Expr::Node temporary
// (the size of the largest node) on the caller's stack, which matters on
// the parser's recursive path.
template <class NodeKind>
ExprPtr make_expr(NodeKind node, Location where) {
    auto expr = std::make_unique<Expr>();
    expr->node.template emplace<NodeKind>(std::move(node));
    expr->where = where;
    return expr;
}

// A deep copy (macro bodies are cloned into every condition that uses them).
ExprPtr clone(const Expr& expr);

// Canonical text that parse_condition() reads back into the same tree:
// every and/or/not group in parentheses, one blank around operators, lists
// as (a, b), values quoted (with escapes) when they were quoted or would not
// read back as one bare word. `a or b and not c` -> "(a or (b and (not c)))".
std::string to_string(const Expr& expr);
std::string to_string(const FieldExpr& field);  // tolower(proc.aname[2])
std::string to_string(const Operand& operand);  // as on the right of an operator

}  // namespace palisade::rules
