// proc.*, thread.*, user.* and group.*: the process behind the event and
// its lineage, from the process cache.
//
// Ancestry follows ProcessCache::parent(), the image that forked the process,
// walked one step at a time (never through ancestors(), which allocates).
// Level 0 is the process itself, as in Falco's proc.aname[0]; the ancestor
// fields without an index list every ancestor, not the process itself, as
// Falco's "any ancestor" comparison does.
#include <string>

#include "rules/fields/field_spec.h"
#include "rules/fields/user_db.h"
#include "rules/fields/value_names.h"

namespace palisade::rules::fields {
namespace {

// The host's pid namespace (PROC_PID_INIT_INO): there a virtual pid is the pid.
constexpr std::uint32_t kInitPidNamespace = 0xEFFFFFFCu;
constexpr std::uint32_t kAuditUnset = UINT32_MAX;  // loginuid of a process no login started

const Process* parent_of(const EvalContext& ctx, const Process& process) { return ctx.cache.parent(process); }

const Process* ancestor_at(const EvalContext& ctx, std::int64_t level) {
    const Process* process = ctx.process;
    for (std::int64_t i = 0; process && i < level; ++i) process = parent_of(ctx, *process);
    return process;
}

const Process* parent_process(const EvalContext& ctx) { return ctx.process ? parent_of(ctx, *ctx.process) : nullptr; }

// --- text attributes of a process image ------------------------------------

using ProcessText = std::string_view (*)(const Process&, std::string& scratch);

std::string_view name_of(const Process& process, std::string&) { return process.comm; }

// Falco's proc.exe is argv[0], which need not be a path.
std::string_view exe_of(const Process& process, std::string&) {
    return process.argv.empty() ? std::string_view(process.filename) : std::string_view(process.argv.front());
}

std::string_view exepath_of(const Process& process, std::string&) { return process.exe; }

std::string_view cwd_of(const Process& process, std::string&) { return process.cwd; }

void append_args(const Process& process, std::string& out) {
    for (std::size_t i = 1; i < process.argv.size(); ++i) {
        if (i > 1) out += ' ';
        out += process.argv[i];
    }
}

// Arguments without argv[0], space-separated.
std::string_view args_of(const Process& process, std::string& scratch) {
    scratch.clear();
    append_args(process, scratch);
    return scratch;
}

// Falco's proc.cmdline: the process name, then each argument after a space.
std::string_view cmdline_of(const Process& process, std::string& scratch) {
    scratch.assign(process.comm);
    if (process.argv.size() > 1) {
        scratch += ' ';
        append_args(process, scratch);
    }
    return scratch;
}

// Falco's proc.exeline: argv[0], a space, then the arguments.
std::string_view exeline_of(const Process& process, std::string& scratch) {
    std::string unused;
    scratch.assign(exe_of(process, unused));
    scratch += ' ';
    append_args(process, scratch);
    return scratch;
}

template <ProcessText text>
bool self_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    return ctx.process && emit_string(out, text(*ctx.process, state.text));
}

template <ProcessText text>
bool parent_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    const Process* parent = parent_process(ctx);
    return parent && emit_string(out, text(*parent, state.text));
}

// proc.aname[N], or with no index every ancestor's value: each one gets its
// own buffer, sized at bind time, so the views handed out stay valid.
template <ProcessText text>
bool ancestor_text(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    if (state.index) {
        const Process* ancestor = ancestor_at(ctx, *state.index);
        return ancestor && emit_string(out, text(*ancestor, state.text));
    }
    std::size_t found = 0;
    for (const Process* ancestor = parent_process(ctx); ancestor && found < state.texts.size();
         ancestor = parent_of(ctx, *ancestor))
        emit_string(out, text(*ancestor, state.texts[found++]));
    return found > 0;
}

void prepare_ancestor_list(ExtractState& state) {
    if (!state.index) state.texts.resize(kMaxAncestry);
}

