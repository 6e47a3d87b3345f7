// Internal to the condition parser: the character classes and token shapes
// of the grammar in parser.h, over a cursor that tracks line and column.
// Falco's grammar is context dependent (a bare value on the right of `=` may
// hold '.', '/', '*' or '-', a field name may not), so the parser asks for
// the token it expects at each point rather than reading a token stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "rules/condition/ast.h"

namespace palisade::rules::condition {

// Blanks separate tokens: ' ' \t \n \r \v \f and \b (Falco skips \b too).
bool is_blank(char c);
// Letters and digits are ASCII only, as in Falco's regular expressions.
bool is_letter(char c);
bool is_digit(char c);
// [A-Za-z0-9_]: what follows the first letter of an identifier.
bool is_identifier_char(char c);

// True when `text` reads back as one bare value (BareStr) / bare field
// argument (FieldArgBareStr); to_string() quotes everything else.
bool is_bare_value(std::string_view text);
bool is_bare_field_arg(std::string_view text);

// `text` in double quotes, escaped so the lexer reads it back unchanged.
std::string quote(std::string_view text);

// The outcome of reading a quoted string.
struct QuotedString {
    enum class Status { Ok, Unterminated, BadEscape };
    Status status = Status::Ok;
    std::string text;  // unescaped, without the quotes (when Ok)
    Location problem;  // the opening quote (Unterminated) or the backslash (BadEscape)
    std::string bad_escape;  // e.g. "\q" (BadEscape)
};

class Lexer {
public:
    // `text_name` names the text in messages: "condition", "output format".
    explicit Lexer(std::string_view text, std::string_view text_name = "condition");

    Location location() const { return loc_; }
    bool at_end() const { return loc_.offset >= text_.size(); }
    // What is left to read.
    std::string_view rest() const { return text_.substr(loc_.offset); }
    bool next_is(char c) const { return !at_end() && text_[loc_.offset] == c; }

    // Consumes the next `length` characters and returns them.
    std::string_view take(std::size_t length);

    bool skip_blanks();  // true when there were any
    bool accept(char c);
    // `word` followed by a blank, a parenthesis or the end: how `and`, `or`
    // and `not` are delimited.
    bool accept_keyword(std::string_view word);

    // Lengths of the token of each shape at the cursor; 0 when there is none.
    std::size_t match_identifier() const;  // [a-zA-Z][a-zA-Z0-9_]*
    std::size_t match_field_name() const;  // Identifier ('.' Identifier)+
    std::size_t match_field_arg() const;   // [^][ "' blanks]+
    std::size_t match_bare_value() const;  // [^()"',= blanks]+
    std::size_t match_number() const;      // 0x1F, 12, -1, +3.5, 1e+9
    std::size_t match_letters() const;     // [a-zA-Z]+ (word operators)
    std::size_t match_symbolic_operator() const;  // <= < >= > == = !=

    // Reads a '...' or "..." string at the cursor (which must be a quote).
    // Falco's escapes: \b \f \n \r \t \\ \/ and the enclosing quote; "\ "
    // reads as a lone backslash, as in Falco. On error the cursor stays put.
    QuotedString scan_quoted();

    // The next token for "found ..." in messages: 'proc.name', ')', '~=',
    // or "end of condition".
    std::string describe_next() const;
    std::string describe_end() const;  // "end of condition"

private:
    std::string_view text_;
    std::string_view text_name_;
    Location loc_;
};

}  // namespace palisade::rules::condition
