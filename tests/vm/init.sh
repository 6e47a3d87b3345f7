#!/bin/busybox sh
# /init of the test VM's initramfs: mounts the host's root (9p, read-only)
# with tmpfs where programs write, runs /run/vmio/cmd.sh there, writes its
# status to /run/vmio/rc (a writable 9p share the host reads) and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
    insmod /modules/$m || echo "init: insmod $m failed"
done
ip link set lo up
opts=trans=virtio,version=9p2000.L,msize=262144
if ! mount -t 9p -o $opts,ro,cache=loose hostroot /newroot; then
    echo "init: cannot mount the host root"
    poweroff -f
fi
for d in tmp run var/tmp dev/shm root; do
    mount -t tmpfs tmpfs /newroot/$d 2>/dev/null
done
mkdir -p /newroot/run/vmio
mount -t 9p -o $opts vmio /newroot/run/vmio
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
# switch_root, not chroot: paths the kernel builds (d_path, LSM hooks) must
# read as on the host, without a /newroot in front.
exec switch_root /newroot /bin/sh -c '
    mount -t bpf bpf /sys/fs/bpf
    mount -t tracefs tracefs /sys/kernel/tracing
    mount -t debugfs debugfs /sys/kernel/debug
    mount -t securityfs securityfs /sys/kernel/security
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
    mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
    export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    sh /run/vmio/cmd.sh
    echo $? > /run/vmio/rc
    sync
    echo o > /proc/sysrq-trigger
    sleep 10 2>/dev/null
'
