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
// spoils the shell.

const bashCompletion = `# bash completion for sluicectl
# Load with: source <(sluicectl completion bash)
_sluicectl() {
    local cur prev words cword
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local cmds="%[1]s"
    local cmd="" sub="" i
    for ((i=1; i<COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --context|--cluster|-o|--output|-f|--filename|--for|--timeout|--type|--scope|--set|--unset|--interval|--count) ((i++)) ;;
            -*) ;;
            *) if [[ -z "$cmd" ]]; then cmd="${COMP_WORDS[i]}"; elif [[ -z "$sub" ]]; then sub="${COMP_WORDS[i]}"; fi ;;
        esac
    done
    case "$prev" in
        -o|--output) COMPREPLY=($(compgen -W "table json yaml" -- "$cur")); return ;;
        -f|--filename) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --for) COMPREPLY=($(compgen -W "running paused stopped failed deleted" -- "$cur")); return ;;
        --scope) COMPREPLY=($(compgen -W "worker cluster" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "source sink converter header_converter transformation predicate" -- "$cur")); return ;;
        --context) COMPREPLY=($(compgen -W "$(sluicectl __complete contexts 2>/dev/null)" -- "$cur")); return ;;
    esac
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return
    fi
    local words_here=""
    case "$cmd" in
        get) if [[ -z "$sub" ]]; then words_here="connectors plugins tasks offsets"; elif [[ "$sub" == tasks || "$sub" == offsets ]]; then words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        describe) if [[ -z "$sub" ]]; then words_here="connector plugin"; elif [[ "$sub" == connector ]]; then words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        patch) if [[ -z "$sub" ]]; then words_here="connector"; else words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        offsets) if [[ -z "$sub" ]]; then words_here="get alter reset"; else words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        loggers) if [[ -z "$sub" ]]; then words_here="get set"; fi ;;
        restart) if [[ -z "$sub" ]]; then words_here="task $(sluicectl __complete connectors 2>/dev/null)"; elif [[ "$sub" == task ]]; then words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        pause|resume|stop|delete|wait) if [[ -z "$sub" ]]; then words_here="$(sluicectl __complete connectors 2>/dev/null)"; fi ;;
        config) if [[ -z "$sub" ]]; then words_here="set-context use-context get-contexts current-context delete-context"; elif [[ "$sub" == use-context || "$sub" == delete-context || "$sub" == set-context ]]; then words_here="$(sluicectl __complete contexts 2>/dev/null)"; fi ;;
        completion) if [[ -z "$sub" ]]; then words_here="bash zsh fish"; fi ;;
        help) if [[ -z "$sub" ]]; then words_here="$cmds"; fi ;;
    esac
    COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
}
complete -o default -F _sluicectl sluicectl
`

const zshCompletion = `#compdef sluicectl
# zsh completion for sluicectl
# Load with: source <(sluicectl completion zsh)   (after compinit)
_sluicectl() {
    local -a cmds connectors
    cmds=(%[2]s)
    local cmd="${words[2]}" sub="${words[3]}"
    case "${words[CURRENT-1]}" in
        -o|--output) compadd table json yaml; return ;;
        -f|--filename) _files; return ;;
        --for) compadd running paused stopped failed deleted; return ;;
        --scope) compadd worker cluster; return ;;
        --type) compadd source sink converter header_converter transformation predicate; return ;;
        --context) compadd ${(f)"$(sluicectl __complete contexts 2>/dev/null)"}; return ;;
    esac
    if (( CURRENT == 2 )); then
        _describe 'command' cmds; return
    fi
    connectors=(${(f)"$(sluicectl __complete connectors 2>/dev/null)"})
    case "$cmd" in
        get) if (( CURRENT == 3 )); then compadd connectors plugins tasks offsets; elif [[ "$sub" == tasks || "$sub" == offsets ]]; then compadd -a connectors; fi ;;
        describe) if (( CURRENT == 3 )); then compadd connector plugin; elif [[ "$sub" == connector ]]; then compadd -a connectors; fi ;;
        patch) if (( CURRENT == 3 )); then compadd connector; else compadd -a connectors; fi ;;
        offsets) if (( CURRENT == 3 )); then compadd get alter reset; else compadd -a connectors; fi ;;
        loggers) if (( CURRENT == 3 )); then compadd get set; fi ;;
        restart) if (( CURRENT == 3 )); then compadd task; compadd -a connectors; elif [[ "$sub" == task ]]; then compadd -a connectors; fi ;;
        pause|resume|stop|delete|wait) if (( CURRENT == 3 )); then compadd -a connectors; fi ;;
        config) if (( CURRENT == 3 )); then compadd set-context use-context get-contexts current-context delete-context; else compadd ${(f)"$(sluicectl __complete contexts 2>/dev/null)"}; fi ;;
        completion) if (( CURRENT == 3 )); then compadd bash zsh fish; fi ;;
        apply|validate) _files ;;
    esac
}
compdef _sluicectl sluicectl
`

const fishCompletion = `# fish completion for sluicectl
# Load with: sluicectl completion fish | source
function __sluicectl_no_cmd
    set -l words (commandline -opc)
    test (count $words) -eq 1
end
function __sluicectl_cmd_is
    set -l words (commandline -opc)
    test (count $words) -ge 2; and contains -- $words[2] $argv
end
function __sluicectl_nargs
    set -l words (commandline -opc)
    test (count $words) -eq $argv[1]
end
complete -c sluicectl -f
%[3]s
complete -c sluicectl -l context -x -a '(sluicectl __complete contexts 2>/dev/null)' -d 'context to use'
complete -c sluicectl -l cluster -x -d 'cluster URL'
complete -c sluicectl -s o -l output -x -a 'table json yaml' -d 'output format'
complete -c sluicectl -n '__sluicectl_cmd_is get; and __sluicectl_nargs 2' -a 'connectors plugins tasks offsets'
complete -c sluicectl -n '__sluicectl_cmd_is get; and __sluicectl_nargs 3' -a '(sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is describe; and __sluicectl_nargs 2' -a 'connector plugin'
complete -c sluicectl -n '__sluicectl_cmd_is describe patch; and __sluicectl_nargs 3' -a '(sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is patch; and __sluicectl_nargs 2' -a 'connector'
complete -c sluicectl -n '__sluicectl_cmd_is offsets; and __sluicectl_nargs 2' -a 'get alter reset'
complete -c sluicectl -n '__sluicectl_cmd_is offsets; and __sluicectl_nargs 3' -a '(sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is loggers; and __sluicectl_nargs 2' -a 'get set'
complete -c sluicectl -n '__sluicectl_cmd_is restart; and __sluicectl_nargs 2' -a 'task (sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is restart; and __sluicectl_nargs 3' -a '(sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is pause resume stop delete wait; and __sluicectl_nargs 2' -a '(sluicectl __complete connectors 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is config; and __sluicectl_nargs 2' -a 'set-context use-context get-contexts current-context delete-context'
complete -c sluicectl -n '__sluicectl_cmd_is config; and __sluicectl_nargs 3' -a '(sluicectl __complete contexts 2>/dev/null)'
complete -c sluicectl -n '__sluicectl_cmd_is completion; and __sluicectl_nargs 2' -a 'bash zsh fish'
complete -c sluicectl -n '__sluicectl_cmd_is apply validate offsets' -s f -r -F -d 'file'
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
