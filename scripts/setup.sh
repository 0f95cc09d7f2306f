#!/usr/bin/env bash
# scripts/setup.sh: make sure this machine has what wgml needs beyond npm.
#
#   1. A usable WebGPU adapter for Node (the `webgpu` package, i.e. Dawn).
#      Without a GPU that means Mesa's lavapipe (software Vulkan), and Dawn
#      only accepts Mesa >= 24; Debian 12 ships 22.3, so on bookworm the
#      driver comes from bookworm-backports.
#   2. The Fashion-MNIST IDX files, in $WGML_DATA, ./data/fashion-mnist or
#      /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
#   3. /usr/bin/chromium, for the browser tests (Debian package chromium).
#
# It runs before every `npm test`, `npm start` and `npm run cli` (pre-scripts),
# so when everything is present it only checks, prints one line and exits 0.
# When something is missing:
#   - as root, or with passwordless sudo, it installs it with apt-get and
#     checks again (fails clearly if WebGPU is still unusable);
#   - otherwise it prints the exact commands to run and exits 1;
#   - without apt-get it says in words what is missing and exits 1.
#
# Opt-out: WGML_SKIP_SETUP=1 skips every check and install, for people who
# manage their own system. CI never sets it.
#
# Safe to run any number of times: `bash scripts/setup.sh` or `npm run setup`.

set -euo pipefail

if [[ "${WGML_SKIP_SETUP:-}" == 1 ]]; then
  echo "setup: skipped (WGML_SKIP_SETUP=1)" >&2
  exit 0
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROBE="$ROOT/scripts/probe-webgpu.mjs"
PROBE_TIMEOUT=60
CHROMIUM=/usr/bin/chromium
DATASET_PKG_DIR=/usr/share/datasets/fashion-mnist
DATASET_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz
  t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
MESA_MIN=24
BACKPORTS_FILE=/etc/apt/sources.list.d/bookworm-backports.sources
BACKPORTS_SOURCE='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'

