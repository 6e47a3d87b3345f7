#!/bin/bash
# Boots one of Debian's kernels under qemu with this host's root filesystem
# shared read-only, runs a command inside and passes its exit code out. For
# the tests this host's kernel cannot run (kprobes, fentry, BPF LSM): the
# VM's kernel is isolated, so enforcement policies there harm nobody.
#
#   vm.sh prepare SERIES        fetch and unpack the kernel, build the initramfs
#   vm.sh run SERIES CMD...     boot, run `sh -c "CMD..."` in the cwd, exit with its status
#
# SERIES is 6.1 or 6.12 (Debian bookworm's linux-image-*-amd64-unsigned).
# Nothing is installed on the host: the package is unpacked with dpkg -x into
# the cache ($PALISADE_VM_CACHE, default ./vm-cache). Exit 77 (a skip) only
# when qemu or the kernel package cannot be had; the reason is printed.
set -euo pipefail

SKIP=77
cache_root=${PALISADE_VM_CACHE:-$PWD/vm-cache}

skip() { echo "SKIP: $*" >&2; exit $SKIP; }
die() { echo "vm.sh: $*" >&2; exit 1; }

# The newest package of the series that apt can fetch.
package_for() {
    local pattern
    case "$1" in
    6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
    6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    *) die "unknown kernel series '$1' (6.1 or 6.12)" ;;
    esac
    apt-cache search --names-only "$pattern" 2>/dev/null | cut -d' ' -f1 | sort -V -r | while read -r pkg; do
        if [[ $(apt-cache policy "$pkg") == *"Candidate: "[0-9]* ]]; then
            echo "$pkg"
            break
        fi
    done
}

# Module file names a module depends on, from its .modinfo section.
module_deps() {
    local ko=$1
    { if [[ $ko == *.xz ]]; then xz -dc "$ko"; elif [[ $ko == *.zst ]]; then zstd -qdc "$ko"; else cat "$ko"; fi; } |
        strings -a | sed -n 's/^depends=//p' | tr ',' '\n' | sed '/^$/d'
}

# Appends MODULE and what it needs, needs first, to $order (once each).
add_module() {
    local name=$1 ko dep
    [[ " $added " == *" $name "* ]] && return 0
    added="$added $name"
    ko=$(find "$moddir" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" \) | head -1)
    if [[ -z $ko ]]; then
        # built in (or absent, which the boot reports): nothing to load
        [[ -n $(find "$moddir" -name "${name//_/-}.ko*" | head -1) ]] && add_module "${name//_/-}"
        return 0
    fi
    for dep in $(module_deps "$ko"); do
        add_module "$dep"
    done
    local base
    base=$(basename "$ko")
    base=${base%.xz}
    base=${base%.zst}
    case "$ko" in
    *.xz) xz -dc "$ko" >"$initdir/modules/$base" ;;
    *.zst) zstd -qdc "$ko" >"$initdir/modules/$base" ;;
    *) cp "$ko" "$initdir/modules/$base" ;;
    esac
    echo "$base" >>"$initdir/modules/order"
}

# The ELF kernel inside a bzImage: qemu boots it directly (PVH), which spares
# the decompression that costs TCG several seconds per boot.
extract_vmlinux() {
    local off
    off=$(grep -abo $'\xFD7zXZ' "$1" | head -1 | cut -d: -f1)
    if [[ -n $off ]]; then
        tail -c +$((off + 1)) "$1" | xz -dc 2>/dev/null
    else
        off=$(grep -abo $'\x28\xb5\x2f\xfd' "$1" | head -1 | cut -d: -f1)
        [[ -n $off ]] || return 1
        tail -c +$((off + 1)) "$1" | zstd -qdc 2>/dev/null
    fi
    return 0
}

prepare() {
    local series=$1 dir=$cache_root/$1
    [[ -f $dir/ready ]] && return 0
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt: qemu-system-x86)"
    [[ -x /bin/busybox ]] || skip "busybox is not installed (apt: busybox-static)"
    local pkg
    pkg=$(package_for "$series")
    [[ -n $pkg ]] || skip "no linux-image package of the $series series is known to apt (run apt-get update)"
    rm -rf "$dir" && mkdir -p "$dir/deb"
    # Old lists name packages the archive has dropped: refresh them once and retry.
    if ! (cd "$dir/deb" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
        apt-get update -qq >/dev/null 2>&1 || true
        pkg=$(package_for "$series")
        [[ -n $pkg ]] || skip "no linux-image package of the $series series is known to apt"
        (cd "$dir/deb" && apt-get download -qq "$pkg" >/dev/null 2>&1) || skip "apt-get download $pkg failed"
    fi
    dpkg -x "$dir"/deb/*.deb "$dir/root"
    rm -rf "$dir/deb"
    local kver
    kver=$(ls "$dir/root/lib/modules" | head -1)
    extract_vmlinux "$dir/root/boot/vmlinuz-$kver" >"$dir/vmlinux" || die "cannot unpack vmlinuz-$kver"
    moddir=$dir/root/lib/modules/$kver
    initdir=$dir/initramfs
    mkdir -p "$initdir"/{bin,dev,proc,sys,newroot,modules}
    cp /bin/busybox "$initdir/bin/busybox"
    added=""
    : >"$initdir/modules/order"
    for m in virtio virtio_ring virtio_pci 9pnet 9pnet_virtio 9p; do
        add_module "$m"
    done
    cp "$(dirname "$0")/init.sh" "$initdir/init"
    chmod +x "$initdir/init"
    (cd "$initdir" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$dir/initramfs.gz"
    echo "$pkg" >"$dir/package"
    echo "$kver" >"$dir/release"
    rm -rf "$dir/root"  # the modules the VM needs are in the initramfs
    touch "$dir/ready"
}

run() {
    local series=$1
    shift
    prepare "$series"
    local dir=$cache_root/$series
    io=""
    io=$(mktemp -d /tmp/palisade-vm.XXXXXX)
    trap 'rm -rf "${io:-}"' EXIT
    # The command, run in the same directory inside; its status lands in $io/rc.
    {
        echo "cd '$PWD' || exit 125"
        printf '%s\n' "$*"
    } >"$io/cmd.sh"
    local accel=${PALISADE_VM_ACCEL:-tcg}
    timeout --foreground "${PALISADE_VM_TIMEOUT:-110}" qemu-system-x86_64 \
        -accel "$accel" -cpu max -smp 2 -m 1536 -nographic -nodefaults -no-reboot -serial stdio \
        -kernel "$dir/vmlinux" -initrd "$dir/initramfs.gz" \
        -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off lsm=lockdown,capability,landlock,yama,apparmor,bpf" \
        -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
        -virtfs "local,path=$io,mount_tag=vmio,security_model=none" </dev/null ||
        die "qemu failed or timed out (status $?)"
    [[ -f $io/rc ]] || die "the VM stopped before the command finished"
    return "$(cat "$io/rc")"
}

case "${1:-}" in
prepare) prepare "$2"; echo "$cache_root/$2: $(cat "$cache_root/$2/package")" ;;
run) shift; run "$@" ;;
*) die "usage: vm.sh prepare SERIES | vm.sh run SERIES CMD..." ;;
esac
