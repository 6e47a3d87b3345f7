#include "rules/engine/predicate.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

namespace palisade::rules {
namespace {

std::vector<Predicate*> raw(const std::vector<PredicatePtr>& children)
{
    std::vector<Predicate*> out;
    for (const auto& child : children)
        out.push_back(child.get());
    return out;
}

class AndPredicate final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::And; }
    std::vector<Predicate*> operands() const override { return raw(children_); }
    explicit AndPredicate(std::vector<PredicatePtr> children) : children_(std::move(children)) {}
    std::vector<PredicatePtr> take_children() { return std::move(children_); }
    bool eval(const EvalContext& ctx) override
    {
        for (auto& child : children_)
            if (!child->eval(ctx))
                return false;
        return true;
    }

private:
    std::vector<PredicatePtr> children_;
};

class OrPredicate final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::Or; }
    std::vector<Predicate*> operands() const override { return raw(children_); }
    explicit OrPredicate(std::vector<PredicatePtr> children) : children_(std::move(children)) {}
    std::vector<PredicatePtr> take_children() { return std::move(children_); }
    bool eval(const EvalContext& ctx) override
    {
        for (auto& child : children_)
            if (child->eval(ctx))
                return true;
        return false;
    }

private:
    std::vector<PredicatePtr> children_;
};

class NotPredicate final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::Not; }
    std::vector<Predicate*> operands() const override { return {child_.get()}; }
    explicit NotPredicate(PredicatePtr child) : child_(std::move(child)) {}
    PredicatePtr release() { return std::move(child_); }
    bool eval(const EvalContext& ctx) override { return !child_->eval(ctx); }

private:
    PredicatePtr child_;
};

// A field without a value (<NA>) fails every comparison, as in Falco.
class ComparePredicate final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::Compare; }
    FieldSlot* compare_field() const override { return field_.get(); }
    const ValueMatcher* compare_matcher() const override { return matcher_.get(); }
    bool costly() const override { return field_->costly() || matcher_->costly(); }
    ComparePredicate(FieldSlotPtr field, std::unique_ptr<ValueMatcher> matcher)
        : field_(std::move(field)), matcher_(std::move(matcher))
    {
    }
    bool eval(const EvalContext& ctx) override
    {
        const auto* values = field_->values(ctx);
        return values && matcher_->match(*values);
    }

private:
    FieldSlotPtr field_;
    std::unique_ptr<ValueMatcher> matcher_;
};

class CompareFieldsPredicate final : public Predicate {
public:
    CompareFieldsPredicate(FieldSlotPtr lhs, CompareOp op, FieldSlotPtr rhs)
        : lhs_(std::move(lhs)), op_(op), rhs_(std::move(rhs))
    {
    }
    bool costly() const override { return lhs_->costly() || rhs_->costly(); }
    bool eval(const EvalContext& ctx) override
    {
        const auto* lhs = lhs_->values(ctx);
        const auto* rhs = lhs ? rhs_->values(ctx) : nullptr;
        if (!rhs)
            return false;
        for (const auto& l : *lhs)
            for (const auto& r : *rhs)
                if (compare_values(op_, l, r))
                    return true;
        return false;
    }

private:
    FieldSlotPtr lhs_;
    CompareOp op_;
    FieldSlotPtr rhs_;
};

class ExistsPredicate final : public Predicate {
public:
    explicit ExistsPredicate(FieldSlotPtr field) : field_(std::move(field)) {}
    bool costly() const override { return field_->costly(); }
    bool eval(const EvalContext& ctx) override { return field_->values(ctx) != nullptr; }

private:
    FieldSlotPtr field_;
};

