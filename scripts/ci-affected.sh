#!/usr/bin/env bash
# Build and test only the packages a change affects (and their dependents).
# Base: TURBO_SCM_BASE (a commit, branch or tag). Default: the merge base with origin/main when it exists,
# else HEAD^ (on main itself turbo's default base "main" would select nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -d node_modules ] || pnpm install --frozen-lockfile --reporter=append-only
if [ -z "${TURBO_SCM_BASE:-}" ]; then
  if git rev-parse --verify -q origin/main >/dev/null && [ "$(git rev-parse HEAD)" != "$(git rev-parse origin/main)" ]; then
    TURBO_SCM_BASE="$(git merge-base HEAD origin/main)"
  else
    TURBO_SCM_BASE="HEAD^"
  fi
fi
export TURBO_SCM_BASE
echo "ci:affected: comparing against $TURBO_SCM_BASE ($(git rev-parse --short "$TURBO_SCM_BASE"))"
turbo run build typecheck lint test --affected "$@"
