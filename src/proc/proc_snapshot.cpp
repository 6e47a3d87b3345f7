#include "proc/proc_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "palisade/abi.h"
#include "proc/cgroup_hierarchy.h"

namespace palisade {
namespace {

constexpr std::uint64_t kNsPerSec = 1'000'000'000;
constexpr std::uint32_t kAuditUnset = UINT32_MAX;  // loginuid of a process that never logged in
constexpr std::string_view kDeletedSuffix = " (deleted)";
constexpr std::string_view kMemfdPrefix = "/memfd:";

// nullopt when the file cannot be opened or read: usually the process is gone.
std::optional<std::string> read_file(const std::string& path, std::size_t limit = 64 * 1024) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string data;
    char buf[4096];
    while (data.size() < limit) {
        const ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - data.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return data;
}

std::optional<std::string> read_link(const std::string& path) {
    // One byte more than the ABI keeps, so an over-long target is noticed and flagged.
    std::string target(PL_PATH_MAX + 1, '\0');
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return std::nullopt;
    target.resize(static_cast<std::size_t>(n));
    return target;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\n") - first + 1);
}

template <class T>
std::optional<T> parse_number(std::string_view s, int base = 10) {
    s = trim(s);
    T value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    while (!s.empty()) {
        const auto pos = s.find(sep);
        if (pos != 0) parts.push_back(s.substr(0, pos));
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + 1);
    }
    return parts;
}

// Returns the text after `key` on the line that starts with it ("Uid:", "0::").
std::optional<std::string_view> line_value(std::string_view text, std::string_view key) {
    for (std::string_view line : split(text, '\n'))
        if (line.starts_with(key)) return line.substr(key.size());
    return std::nullopt;
}

struct StatFields {
    std::uint32_t ppid = 0;
    std::uint32_t tty_nr = 0;
    std::uint64_t starttime = 0;  // clock ticks since boot
};

std::optional<StatFields> parse_stat(std::string_view stat) {
    // Field 2 (comm) may itself contain spaces and ')': the numbered fields resume after the last ')'.
    const auto comm_end = stat.rfind(')');
    if (comm_end == std::string_view::npos) return std::nullopt;
    const auto fields = split(stat.substr(comm_end + 1), ' ');  // fields[0] is field 3 (state)
    auto field = [&fields](std::size_t number) {
        return number - 3 < fields.size() ? fields[number - 3] : std::string_view{};
    };
    const auto ppid = parse_number<std::uint32_t>(field(4));
    const auto tty_nr = parse_number<std::int32_t>(field(7));
    const auto starttime = parse_number<std::uint64_t>(field(22));
    if (!ppid || !tty_nr || !starttime) return std::nullopt;
    return StatFields{*ppid, static_cast<std::uint32_t>(*tty_nr), *starttime};
}

std::optional<StatFields> read_stat(const std::string& pid_dir) {
    const auto stat = read_file(pid_dir + "/stat");
    return stat ? parse_stat(*stat) : std::nullopt;
}

// Fills the real, effective, saved and fs ids from a "Uid:" or "Gid:" status line.
void parse_ids(std::string_view status, std::string_view key, __u32& real, __u32& eff, __u32& saved, __u32& fs) {
    const auto value = line_value(status, key);
    if (!value) return;
    const auto ids = split(*value, '\t');
    __u32* const targets[] = {&real, &eff, &saved, &fs};
    for (std::size_t i = 0; i < std::size(targets) && i < ids.size(); ++i)
        *targets[i] = parse_number<__u32>(ids[i]).value_or(0);
}

__u64 parse_caps(std::string_view status, std::string_view key) {
    const auto value = line_value(status, key);
    return value ? parse_number<__u64>(*value, 16).value_or(0) : 0;
}

__u32 read_u32_file(const std::string& path, __u32 fallback) {
    const auto text = read_file(path);
    return text ? parse_number<__u32>(*text).value_or(fallback) : fallback;
}

pl_creds read_creds(const std::string& pid_dir) {
    pl_creds creds{};
    if (const auto status = read_file(pid_dir + "/status")) {
        parse_ids(*status, "Uid:", creds.uid, creds.euid, creds.suid, creds.fsuid);
        parse_ids(*status, "Gid:", creds.gid, creds.egid, creds.sgid, creds.fsgid);
        creds.cap_effective = parse_caps(*status, "CapEff:");
        creds.cap_permitted = parse_caps(*status, "CapPrm:");
    }
    creds.loginuid = read_u32_file(pid_dir + "/loginuid", kAuditUnset);
    return creds;
}

// "pid:[4026531836]" -> 4026531836; 0 when the link is unreadable.
__u32 ns_inode(const std::string& link_path) {
    const auto target = read_link(link_path);
    if (!target) return 0;
    const auto open = target->find('[');
    const auto close = target->find(']', open);
    if (open == std::string::npos || close == std::string::npos) return 0;
    return parse_number<__u32>(std::string_view(*target).substr(open + 1, close - open - 1)).value_or(0);
}

pl_namespaces read_namespaces(const std::string& pid_dir) {
    const std::string ns_dir = pid_dir + "/ns/";
    pl_namespaces ns{};
    ns.pid = ns_inode(ns_dir + "pid");
    ns.mnt = ns_inode(ns_dir + "mnt");
    ns.net = ns_inode(ns_dir + "net");
    ns.user = ns_inode(ns_dir + "user");
    ns.uts = ns_inode(ns_dir + "uts");
    ns.ipc = ns_inode(ns_dir + "ipc");
    ns.cgroup = ns_inode(ns_dir + "cgroup");
    return ns;
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape_mount_path(std::string_view escaped) {
    std::string path;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '\\' && i + 3 < escaped.size()) {
            if (const auto code = parse_number<unsigned>(escaped.substr(i + 1, 3), 8)) {
                path.push_back(static_cast<char>(*code));
                i += 3;
                continue;
            }
        }
        path.push_back(escaped[i]);
    }
    return path;
}

}  // namespace

