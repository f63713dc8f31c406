#!/usr/bin/env bash
# Builds the lab base image: Debian 12 with systemd as PID 1 and sshd, enough for Ansible over
# SSH as on a VM. Usage: build.sh <image tag>
# Called by `scripts/lab.ts up` only when the tag (a hash of this directory's recipe) is missing.
set -euo pipefail

tag="${1:?usage: build.sh <image tag>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite=bookworm
mirror=http://deb.debian.org/debian

packages="$(grep -v '^\s*#' "$here/packages.txt" | grep -v '^\s*$' | paste -sd, -)"
rootfs="$(mktemp -d /var/tmp/vmha-lab-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -30 "$rootfs.log" >&2; echo "build.sh: debootstrap failed (full log: $rootfs.log)" >&2; exit 1; }
rm -f "$rootfs.log"

# Units that cannot work in a container (no consoles, no kernel modules, read-only /sys
# parts) would leave systemd "degraded" or waiting; mask them.
for unit in \
  getty@.service serial-getty@.service console-getty.service getty.target \
  systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
  systemd-modules-load.service systemd-remount-fs.service systemd-firstboot.service \
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
  dev-hugepages.mount dev-mqueue.mount sys-fs-fuse-connections.mount \
  systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
  systemd-sysctl.service systemd-hwdb-update.service systemd-journald-audit.socket \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

# One host key for every lab host (made here if the package's postinst did not): hosts are
# throwaway, and the lab inventory does not record host keys (scripts/lib/lab-inventory.ts).
[ -e "$rootfs/etc/ssh/ssh_host_ed25519_key" ] || chroot "$rootfs" ssh-keygen -A

# Each container gets its own machine id on first boot; no leftover downloaded packages. The
# package lists are wiped, and their directory dated 1970, so that roles see a stale cache and
# refresh it (apt's cache_valid_time), as they must on a VM whose lists are old.
: > "$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/lib/apt/periodic/update-success-stamp
touch -d @0 "$rootfs/var/lib/apt/lists"
echo "deb $mirror $suite main" > "$rootfs/etc/apt/sources.list"
# Stop `systemctl` in containers from asking for a pager.
echo 'SYSTEMD_PAGER=' >> "$rootfs/etc/environment"

tar -C "$rootfs" --numeric-owner -c . \
  | docker import --change 'CMD ["/sbin/init"]' --change 'ENV container=docker' - "$tag" >/dev/null
echo "build.sh: built $tag"
