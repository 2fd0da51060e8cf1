# nbmemctl.bash: bash completion for nbmemctl(8).
#
# Source it, or install it as /usr/share/bash-completion/completions/
# nbmemctl.  The words come from nbmemctl itself (`nbmemctl __complete
# WORD...' walks its own grammar tables), so they never fall behind the
# commands; pool, arena, extent, source and workload names come from the
# daemon at the socket given with -s, or the default one, when it answers.

_nbmemctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} words out w nospace

	words=("${COMP_WORDS[@]:1:COMP_CWORD}")
	out=$("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
	COMPREPLY=()
	if [[ $out == *__FILE__* ]]; then
		out=${out//__FILE__/}
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	COMPREPLY+=($(compgen -W "$out" -- "$cur"))
	# A workload's parameter keys end in "=": the value follows at once.
	nospace=${#COMPREPLY[@]}
	for w in "${COMPREPLY[@]}"; do
		[[ $w == *= ]] || nospace=0
	done
	if [[ $nospace -gt 0 ]]; then
		compopt -o nospace
	fi
}
complete -o filenames -F _nbmemctl nbmemctl