// --- numeric attributes ------------------------------------------------------

using ProcessNumber = std::optional<std::int64_t> (*)(const Process&);

std::optional<std::int64_t> pid_of(const Process& process) { return process.pid; }

std::optional<std::int64_t> vpid_of(const Process& process) {
    if (process.ns.pid != kInitPidNamespace) return std::nullopt;  // the pid inside its namespace is not recorded
    return process.pid;
}

template <ProcessNumber number>
bool parent_number(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const Process* parent = parent_process(ctx);
    if (!parent) return false;
    const auto value = number(*parent);
    return value && emit_int(out, *value);
}

template <ProcessNumber number>
bool ancestor_number(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    if (state.index) {
        const Process* ancestor = ancestor_at(ctx, *state.index);
        const auto value = ancestor ? number(*ancestor) : std::nullopt;
        return value && emit_int(out, *value);
    }
    std::int64_t found = 0;
    for (const Process* ancestor = parent_process(ctx); ancestor && found < kMaxAncestry;
         ancestor = parent_of(ctx, *ancestor), ++found)
        if (const auto value = number(*ancestor)) emit_int(out, *value);
    return found > 0;
}

bool process_pid(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_int(out, ctx.event.tgid);
}

bool process_vpid(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto vpid = ctx.process ? vpid_of(*ctx.process) : std::nullopt;
    return vpid && emit_int(out, *vpid);
}

bool process_ppid(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_int(out, ctx.process->ppid);
}

bool process_tty(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_uint(out, ctx.process->tty);
}

bool process_arg_count(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    const auto& argv = ctx.process->argv;
    return emit_uint(out, argv.empty() ? 0 : argv.size() - 1);
}

bool process_arg_length(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    std::uint64_t length = 0;
    for (std::size_t i = 1; i < ctx.process->argv.size(); ++i) length += ctx.process->argv[i].size();
    return emit_uint(out, length);
}

bool process_from_memfd(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_bool(out, ctx.process->exec_flags & PL_EXEC_MEMFD);
}

// Nanoseconds from the process's start to the event.
std::optional<std::uint64_t> age_at(const Process& process, const Event& event) {
    if (process.start_ns == 0 || event.ts_ns < process.start_ns) return std::nullopt;
    return event.ts_ns - process.start_ns;
}

bool process_duration(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const auto age = ctx.process ? age_at(*ctx.process, ctx.event) : std::nullopt;
    return age && emit_uint(out, *age);
}

bool parent_duration(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const Process* parent = parent_process(ctx);
    const auto age = parent ? age_at(*parent, ctx.event) : std::nullopt;
    return age && emit_uint(out, *age);
}

bool process_start_time(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && ctx.process->start_ns && emit_uint(out, boot_to_epoch_ns(ctx.process->start_ns));
}

bool parent_start_time(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const Process* parent = parent_process(ctx);
    return parent && parent->start_ns && emit_uint(out, boot_to_epoch_ns(parent->start_ns));
}

// Falco's proc.loginshellid: the pid of the eldest process in the lineage,
// the process included, whose name ends in "sh".
bool login_shell_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    const Process* shell = nullptr;
    std::int64_t depth = 0;
    for (const Process* process = ctx.process; process && depth <= kMaxAncestry;
         process = parent_of(ctx, *process), ++depth)
        if (process->comm.ends_with("sh")) shell = process;
    return shell && emit_int(out, shell->pid);
}

bool thread_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_int(out, ctx.event.tid);
}

bool thread_virtual_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && ctx.process->ns.pid == kInitPidNamespace && emit_int(out, ctx.event.tid);
}

bool thread_is_main(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return emit_bool(out, ctx.event.tid == ctx.event.tgid);
}

template <std::uint64_t Creds::*caps>
bool thread_capabilities(const EvalContext& ctx, ExtractState& state, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    state.text.clear();
    append_capabilities(ctx.process->creds.*caps, state.text);
    return emit_string(out, state.text);
}