// `a and (b and c)` evaluates as `a and b and c`: one node, fewer calls. A
// single child stands for itself.
template <class Node> PredicatePtr flatten(std::vector<PredicatePtr> children)
{
    std::vector<PredicatePtr> flat;
    for (auto& child : children) {
        if (auto* same = dynamic_cast<Node*>(child.get())) {
            for (auto& grandchild : same->take_children())
                flat.push_back(std::move(grandchild));
        } else {
            flat.push_back(std::move(child));
        }
    }
    if (flat.size() == 1)
        return std::move(flat.front());
    return std::make_unique<Node>(std::move(flat));
}

class SharedUse final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::Shared; }
    std::vector<Predicate*> operands() const override { return {shared_->inner()}; }
    const void* shared_identity() const override { return shared_.get(); }
    explicit SharedUse(std::shared_ptr<SharedPredicate> shared) : shared_(std::move(shared)) {}
    bool eval(const EvalContext& ctx) override { return shared_->eval(ctx); }

private:
    std::shared_ptr<SharedPredicate> shared_;
};

class EventTypeCheck final : public Predicate {
public:
    PredicateKind kind() const override { return PredicateKind::EventType; }
    bool accepts_type(std::size_t type) const override { return type < accepted_.size() && accepted_[type]; }
    EventTypeCheck(std::vector<bool> accepted, const std::size_t* current_type)
        : accepted_(std::move(accepted)), current_type_(current_type)
    {
    }
    bool eval(const EvalContext&) override
    {
        return *current_type_ < accepted_.size() && accepted_[*current_type_];
    }

private:
    std::vector<bool> accepted_;
    const std::size_t* current_type_;
};

class ConstantPredicate final : public Predicate {
public:
    explicit ConstantPredicate(bool value) : value_(value) {}
    PredicateKind kind() const override { return PredicateKind::EventType; }
    bool accepts_type(std::size_t) const override { return value_; }
    bool eval(const EvalContext&) override { return value_; }

private:
    bool value_;
};

enum class Transform { ToLower, ToUpper, B64, Basename, Len };

bool base64_decode(std::string_view in, std::string& out)
{
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    out.clear();
    unsigned bits = 0, acc = 0;
    for (char c : in) {
        if (c == '=')
            break;
        const int v = value(c);
        if (v < 0)
            return false;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return true;
}

// Applies the transforms to every extracted value; transformed strings live
// in this extractor's buffers until the next extract().
class TransformingExtractor final : public Extractor {
public:
    TransformingExtractor(std::unique_ptr<Extractor> inner, std::vector<Transform> innermost_first)
        : inner_(std::move(inner)), transforms_(std::move(innermost_first))
    {
    }
    bool extract(const EvalContext& ctx, std::vector<FieldValue>& out) override
    {
        raw_.clear();
        if (!inner_->extract(ctx, raw_))
            return false;
        if (buffers_.size() < raw_.size())
            buffers_.resize(raw_.size());
        for (std::size_t i = 0; i < raw_.size(); ++i) {
            FieldValue v = raw_[i];
            for (Transform t : transforms_)
                if (!apply(t, v, buffers_[i]))
                    return false;
            out.push_back(v);
        }
        return true;
    }

private:
    static bool apply(Transform t, FieldValue& v, std::string& buffer)
    {
        if (t == Transform::Len) {
            v = FieldValue::uint64(v.str.size());
            return true;
        }
        std::string next;
        switch (t) {
        case Transform::ToLower:
        case Transform::ToUpper:
            next.assign(v.str);
            for (auto& c : next)
                c = static_cast<char>(t == Transform::ToLower ? std::tolower(static_cast<unsigned char>(c))
                                                              : std::toupper(static_cast<unsigned char>(c)));
            break;
        case Transform::B64:
            if (!base64_decode(v.str, next))
                return false;
            break;
        case Transform::Basename: {
            auto slash = v.str.rfind('/');
            next.assign(slash == std::string_view::npos ? v.str : v.str.substr(slash + 1));
            break;
        }
        case Transform::Len: break;
        }
        buffer = std::move(next);
        v = FieldValue::string(buffer);
        return true;
    }

    std::unique_ptr<Extractor> inner_;
    std::vector<Transform> transforms_;
    std::vector<FieldValue> raw_;
    std::vector<std::string> buffers_;
};

}  // namespace

