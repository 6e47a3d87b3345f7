#include "rules/condition/lexer.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace palisade::rules::condition {

bool is_blank(char c) {
    switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f': case '\b':
        return true;
    default:
        return false;
    }
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_identifier_char(char c) { return is_letter(c) || is_digit(c) || c == '_'; }

namespace {

bool is_quote(char c) { return c == '"' || c == '\''; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// BareStr: anything up to a blank, a quote, a parenthesis, '=' or ','
// (the characters that end a value inside a check or a list).
bool is_bare_value_char(char c) {
    return !is_blank(c) && !is_quote(c) && c != '(' && c != ')' && c != '=' && c != ',';
}

// FieldArgBareStr: anything up to a blank, a quote or a bracket.
bool is_field_arg_char(char c) { return !is_blank(c) && !is_quote(c) && c != '[' && c != ']'; }

// How many characters from `from` on satisfy `predicate`.
template <class CharPredicate>
std::size_t count_while(std::string_view text, std::size_t from, CharPredicate predicate) {
    std::size_t end = from;
    while (end < text.size() && predicate(text[end])) ++end;
    return end - from;
}

// Identifier ::= [a-zA-Z][a-zA-Z0-9_]*
std::size_t identifier_length(std::string_view text, std::size_t from) {
    if (from >= text.size() || !is_letter(text[from])) return 0;
    return 1 + count_while(text, from + 1, is_identifier_char);
}

// Number ::= [+-]?[0-9]+ '.'? [0-9]* ([eE][+-][0-9]+)?, Falco's RGX_NUMBER.
std::size_t decimal_length(std::string_view text) {
    std::size_t end = 0;
    if (end < text.size() && (text[end] == '+' || text[end] == '-')) ++end;
    std::size_t integer_digits = count_while(text, end, is_digit);
    if (integer_digits == 0) return 0;
    end += integer_digits;
    if (end < text.size() && text[end] == '.') ++end;
    end += count_while(text, end, is_digit);
    // The exponent needs its sign, as in Falco; without one it is not part of the number.
    if (end + 2 < text.size() && (text[end] == 'e' || text[end] == 'E') &&
        (text[end + 1] == '+' || text[end + 1] == '-') && is_digit(text[end + 2])) {
        end += 2 + count_while(text, end + 2, is_digit);
    }
    return end;
}

// HexNumber ::= 0[xX][0-9a-fA-F]+
std::size_t hex_length(std::string_view text) {
    if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return 0;
    std::size_t digits = count_while(text, 2, is_hex_digit);
    return digits == 0 ? 0 : 2 + digits;
}

// The escapes Falco's unescape_str() accepts, by the letter after the backslash.
// Returns false for an escape it rejects. `quote_char` is the enclosing quote:
// only that one may be escaped.
bool unescape(char escaped, char quote_char, std::string& out) {
    switch (escaped) {
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    // Falco reads "\ " as a backslash (and drops the blank) for the sake of
    // old, wrongly escaped rules; the official rules still rely on it.
    case ' ': out += '\\'; return true;
    case '\\': out += '\\'; return true;
    case '/': out += '/'; return true;
    case '"':
    case '\'':
        if (escaped != quote_char) return false;
        out += escaped;
        return true;
    default:
        return false;
    }
}

// Shows one character of the input in a message; control and non-ASCII
// bytes as \xNN so messages stay printable.
void append_printable(std::string& out, char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
        out += c;
    } else {
        out += fmt::format("\\x{:02x}", byte);
    }
}

}  // namespace

bool is_bare_value(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_bare_value_char);
}

bool is_bare_field_arg(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_field_arg_char);
}

std::string quote(std::string_view text) {
    std::string quoted;
    quoted.reserve(text.size() + 2);
    quoted += '"';
    for (char c : text) {
        switch (c) {
        case '"': quoted += "\\\""; break;
        case '\\': quoted += "\\\\"; break;
        case '\b': quoted += "\\b"; break;
        case '\f': quoted += "\\f"; break;
        case '\n': quoted += "\\n"; break;
        case '\r': quoted += "\\r"; break;
        case '\t': quoted += "\\t"; break;
        default: quoted += c; break;
        }
    }
    quoted += '"';
    return quoted;
}

Lexer::Lexer(std::string_view text, std::string_view text_name) : text_(text), text_name_(text_name) {}

std::string_view Lexer::take(std::size_t length) {
    std::size_t start = loc_.offset;
    std::size_t end = start + std::min(length, text_.size() - start);
    for (std::size_t i = start; i < end; ++i) {
        char c = text_[i];
        bool crlf_first_half = c == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n';
        if ((c == '\n' || c == '\r') && !crlf_first_half) {
            ++loc_.line;
            loc_.column = 1;
        } else {
            ++loc_.column;
        }
    }
    loc_.offset = static_cast<std::uint32_t>(end);
    return text_.substr(start, end - start);
}

