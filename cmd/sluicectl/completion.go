package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The scripts complete command words statically and connector names by
// calling the hidden `sluicectl __complete connectors`, which prints one
// name per line and nothing at all on any failure, so a down cluster never
// spoils the shell. Each script reads the words before the cursor the same
// way: options and their values are skipped (global ones may come before
// or after the command), and --context/--cluster are passed on to
// __complete, so names come from the cluster the line talks to.

const bashCompletion = `# bash completion for sluicectl
# Load with: source <(sluicectl completion bash)
_sluicectl() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local cmds="%[1]s"
    # The line is split on blanks rather than COMP_WORDS, which bash also
    # breaks at ':' and '=' (a --cluster URL would become several words).
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a w pos ctl=(sluicectl)
    read -ra w <<< "$line"
    if [[ ! "$line" =~ [[:space:]]$ ]] && ((${#w[@]} > 0)); then
        w=("${w[@]:0:${#w[@]}-1}")
    fi
    local prev="" i
    ((${#w[@]} > 1)) && prev="${w[${#w[@]}-1]}"
    for ((i=1; i<${#w[@]}; i++)); do
        case "${w[i]}" in
            --context|--cluster) ctl+=("${w[i]}" "${w[i+1]}"); ((i++)) ;;
            --context=*|--cluster=*) ctl+=("${w[i]}") ;;
            -o|--output|-f|--filename|--for|--timeout|--type|--scope|--set|--unset|--interval|--count|--username|--password|--ca-file|--cert-file|--key-file) ((i++)) ;;
            -*) ;;
            *) pos+=("${w[i]}") ;;
        esac
    done
    case "$prev" in
        -o|--output) COMPREPLY=($(compgen -W "table json yaml" -- "$cur")); return ;;
        -f|--filename|--ca-file|--cert-file|--key-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --for) COMPREPLY=($(compgen -W "running paused stopped failed deleted" -- "$cur")); return ;;
        --scope) COMPREPLY=($(compgen -W "worker cluster" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "source sink converter header_converter transformation predicate" -- "$cur")); return ;;
        --context) COMPREPLY=($(compgen -W "$(sluicectl __complete contexts 2>/dev/null)" -- "$cur")); return ;;
        --cluster|--timeout|--set|--unset|--interval|--count|--username|--password) COMPREPLY=(); return ;;
    esac
    local n=${#pos[@]} cmd="${pos[0]}" sub="${pos[1]}"
    if ((n == 0)); then
        COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return
    fi
    local words_here=""
    case "$cmd" in
        get) if ((n == 1)); then words_here="connectors plugins tasks offsets"; elif ((n == 2)) && [[ "$sub" == tasks || "$sub" == offsets ]]; then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        describe) if ((n == 1)); then words_here="connector plugin"; elif ((n == 2)) && [[ "$sub" == connector ]]; then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        patch) if ((n == 1)); then words_here="connector"; elif ((n == 2)); then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        offsets) if ((n == 1)); then words_here="get alter reset"; elif ((n == 2)); then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        loggers) if ((n == 1)); then words_here="get set"; fi ;;
        restart) if ((n == 1)); then words_here="task $("${ctl[@]}" __complete connectors 2>/dev/null)"; elif ((n == 2)) && [[ "$sub" == task ]]; then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        pause|resume|stop|delete|wait) if ((n == 1)); then words_here="$("${ctl[@]}" __complete connectors 2>/dev/null)"; fi ;;
        config) if ((n == 1)); then words_here="set-context use-context get-contexts current-context delete-context"; elif ((n == 2)) && [[ "$sub" == use-context || "$sub" == delete-context || "$sub" == set-context ]]; then words_here="$(sluicectl __complete contexts 2>/dev/null)"; fi ;;
        completion) if ((n == 1)); then words_here="bash zsh fish"; fi ;;
        help) if ((n == 1)); then words_here="$cmds"; fi ;;
    esac
    COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
}
complete -o default -F _sluicectl sluicectl
`

