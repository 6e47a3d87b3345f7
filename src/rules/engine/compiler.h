// Compiles parsed conditions into predicates: expands macros (defined in any
// order, cycles refused), resolves list names, binds fields through the
// catalog and compiles each comparison once. Also works out which event
// types a condition can match, so the engine evaluates a rule only on those.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rules/condition/ast.h"
#include "rules/engine/predicate.h"

namespace palisade::rules {

// Where a compile error is: a position in the text of the rule's condition,
// or of the macro named by `macro` when the error lies in a macro body.
struct CompileError {
    std::string message;
    Location where;
    std::string macro;  // empty: the rule's own condition
};

// Event types a condition can match; nullopt means every type.
using EventTypeSet = std::optional<std::set<std::string>>;

class ConditionCompiler {
public:
    // `macros`: name -> parsed body. `lists`: name -> items, already
    // expanded (items naming other lists replaced by their items).
    // `generation` is the engine's per-event counter: checks and macros that
    // recur across rules are compiled once and evaluated once per event.
    // `current_type` is where the engine puts each event's type index.
    // Without `memoize` nothing is shared: every macro use, check and field
    // read is evaluated where it stands (the reference the shared form is
    // tested against).
    ConditionCompiler(const std::map<std::string, const Expr*>& macros,
                      const std::map<std::string, std::vector<std::string>>& lists,
                      const std::uint64_t* generation, const std::size_t* current_type, bool memoize = true);

    PredicatePtr compile(const Expr& condition, CompileError* error);
    EventTypeSet event_types(const Expr& condition) const;

    // A field reference (in a condition or an output) bound to its extractor,
    // transformers applied; `type` receives the resulting value type.
    std::unique_ptr<Extractor> bind_field(const FieldExpr& field, FieldType* type, bool* list, std::string* error) const;
    // The same for a condition: one slot per distinct field (transformers
    // and argument included), read at most once per event when memoizing.
    FieldSlotPtr field_slot(const FieldExpr& field, FieldType* type, bool* list, std::string* error);

private:
    PredicatePtr compile_node(const Expr& expr, CompileError* error);
    PredicatePtr compile_compare(const CompareExpr& compare, const Location& where, CompileError* error);
    PredicatePtr compile_event_type_check(const CompareExpr& compare) const;
    std::vector<std::string> operand_values(const Operand& rhs) const;
    void expand_item(const std::string& item, std::vector<std::string>& out) const;
    EventTypeSet types_of(const Expr& expr, std::vector<std::string>& expanding) const;

    PredicatePtr share(const std::string& key, const std::function<PredicatePtr()>& compile_once);

    const std::map<std::string, const Expr*>& macros_;
    const std::map<std::string, std::vector<std::string>>& lists_;
    const std::uint64_t* generation_;
    const std::size_t* current_type_;
    bool memoize_;
    std::map<std::string, std::shared_ptr<SharedPredicate>> shared_;
    struct BoundField {
        FieldSlotPtr slot;
        FieldType type;
        bool list;
    };
    std::map<std::string, BoundField> fields_;
    std::vector<std::string> expanding_;  // macro names being expanded, for cycles
    std::string current_macro_;
};

// Expands list items that name other lists (earlier definitions), in order.
std::map<std::string, std::vector<std::string>> expand_lists(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& lists);

}  // namespace palisade::rules
