#include "rules/engine/program.h"

#include <algorithm>

namespace palisade::rules {

RuleProgram::RuleProgram(const std::vector<Predicate*>& roots, std::size_t type_index, std::size_t max_instructions)
    : type_(type_index), max_instructions_(max_instructions)
{
    for (Predicate* root : roots)
        count_uses(root);
    // Built back to front: each rule's code continues at the next rule's.
    std::uint32_t next = emit({Op::End});
    for (std::size_t i = roots.size(); i-- > 0;) {
        const std::uint32_t matched = emit(test(Op::Emit, static_cast<std::uint32_t>(i), next, next));
        next = lower(roots[i], matched, next);
    }
    start_ = next;
    uses_.clear();
    slots_.clear();
    constants_.clear();
    if (code_.size() > max_instructions_) {
        code_.clear();
        code_.shrink_to_fit();
    }
}

void RuleProgram::count_uses(Predicate* p)
{
    if (p->kind() == PredicateKind::Shared && uses_[p->shared_identity()]++ > 0)
        return;  // its operands were counted with its first use
    for (Predicate* operand : p->operands())
        count_uses(operand);
}

namespace {

// A field check (possibly negated, possibly shared): its kind and cost.
Predicate* leaf_of(Predicate* p)
{
    while (p->kind() == PredicateKind::Not || p->kind() == PredicateKind::Shared)
        p = p->operands().front();
    return p->kind() == PredicateKind::Compare || p->kind() == PredicateKind::Leaf ? p : nullptr;
}

bool costly_leaf(Predicate* p)
{
    const Predicate* leaf = leaf_of(p);
    return leaf && leaf->costly();
}

// The operands of and/or in the order to test them: as written, but dear
// field checks after the others (the result does not depend on the order).
std::vector<Predicate*> test_order(Predicate* p)
{
    auto operands = p->operands();
    std::stable_partition(operands.begin(), operands.end(), [](Predicate* o) { return !costly_leaf(o); });
    return operands;
}

}  // namespace

std::uint32_t RuleProgram::emit(Instruction instruction)
{
    code_.push_back(instruction);
    return static_cast<std::uint32_t>(code_.size() - 1);
}

std::optional<bool> RuleProgram::constant(Predicate* p)
{
    if (auto known = constants_.find(p); known != constants_.end())
        return known->second;
    std::optional<bool> value;
    switch (p->kind()) {
    case PredicateKind::EventType:
        value = p->accepts_type(type_);
        break;
    case PredicateKind::Not:
        if (auto operand = constant(p->operands().front()))
            value = !*operand;
        break;
    case PredicateKind::Shared:
        value = constant(p->operands().front());
        break;
    case PredicateKind::And:
    case PredicateKind::Or: {
        // `x and false` is false whatever x is, `true and true` true; dually for or.
        const bool absorbing = p->kind() == PredicateKind::Or;
        bool all_neutral = true;
        for (Predicate* operand : p->operands()) {
            const auto v = constant(operand);
            if (v && *v == absorbing) {
                value = absorbing;
                break;
            }
            all_neutral = all_neutral && v.has_value();
        }
        if (!value && all_neutral)
            value = !absorbing;
        break;
    }
    case PredicateKind::Compare:
    case PredicateKind::Leaf:
        break;
    }
    constants_.emplace(p, value);
    return value;
}

std::uint32_t RuleProgram::lower(Predicate* p, std::uint32_t on_true, std::uint32_t on_false)
{
    // Both outcomes lead to the same place: the test need not run (it has
    // no effect besides its outcome). Past the size limit nothing is added:
    // the program is dropped.
    if (on_true == on_false || code_.size() > max_instructions_)
        return on_true;
    if (const auto value = constant(p))
        return *value ? on_true : on_false;
    switch (p->kind()) {
    case PredicateKind::Not:
        return lower(p->operands().front(), on_false, on_true);
    case PredicateKind::And:
    case PredicateKind::Or: {
        const bool is_and = p->kind() == PredicateKind::And;
        const auto operands = test_order(p);
        std::uint32_t next = lower(operands.back(), on_true, on_false);
        for (std::size_t i = operands.size() - 1; i-- > 0;)
            next = is_and ? lower(operands[i], next, on_false) : lower(operands[i], on_true, next);
        return next;
    }
    case PredicateKind::Shared: {
        Predicate* operand = p->operands().front();
        if (uses_[p->shared_identity()] < 2)
            return lower(operand, on_true, on_false);
        auto [slot, added] = slots_.try_emplace(p->shared_identity(), static_cast<std::uint32_t>(memo_.size()));
        if (added)
            memo_.push_back(kUnknown);
        Instruction store_true = test(Op::MemoStore, slot->second, on_true, on_true);
        store_true.b = kTrue;
        Instruction store_false = test(Op::MemoStore, slot->second, on_false, on_false);
        store_false.b = kFalse;
        const std::uint32_t body = lower(operand, emit(store_true), emit(store_false));
        Instruction check = test(Op::MemoCheck, slot->second, on_true, on_false);
        check.next[kUnknown] = body;
        return emit(check);
    }
    case PredicateKind::Compare:
        compares_.push_back({p->compare_field(), p->compare_matcher()});
        return emit(test(Op::Compare, static_cast<std::uint32_t>(compares_.size() - 1), on_true, on_false));
    case PredicateKind::Leaf:
    case PredicateKind::EventType:
        break;
    }
    leaves_.push_back(p);
    return emit(test(Op::Leaf, static_cast<std::uint32_t>(leaves_.size() - 1), on_true, on_false));
}

void RuleProgram::match(const EvalContext& ctx, std::vector<std::uint32_t>& out)
{
    std::fill(memo_.begin(), memo_.end(), kUnknown);
    std::uint32_t pc = start_;
    for (;;) {
        const Instruction& in = code_[pc];
        switch (in.op) {
        case Op::Compare: {
            const Compare& compare = compares_[in.a];
            const auto* values = compare.field->values(ctx);
            pc = in.next[values && compare.matcher->match(*values) ? kTrue : kFalse];
            break;
        }
        case Op::Leaf:
            pc = in.next[leaves_[in.a]->eval(ctx) ? kTrue : kFalse];
            break;
        case Op::MemoCheck:
            pc = in.next[memo_[in.a]];
            break;
        case Op::MemoStore:
            memo_[in.a] = in.b;
            pc = in.next[kTrue];
            break;
        case Op::Emit:
            out.push_back(in.a);
            pc = in.next[kTrue];
            break;
        case Op::End:
            return;
        }
    }
}

}  // namespace palisade::rules