const zshCompletion = `#compdef sluicectl
# zsh completion for sluicectl
# Load with: autoload -U compinit && compinit; source <(sluicectl completion zsh)
_sluicectl() {
    local -a cmds pos ctl
    cmds=(%[2]s)
    ctl=(sluicectl)
    local i w
    for (( i = 2; i < CURRENT; i++ )); do
        w=${words[i]}
        case $w in
            --context|--cluster) (( i + 1 < CURRENT )) && ctl+=($w ${words[i+1]}); (( i++ )) ;;
            --context=*|--cluster=*) ctl+=($w) ;;
            -o|--output|-f|--filename|--for|--timeout|--type|--scope|--set|--unset|--interval|--count|--username|--password|--ca-file|--cert-file|--key-file) (( i++ )) ;;
            -*) ;;
            *) pos+=($w) ;;
        esac
    done
    case ${words[CURRENT-1]} in
        -o|--output) compadd table json yaml; return ;;
        -f|--filename|--ca-file|--cert-file|--key-file) _files; return ;;
        --for) compadd running paused stopped failed deleted; return ;;
        --scope) compadd worker cluster; return ;;
        --type) compadd source sink converter header_converter transformation predicate; return ;;
        --context) compadd -- ${(f)"$(sluicectl __complete contexts 2>/dev/null)"}; return ;;
        --cluster|--timeout|--set|--unset|--interval|--count|--username|--password) return 1 ;;
    esac
    local n=${#pos} cmd=${pos[1]} sub=${pos[2]}
    if (( n == 0 )); then
        _describe 'command' cmds; return
    fi
    case $cmd in
        get) if (( n == 1 )); then compadd connectors plugins tasks offsets; elif (( n == 2 )) && [[ $sub == tasks || $sub == offsets ]]; then _sluicectl_names connectors; fi ;;
        describe) if (( n == 1 )); then compadd connector plugin; elif (( n == 2 )) && [[ $sub == connector ]]; then _sluicectl_names connectors; fi ;;
        patch) if (( n == 1 )); then compadd connector; elif (( n == 2 )); then _sluicectl_names connectors; fi ;;
        offsets) if (( n == 1 )); then compadd get alter reset; elif (( n == 2 )); then _sluicectl_names connectors; fi ;;
        loggers) if (( n == 1 )); then compadd get set; fi ;;
        restart) if (( n == 1 )); then compadd task; _sluicectl_names connectors; elif (( n == 2 )) && [[ $sub == task ]]; then _sluicectl_names connectors; fi ;;
        pause|resume|stop|delete|wait) if (( n == 1 )); then _sluicectl_names connectors; fi ;;
        config) if (( n == 1 )); then compadd set-context use-context get-contexts current-context delete-context; elif (( n == 2 )) && [[ $sub == use-context || $sub == delete-context || $sub == set-context ]]; then compadd -- ${(f)"$(sluicectl __complete contexts 2>/dev/null)"}; fi ;;
        completion) if (( n == 1 )); then compadd bash zsh fish; fi ;;
        help) if (( n == 1 )); then _describe 'command' cmds; fi ;;
        apply|validate) _files ;;
    esac
}
# _sluicectl_names adds connector names; it runs the caller's ctl:
# sluicectl with the line's --context/--cluster.
_sluicectl_names() {
    local -a names
    names=(${(f)"$(${ctl:-sluicectl} __complete $1 2>/dev/null)"})
    (( ${#names} )) && compadd -a names
}
compdef _sluicectl sluicectl
`