say() { echo "setup: $*" >&2; }
die() {
  say "$*"
  exit 1
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# --- checks -----------------------------------------------------------------

PROBE_LINE=""
# Runs the probe; sets PROBE_LINE; returns its status.
probe_webgpu() {
  local rc=0 xdg="${XDG_RUNTIME_DIR:-}"
  if ! command -v node >/dev/null 2>&1; then
    PROBE_LINE="node not found (wgml needs Node.js >= 20)"
    return 1
  fi
  # The Vulkan loader warns when XDG_RUNTIME_DIR is unset or unusable.
  if [[ -z "$xdg" || ! -d "$xdg" || ! -w "$xdg" ]]; then
    xdg="$TMP"
  fi
  XDG_RUNTIME_DIR="$xdg" timeout "$PROBE_TIMEOUT" node "$PROBE" \
    >"$TMP/probe.out" 2>"$TMP/probe.err" || rc=$?
  PROBE_LINE="$(head -n 1 "$TMP/probe.out")"
  if ((rc == 124)); then
    PROBE_LINE="webgpu: unusable: probe hung (killed after ${PROBE_TIMEOUT}s)"
  elif ((rc > 128)); then
    PROBE_LINE="webgpu: unusable: probe crashed (signal $((rc - 128)))"
  elif ((rc != 0)) && [[ -z "$PROBE_LINE" ]]; then
    PROBE_LINE="webgpu: unusable: probe exited with status $rc: $(grep -m 1 . "$TMP/probe.err" || true)"
  fi
  return "$rc"
}

# The last few non-blank lines the probe wrote to stderr (Vulkan/Dawn warnings).
show_probe_stderr() {
  { grep -v '^[[:space:]]*$' "$TMP/probe.err" || true; } | tail -n 5 | sed 's/^/setup:   /' >&2
}

dataset_dir_ok() {
  local dir="$1" f
  [[ -n "$dir" ]] || return 1
  for f in "${DATASET_FILES[@]}"; do
    [[ -s "$dir/$f" ]] || return 1
  done
}

DATASET_DIR=""
find_dataset() {
  local dir
  for dir in "${WGML_DATA:-}" "$ROOT/data/fashion-mnist" "$DATASET_PKG_DIR"; do
    if dataset_dir_ok "$dir"; then
      DATASET_DIR="$dir"
      return 0
    fi
  done
  return 1
}

have_chromium() { [[ -x "$CHROMIUM" ]]; }

# --- fast path --------------------------------------------------------------

need_webgpu=0 need_dataset=0 need_chromium=0
probe_webgpu || need_webgpu=1
find_dataset || need_dataset=1
have_chromium || need_chromium=1

if ((!need_webgpu && !need_dataset && !need_chromium)); then
  say "ok: ${PROBE_LINE#webgpu: ok: }; data in $DATASET_DIR; $CHROMIUM"
  exit 0
fi

((need_webgpu)) && say "WebGPU is not usable: ${PROBE_LINE#webgpu: unusable: }"
((need_dataset)) && say "Fashion-MNIST not found (looked in ${WGML_DATA:+\$WGML_DATA=$WGML_DATA, }$ROOT/data/fashion-mnist, $DATASET_PKG_DIR)"
((need_chromium)) && say "$CHROMIUM not found (needed by the browser tests)"

# --- no apt: explain in words -----------------------------------------------

if ! command -v apt-get >/dev/null 2>&1; then
  say "this is not a Debian/apt system, so install these yourself:"
  ((need_webgpu)) && say "  - a Vulkan driver Dawn accepts: a GPU driver, or Mesa >= $MESA_MIN with lavapipe (software Vulkan); also run \`npm ci\` so node_modules/webgpu exists"
  ((need_dataset)) && say "  - the four Fashion-MNIST IDX files (${DATASET_FILES[*]}) in ./data/fashion-mnist or in a directory named by \$WGML_DATA"
  ((need_chromium)) && say "  - Chromium, as $CHROMIUM (for the browser tests)"
  say "or set WGML_SKIP_SETUP=1 to skip these checks"
  exit 1
fi

# --- apt: work out the commands ---------------------------------------------

codename=""
if [[ -r /etc/os-release ]]; then
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
fi

stock_pkgs=()    # from the distribution's own suites
mesa_install=0   # mesa-vulkan-drivers (from bookworm-backports on bookworm)
add_backports=0  # write $BACKPORTS_FILE first

if ((need_dataset)); then
  stock_pkgs+=(dataset-fashion-mnist)
  say "will install dataset-fashion-mnist: puts the IDX files in $DATASET_PKG_DIR"
fi
if ((need_chromium)); then
  # No recommends: headless Chromium runs WebGPU on its bundled SwiftShader and
  # needs none of them (upower, udev, notification-daemon, system-config-printer,
  # ...); fonts-liberation is the one worth having, for text in pages.
  stock_pkgs+=(chromium fonts-liberation)
  say "will install chromium (+ fonts-liberation): provides $CHROMIUM for the browser tests"
fi
if ((need_webgpu)); then
  mesa_version="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
  # dpkg-query prints a version for removed-but-configured packages too.
  mesa_status="$(dpkg-query -W -f='${db:Status-Abbrev}' mesa-vulkan-drivers 2>/dev/null || true)"
  if [[ "$mesa_status" != ii* ]]; then
    mesa_version=""
  fi
  if [[ -z "$mesa_version" ]] || dpkg --compare-versions "$mesa_version" lt "$MESA_MIN"; then
    mesa_install=1
    if [[ "$codename" == bookworm ]]; then
      say "will install mesa-vulkan-drivers from bookworm-backports: Dawn needs lavapipe from Mesa >= $MESA_MIN, Debian 12 has ${mesa_version:-none installed}"
      if ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
        add_backports=1
        say "will add the bookworm-backports apt source: $BACKPORTS_FILE"
      fi
    else
      say "will install mesa-vulkan-drivers: Dawn needs a Vulkan driver (lavapipe from Mesa >= $MESA_MIN), installed: ${mesa_version:-none}"
    fi
  elif [[ "$PROBE_LINE" == *"not installed"* ]]; then
    say "mesa-vulkan-drivers $mesa_version is fine; the npm package is missing: run \`npm ci\`"
  else
    say "mesa-vulkan-drivers $mesa_version is already >= $MESA_MIN, so apt cannot fix this"
    show_probe_stderr
  fi
fi

mesa_args=(mesa-vulkan-drivers)
if [[ "$codename" == bookworm ]]; then
  mesa_args=(-t bookworm-backports mesa-vulkan-drivers)
fi
APT_INSTALL=(apt-get install -y -q --no-install-recommends)

if ((${#stock_pkgs[@]} == 0 && !mesa_install)); then
  # Nothing apt can do; only WebGPU can be missing here.
  die "cannot fix WebGPU automatically; see above"
fi

# --- apt: run them, or print them -------------------------------------------

SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo)
  else
    say "not root and no passwordless sudo, so run these commands, then run \`bash scripts/setup.sh\` again:"
    {
      echo
      if ((add_backports)); then
        echo "sudo tee $BACKPORTS_FILE >/dev/null <<'EOF'"
        echo "$BACKPORTS_SOURCE"
        echo "EOF"
      fi
      echo "sudo apt-get update"
      if ((${#stock_pkgs[@]})); then
        echo "sudo ${APT_INSTALL[*]} ${stock_pkgs[*]}"
      fi
      if ((mesa_install)); then
        echo "sudo ${APT_INSTALL[*]} ${mesa_args[*]}"
      fi
      echo
    } >&2
    say "(or set WGML_SKIP_SETUP=1 if you manage these yourself)"
    exit 1
  fi
fi

as_root() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }

if ((add_backports)); then
  say "adding $BACKPORTS_FILE"
  echo "$BACKPORTS_SOURCE" | as_root tee "$BACKPORTS_FILE" >/dev/null
fi
say "apt-get update"
as_root apt-get update -q || die "apt-get update failed"
if ((${#stock_pkgs[@]})); then
  say "apt-get install ${stock_pkgs[*]}"
  as_root "${APT_INSTALL[@]}" "${stock_pkgs[@]}" || die "installing ${stock_pkgs[*]} failed"
fi
if ((mesa_install)); then
  # After the stock packages, so that only Mesa's Vulkan driver (and what it
  # strictly needs, e.g. libdrm) comes from backports, not e.g. systemd.
  say "apt-get install ${mesa_args[*]}"
  as_root "${APT_INSTALL[@]}" "${mesa_args[@]}" || die "installing mesa-vulkan-drivers failed"
fi

# --- check again ------------------------------------------------------------

failed=0
if ((need_dataset)) && ! find_dataset; then
  say "Fashion-MNIST is still missing from $DATASET_PKG_DIR after installing dataset-fashion-mnist"
  failed=1
fi
if ((need_chromium)) && ! have_chromium; then
  say "$CHROMIUM is still missing after installing chromium"
  failed=1
fi
if ((need_webgpu)); then
  if probe_webgpu; then
    say "WebGPU now usable: ${PROBE_LINE#webgpu: ok: }"
  else
    say "WebGPU is still unusable: ${PROBE_LINE#webgpu: unusable: }"
    if [[ -s "$TMP/probe.err" ]]; then
      show_probe_stderr
    fi
    failed=1
  fi
fi
((failed == 0)) || exit 1
say "done"