std::string find_cgroup2_mount(const std::string& proc_root) {
    const auto mountinfo = read_file(proc_root + "/self/mountinfo", 1 << 20);
    if (!mountinfo) return {};
    for (std::string_view line : split(*mountinfo, '\n')) {
        // "id parent maj:min root mount_point options [optional...] - fstype source super_options"
        const auto fields = split(line, ' ');
        const auto separator = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() > 4 && separator != fields.end() && separator + 1 != fields.end() &&
            separator[1] == "cgroup2")
            return unescape_mount_path(fields[4]);
    }
    return {};
}

namespace {

// The kernel's cgroup id is the kernfs inode number of the process's cgroup v2 directory.
__u64 read_cgroup_id(std::string_view cgroups, const std::string& cgroup2_mount) {
    if (cgroup2_mount.empty()) return 0;
    const auto path = line_value(cgroups, "0::");
    if (!path) return 0;
    struct stat st {};
    if (::stat((cgroup2_mount + std::string(*path)).c_str(), &st) != 0) return 0;
    return st.st_ino;
}

// Cuts `s` to `max_chars`; true if anything was cut.
bool clip(std::string& s, std::size_t max_chars) {
    if (s.size() <= max_chars) return false;
    s.resize(max_chars);
    return true;
}

// The path as the kernel side bounds it (see pl_put_cgroup_path): at most
// PL_CGROUP_DEPTH levels and PL_CGROUP_PATH_MAX - 2 bytes, the levels nearest
// the root left out first.
std::string bound_cgroup_path(std::string_view path, __u32& flags) {
    std::vector<std::string_view> levels = split(path, '/');
    std::size_t kept = 0, bytes = 0;
    while (kept < levels.size() && kept < PL_CGROUP_DEPTH) {
        const std::size_t next = bytes + levels[levels.size() - 1 - kept].size() + 1;
        if (next > PL_CGROUP_PATH_MAX - 2) break;
        bytes = next;
        ++kept;
    }
    if (kept < levels.size()) flags |= PL_EXEC_CGROUP_TRUNCATED;
    std::string bounded;
    for (std::size_t i = levels.size() - kept; i < levels.size(); ++i) (bounded += '/') += levels[i];
    return bounded.empty() ? "/" : bounded;
}

struct ProcessImage {
    std::uint32_t pid = 0;
    StatFields stat;
    pl_exec_event fixed{};  // every field except the lineage and the tail lengths
    std::string path;       // also used as the filename
    std::string argv;       // raw NUL-separated argument block
    std::string cwd;
    std::string cgroup;     // in the hierarchy the sensor reads
};

struct SnapshotContext {
    __u64 ns_per_tick = 0;
    std::string cgroup2_mount;
    CgroupHierarchy hierarchy;
};

// Resolves /proc/PID/exe, reporting deleted and memfd binaries the way the kernel side does.
std::string read_exe(const std::string& pid_dir, __u32& flags) {
    auto path = read_link(pid_dir + "/exe").value_or("");
    if (path.ends_with(kDeletedSuffix)) {
        path.resize(path.size() - kDeletedSuffix.size());
        flags |= PL_EXEC_DELETED;
        if (path.starts_with(kMemfdPrefix)) flags |= PL_EXEC_MEMFD;
    }
    if (clip(path, PL_PATH_MAX - 1)) flags |= PL_EXEC_PATH_TRUNCATED;
    return path;
}

// Like the kernel side: the raw argument block (its own final NUL included)
// cut to PL_ARGV_MAX - 1 bytes, to which the tail encoding adds one more NUL.
std::string read_argv(const std::string& pid_dir, __u32& flags) {
    auto argv = read_file(pid_dir + "/cmdline", PL_ARGV_MAX).value_or("");
    if (clip(argv, PL_ARGV_MAX - 1)) flags |= PL_EXEC_ARGV_TRUNCATED;
    return argv;
}

std::optional<ProcessImage> read_process(const std::string& pid_dir, std::uint32_t pid, const SnapshotContext& context) {
    const auto stat = read_stat(pid_dir);
    if (!stat) return std::nullopt;

    ProcessImage image;
    image.pid = pid;
    image.stat = *stat;
    pl_exec_event& ev = image.fixed;
    ev.exec_id = {stat->starttime * context.ns_per_tick, pid, 0};
    ev.hdr.ts_ns = ev.start_boottime_ns = ev.exec_id.start_ns;
    ev.hdr.type = PL_EV_EXEC;
    ev.hdr.flags = PL_HDR_SNAPSHOT;
    ev.hdr.tgid = ev.hdr.tid = pid;
    ev.ppid = stat->ppid;
    ev.tty = stat->tty_nr;
    ev.creds = read_creds(pid_dir);
    if (ev.creds.euid != ev.creds.uid) ev.flags |= PL_EXEC_SETUID;
    ev.ns = read_namespaces(pid_dir);
    const std::string cgroups = read_file(pid_dir + "/cgroup").value_or("");
    ev.cgroup_id = read_cgroup_id(cgroups, context.cgroup2_mount);
    if (const auto cgroup = cgroup_path_in(cgroups, context.hierarchy)) image.cgroup = bound_cgroup_path(*cgroup, ev.flags);
    ev.sessionid = read_u32_file(pid_dir + "/sessionid", 0);

    std::string comm = read_file(pid_dir + "/comm", PL_COMM_LEN).value_or("");
    if (comm.ends_with('\n')) comm.pop_back();
    clip(comm, PL_COMM_LEN - 1);
    std::memcpy(ev.comm, comm.data(), comm.size());

    image.path = read_exe(pid_dir, ev.flags);
    image.argv = read_argv(pid_dir, ev.flags);
    image.cwd = read_link(pid_dir + "/cwd").value_or("");
    clip(image.cwd, PL_PATH_MAX - 1);

    // Everything above tolerates missing files, so confirm the process (and not
    // a successor reusing its pid) is still there before trusting the result.
    const auto stat_after = read_stat(pid_dir);
    if (!stat_after || stat_after->starttime != stat->starttime) return std::nullopt;
    return image;
}

// Appends one tail field; its length counts the trailing NUL and 0 means absent.
void append_tail_field(std::vector<std::uint8_t>& record, std::string_view value, __u16& length) {
    if (value.empty()) {
        length = 0;
        return;
    }
    record.insert(record.end(), value.begin(), value.end());
    record.push_back(0);
    length = static_cast<__u16>(value.size() + 1);
}

std::vector<std::uint8_t> encode_exec_record(pl_exec_event fixed, const ProcessImage& image) {
    std::vector<std::uint8_t> record(sizeof fixed);
    record.reserve(sizeof fixed + 2 * image.path.size() + image.argv.size() + image.cwd.size() + image.cgroup.size() + 5);
    append_tail_field(record, image.path, fixed.filename_len);
    append_tail_field(record, image.path, fixed.path_len);
    append_tail_field(record, image.argv, fixed.argv_len);
    append_tail_field(record, image.cwd, fixed.cwd_len);
    append_tail_field(record, image.cgroup, fixed.cgroup_len);
    fixed.hdr.size = static_cast<__u32>(record.size());
    std::memcpy(record.data(), &fixed, sizeof fixed);
    return record;
}

// Pre-order walk of the ppid forest so every parent precedes its children.
std::vector<const ProcessImage*> parents_first(const std::map<std::uint32_t, ProcessImage>& images) {
    std::map<std::uint32_t, std::vector<const ProcessImage*>> children;
    std::vector<const ProcessImage*> roots;
    for (const auto& [pid, image] : images) {
        if (images.contains(image.stat.ppid))
            children[image.stat.ppid].push_back(&image);
        else
            roots.push_back(&image);
    }

    std::vector<const ProcessImage*> order;
    order.reserve(images.size());
    std::set<std::uint32_t> visited;
    std::vector<const ProcessImage*> stack(roots.rbegin(), roots.rend());
    while (!stack.empty()) {
        const ProcessImage* image = stack.back();
        stack.pop_back();
        order.push_back(image);
        visited.insert(image->pid);
        if (const auto it = children.find(image->pid); it != children.end())
            stack.insert(stack.end(), it->second.rbegin(), it->second.rend());
    }
    // A ppid cycle (only possible when pid reuse races the scan) is unreachable
    // from any root; keep those processes rather than lose them.
    for (const auto& [pid, image] : images)
        if (!visited.contains(pid)) order.push_back(&image);
    return order;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> snapshot_processes(const std::string& proc_root,
                                                          const std::optional<CgroupHierarchy>& hierarchy) {
    const long ticks_per_sec = ::sysconf(_SC_CLK_TCK);
    SnapshotContext context;
    context.ns_per_tick = kNsPerSec / static_cast<__u64>(ticks_per_sec > 0 ? ticks_per_sec : 100);
    context.cgroup2_mount = find_cgroup2_mount(proc_root);
    context.hierarchy = hierarchy ? *hierarchy : choose_cgroup_hierarchy(proc_root);

    std::map<std::uint32_t, ProcessImage> images;
    // increment(ec) rather than a range-for, whose ++ throws on a read error.
    std::error_code ec;
    for (std::filesystem::directory_iterator it(proc_root, ec), end; !ec && it != end; it.increment(ec)) {
        // Numeric directories are thread-group leaders; threads live under PID/task.
        const auto pid = parse_number<std::uint32_t>(it->path().filename().native());
        if (!pid || *pid == 0) continue;
        if (auto image = read_process(it->path().native(), *pid, context))
            images.emplace(*pid, std::move(*image));
    }

    std::vector<std::vector<std::uint8_t>> records;
    records.reserve(images.size());
    for (const ProcessImage* image : parents_first(images)) {
        pl_exec_event fixed = image->fixed;
        const auto parent = images.find(image->stat.ppid);
        if (parent != images.end())
            fixed.parent_exec_id = parent->second.fixed.exec_id;
        records.push_back(encode_exec_record(fixed, *image));
    }
    return records;
}

}  // namespace palisade
