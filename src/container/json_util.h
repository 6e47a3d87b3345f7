// Tolerant reads of runtime JSON: nlohmann's accessors throw on a wrong type,
// these give the empty value instead, so odd files never throw.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace palisade::json_util {

using nlohmann::json;

inline const json& member(const json& object, const char* key)
{
    static const json null;
    if (!object.is_object())
        return null;
    const auto it = object.find(key);
    return it != object.end() ? *it : null;
}

inline std::string string_at(const json& object, const char* key)
{
    const json& value = member(object, key);
    return value.is_string() ? value.get<std::string>() : std::string();
}

inline bool contains_string(const json& array, std::string_view value)
{
    if (!array.is_array())
        return false;
    for (const auto& item : array)
        if (item.is_string() && item.get<std::string>() == value)
            return true;
    return false;
}

// A {"k": "v"} object's string members.
inline std::map<std::string, std::string> string_map(const json& object)
{
    std::map<std::string, std::string> out;
    if (object.is_object())
        for (const auto& [key, value] : object.items())
            if (value.is_string())
                out[key] = value.get<std::string>();
    return out;
}

}  // namespace palisade::json_util
