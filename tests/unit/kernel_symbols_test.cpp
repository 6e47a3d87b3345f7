// The kernel function lookup behind `policy validate`: BTF first, then
// /proc/kallsyms-format text; no root needed.
#include "loader/kernel_symbols.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace palisade {
namespace {

std::string temp_file(const std::string& name, const std::string& text)
{
    const std::string path = "/tmp/palisade-ksyms-" + std::to_string(getpid()) + "-" + name;
    std::ofstream(path) << text;
    return path;
}

TEST(KernelSymbols, KallsymsTextSymbolsModulesIncluded)
{
    const std::string kallsyms = temp_file("kallsyms",
                                           "0000000000000000 T commit_creds\n"
                                           "0000000000000000 t find_module_sections.isra.0\n"
                                           "0000000000000000 D init_task\n"
                                           "0000000000000000 t nf_conntrack_in\t[nf_conntrack]\n");
    KernelSymbols symbols("/nonexistent/btf", kallsyms);
    EXPECT_EQ(symbols.has_function("commit_creds"), true);
    EXPECT_EQ(symbols.has_function("nf_conntrack_in"), true);  // a loaded module's function
    EXPECT_EQ(symbols.has_function("init_task"), false);       // data, not a function
    EXPECT_EQ(symbols.has_function("find_module_sections"), false);  // only a compiler's clone exists
    symbols.release_sources();
    EXPECT_EQ(symbols.has_function("commit_creds"), true);  // remembered
    EXPECT_EQ(symbols.has_function("tcp_connect"), false);  // read again
    unlink(kallsyms.c_str());
}

TEST(KernelSymbols, NothingToJudgeByIsNoAnswer)
{
    KernelSymbols symbols("/nonexistent/btf", "/nonexistent/kallsyms");
    EXPECT_EQ(symbols.has_function("commit_creds"), std::nullopt);
}

TEST(KernelSymbols, TheRunningKernelsBtf)
{
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        GTEST_SKIP() << "this kernel has no /sys/kernel/btf/vmlinux";
    KernelSymbols symbols("/sys/kernel/btf/vmlinux", "/nonexistent/kallsyms");
    EXPECT_EQ(symbols.has_function("security_file_open"), true);
    EXPECT_EQ(symbols.has_function("palisade_no_such_function"), false);
}

}  // namespace
}  // namespace palisade
