// A compiled condition: a tree of predicates over one event. Built once by
// the compiler; evaluated for every event of a type the rule cares about.
// Evaluation never throws and does not allocate after the first events
// (each check keeps its own value buffers).
#pragma once

#include <memory>
#include <vector>

#include "rules/engine/operators.h"
#include "rules/fields/field.h"

namespace palisade::rules {

// What the engine's per-event-type form (program.h) sees of a predicate.
enum class PredicateKind { Leaf, Compare, And, Or, Not, Shared, EventType };

class FieldSlot;

class Predicate {
public:
    virtual ~Predicate() = default;
    virtual bool eval(const EvalContext& ctx) = 0;

    virtual PredicateKind kind() const { return PredicateKind::Leaf; }
    // And, Or: the children in order; Not, Shared: the one operand.
    virtual std::vector<Predicate*> operands() const { return {}; }
    // EventType: whether an event whose type has this index passes.
    virtual bool accepts_type(std::size_t) const { return false; }
    // Shared: the same address for every use of one shared predicate.
    virtual const void* shared_identity() const { return nullptr; }
    // Compare (`field op literals`): holds when the field has values and
    // the matcher accepts them.
    virtual FieldSlot* compare_field() const { return nullptr; }
    virtual const ValueMatcher* compare_matcher() const { return nullptr; }
    // Leaf, Compare: a dear check (see FieldSlot::costly, ValueMatcher::costly).
    virtual bool costly() const { return false; }
};
using PredicatePtr = std::unique_ptr<Predicate>;

// A bound field as the checks read it. Many checks read the same field
// (proc.name in dozens of rules, fd.name in most file rules): with a
// `generation` the field is extracted at most once per event and its values
// are kept until the generation changes; without one (nullptr) every read
// extracts again.
class FieldSlot {
public:
    FieldSlot(std::unique_ptr<Extractor> extractor, const std::uint64_t* generation)
        : extractor_(std::move(extractor)), generation_(generation)
    {
    }
    // The field's values on this event, or nullptr for <NA> (no value).
    const std::vector<FieldValue>* values(const EvalContext& ctx)
    {
        if (!generation_ || seen_ != *generation_) {
            if (generation_)
                seen_ = *generation_;
            values_.clear();
            present_ = extractor_->extract(ctx, values_) && !values_.empty();
        }
        return present_ ? &values_ : nullptr;
    }
    // The field's values are built rather than read (command lines,
    // formatted event arguments, ancestor walks, transformers).
    bool costly() const { return costly_; }
    void set_costly(bool costly) { costly_ = costly; }

private:
    std::unique_ptr<Extractor> extractor_;
    bool costly_ = false;
    const std::uint64_t* generation_;
    std::uint64_t seen_ = ~0ull;
    bool present_ = false;
    std::vector<FieldValue> values_;
};
using FieldSlotPtr = std::shared_ptr<FieldSlot>;

PredicatePtr make_and(std::vector<PredicatePtr> children);
PredicatePtr make_or(std::vector<PredicatePtr> children);
PredicatePtr make_not(PredicatePtr child);
// `field op literal(s)`: the matcher was compiled against the literals.
PredicatePtr make_compare(std::unique_ptr<Extractor> field, std::unique_ptr<ValueMatcher> matcher);
PredicatePtr make_compare(FieldSlotPtr field, std::unique_ptr<ValueMatcher> matcher);
// `field op val(other)`: both sides extracted per event.
PredicatePtr make_compare_fields(std::unique_ptr<Extractor> field, CompareOp op, std::unique_ptr<Extractor> rhs);
PredicatePtr make_compare_fields(FieldSlotPtr field, CompareOp op, FieldSlotPtr rhs);
PredicatePtr make_exists(std::unique_ptr<Extractor> field);
PredicatePtr make_exists(FieldSlotPtr field);

// A predicate many rules share (a macro, or the same check written in
// several rules): evaluated once per event, its result reused until
// `*generation` changes. The engine bumps the generation for every event.
class SharedPredicate {
public:
    SharedPredicate(PredicatePtr inner, const std::uint64_t* generation)
        : inner_(std::move(inner)), generation_(generation)
    {
    }
    bool eval(const EvalContext& ctx)
    {
        if (seen_ != *generation_) {
            seen_ = *generation_;
            result_ = inner_->eval(ctx);
        }
        return result_;
    }
    Predicate* inner() const { return inner_.get(); }

private:
    PredicatePtr inner_;
    const std::uint64_t* generation_;
    std::uint64_t seen_ = ~0ull;
    bool result_ = false;
};

PredicatePtr make_shared_use(std::shared_ptr<SharedPredicate> shared);

// `evt.type in (...)` and friends, the check at the head of nearly every
// Falco rule: a bit per event type, tested against the type the engine
// looked up once for the event (`*current_type`, an index into
// falco_event_types()).
PredicatePtr make_event_type_check(std::vector<bool> accepted, const std::size_t* current_type);
// A check decided when compiled (on a field with the same value on every
// event): seen by the engine's program like an evt.type check of every type.
PredicatePtr make_constant(bool value);

// Wraps an extractor with Falco's transformers, applied innermost first
// (`tolower(b64(x))` decodes, then lowers). `names` is outermost first, as
// the parser gives them. Returns nullptr with `error` for an unknown
// transformer or one that does not apply to the field's type.
std::unique_ptr<Extractor> apply_transformers(std::unique_ptr<Extractor> field, FieldType* type,
                                              const std::vector<std::string>& names, std::string* error);

}  // namespace palisade::rules