// --- user and group ----------------------------------------------------------
// Falco's user is the thread's effective identity (what permission checks
// use); the login user is the audit loginuid, -1 when unset.

void prepare_user_db(ExtractState&) { UserDb::host(); }

bool user_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_uint(out, ctx.process->creds.euid);
}

bool user_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_string(out, UserDb::host().user_name(ctx.process->creds.euid));
}

template <std::string UserDb::User::*attribute>
bool user_attribute(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    const UserDb::User* user = UserDb::host().user(ctx.process->creds.euid);
    return user && emit_string(out, user->*attribute);
}

bool login_user_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    const std::uint32_t loginuid = ctx.process->creds.loginuid;
    return emit_int(out, loginuid == kAuditUnset ? -1 : std::int64_t{loginuid});
}

bool login_user_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    if (!ctx.process) return false;
    const std::uint32_t loginuid = ctx.process->creds.loginuid;
    return emit_string(out, loginuid == kAuditUnset ? std::string_view("<NA>") : UserDb::host().user_name(loginuid));
}

bool group_id(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_uint(out, ctx.process->creds.egid);
}

bool group_name(const EvalContext& ctx, ExtractState&, std::vector<FieldValue>& out) {
    return ctx.process && emit_string(out, UserDb::host().group_name(ctx.process->creds.egid));
}

