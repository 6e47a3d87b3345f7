// The kernel's functions as hook resolution sees them: this kernel's BTF
// (fentry can serve a function whose arguments each fit a register) and the
// error-injection list's format.
#include <unistd.h>

#include <gtest/gtest.h>

#include "loader/kernel_symbols.h"

namespace palisade {
namespace {

TEST(KernelFunctions, ErrorInjectionListNamesItsFunctions)
{
    const auto names = parse_error_injection_list("__x64_sys_openat\tERRNO\nshould_failslab\tERRNO\n"
                                                  "__x64_sys_read  ERRNO\n\n");
    EXPECT_EQ(names, (std::unordered_set<std::string>{"__x64_sys_openat", "should_failslab", "__x64_sys_read"}));
}

TEST(KernelFunctions, BtfSaysWhichFunctionsFentryCanServe)
{
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        GTEST_SKIP() << "this kernel has no /sys/kernel/btf/vmlinux";
    KernelSymbols index;
    // fd_install(unsigned int fd, struct file *file): a number and a pointer.
    auto fd = index.function_info("fd_install");
    ASSERT_TRUE(fd.has_value());
    EXPECT_TRUE(fd->in_btf);
    EXPECT_TRUE(fd->fentry_args);
    // from_kuid_munged(struct user_namespace *, kuid_t): kuid_t is a struct passed by value.
    auto kuid = index.function_info("from_kuid_munged");
    ASSERT_TRUE(kuid.has_value());
    EXPECT_TRUE(kuid->in_btf);
    EXPECT_FALSE(kuid->fentry_args);
    auto missing = index.function_info("palisade_no_such_function");
    ASSERT_TRUE(missing.has_value());
    EXPECT_FALSE(missing->in_btf);
    EXPECT_FALSE(missing->error_injectable);
}

}  // namespace
}  // namespace palisade
