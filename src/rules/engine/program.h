// The rules of one event type as one flat program of tests and jumps.
//
// Every rule the engine evaluates on an event of type T is lowered once, when
// the first such event comes:
//   - evt.type checks become constants (T is known), and and/or/not fold
//     around them: branches for other types vanish, and a rule that cannot
//     match T leaves no code at all;
//   - and/or/not become jumps ("short-circuit code"): a test's outcome
//     picks the next test, so an event runs one loop over a few tests
//     instead of a recursive walk through virtual calls;
//   - a predicate used more than once in T's rules (a macro, a check
//     written in several rules) is evaluated at most once per event: its
//     code is guarded by a memo slot that later uses read.
// Leaves are the compiled predicates themselves (field checks).
//
// This keeps Falco's semantics: and/or/not are pure boolean functions of
// their operands here (a check on a field without a value is false, its
// `not` true), so knowing an operand in advance, skipping one whose outcome
// cannot change where control goes, or evaluating a shared operand once,
// changes no result. Operands are tested in the order written.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "rules/engine/predicate.h"

namespace palisade::rules {

class RuleProgram {
public:
    // `roots`: the conditions of the rules an event of type `type_index`
    // is matched against, in order.
    RuleProgram(const std::vector<Predicate*>& roots, std::size_t type_index,
                std::size_t max_instructions = kMaxInstructions);

    // Appends to `out` the positions (in `roots`) of the conditions that
    // hold, in order.
    void match(const EvalContext& ctx, std::vector<std::uint32_t>& out);

    std::size_t instructions() const { return code_.size(); }
    // False when the rules would need more than max_instructions (a macro
    // is copied into every place it is used, so macros that use each other
    // several times over could grow without bound): the engine then walks
    // the rules' trees instead.
    bool usable() const { return !code_.empty(); }
    static constexpr std::size_t kMaxInstructions = 1 << 17;

private:
    enum class Op : std::uint8_t {
        Compare,    // compares_[a] holds: go to next[kTrue], else next[kFalse]
        Leaf,       // leaves_[a]->eval() holds: likewise
        MemoCheck,  // go to next[memo_[a]]: kUnknown (evaluate), kFalse or kTrue
        MemoStore,  // memo_[a] = b; go to next[kTrue]
        Emit,       // the rule at position a matched; go to next[kTrue]
        End,
    };
    // A memo slot's state in this event, which is also the index of the
    // successor a MemoCheck takes.
    static constexpr std::uint8_t kUnknown = 0, kFalse = 1, kTrue = 2;
    struct Instruction {
        Op op;
        std::uint8_t b = 0;
        std::uint32_t a = 0;
        std::uint32_t next[3] = {};  // by kUnknown, kFalse, kTrue
    };
    static Instruction test(Op op, std::uint32_t a, std::uint32_t on_true, std::uint32_t on_false)
    {
        return {op, 0, a, {0, on_false, on_true}};
    }
    struct Compare {
        FieldSlot* field;
        const ValueMatcher* matcher;
    };

    void count_uses(Predicate* p);
    std::uint32_t emit(Instruction instruction);
    // Appends the code testing `p` that continues at `on_true` or
    // `on_false`; returns where it starts (a target itself when `p` is a
    // constant here).
    std::uint32_t lower(Predicate* p, std::uint32_t on_true, std::uint32_t on_false);
    // Whether `p` is constant on this event type (nullopt: depends on the event).
    std::optional<bool> constant(Predicate* p);

    std::size_t type_;
    std::size_t max_instructions_;
    std::vector<Instruction> code_;
    std::uint32_t start_ = 0;
    std::vector<Compare> compares_;
    std::vector<Predicate*> leaves_;
    std::vector<std::uint8_t> memo_;  // by slot: kUnknown, kFalse or kTrue; cleared per event

    // While lowering: uses of each shared predicate in this type's rules,
    // the memo slot given to it, and constants worked out.
    std::unordered_map<const void*, std::uint32_t> uses_, slots_;
    std::unordered_map<const Predicate*, std::optional<bool>> constants_;
};

}  // namespace palisade::rules
