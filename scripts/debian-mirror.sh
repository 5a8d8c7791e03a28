#!/usr/bin/env bash
# Print the Debian mirror this machine's own apt sources use for the main archive (the first
# URIs of a deb822 source whose suites include $1, default bookworm; else the first one-line
# `deb` entry), so no mirror host is written into the project.  Set DEBIAN_MIRROR to override.
#
#   MIRROR=$(scripts/debian-mirror.sh bookworm)
set -euo pipefail
suite=${1:-bookworm}
if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    echo "$DEBIAN_MIRROR"
    exit 0
fi
shopt -s nullglob
for file in /etc/apt/sources.list.d/*.sources; do
    # one stanza per paragraph: the URIs of the first stanza serving the suite itself
    mirror=$(awk -v suite="$suite" '
        BEGIN { RS = ""; FS = "\n" }
        {
            uris = ""; serves = 0
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
                if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) serves = 1 }
            }
            if (serves && uris != "") { print uris; exit }
        }' "$file")
    if [[ -n $mirror ]]; then
        echo "$mirror"
        exit 0
    fi
done
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $file ]] || continue
    mirror=$(awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }' "$file")
    if [[ -n $mirror ]]; then
        echo "$mirror"
        exit 0
    fi
done
echo "no apt source for $suite in /etc/apt (set DEBIAN_MIRROR)" >&2
exit 1
