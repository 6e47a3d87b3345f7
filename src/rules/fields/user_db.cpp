#include "rules/fields/user_db.h"

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace palisade::rules::fields {
namespace {

constexpr std::string_view kUnknownName = "<NA>";
constexpr std::string_view kRootName = "root";

// The first `count` ':'-separated fields of a line; false when it has fewer.
template <std::size_t count>
bool split_fields(std::string_view line, std::array<std::string_view, count>& fields) {
    for (std::size_t i = 0; i < count; ++i) {
        const auto colon = line.find(':');
        const bool last = i + 1 == count;
        if (colon == std::string_view::npos && !last) return false;
        fields[i] = line.substr(0, colon);
        line.remove_prefix(colon == std::string_view::npos ? line.size() : colon + 1);
    }
    return true;
}

bool parse_id(std::string_view text, std::uint32_t& id) {
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, id);
    return result.ec == std::errc{} && result.ptr == end && !text.empty();
}

// Calls handle(line) for each line that is neither empty nor a comment.
template <class Handle>
void for_each_entry(std::string_view text, Handle&& handle) {
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        handle(line);
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

UserDb UserDb::parse(std::string_view passwd_text, std::string_view group_text) {
    UserDb db;
    // name:password:uid:gid:gecos:home:shell
    for_each_entry(passwd_text, [&](std::string_view line) {
        std::array<std::string_view, 7> f;
        std::uint32_t uid = 0;
        if (!split_fields(line, f) || !parse_id(f[2], uid)) return;
        db.users_.try_emplace(uid, User{std::string(f[0]), std::string(f[5]), std::string(f[6])});
    });
    // name:password:gid:members
    for_each_entry(group_text, [&](std::string_view line) {
        std::array<std::string_view, 4> f;
        std::uint32_t gid = 0;
        if (!split_fields(line, f) || !parse_id(f[2], gid)) return;
        db.groups_.try_emplace(gid, std::string(f[0]));
    });
    return db;
}

UserDb UserDb::load(const std::string& passwd_path, const std::string& group_path) {
    return parse(read_file(passwd_path), read_file(group_path));
}

const UserDb& UserDb::host() {
    static const UserDb db = load("/etc/passwd", "/etc/group");
    return db;
}

const UserDb::User* UserDb::user(std::uint32_t uid) const {
    const auto it = users_.find(uid);
    return it == users_.end() ? nullptr : &it->second;
}

const std::string* UserDb::group(std::uint32_t gid) const {
    const auto it = groups_.find(gid);
    return it == groups_.end() ? nullptr : &it->second;
}

std::string_view UserDb::user_name(std::uint32_t uid) const {
    if (const User* found = user(uid)) return found->name;
    return uid == 0 ? kRootName : kUnknownName;
}

std::string_view UserDb::group_name(std::uint32_t gid) const {
    if (const std::string* found = group(gid)) return *found;
    return gid == 0 ? kRootName : kUnknownName;
}

}  // namespace palisade::rules::fields