constexpr FieldSpec kProcessFields[] = {
    {.name = "proc.name", .type = FieldType::String, .extract = self_text<name_of>,
     .description = "Process name (task comm, at most 15 characters)."},
    {.name = "proc.pname", .type = FieldType::String, .extract = parent_text<name_of>,
     .description = "Parent's proc.name."},
    {.name = "proc.aname", .type = FieldType::String, .extract = ancestor_text<name_of>,
     .description = "proc.name of ancestor N (0 = the process); without index, of every ancestor.",
     .arg = ArgKind::Index, .values = Values::AnyAncestor, .max_index = kMaxAncestry, .prepare = prepare_ancestor_list},
    {.name = "proc.exe", .type = FieldType::String, .extract = self_text<exe_of>,
     .description = "argv[0] as the process was started."},
    {.name = "proc.pexe", .type = FieldType::String, .extract = parent_text<exe_of>,
     .description = "Parent's proc.exe."},
    {.name = "proc.aexe", .type = FieldType::String, .extract = ancestor_text<exe_of>,
     .description = "proc.exe of ancestor N; without index, of every ancestor.",
     .arg = ArgKind::Index, .values = Values::AnyAncestor, .max_index = kMaxAncestry, .prepare = prepare_ancestor_list},
    {.name = "proc.exepath", .type = FieldType::String, .extract = self_text<exepath_of>,
     .description = "Executable path, resolved in the kernel."},
    {.name = "proc.pexepath", .type = FieldType::String, .extract = parent_text<exepath_of>,
     .description = "Parent's proc.exepath."},
    {.name = "proc.aexepath", .type = FieldType::String, .extract = ancestor_text<exepath_of>,
     .description = "proc.exepath of ancestor N; without index, of every ancestor.",
     .arg = ArgKind::Index, .values = Values::AnyAncestor, .max_index = kMaxAncestry, .prepare = prepare_ancestor_list},
    {.name = "proc.args", .type = FieldType::String, .extract = self_text<args_of>,
     .description = "Arguments without argv[0], space-separated."},
    {.name = "proc.cmdline", .type = FieldType::String, .extract = self_text<cmdline_of>,
     .description = "proc.name followed by proc.args."},
    {.name = "proc.pcmdline", .type = FieldType::String, .extract = parent_text<cmdline_of>,
     .description = "Parent's proc.cmdline."},
    {.name = "proc.acmdline", .type = FieldType::String, .extract = ancestor_text<cmdline_of>,
     .description = "proc.cmdline of ancestor N; without index, of every ancestor.",
     .arg = ArgKind::Index, .values = Values::AnyAncestor, .max_index = kMaxAncestry, .prepare = prepare_ancestor_list},
    {.name = "proc.exeline", .type = FieldType::String, .extract = self_text<exeline_of>,
     .description = "proc.exe followed by proc.args."},
    {.name = "proc.cmdnargs", .type = FieldType::Uint, .extract = process_arg_count,
     .description = "Number of arguments in proc.args."},
    {.name = "proc.cmdlenargs", .type = FieldType::Uint, .extract = process_arg_length,
     .description = "Total length of the arguments in proc.args."},
    {.name = "proc.cwd", .type = FieldType::String, .extract = self_text<cwd_of>,
     .description = "Working directory at exec time."},
    {.name = "proc.pid", .type = FieldType::Int, .extract = process_pid,
     .description = "Process id (thread group id)."},
    {.name = "proc.ppid", .type = FieldType::Int, .extract = process_ppid,
     .description = "Parent process id."},
    {.name = "proc.apid", .type = FieldType::Int, .extract = ancestor_number<pid_of>,
     .description = "pid of ancestor N; without index, of every ancestor.",
     .arg = ArgKind::Index, .values = Values::AnyAncestor, .max_index = kMaxAncestry},
    {.name = "proc.vpid", .type = FieldType::Int, .extract = process_vpid,
     .description = "pid in the process's pid namespace; <NA> outside the host namespace (not recorded)."},
    {.name = "proc.pvpid", .type = FieldType::Int, .extract = parent_number<vpid_of>,
     .description = "Parent's proc.vpid."},
    {.name = "proc.tty", .type = FieldType::Uint, .extract = process_tty,
     .description = "Controlling terminal as tty_nr encodes it; 0 without one."},
    {.name = "proc.loginshellid", .type = FieldType::Int, .extract = login_shell_id,
     .description = "pid of the eldest shell (name ending in 'sh') in the lineage."},
    {.name = "proc.duration", .type = FieldType::Uint, .extract = process_duration,
     .description = "Nanoseconds since the process started."},
    {.name = "proc.ppid.duration", .type = FieldType::Uint, .extract = parent_duration,
     .description = "Nanoseconds since the parent started."},
    {.name = "proc.pid.ts", .type = FieldType::Uint, .extract = process_start_time,
     .description = "Process start, nanoseconds since the epoch."},
    {.name = "proc.ppid.ts", .type = FieldType::Uint, .extract = parent_start_time,
     .description = "Parent start, nanoseconds since the epoch."},
    {.name = "proc.is_exe_from_memfd", .type = FieldType::Bool, .extract = process_from_memfd,
     .description = "true when the executable is a memfd (fileless execution)."},
    // Known to the catalog, no data in Palisade (see the table in catalog.cpp).
    {.name = "proc.is_exe_upper_layer", .type = FieldType::Bool, .extract = not_available,
     .description = "<NA>: overlayfs layer of the executable is not recorded."},
    {.name = "proc.is_exe_writable", .type = FieldType::Bool, .extract = not_available,
     .description = "<NA>: writability of the executable is not recorded."},
    {.name = "proc.env", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the environment is not captured.", .arg = ArgKind::Key},
    {.name = "proc.aenv", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the environment is not captured.", .arg = ArgKind::IndexOrKey},
    {.name = "proc.sid", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: Palisade records the audit session id, not the POSIX session id."},
    {.name = "proc.sname", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: needs proc.sid."},
    {.name = "proc.sid.exe", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: needs proc.sid."},
    {.name = "proc.sid.exepath", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: needs proc.sid."},
    {.name = "proc.is_sid_leader", .type = FieldType::Bool, .extract = not_available,
     .description = "<NA>: needs proc.sid."},
    {.name = "proc.vpgid", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: the process group is not recorded."},
    {.name = "proc.vpgid.name", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the process group is not recorded."},
    {.name = "proc.vpgid.exe", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the process group is not recorded."},
    {.name = "proc.vpgid.exepath", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the process group is not recorded."},
    {.name = "proc.is_vpgid_leader", .type = FieldType::Bool, .extract = not_available,
     .description = "<NA>: the process group is not recorded."},
    {.name = "proc.exe_ino", .type = FieldType::Int, .extract = not_available,
     .description = "<NA>: the executable's inode is not recorded."},
    {.name = "proc.exe_ino.ctime", .type = FieldType::Uint, .extract = not_available,
     .description = "<NA>: the executable's inode is not recorded."},
    {.name = "proc.exe_ino.mtime", .type = FieldType::Uint, .extract = not_available,
     .description = "<NA>: the executable's inode is not recorded."},
    {.name = "proc.exe_ino.ctime_duration_proc_start", .type = FieldType::Uint, .extract = not_available,
     .description = "<NA>: the executable's inode is not recorded."},
    {.name = "proc.exe_ino.ctime_duration_pidns_start", .type = FieldType::Uint, .extract = not_available,
     .description = "<NA>: the executable's inode is not recorded."},
    {.name = "proc.pidns_init_start_ts", .type = FieldType::Uint, .extract = not_available,
     .description = "<NA>: the pid namespace's start is not recorded."},
    {.name = "thread.tid", .type = FieldType::Int, .extract = thread_id,
     .description = "Thread id."},
    {.name = "thread.vtid", .type = FieldType::Int, .extract = thread_virtual_id,
     .description = "Thread id in its pid namespace; <NA> outside the host namespace."},
    {.name = "thread.ismain", .type = FieldType::Bool, .extract = thread_is_main,
     .description = "true for the thread group leader."},
    {.name = "thread.cap_effective", .type = FieldType::String,
     .extract = thread_capabilities<&Creds::cap_effective>,
     .description = "Effective capabilities: CAP_ names separated by spaces."},
    {.name = "thread.cap_permitted", .type = FieldType::String,
     .extract = thread_capabilities<&Creds::cap_permitted>,
     .description = "Permitted capabilities: CAP_ names separated by spaces."},
    {.name = "thread.cap_inheritable", .type = FieldType::String, .extract = not_available,
     .description = "<NA>: the inheritable set is not recorded."},
};

constexpr FieldSpec kUserFields[] = {
    {.name = "user.uid", .type = FieldType::Uint, .extract = user_id,
     .description = "Effective user id."},
    {.name = "user.name", .type = FieldType::String, .extract = user_name,
     .description = "Name of user.uid from /etc/passwd; root for 0, <NA> when unknown.", .prepare = prepare_user_db},
    {.name = "user.homedir", .type = FieldType::String, .extract = user_attribute<&UserDb::User::home>,
     .description = "Home directory of user.uid.", .prepare = prepare_user_db},
    {.name = "user.shell", .type = FieldType::String, .extract = user_attribute<&UserDb::User::shell>,
     .description = "Login shell of user.uid.", .prepare = prepare_user_db},
    {.name = "user.loginuid", .type = FieldType::Int, .extract = login_user_id,
     .description = "Audit login uid; -1 when no login started the session."},
    {.name = "user.loginname", .type = FieldType::String, .extract = login_user_name,
     .description = "Name of user.loginuid.", .prepare = prepare_user_db},
    {.name = "group.gid", .type = FieldType::Uint, .extract = group_id,
     .description = "Effective group id."},
    {.name = "group.name", .type = FieldType::String, .extract = group_name,
     .description = "Name of group.gid from /etc/group.", .prepare = prepare_user_db},
};

}  // namespace

std::span<const FieldSpec> process_field_specs() { return kProcessFields; }
std::span<const FieldSpec> user_field_specs() { return kUserFields; }

}  // namespace palisade::rules::fields
