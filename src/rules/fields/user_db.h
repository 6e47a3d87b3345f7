// Names for user and group ids, as Falco's user.name / group.name show them.
// Read from passwd(5) and group(5) once: lookups on the extraction path are
// hash-map finds that never touch the file system or allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace palisade::rules::fields {

class UserDb {
public:
    struct User {
        std::string name;
        std::string home;
        std::string shell;
    };

    UserDb() = default;

    // Parses the text of a passwd(5) and a group(5) file. Malformed lines are
    // skipped; when an id appears twice the first entry wins, as with getpwuid().
    static UserDb parse(std::string_view passwd_text, std::string_view group_text);
    // Reads and parses the two files; a missing file yields no entries.
    static UserDb load(const std::string& passwd_path, const std::string& group_path);

    // The host's accounts, read from /etc/passwd and /etc/group on first use.
    // Accounts added after that are not seen: the agent keeps a snapshot so
    // that no rule evaluation ever waits on the file system.
    static const UserDb& host();

    const User* user(std::uint32_t uid) const;
    const std::string* group(std::uint32_t gid) const;

    // Falco's rendering of an id it may not be able to resolve: root is always
    // "root" (containers and chroots often lack a passwd entry for it), any
    // other unknown id is "<NA>".
    std::string_view user_name(std::uint32_t uid) const;
    std::string_view group_name(std::uint32_t gid) const;

private:
    std::unordered_map<std::uint32_t, User> users_;
    std::unordered_map<std::uint32_t, std::string> groups_;
};

}  // namespace palisade::rules::fields
