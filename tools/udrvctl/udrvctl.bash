# bash completion for udrvctl                              -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Commands come from `udrvctl --list-commands` (udrvctl's own table), driver
# names from `udrvctl status` of the running supervisor (the --control given
# on the line, if any), device specs from `udrvctl list` (uioN, /dev/uioN,
# name:NAME) and PCI addresses from sysfs.

_udrvctl_run()
{
	# udrvctl with the line's --control, errors silenced
	"${_udrvctl_cmd[@]}" "$@" 2>/dev/null
}

_udrvctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i cmd= npos=0
	local -a _udrvctl_cmd=("${COMP_WORDS[0]}")

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		case ${COMP_WORDS[i]} in
		--control | -n | --uio | --pci | --dir | --timeout | --runtime-dir)
			[[ ${COMP_WORDS[i]} == --control ]] &&
				_udrvctl_cmd+=(--control "${COMP_WORDS[i + 1]}")
			((i++)) # the option's value
			;;
		--control=*) _udrvctl_cmd+=("${COMP_WORDS[i]}") ;;
		-*) ;;
		*)
			# the command, then how many operands precede the cursor
			if ((i == COMP_CWORD)); then
				:
			elif [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			elif ((i < COMP_CWORD)); then
				((npos++))
			fi
			;;
		esac
	done

	if [[ $prev == --control ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$(_udrvctl_run --list-commands) --control --help" -- "$cur"))
		return
	fi

	local names specs
	case $cmd in
	status)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json" -- "$cur"))
		else
			names=$(_udrvctl_run status | awk 'NR > 1 { print $1 }')
			COMPREPLY=($(compgen -W "$names" -- "$cur"))
		fi
		;;
	start | stop | restart | reset-failed | log | call | upgrade)
		if [[ $cur == -* ]]; then
			case $cmd in
			start | stop | restart) COMPREPLY=($(compgen -W "--no-block" -- "$cur")) ;;
			upgrade) COMPREPLY=($(compgen -W "--exec --no-block" -- "$cur")) ;;
			log) COMPREPLY=($(compgen -W "-n" -- "$cur")) ;;
			call) COMPREPLY=($(compgen -W "--timeout --raw --runtime-dir" -- "$cur")) ;;
			esac
		elif [[ $prev == -n || $prev == --timeout ]]; then
			COMPREPLY=()
		elif [[ $prev == --runtime-dir ]]; then
			COMPREPLY=($(compgen -d -- "$cur"))
		elif [[ $prev == --exec ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		elif ((npos == 0)); then
			names=$(_udrvctl_run status | awk 'NR > 1 { print $1 }')
			COMPREPLY=($(compgen -W "$names" -- "$cur"))
		fi
		;;
	new)
		case $prev in
		--uio)
			# UIO device names (the `name` attribute) from `udrvctl list`
			specs=$(_udrvctl_run list | sed -n 's/^uio[0-9]*: name=\([^,]*\),.*/\1/p')
			COMPREPLY=($(compgen -W "$specs" -- "$cur"))
			;;
		--pci)
			specs=$(ls /sys/bus/pci/devices 2>/dev/null)
			COMPREPLY=($(compgen -W "$specs" -- "$cur"))
			;;
		--dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
		*) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--uio --pci --dir" -- "$cur")) ;;
		esac
		;;
	read | write | dump)
		# a device spec first: uioN, /dev/uioN, name:NAME
		if ((npos == 0)); then
			specs=$(_udrvctl_run list | sed -n 's|^\(uio[0-9]*\): name=\([^,]*\),.*|\1 /dev/\1 name:\2|p')
			COMPREPLY=($(compgen -W "$specs" -- "$cur"))
		fi
		;;
	esac
}
complete -F _udrvctl udrvctl