const fishCompletion = `# fish completion for sluicectl
# Load with: sluicectl completion fish | source
# __sluicectl_args prints the words typed before the cursor that are not
# options or option values: the command, its subcommand, names.
function __sluicectl_args
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $w
            case --context --cluster -o --output -f --filename --for --timeout --type --scope --set --unset --interval --count --username --password --ca-file --cert-file --key-file
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end
# __sluicectl_names prints connector names from the cluster the line's
# --context/--cluster name.
function __sluicectl_names
    set -l words (commandline -opc)
    set -l ctl
    set -l n (count $words)
    for i in (seq 2 $n)
        switch $words[$i]
            case --context --cluster
                if test $i -lt $n
                    set -a ctl $words[$i] $words[(math $i + 1)]
                end
            case '--context=*' '--cluster=*'
                set -a ctl $words[$i]
        end
    end
    sluicectl $ctl __complete $argv[1] 2>/dev/null
end
function __sluicectl_no_cmd
    test (count (__sluicectl_args)) -eq 0
end
# __sluicectl_cmd_is CMD...: the command is one of CMD.
function __sluicectl_cmd_is
    set -l a (__sluicectl_args)
    test (count $a) -ge 1; and contains -- $a[1] $argv
end
# __sluicectl_sub_is SUB...: the word after the command is one of SUB.
function __sluicectl_sub_is
    set -l a (__sluicectl_args)
    test (count $a) -ge 2; and contains -- $a[2] $argv
end
# __sluicectl_nargs N: N words (the command included) are typed.
function __sluicectl_nargs
    test (count (__sluicectl_args)) -eq $argv[1]
end
complete -c sluicectl -f
%[3]s
complete -c sluicectl -l context -x -a '(sluicectl __complete contexts 2>/dev/null)' -d 'context to use'
complete -c sluicectl -l cluster -x -d 'cluster URL'
complete -c sluicectl -s o -l output -x -a 'table json yaml' -d 'output format'
complete -c sluicectl -n '__sluicectl_cmd_is get; and __sluicectl_nargs 1' -a 'connectors plugins tasks offsets'
complete -c sluicectl -n '__sluicectl_cmd_is get; and __sluicectl_sub_is tasks offsets; and __sluicectl_nargs 2' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is describe; and __sluicectl_nargs 1' -a 'connector plugin'
complete -c sluicectl -n '__sluicectl_cmd_is describe; and __sluicectl_sub_is connector; and __sluicectl_nargs 2' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is patch; and __sluicectl_nargs 1' -a 'connector'
complete -c sluicectl -n '__sluicectl_cmd_is patch; and __sluicectl_nargs 2' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is offsets; and __sluicectl_nargs 1' -a 'get alter reset'
complete -c sluicectl -n '__sluicectl_cmd_is offsets; and __sluicectl_nargs 2' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is loggers; and __sluicectl_nargs 1' -a 'get set'
complete -c sluicectl -n '__sluicectl_cmd_is restart; and __sluicectl_nargs 1' -a 'task (__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is restart; and __sluicectl_sub_is task; and __sluicectl_nargs 2' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is pause resume stop delete wait; and __sluicectl_nargs 1' -a '(__sluicectl_names connectors)'
complete -c sluicectl -n '__sluicectl_cmd_is config; and __sluicectl_nargs 1' -a 'set-context use-context get-contexts current-context delete-context'
complete -c sluicectl -n '__sluicectl_cmd_is config; and __sluicectl_sub_is set-context use-context delete-context; and __sluicectl_nargs 2' -a '(sluicectl __complete contexts 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is completion; and __sluicectl_nargs 1' -a 'bash zsh fish'
complete -c sluicectl -n '__sluicectl_cmd_is apply validate offsets' -s f -l filename -r -F -d 'file'
complete -c sluicectl -n '__sluicectl_cmd_is wait' -l for -x -a 'running paused stopped failed deleted'
complete -c sluicectl -n '__sluicectl_cmd_is wait' -l timeout -x
complete -c sluicectl -n '__sluicectl_cmd_is loggers' -l scope -x -a 'worker cluster'
complete -c sluicectl -n '__sluicectl_cmd_is get' -l type -x -a 'source sink converter header_converter transformation predicate'
complete -c sluicectl -n '__sluicectl_cmd_is restart' -l include-tasks
complete -c sluicectl -n '__sluicectl_cmd_is restart' -l only-failed
complete -c sluicectl -n '__sluicectl_cmd_is apply' -l dry-run
complete -c sluicectl -n '__sluicectl_cmd_is describe' -l watch
`

func cmdCompletion(_ context.Context, c *cmdContext) error {
	pos, err := c.parse(nil, 1, 1)
	if err != nil {
		return helpOK(err)
	}
	var names, zshItems, fishLines []string
	for _, cmd := range commands() {
		if cmd.hidden {
			continue
		}
		names = append(names, cmd.name)
		zshItems = append(zshItems, shellQuote(cmd.name+":"+cmd.summary))
		fishLines = append(fishLines, fmt.Sprintf("complete -c sluicectl -n __sluicectl_no_cmd -a %s -d %s", cmd.name, shellQuote(cmd.summary)))
	}
	var script string
	switch pos[0] {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		script = fishCompletion
	default:
		return c.usagef("unknown shell %q: use bash, zsh or fish", pos[0])
	}
	fmt.Fprintf(c.e.stdout, script, strings.Join(names, " "), strings.Join(zshItems, " "), strings.Join(fishLines, "\n"))
	return nil
}

// shellQuote single-quotes s for sh, zsh and fish alike.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cmdComplete serves the completion scripts. It never fails loudly.
func cmdComplete(ctx context.Context, c *cmdContext) error {
	pos, err := c.parse(nil, 1, 1)
	if err != nil {
		return &silentError{code: exitFailure}
	}
	switch pos[0] {
	case "connectors":
		cl, err := c.connect()
		if err != nil {
			return &silentError{code: exitFailure}
		}
		// A completion must come back quickly even if the cluster hangs.
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var names []string
		if _, err := cl.getJSON(ctx, "/connectors", url.Values{}, &names); err != nil {
			return &silentError{code: exitFailure}
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(c.e.stdout, n)
		}
	case "contexts":
		cfg, err := c.loadConfig()
		if err != nil {
			return &silentError{code: exitFailure}
		}
		for _, n := range cfg.names() {
			fmt.Fprintln(c.e.stdout, n)
		}
	default:
		return &silentError{code: exitFailure}
	}
	return nil
}
