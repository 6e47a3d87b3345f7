// libFuzzer target for the condition parser. Any input must come back as a
// tree or as an error (no crash, hang or sanitizer report), and:
//   - an error points inside the text;
//   - a tree's canonical text (to_string) parses back to the same text, and
//     a clone prints the same;
//   - the same holds for output formats, field by field.
//
// The build compiles the parser's sources into this target with the fuzzer's
// flags, so coverage and ASan reach inside the parser.
#include "rules/condition/ast.h"
#include "rules/condition/parser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace palisade::rules;

void require(bool holds, const char* invariant, std::string_view detail) {
    if (holds) return;
    std::fprintf(stderr, "invariant broken: %s\n%.*s\n", invariant, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

bool points_inside(const Location& where, std::string_view text) {
    return where.offset <= text.size() && where.line >= 1 && where.column >= 1 && where.line <= where.offset + 1 &&
           where.column <= where.offset + 1;
}

void check_condition(std::string_view text) {
    ParseResult result = parse_condition(text);
    require(result.expr != nullptr ? !result.error.has_value() : result.error.has_value(),
            "exactly one of expr and error is set", text);
    if (result.error) {
        require(points_inside(result.error->where, text), "the error points inside the text", result.error->message);
        require(!result.error->message.empty(), "the error has a message", text);
        return;
    }
    std::string canonical = to_string(*result.expr);
    ParseResult reparsed = parse_condition(canonical);
    require(reparsed.expr != nullptr, "the canonical text parses", canonical);
    require(to_string(*reparsed.expr) == canonical, "the canonical text is a fixed point", canonical);
    require(to_string(*clone(*result.expr)) == canonical, "a clone prints the same", canonical);
}

void check_output_format(std::string_view text) {
    std::vector<OutputChunk> chunks;
    std::optional<ParseError> error = parse_output_format(text, chunks);
    if (error) {
        require(points_inside(error->where, text), "the error points inside the text", error->message);
        require(chunks.empty(), "no chunks on error", text);
        return;
    }
    for (const auto& chunk : chunks) {
        if (!chunk.is_field) continue;
        require(points_inside(chunk.field.where, text), "the field points inside the text", chunk.text);
        std::vector<OutputChunk> reparsed;
        require(!parse_output_format("%" + chunk.text, reparsed).has_value() && reparsed.size() == 1 &&
                    reparsed[0].text == chunk.text,
                "a field's text parses back to itself", chunk.text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    check_condition(text);
    check_output_format(text);
    return 0;
}
