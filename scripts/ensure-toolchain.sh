#!/usr/bin/env bash
# Installs what vmha needs and is quick when everything is present.
#   --node   only node_modules (for the commands that need no Ansible or Docker)
#   --browser also Debian's chromium and certutil (the vmui browser check; nothing downloads a browser of its own)
#   (none)   node_modules, Python venv .venv/ from requirements.txt, Docker engine, debootstrap, ssh
# Prints one line per thing it installs or starts; prints nothing when nothing is missing.
# Safe to run concurrently: a lock serialises runs (parallel `npm run ...` calls are common).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

node_only=false
browser=false
for arg in "$@"; do
  case "$arg" in
    --node) node_only=true ;;
    --browser) browser=true ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ensure-toolchain: unknown argument '$arg' (expected --node, --browser or nothing)" >&2; exit 2 ;;
  esac
done

say() { echo "ensure-toolchain: $*"; }
die() { echo "ensure-toolchain: ERROR: $*" >&2; exit 1; }

mkdir -p .cache
exec 9>".cache/toolchain.lock"
flock -w 900 9 || die "another ensure-toolchain run held .cache/toolchain.lock for 15 min (find it with: fuser .cache/toolchain.lock)"

apt_updated=false
apt_install() {
  [[ $(id -u) == 0 ]] || die "need root to apt-get install $* (run as root or install it yourself)"
  export DEBIAN_FRONTEND=noninteractive
  if ! $apt_updated; then
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=true
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

ensure_node_modules() {
  command -v npm >/dev/null || die "npm not found: install Node.js >= 20 first"
  local stamp=node_modules/.package-lock.json
  if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
    say "installing node_modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  fi
}

ensure_venv() {
  command -v python3 >/dev/null || die "python3 not found: install Python >= 3.11 first"
  local want have=""
  # The interpreter version is part of the hash: a new Python needs a fresh venv.
  want="$( { cat requirements.txt; python3 -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
  [[ -f .venv/.requirements.sha256 ]] && have="$(cat .venv/.requirements.sha256)"
  if [[ $want == "$have" && -x .venv/bin/python ]]; then return; fi
  # Debian's python3 ships without ensurepip; python3-venv brings it.
  if ! python3 -c 'import ensurepip' 2>/dev/null; then
    say "installing python3-venv (apt)"
    apt_install python3-venv
  fi
  say "installing Python venv .venv/ from requirements.txt"
  rm -rf .venv
  python3 -m venv .venv || die "python3 -m venv .venv failed"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip >/dev/null || die "pip upgrade failed"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt >/dev/null \
    || die "pip install -r requirements.txt failed (run .venv/bin/pip install -r requirements.txt to see why)"
  echo "$want" > .venv/.requirements.sha256
}

has_systemd() { [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]; }

ensure_docker() {
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then return; fi
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    say "installing Docker engine (apt docker.io)"
    apt_install docker.io
  fi
  if has_systemd; then
    say "starting Docker engine (systemctl start docker)"
    systemctl start docker || die "systemctl start docker failed (see journalctl -u docker)"
  elif ! pgrep -x dockerd >/dev/null; then
    say "starting Docker engine (dockerd in the background, log /var/log/vmha-dockerd.log)"
    # setsid: its own session, so Ctrl-C or killing the caller's process group spares it;
    # 9>&-: it must not inherit (and hold forever) this script's lock.
    setsid nohup dockerd >/var/log/vmha-dockerd.log 2>&1 </dev/null 9>&- &
  fi
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "Docker engine did not answer 'docker info' within 60 s (see /var/log/vmha-dockerd.log)"
    sleep 1
  done
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return
  say "installing debootstrap (apt)"
  apt_install debootstrap debian-archive-keyring
}

# Ansible reaches the lab hosts over SSH (ssh, ssh-keygen for the lab's key pair).
ensure_ssh_client() {
  command -v ssh >/dev/null && command -v ssh-keygen >/dev/null && return
  say "installing the SSH client (apt openssh-client)"
  apt_install openssh-client
}

ensure_browser() {
  command -v chromium >/dev/null && command -v certutil >/dev/null && return
  say "installing chromium and certutil (apt chromium libnss3-tools)"
  apt_install chromium libnss3-tools
}

ensure_node_modules
if $browser; then
  ensure_browser
fi
if ! $node_only; then
  ensure_venv
  ensure_docker
  ensure_debootstrap
  ensure_ssh_client
fi
