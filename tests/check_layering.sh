#!/usr/bin/env bash
# check_layering.sh - the include rules, checked mechanically for every folder that holds
# C code: each folder's .may_include lists the folders whose headers its files may
# include (besides its own) and the system headers they may use (shell patterns, a
# leading ! refuses one). Cross-folder includes are written from the top of the tree
# ("models/base/status.h"); same-folder ones by name. A folder with C code and no
# .may_include is a failure too, so a new folder cannot slip past. HACKING.md has the
# picture.
set -u
: "${SRCDIR:?}"
cd "$SRCDIR" || exit 2
fail=0 pass=0
violation() { echo "layering: $1"; fail=$((fail + 1)); }

# Folders with C sources or headers, under the project's fixed top-level folders (so
# build trees, wherever they are, are not scanned).
tops=$(ls -d models traces sim reports tests arch-models scenarios docs 2>/dev/null)
# shellcheck disable=SC2086
folders=$(find $tops \( -name '*.c' -o -name '*.h' \) -print | sed 's|/[^/]*$||' | sort -u)

check_system() { # file header rules...
	local f=$1 h=$2 p ok=0
	shift 2
	for p in "$@"; do
		case "$p" in
		'!<'*) p=${p#!<}; p=${p%>}
			# shellcheck disable=SC2254
			case "$h" in $p) violation "$f includes <$h> (refused in $(dirname "$f")/.may_include)"
				return ;; esac ;;
		'<'*) p=${p#<}; p=${p%>}
			# shellcheck disable=SC2254
			case "$h" in $p) ok=1 ;; esac ;;
		esac
	done
	[ "$ok" = 1 ] || violation "$f includes <$h> (not allowed in $(dirname "$f")/.may_include)"
}

# The system headers a file reaches through the project headers it includes, however
# deep (memoised in SYS_OF): a folder that refuses <yaml.h> must not get it through a
# header of a folder that may use it.
declare -A SYS_OF
resolve() { # file "header": the header's path from the top, or nothing
	if [[ "$2" != */* ]]; then [ -f "${1%/*}/$2" ] && echo "${1%/*}/$2"
	else [ -f "$2" ] && echo "$2"; fi
}
reach() { # file: fills SYS_OF[file] with the system headers it and its includes use
	local f=$1 h p acc
	[[ -v SYS_OF[$f] ]] && return
	SYS_OF[$f]=""
	acc=$(sed -nE 's/^#[[:space:]]*include[[:space:]]+<([^>]+)>.*/\1/p' "$f")
	while IFS= read -r h; do
		[ -n "$h" ] || continue
		p=$(resolve "$f" "$h")
		[ -n "$p" ] || continue
		reach "$p"
		acc+=$'\n'"${SYS_OF[$p]}"
	done < <(sed -nE 's/^#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
	SYS_OF[$f]=$(printf '%s\n' "$acc" | sed '/^$/d' | sort -u)
}
check_reached() { # file refusal-rules...: system headers reached only through includes
	local f=$1 h p r
	shift
	while IFS= read -r h; do
		[ -n "$h" ] || continue
		p=$(resolve "$f" "$h")
		[ -n "$p" ] || continue
		reach "$p"
		while IFS= read -r s; do
			[ -n "$s" ] || continue
			for r in "$@"; do
				case "$r" in '!<'*) r=${r#!<}; r=${r%>}
					# shellcheck disable=SC2254
					case "$s" in $r) violation "$f reaches <$s> through \"$h\" (refused in $(dirname "$f")/.may_include)" ;; esac ;;
				esac
			done
		done <<<"${SYS_OF[$p]}"
	done < <(sed -nE 's/^#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
}

for d in $folders; do
	if [ ! -f "$d/.may_include" ]; then
		violation "$d has C files but no .may_include"
		continue
	fi
	mapfile -t rules < <(grep -vE '^\s*(#|$)' "$d/.may_include")
	dirs=() sys=()
	for r in "${rules[@]}"; do
		case "$r" in '<'* | '!<'*) sys+=("$r") ;; *) dirs+=("$r") ;; esac
	done
	for f in "$d"/*.c "$d"/*.h; do
		[ -f "$f" ] || continue
		while IFS= read -r h; do
			if [[ "$h" != */* ]]; then
				[ "$h" = config.h ] || [ -f "$d/$h" ] ||
					violation "$f includes \"$h\": no such file in $d/"
				continue
			fi
			hd=${h%/*}
			[ -f "$h" ] || { violation "$f includes \"$h\": no such file"; continue; }
			ok=0
			for a in "${dirs[@]}"; do [ "$hd" = "$a" ] && ok=1; done
			[ "$hd" = "$d" ] && violation "$f includes \"$h\": same folder, write \"${h##*/}\""
			[ "$ok" = 1 ] || [ "$hd" = "$d" ] ||
				violation "$f includes \"$h\" ($hd/ is not in $d/.may_include)"
		done < <(sed -nE 's/^#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
		while IFS= read -r h; do
			check_system "$f" "$h" "${sys[@]}"
		done < <(sed -nE 's/^#[[:space:]]*include[[:space:]]+<([^>]+)>.*/\1/p' "$f")
		check_reached "$f" "${sys[@]}"
		pass=$((pass + 1))
	done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
