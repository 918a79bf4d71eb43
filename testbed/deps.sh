#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing (tmux drives the real binary in the
# end-to-end tests). Idempotent and quiet when everything is there.
set -euo pipefail
# tmux drives the real binary in the end-to-end tests; prometheus (with promtool) is the metrics
# server of the integration tests; redis-server is the shared session store of the session lesson.
want=(tmux prometheus redis-server)
missing=()
for p in "${want[@]}"; do
  command -v "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[deps] installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null 2>&1 || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do
  command -v "$p" >/dev/null 2>&1 || { echo "[deps] $p did not install: install it and run make test again" >&2; exit 1; }
done
