#!/usr/bin/env bash
# Makes sure MariaDB's server binaries are installed, for the integration
# tests, the benchmark and the demo (integration/harness starts private
# servers from them; no system service is used). Installs Debian's
# mariadb-server and mariadb-client with apt-get when running as root;
# otherwise prints the command to run and fails.
set -euo pipefail

sbin_dirs=(/usr/sbin /usr/local/sbin /usr/libexec)

have() {
  local name=$1 dir
  command -v "$name" >/dev/null 2>&1 && return 0
  for dir in "${sbin_dirs[@]}" /usr/bin; do
    [[ -x "$dir/$name" ]] && return 0
  done
  return 1
}

installed() {
  { have mariadbd || have mysqld; } && { have mariadb-install-db || have mysql_install_db; }
}

if installed; then
  exit 0
fi

packages=(mariadb-server mariadb-client)
if [[ $(id -u) -ne 0 ]]; then
  echo "MariaDB is not installed. Install it with:" >&2
  echo "  sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi

echo "Installing ${packages[*]} (for the integration tests)..." >&2

# Debian's postinst starts the service; we only want the binaries, and in a
# container there may be no init to start it with. policy-rc.d answering 101
# ("action forbidden") makes invoke-rc.d skip it. Only remove the file if it
# was ours.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=300)
apt-get update -q
apt-get install "${apt_opts[@]}" --no-install-recommends "${packages[@]}"

if ! installed; then
  echo "apt-get installed ${packages[*]} but mariadbd or mariadb-install-db is still missing" >&2
  exit 1
fi
