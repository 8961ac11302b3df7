#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against (real peers, not mocks):
# snmpd/snmpsim (SNMP agents), prometheus, alertmanager, snmp_exporter, nftables/iproute2 (network
# namespaces for probe tests), tmux (TUI in a real terminal), shellcheck (lints our shell scripts),
# openssl (throwaway CA and certificates for the TLS / mutual TLS delivery tests), victoria-metrics
# (remote-write peer, vmalert), chromium + CJK fonts + poppler-utils (rendered MLPS reports, pdftotext),
# buildah + debootstrap (the container image is built for real), systemd (systemd-analyze verify).
# Idempotent: does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  snmpd snmp snmpsim
  prometheus prometheus-alertmanager prometheus-snmp-exporter
  nftables iproute2 iputils-ping
  tmux shellcheck ca-certificates
  openssl
  victoria-metrics
  chromium fonts-wqy-microhei poppler-utils
  buildah debootstrap
  systemd
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Never start the packaged daemons: tests run their own instances on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
