// Parser for Falco's filter conditions and output formats, the language of
// falcosecurity/libs (userspace/libsinsp/filter/parser.h), so that Falco's
// rule files load unchanged. Nothing here throws: errors come back as values.
//
// Grammar (EBNF; the same language as libsinsp's, rewritten without
// Falco's lexer tricks):
//
//   Condition    ::= OrExpr
//   OrExpr       ::= AndExpr ( 'or' AndExpr )*
//   AndExpr      ::= NotExpr ( 'and' NotExpr )*
//   NotExpr      ::= 'not' NotExpr
//                  | Check
//   Check        ::= '(' OrExpr ')'
//                  | FieldOrCall Comparison
//                  | Identifier                       (a macro name)
//   FieldOrCall  ::= Transformer '(' FieldOrCall ')'
//                  | Field
//   Comparison   ::= UnaryOp
//                  | NumOp ( Number | RhsField )
//                  | StrOp ( RhsField | QuotedStr | BareStr )
//                  | ListOp ( RhsField | List | Identifier )   (Identifier: a list name)
//   RhsField     ::= 'val' '(' Field ')'
//                  | Transformer '(' FieldOrCall ')'
//   List         ::= '(' ( ListItem ( ',' ListItem )* )? ')'
//   ListItem     ::= QuotedStr | BareStr
//   Field        ::= FieldName ( '[' FieldArg? ']' )?      (no blank before '[' or inside)
//   FieldArg     ::= QuotedStr | FieldArgBareStr
//
//   UnaryOp      ::= 'exists'
//   NumOp        ::= '<=' | '<' | '>=' | '>'
//   StrOp        ::= '==' | '=' | '!=' | 'contains' | 'icontains' | 'bcontains'
//                  | 'startswith' | 'bstartswith' | 'endswith' | 'glob' | 'iglob' | 'regex'
//   ListOp       ::= 'in' | 'intersects' | 'pmatch'
//   Transformer  ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len'
//
// Tokens:
//   Blank           ::= ' ' | \t | \n | \r | \v | \f | \b   (allowed between any two tokens
//                                                           except where noted)
//   Identifier      ::= [a-zA-Z][a-zA-Z0-9_]*
//   FieldName       ::= Identifier ( '.' Identifier )+      (proc.name, k8s.ns.name, evt.arg.flags)
//   FieldArgBareStr ::= [^][ "' Blank]+                    (2, /var/run/docker.sock, /proc*)
//   Number          ::= 0[xX][0-9a-fA-F]+ | [+-]?[0-9]+ '.'? [0-9]* ( [eE][+-][0-9]+ )?
//   QuotedStr       ::= '"' ( Escape | [^"\] )* '"' | "'" ( Escape | [^'\] )* "'"
//   Escape          ::= '\' ( b | f | n | r | t | \ | / | ' ' | the enclosing quote )
//                       ("\ " reads as a lone backslash, as in Falco)
//   BareStr         ::= [^()"',= Blank]+                   (/etc/shadow, 127.0.0.1, -1, 0x10, *)
//
// Lexical rules that make the grammar Falco's:
//   - 'and', 'or' and 'not' are keywords only when followed by a blank, a
//     parenthesis or the end; `notify` and `not.x` are a macro and a field.
//     (Falco also reads `(not)` as a reference to a macro named "not"; we
//     report the missing operand.)
//   - 'not' applied twice cancels out (`not not a` is `a`), as in Falco.
//   - A transformer name or 'val' starts a call only when '(' follows at once;
//     `tolower (x)` is the macro `tolower` followed by garbage.
//   - Where a value may be a RhsField, a transformer call is tried first:
//     `x = len(y)` compares against a field, `x = len` against the word "len".
//   - Word operators end where the letters end (`in(a, b)` is fine). Falco
//     matches operators by prefix, so it also reads `proc.name inlist` as
//     `in list` and rejects `contains"x"`; we reject the first and accept
//     the second.
//   - A list's items cannot be transformer calls; `in list_name` and
//     `in (list_name)` both keep list_name as a raw value (quoted or not) for
//     the compiler to resolve.
//   - '(' groups nest at most kMaxNestingDepth deep.
// Unlike Falco we also accept an empty field argument (`fd.types[]`, arg "")
// and any blank, not only ' ', after a word operator; and in quoted strings
// `\\` always escapes a backslash (Falco's lexer reads `"a\\"` as unterminated).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/condition/ast.h"

namespace palisade::rules {

// How deep '(' groups may nest before parsing fails (instead of overflowing
// the stack on hostile input). Runs of `not` and nested transformer calls
// are read in loops and need no limit.
inline constexpr std::uint32_t kMaxNestingDepth = 1000;

struct ParseError {
    Location where;       // where the unexpected text starts
    std::string message;  // what was expected and what was found, e.g.
                          // "expected a value after 'contains', found ')'"
};

// Exactly one of `expr` and `error` is set.
struct ParseResult {
    std::unique_ptr<Expr> expr;
    std::optional<ParseError> error;
};

// Parses a whole condition; text after a complete condition is an error.
ParseResult parse_condition(std::string_view text);

// One piece of a Falco output format: literal text, or a field to print.
struct OutputChunk {
    bool is_field = false;
    // The literal text, or for a field its name as Falco shows it
    // ("proc.aname[2]", "tolower(proc.name)"), which is also its JSON key.
    std::string text;
    FieldExpr field;  // when is_field
    // %12proc.name pads the value with blanks to 12 characters (Falco's
    // width modifier); 0 means as long as the value.
    std::uint32_t width = 0;
};

// Splits a Falco output format into chunks:
//   "file=%fd.name gparent=%proc.aname[2] %tolower(proc.name)"
// A field reference is '%', an optional width, then FieldOrCall (grammar
// above) with no blanks around it; `%(FieldOrCall)` is accepted as well, to
// delimit a field from text that follows (a Palisade extension). The longest
// field name is taken: Falco instead backs off to the longest name its field
// table knows, so a name such as "%fd.name.x" must be checked by the
// compiler. A '%' that does not start a field is an error, as in Falco. A
// leading '*' (Falco: show <NA> rather than drop the output when a field is
// missing) is left to the caller and comes back as literal text.
// `out` is replaced by the chunks; it is left empty on error.
std::optional<ParseError> parse_output_format(std::string_view text, std::vector<OutputChunk>& out);

}  // namespace palisade::rules
