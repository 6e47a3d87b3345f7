#!/usr/bin/env bash
# Installs every Debian package Palisade needs to build, test and run.
# Safe to rerun: it only calls apt when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # BPF: compiler, skeleton generator, loader library
  clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
  # libraries
  libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libre2-dev libcpp-httplib-dev
  # the CRI client: gRPC and protobuf, and the compilers for its stubs
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # tests and benchmarks (libclang-rt: libFuzzer and the sanitizers for clang; valgrind:
  # bench/rules_instructions.sh counts instructions per event with callgrind; linux-perf:
  # bench/bpf_share.sh samples where the open loop's CPU goes)
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev valgrind linux-perf
  # kernel tests use these tools
  procps iproute2 bsdutils openssl
  # the USDT policy test builds a program with probes (sys/sdt.h)
  systemtap-sdt-dev
  # container tests: podman with runc (crun refuses some hosts' cgroups), catatonit for
  # `podman kube play`'s pause image, busybox-static for the image built offline
  podman runc conmon catatonit busybox-static
  # the CRI test runs a containerd of its own (1.6, with its CRI plugin); ctr imports its image
  containerd
  # VM tests (tests/vm): Debian's 6.1/6.12 kernels under qemu, for kprobes and BPF LSM
  qemu-system-x86 xz-utils zstd
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
