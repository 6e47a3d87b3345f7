#include "policy/parser.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "policy/policy_readers.h"

namespace palisade::policy {
namespace {

namespace fs = std::filesystem;

void append(ParseResult& into, ParseResult&& from)
{
    auto move_all = [](auto& to, auto& items) {
        to.insert(to.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    };
    move_all(into.policies, from.policies);
    move_all(into.errors, from.errors);
    move_all(into.warnings, from.warnings);
}

ParseResult cannot_read(const std::string& path, const std::string& reason)
{
    ParseResult result;
    result.errors.push_back(PolicyDiagnostic{Location{path}, fmt::format("cannot read {}: {}", path, reason), {}});
    return result;
}

bool is_policy_file(const fs::path& path)
{
    return path.extension() == ".yaml" || path.extension() == ".yml";
}

}  // namespace

ParseResult parse_policy_text(const std::string& text, const std::string& file_name)
{
    ParseResult result;
    detail::Reader reader(file_name, text, result);
    try {
        std::vector<YAML::Node> documents;
        try {
            documents = YAML::LoadAll(text);
        } catch (const YAML::Exception& e) {
            reader.error(reader.at(e.mark), "invalid YAML: " + e.msg);
            return result;
        }
        for (const YAML::Node& document : documents)
            if (document.IsDefined() && !document.IsNull())
                detail::read_document(reader, document, result.policies);
    } catch (const std::exception& e) {
        // yaml-cpp's node accessors throw too; none should be reached, but the
        // API promises not to throw.
        reader.error(Location{file_name}, fmt::format("internal error while reading the policy: {}", e.what()));
    }
    return result;
}

ParseResult parse_policy_file(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return cannot_read(path, "it is a directory");
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return cannot_read(path, std::strerror(errno));
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad())
        return cannot_read(path, std::strerror(errno));
    return parse_policy_text(content.str(), path);
}

ParseResult parse_policy_path(const std::string& path)
{
    std::error_code ec;
    if (!fs::is_directory(path, ec))
        return parse_policy_file(path);

    std::vector<std::string> files;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
        if (is_policy_file(it->path()) && it->is_regular_file(ec))
            files.push_back(it->path().string());
    if (ec)
        return cannot_read(path, ec.message());
    std::ranges::sort(files);

    ParseResult result;
    if (files.empty())
        result.warnings.push_back(PolicyDiagnostic{
            Location{path}, "no *.yaml or *.yml files in the directory", {}, PolicyDiagnostic::Severity::Warning});
    for (const std::string& file : files)
        append(result, parse_policy_file(file));
    return result;
}

std::uint64_t parse_duration_ns(std::string_view text, bool* ok)
{
    if (ok)
        *ok = false;
    std::uint64_t count = 0;
    auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (status != std::errc() || end == text.data())
        return 0;

    std::string unit = detail::lowercase(text.substr(static_cast<std::size_t>(end - text.data())));
    std::uint64_t ns_per_unit = 0;
    if (unit.empty() || unit == "s")  // a bare number is seconds, as in Tetragon
        ns_per_unit = 1'000'000'000ull;
    else if (unit == "ms")
        ns_per_unit = 1'000'000ull;
    else if (unit == "m")
        ns_per_unit = 60 * 1'000'000'000ull;
    else if (unit == "h")
        ns_per_unit = 3600 * 1'000'000'000ull;
    else
        return 0;

    std::uint64_t ns = 0;
    if (__builtin_mul_overflow(count, ns_per_unit, &ns))
        return 0;
    if (ok)
        *ok = true;
    return ns;
}

}  // namespace palisade::policy