bool Lexer::skip_blanks() { return !take(count_while(text_, loc_.offset, is_blank)).empty(); }

bool Lexer::accept(char c) {
    if (!next_is(c)) return false;
    take(1);
    return true;
}

bool Lexer::accept_keyword(std::string_view word) {
    std::string_view text = rest();
    if (text.substr(0, word.size()) != word) return false;
    if (text.size() > word.size()) {
        char next = text[word.size()];
        if (!is_blank(next) && next != '(' && next != ')') return false;
    }
    take(word.size());
    return true;
}

std::size_t Lexer::match_identifier() const { return identifier_length(text_, loc_.offset); }

std::size_t Lexer::match_field_name() const {
    std::size_t length = identifier_length(text_, loc_.offset);
    if (length == 0) return 0;
    bool dotted = false;
    while (loc_.offset + length < text_.size() && text_[loc_.offset + length] == '.') {
        std::size_t segment = identifier_length(text_, loc_.offset + length + 1);
        if (segment == 0) break;
        length += 1 + segment;
        dotted = true;
    }
    return dotted ? length : 0;
}

std::size_t Lexer::match_field_arg() const { return count_while(text_, loc_.offset, is_field_arg_char); }

std::size_t Lexer::match_bare_value() const { return count_while(text_, loc_.offset, is_bare_value_char); }

std::size_t Lexer::match_number() const {
    std::string_view text = rest();
    std::size_t hex = hex_length(text);
    return hex != 0 ? hex : decimal_length(text);
}

std::size_t Lexer::match_letters() const { return count_while(text_, loc_.offset, is_letter); }

std::size_t Lexer::match_symbolic_operator() const {
    // Two-character operators first, so "<=" is not read as "<".
    static constexpr std::array<std::string_view, 7> operators = {"<=", ">=", "==", "!=", "<", ">", "="};
    std::string_view text = rest();
    for (std::string_view op : operators) {
        if (text.substr(0, op.size()) == op) return op.size();
    }
    return 0;
}

QuotedString Lexer::scan_quoted() {
    QuotedString result;
    std::string_view text = rest();
    char quote_char = text[0];
    std::size_t i = 1;
    // A backslash always takes the next character with it, so `"a\\"` ends
    // at its last quote (Falco's lexer, which only looks one character back,
    // would read on past it).
    while (i < text.size() && text[i] != quote_char) {
        if (text[i] != '\\') {
            result.text += text[i++];
            continue;
        }
        if (i + 1 >= text.size()) {
            i = text.size();
            break;
        }
        if (!unescape(text[i + 1], quote_char, result.text)) {
            Lexer at_backslash = *this;
            at_backslash.take(i);
            result.status = QuotedString::Status::BadEscape;
            result.problem = at_backslash.location();
            result.bad_escape.assign(1, '\\');
            append_printable(result.bad_escape, text[i + 1]);
            return result;
        }
        i += 2;
    }
    if (i >= text.size()) {
        result.status = QuotedString::Status::Unterminated;
        result.problem = loc_;
        return result;
    }
    take(i + 1);
    return result;
}

std::string Lexer::describe_end() const { return fmt::format("end of {}", text_name_); }

std::string Lexer::describe_next() const {
    if (at_end()) return describe_end();
    // A word (field name, identifier, number) or a run of symbols (~=) reads
    // better than a single character; brackets, quotes and commas stand alone.
    auto is_word_char = [](char c) { return is_identifier_char(c) || c == '.'; };
    auto is_symbol_char = [&](char c) {
        return !is_word_char(c) && !is_blank(c) && !is_quote(c) && c != '(' && c != ')' && c != '[' &&
               c != ']' && c != ',';
    };
    std::size_t length = 1;
    if (is_word_char(text_[loc_.offset])) {
        length = count_while(text_, loc_.offset, is_word_char);
    } else if (is_symbol_char(text_[loc_.offset])) {
        length = count_while(text_, loc_.offset, is_symbol_char);
    }
    constexpr std::size_t max_shown = 32;
    std::string token;
    for (char c : text_.substr(loc_.offset, std::min(length, max_shown))) append_printable(token, c);
    if (length > max_shown) token += "...";
    // A lone single quote reads better as "'" than as '''.
    char delimiter = token.find('\'') == std::string::npos ? '\'' : '"';
    return delimiter + token + delimiter;
}

}  // namespace palisade::rules::condition