PredicatePtr make_and(std::vector<PredicatePtr> children)
{
    return flatten<AndPredicate>(std::move(children));
}

PredicatePtr make_or(std::vector<PredicatePtr> children)
{
    return flatten<OrPredicate>(std::move(children));
}

PredicatePtr make_not(PredicatePtr child)
{
    if (auto* inner = dynamic_cast<NotPredicate*>(child.get()))
        return inner->release();
    return std::make_unique<NotPredicate>(std::move(child));
}

namespace {
FieldSlotPtr unshared(std::unique_ptr<Extractor> field)
{
    return std::make_shared<FieldSlot>(std::move(field), nullptr);
}
}  // namespace

PredicatePtr make_compare(FieldSlotPtr field, std::unique_ptr<ValueMatcher> matcher)
{
    return std::make_unique<ComparePredicate>(std::move(field), std::move(matcher));
}

PredicatePtr make_compare(std::unique_ptr<Extractor> field, std::unique_ptr<ValueMatcher> matcher)
{
    return make_compare(unshared(std::move(field)), std::move(matcher));
}

PredicatePtr make_compare_fields(FieldSlotPtr field, CompareOp op, FieldSlotPtr rhs)
{
    return std::make_unique<CompareFieldsPredicate>(std::move(field), op, std::move(rhs));
}

PredicatePtr make_compare_fields(std::unique_ptr<Extractor> field, CompareOp op, std::unique_ptr<Extractor> rhs)
{
    return make_compare_fields(unshared(std::move(field)), op, unshared(std::move(rhs)));
}

PredicatePtr make_exists(FieldSlotPtr field) { return std::make_unique<ExistsPredicate>(std::move(field)); }

PredicatePtr make_exists(std::unique_ptr<Extractor> field) { return make_exists(unshared(std::move(field))); }

PredicatePtr make_event_type_check(std::vector<bool> accepted, const std::size_t* current_type)
{
    return std::make_unique<EventTypeCheck>(std::move(accepted), current_type);
}

PredicatePtr make_constant(bool value) { return std::make_unique<ConstantPredicate>(value); }

PredicatePtr make_shared_use(std::shared_ptr<SharedPredicate> shared)
{
    return std::make_unique<SharedUse>(std::move(shared));
}

namespace {

// Falco's transformers, innermost first; updates `type` to the result type.
std::optional<std::vector<Transform>> parse_transforms(const std::vector<std::string>& names, FieldType* type,
                                                       std::string* error)
{
    std::vector<Transform> innermost_first;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        Transform t;
        if (*it == "tolower") t = Transform::ToLower;
        else if (*it == "toupper") t = Transform::ToUpper;
        else if (*it == "b64") t = Transform::B64;
        else if (*it == "basename") t = Transform::Basename;
        else if (*it == "len") t = Transform::Len;
        else {
            *error = fmt::format("unknown transformer '{}'", *it);
            return std::nullopt;
        }
        if (*type != FieldType::String) {
            *error = fmt::format("transformer '{}' needs a string value", *it);
            return std::nullopt;
        }
        if (t == Transform::Len)
            *type = FieldType::Uint;
        innermost_first.push_back(t);
    }
    return innermost_first;
}

}  // namespace

std::unique_ptr<Extractor> apply_transformers(std::unique_ptr<Extractor> field, FieldType* type,
                                              const std::vector<std::string>& names, std::string* error)
{
    auto transforms = parse_transforms(names, type, error);
    if (!transforms)
        return nullptr;
    if (transforms->empty())
        return field;
    return std::make_unique<TransformingExtractor>(std::move(field), std::move(*transforms));
}

}  // namespace palisade::rules
