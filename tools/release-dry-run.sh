#!/usr/bin/env bash
# Rehearse a release without touching this repository: in a throwaway clone of the committed
# state (HEAD), bump the versions the way a release does, show what changed, build, and let npm
# show what each public package would publish. Nothing is tagged, pushed or published.
#
#   tools/release-dry-run.sh            # patch bump of every package changed since its last tag
#   tools/release-dry-run.sh minor      # or major, minor, patch, prerelease, an exact 1.2.3, ...
set -euo pipefail
bump="${1:-patch}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cobald-release-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export NX_DAEMON=false NX_NO_CLOUD=true

git clone --quiet --no-local --branch "$(git -C "$repo" rev-parse --abbrev-ref HEAD)" "$repo" "$work/repo"
cd "$work/repo"
git -c advice.detachedHead=false checkout --quiet "$(git -C "$repo" rev-parse HEAD)"
git switch --quiet -C main
npm ci --no-audit --no-fund --prefer-offline --loglevel=error

echo "== packages changed since their last release (lerna changed)"
npx lerna changed --long || true
echo "== lerna version $bump --no-git-tag-version --no-push --yes"
npx lerna version "$bump" --no-git-tag-version --no-push --yes
echo "== what the release commit would contain"
git --no-pager diff --stat
git --no-pager diff -U0 -- 'packages/*/package.json' | grep -E '^(\+\+\+|[-+] )' || true

echo "== build, and what npm would publish (npm publish --dry-run)"
npx nx run-many -t build --output-style=static >/dev/null
for manifest in packages/*/package.json; do
  if node -e 'process.exit(require(process.argv[1]).private ? 1 : 0)' "$PWD/$manifest"; then
    (cd "$(dirname "$manifest")" && npm publish --dry-run --ignore-scripts 2>&1 | grep -E 'npm notice (name|version|filename|total files)|Publishing to|npm (error|ERR)' || true)
  fi
done
echo "== dry run done; $repo was not touched"
