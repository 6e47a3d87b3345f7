# Builds the BPF side: vmlinux.h from this machine's BTF (CO-RE relocates it on
# other kernels), one object per *.bpf.c, all statically linked into one object,
# and a libbpf skeleton header generated from that object.
find_program(BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_program(BPF_CLANG clang REQUIRED)
set(PALISADE_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF used to generate vmlinux.h")

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${PALISADE_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${PALISADE_BTF}")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# bpf_skeleton(NAME SOURCES...) -> target NAME_skel with ${BPF_GEN_DIR}/NAME.skel.h
function(bpf_skeleton name)
  set(objects)
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/bpf/lib/*.h ${CMAKE_SOURCE_DIR}/src/abi/palisade/*.h)
  foreach(src ${ARGN})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${BPF_GEN_DIR}/${base}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
              -Wall -Werror -Wno-unused-function
              -I${BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/src/abi -I${CMAKE_SOURCE_DIR}/src/bpf
              # libbpf's usdt.bpf.h includes <linux/errno.h>, whose asm/ is per architecture
              -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
              -c ${src} -o ${obj}
      DEPENDS ${src} ${bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
      COMMENT "BPF ${base}.bpf.c")
    list(APPEND objects ${obj})
  endforeach()
  add_custom_command(
    OUTPUT ${BPF_GEN_DIR}/${name}.bpf.o ${BPF_GEN_DIR}/${name}.skel.h
    COMMAND ${BPFTOOL} gen object ${BPF_GEN_DIR}/${name}.bpf.o ${objects}
    COMMAND ${BPFTOOL} gen skeleton ${BPF_GEN_DIR}/${name}.bpf.o name ${name} > ${BPF_GEN_DIR}/${name}.skel.h
    DEPENDS ${objects}
    COMMENT "Linking BPF ${name} and generating its skeleton")
  add_custom_target(${name}_skel_gen DEPENDS ${BPF_GEN_DIR}/${name}.skel.h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR})
endfunction()
