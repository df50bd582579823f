#!/bin/sh
# The static libraries that node/ links into one program (libalto-signaling.a,
# libalto-rtc-transport.a, libalto-rtc-media.a) must not define the same global symbol twice
# (the link fails, or with different signatures worse), and every global they define must carry
# alto's prefix (alto_, or livekit__ for protoc-c's generated code), so that they cannot clash
# with the libraries they are linked with either.
#
# usage: check-symbols.sh NM LIB.a...
# Exit 0 when clean; 1 with one line per offending symbol (and the libraries defining it).
set -eu

nm=$1
shift
[ $# -ge 2 ] || { echo "usage: $0 NM LIB.a LIB.a..." >&2; exit 2; }

list=$(mktemp)
trap 'rm -f "$list"' EXIT

for lib in "$@"; do
	[ -f "$lib" ] || { echo "no such library: $lib" >&2; exit 2; }
	# strong definitions only (weak ones may legitimately repeat); names the compiler or the
	# sanitizers make up (__odr_asan.x, __asan_*, x.cold) are not ours
	"$nm" -g --defined-only "$lib" |
		awk -v lib="$(basename "$lib")" 'NF == 3 && $2 ~ /^[TDBRGSC]$/ && $3 !~ /^__/ && $3 !~ /\./ {
			print $3, lib }' | sort -u >>"$list"
done

status=0
total=$(cut -d' ' -f1 "$list" | sort -u | wc -l)
if [ "$total" -lt 10 ]; then
	# a check that finds nothing to check must not pass
	echo "only $total global symbols found in $*: nm output not understood" >&2
	exit 1
fi

dups=$(cut -d' ' -f1 "$list" | sort | uniq -d)
for sym in $dups; do
	echo "duplicate global symbol $sym in: $(awk -v s="$sym" '$1 == s { printf "%s ", $2 }' "$list")"
	status=1
done

unprefixed=$(awk '$1 !~ /^alto_/ && $1 !~ /^livekit__/ { print }' "$list")
if [ -n "$unprefixed" ]; then
	echo "$unprefixed" | while read -r sym lib; do
		echo "global symbol without the alto_ prefix: $sym in $lib"
	done
	status=1
fi

[ "$status" -eq 0 ] && echo "ok: $total global symbols in $# libraries, no duplicates, all prefixed"
exit "$status"
