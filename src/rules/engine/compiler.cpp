#include "rules/engine/compiler.h"

#include <algorithm>

#include <fmt/format.h>

namespace palisade::rules {
namespace {

FieldArg to_field_arg(const FieldExpr& field)
{
    FieldArg arg;
    if (!field.arg)
        return arg;
    const std::string& text = *field.arg;
    const bool numeric = !text.empty() && std::all_of(text.begin(), text.end(), ::isdigit);
    if (numeric && !field.arg_after_dot)
        arg.index = std::stoll(text);
    else
        arg.key = text;
    return arg;
}

// Fields whose values are built per event rather than read: formatted
// event arguments and command lines, capability names, every ancestor.
bool costly_field(const FieldExpr& field, const FieldInfo& info)
{
    static const std::set<std::string, std::less<>> built = {
        "evt.arg",      "evt.args",     "evt.info",         "proc.cmdline",        "proc.args",
        "proc.pcmdline", "proc.acmdline", "proc.exeline",   "thread.cap_permitted", "thread.cap_effective",
        "thread.cap_inheritable"};
    return !field.transformers.empty() || built.count(field.field) != 0 ||
           (info.any_value && field.field.rfind("proc.a", 0) == 0 && !field.arg);
}

bool is_event_type_field(const FieldExpr& field) { return field.field == "evt.type" && field.transformers.empty(); }


std::set<std::string> complement(const std::set<std::string>& of)
{
    std::set<std::string> out;
    for (const auto& t : falco_event_types())
        if (!of.count(t))
            out.insert(t);
    return out;
}

}  // namespace

ConditionCompiler::ConditionCompiler(const std::map<std::string, const Expr*>& macros,
                                     const std::map<std::string, std::vector<std::string>>& lists,
                                     const std::uint64_t* generation, const std::size_t* current_type, bool memoize)
    : macros_(macros), lists_(lists), generation_(generation), current_type_(current_type), memoize_(memoize)
{
}

PredicatePtr ConditionCompiler::share(const std::string& key, const std::function<PredicatePtr()>& compile_once)
{
    if (!memoize_)
        return compile_once();
    auto found = shared_.find(key);
    if (found == shared_.end()) {
        auto compiled = compile_once();
        if (!compiled)
            return nullptr;
        found = shared_.emplace(key, std::make_shared<SharedPredicate>(std::move(compiled), generation_)).first;
    }
    return make_shared_use(found->second);
}

PredicatePtr ConditionCompiler::compile(const Expr& condition, CompileError* error)
{
    expanding_.clear();
    current_macro_.clear();
    return compile_node(condition, error);
}

PredicatePtr ConditionCompiler::compile_node(const Expr& expr, CompileError* error)
{
    auto fail = [&](std::string message, const Location& where) -> PredicatePtr {
        *error = {std::move(message), where, current_macro_};
        return nullptr;
    };
    auto compile_children = [&](const std::vector<ExprPtr>& children) {
        std::vector<PredicatePtr> out;
        for (const auto& child : children) {
            auto p = compile_node(*child, error);
            if (!p)
                return std::vector<PredicatePtr>{};
            out.push_back(std::move(p));
        }
        return out;
    };

    switch (expr.kind()) {
    case ExprKind::And: {
        auto children = compile_children(expr.as<AndExpr>()->children);
        return children.empty() ? nullptr : make_and(std::move(children));
    }
    case ExprKind::Or: {
        auto children = compile_children(expr.as<OrExpr>()->children);
        return children.empty() ? nullptr : make_or(std::move(children));
    }
    case ExprKind::Not: {
        auto child = compile_node(*expr.as<NotExpr>()->child, error);
        return child ? make_not(std::move(child)) : nullptr;
    }
    case ExprKind::Identifier: {
        const std::string& name = expr.as<IdentifierExpr>()->name;
        auto macro = macros_.find(name);
        if (macro == macros_.end())
            return fail(fmt::format("undefined macro '{}'", name), expr.where);
        if (std::find(expanding_.begin(), expanding_.end(), name) != expanding_.end()) {
            std::string cycle;
            for (const auto& m : expanding_)
                cycle += m + " -> ";
            return fail(fmt::format("macro cycle: {}{}", cycle, name), expr.where);
        }
        return share("macro " + name, [&] {
            const std::string outer = current_macro_;
            expanding_.push_back(name);
            current_macro_ = name;
            auto body = compile_node(*macro->second, error);
            current_macro_ = outer;
            expanding_.pop_back();
            return body;
        });
    }
    case ExprKind::Compare:
        return share(to_string(expr), [&] { return compile_compare(*expr.as<CompareExpr>(), expr.where, error); });
    case ExprKind::Unary: {
        FieldType type;
        bool list;
        std::string message;
        auto field = field_slot(expr.as<UnaryExpr>()->lhs, &type, &list, &message);
        return field ? make_exists(std::move(field)) : fail(message, expr.where);
    }
    }
    return fail("unsupported expression", expr.where);
}

std::unique_ptr<Extractor> ConditionCompiler::bind_field(const FieldExpr& field, FieldType* type, bool* list,
                                                         std::string* error) const
{
    const FieldInfo* info = FieldCatalog::instance().find(field.field);
    if (!info) {
        *error = fmt::format("unknown field '{}'", field.name());
        return nullptr;
    }
    auto extractor = FieldCatalog::instance().bind(field.field, to_field_arg(field), error);
    if (!extractor)
        return nullptr;
    *type = info->type;
    *list = info->list;
    return apply_transformers(std::move(extractor), type, field.transformers, error);
}

FieldSlotPtr ConditionCompiler::field_slot(const FieldExpr& field, FieldType* type, bool* list, std::string* error)
{
    const std::string key = memoize_ ? to_string(field) : std::string();
    if (memoize_) {
        if (auto found = fields_.find(key); found != fields_.end()) {
            *type = found->second.type;
            *list = found->second.list;
            return found->second.slot;
        }
    }
    auto extractor = bind_field(field, type, list, error);
    if (!extractor)
        return nullptr;
    auto slot = std::make_shared<FieldSlot>(std::move(extractor), memoize_ ? generation_ : nullptr);
    if (const FieldInfo* info = FieldCatalog::instance().find(field.field))
        slot->set_costly(costly_field(field, *info));
    if (memoize_)
        fields_.emplace(key, BoundField{slot, *type, *list});
    return slot;
}

// evt.type = X, != X, in (...): answered from the type the engine looked up
// once per event instead of extracting and comparing strings.
PredicatePtr ConditionCompiler::compile_event_type_check(const CompareExpr& compare) const
{
    const bool positive = compare.op == "=" || compare.op == "==" || compare.op == "in" || compare.op == "intersects";
    if (!is_event_type_field(compare.lhs) || std::holds_alternative<FieldExpr>(compare.rhs) ||
        (!positive && compare.op != "!="))
        return nullptr;
    const auto& types = falco_event_types();
    const auto named = operand_values(compare.rhs);
    std::vector<bool> accepted(types.size());
    for (std::size_t i = 0; i < types.size(); ++i) {
        const bool listed = std::find(named.begin(), named.end(), types[i]) != named.end();
        accepted[i] = positive ? listed : !listed;
    }
    return make_event_type_check(std::move(accepted), current_type_);
}

PredicatePtr ConditionCompiler::compile_compare(const CompareExpr& compare, const Location& where,
                                                CompileError* error)
{
    if (auto check = compile_event_type_check(compare))
        return check;
    auto fail = [&](std::string message, const Location& at) -> PredicatePtr {
        *error = {std::move(message), at, current_macro_};
        return nullptr;
    };
    const auto op = compare_op_from(compare.op);
    if (!op)
        return fail(fmt::format("unknown operator '{}'", compare.op), where);
    FieldType type;
    bool list;
    std::string message;
    auto field = field_slot(compare.lhs, &type, &list, &message);
    if (!field)
        return fail(message, compare.lhs.where);

    if (const auto* rhs_field = std::get_if<FieldExpr>(&compare.rhs)) {
        FieldType rhs_type;
        bool rhs_list;
        auto rhs = field_slot(*rhs_field, &rhs_type, &rhs_list, &message);
        if (!rhs)
            return fail(message, rhs_field->where);
        return make_compare_fields(std::move(field), *op, std::move(rhs));
    }
    if (std::holds_alternative<LiteralList>(compare.rhs) && !takes_list(*op))
        return fail(fmt::format("operator '{}' takes one value, not a list", compare.op), where);

    // Fields that stand for several things at once (every ancestor; both ends
    // of a connection) hold when any value does, `in` included; for the
    // connection ends `!=` means "neither end is" (Falco's fd.ip semantics).
    const FieldInfo* info = FieldCatalog::instance().find(compare.lhs.field);
    CompareOp effective = *op;
    if (info->any_value && effective == CompareOp::In)
        effective = CompareOp::Intersects;
    const bool none_equal = info->not_equal_needs_all_values && effective == CompareOp::Ne;
    if (none_equal)
        effective = CompareOp::Eq;

    auto matcher = ValueMatcher::compile(effective, type, list, operand_values(compare.rhs), &message);
    if (!matcher)
        return fail(fmt::format("{} {}: {}", compare.lhs.name(), compare.op, message), where);
    // A field with one value on every event (evt.dir): decided here. The
    // reference form (no memoize) keeps the check, so tests compare both.
    if (const auto value = same_on_every_event(compare.lhs.field);
        value && memoize_ && !none_equal && compare.lhs.transformers.empty() && !compare.lhs.arg) {
        const FieldValue v = FieldValue::string(*value);
        return make_constant(type == FieldType::String && matcher->match(std::span(&v, 1)));
    }
    if (!none_equal)
        return make_compare(std::move(field), std::move(matcher));
    // A field without a value fails `!=` as every comparison does.
    std::vector<PredicatePtr> both;
    both.push_back(make_exists(field_slot(compare.lhs, &type, &list, &message)));
    both.push_back(make_not(make_compare(std::move(field), std::move(matcher))));
    return make_and(std::move(both));
}

void ConditionCompiler::expand_item(const std::string& item, std::vector<std::string>& out) const
{
    auto list = lists_.find(item);
    if (list == lists_.end())
        out.push_back(item);
    else
        out.insert(out.end(), list->second.begin(), list->second.end());
}

std::vector<std::string> ConditionCompiler::operand_values(const Operand& rhs) const
{
    std::vector<std::string> values;
    if (const auto* literal = std::get_if<Literal>(&rhs)) {
        // `x in list_name`: a bare list name stands for its items.
        if (literal->quoted)
            values.push_back(literal->text);
        else
            expand_item(literal->text, values);
    } else if (const auto* list = std::get_if<LiteralList>(&rhs)) {
        for (const auto& item : list->items) {
            if (item.quoted)
                values.push_back(item.text);
            else
                expand_item(item.text, values);
        }
    }
    return values;
}

EventTypeSet ConditionCompiler::event_types(const Expr& condition) const
{
    std::vector<std::string> expanding;
    return types_of(condition, expanding);
}

// Falco's event-type analysis: an `evt.type` check names its types, `and`
// intersects, `or` unites, `not` complements only a pure evt.type check, and
// anything else can match every type.
EventTypeSet ConditionCompiler::types_of(const Expr& expr, std::vector<std::string>& expanding) const
{
    switch (expr.kind()) {
    case ExprKind::And: {
        EventTypeSet acc;
        for (const auto& child : expr.as<AndExpr>()->children) {
            auto t = types_of(*child, expanding);
            if (!t)
                continue;
            if (!acc) {
                acc = std::move(t);
                continue;
            }
            std::set<std::string> both;
            std::set_intersection(acc->begin(), acc->end(), t->begin(), t->end(), std::inserter(both, both.end()));
            acc = std::move(both);
        }
        return acc;
    }
    case ExprKind::Or: {
        std::set<std::string> any;
        for (const auto& child : expr.as<OrExpr>()->children) {
            auto t = types_of(*child, expanding);
            if (!t)
                return std::nullopt;
            any.insert(t->begin(), t->end());
        }
        return any;
    }
    case ExprKind::Not: {
        const Expr& child = *expr.as<NotExpr>()->child;
        const auto* compare = child.as<CompareExpr>();
        if (compare && is_event_type_field(compare->lhs)) {
            auto t = types_of(child, expanding);
            return t ? EventTypeSet(complement(*t)) : std::nullopt;
        }
        return std::nullopt;
    }
    case ExprKind::Identifier: {
        const std::string& name = expr.as<IdentifierExpr>()->name;
        auto macro = macros_.find(name);
        if (macro == macros_.end() || std::find(expanding.begin(), expanding.end(), name) != expanding.end())
            return std::nullopt;
        expanding.push_back(name);
        auto t = types_of(*macro->second, expanding);
        expanding.pop_back();
        return t;
    }
    case ExprKind::Compare: {
        const auto& compare = *expr.as<CompareExpr>();
        if (!is_event_type_field(compare.lhs) || std::holds_alternative<FieldExpr>(compare.rhs))
            return std::nullopt;
        const auto values = operand_values(compare.rhs);
        std::set<std::string> named(values.begin(), values.end());
        if (compare.op == "=" || compare.op == "==" || compare.op == "in" || compare.op == "intersects")
            return named;
        if (compare.op == "!=")
            return complement(named);
        return std::nullopt;
    }
    case ExprKind::Unary:
        return std::nullopt;
    }
    return std::nullopt;
}

std::map<std::string, std::vector<std::string>> expand_lists(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& lists)
{
    std::map<std::string, std::vector<std::string>> expanded;
    for (const auto& [name, items] : lists) {
        std::vector<std::string> out;
        for (const auto& item : items) {
            // Falco splices list items into the condition text, so an item
            // written '"10.0.0.0/8"' is a quoted string, never a list name.
            const bool quoted = item.size() >= 2 && (item.front() == '"' || item.front() == '\'') &&
                                item.back() == item.front();
            auto earlier = quoted ? expanded.end() : expanded.find(item);
            if (quoted)
                out.push_back(item.substr(1, item.size() - 2));
            else if (earlier != expanded.end() && item != name)
                out.insert(out.end(), earlier->second.begin(), earlier->second.end());
            else
                out.push_back(item);
        }
        expanded[name] = std::move(out);
    }
    return expanded;
}

}  // namespace palisade::rules
