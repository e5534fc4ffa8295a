package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/rest"
)

func cmdApply(ctx context.Context, c *cmdContext) error {
	var files multiFlag
	var dryRun bool
	_, err := c.parse(func(fs *flag.FlagSet) {
		fs.Var(&files, "f", "connector file (.json or .properties) or directory; repeatable")
		fs.Var(&files, "filename", "same as -f")
		fs.BoolVar(&dryRun, "dry-run", false, "validate only; change nothing")
	}, 0, 0)
	if err != nil {
		return helpOK(err)
	}
	if len(files) == 0 {
		return c.usagef("missing -f FILE|DIR")
	}
	// Every file is read and validated before any is applied: stopping at
	// the first bad one would leave the files before it applied and those
	// after it not, a half-applied directory to untangle by hand.
	var conns []connectorFile
	var unreadable []badFile
	for _, f := range files {
		cs, bad, err := loadConnectorPathsEach(f)
		if err != nil {
			bad = append(bad, badFile{f, err})
		}
		conns = append(conns, cs...)
		unreadable = append(unreadable, bad...)
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	type invalidFile struct {
		Path   string            `json:"path"`
		Name   string            `json:"name,omitempty"`
		Errors []string          `json:"errors"`
		infos  *rest.ConfigInfos // the server's answer, for the table
		config map[string]string
	}
	var invalid []invalidFile
	for _, b := range unreadable {
		invalid = append(invalid, invalidFile{Path: b.path, Errors: []string{b.err.Error()}})
	}
	byName := map[string]string{}
	for _, cf := range conns {
		if prev, dup := byName[cf.name]; dup {
			invalid = append(invalid, invalidFile{Path: cf.path, Name: cf.name,
				Errors: []string{fmt.Sprintf("%s: connector %s is also in %s; keep one file per connector", cf.path, cf.name, prev)}})
			continue
		}
		byName[cf.name] = cf.path
		infos, err := validateConfig(ctx, cl, cf)
		if err == nil && dryRun && c.structured() {
			// The server's whole answer, file by file, as before.
			if err := c.print(infos); err != nil {
				return err
			}
		}
		var ae *apiError
		switch {
		case err == nil && infos.ErrorCount == 0:
			if dryRun && !c.structured() {
				fmt.Fprintf(c.e.stdout, "connector %s valid (dry run)\n", cf.name)
			}
			continue
		case err == nil:
			var errs []string
			for _, ci := range infos.Configs {
				for _, e := range ci.Value.Errors {
					errs = append(errs, ci.Value.Name+": "+e)
				}
			}
			invalid = append(invalid, invalidFile{Path: cf.path, Name: cf.name, Errors: errs, infos: infos, config: cf.config})
		case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500, strings.TrimSpace(cf.config["connector.class"]) == "":
			// The server refused this file's config (an unknown
			// connector.class) or it names no class to validate with.
			msg := err.Error()
			if !strings.HasPrefix(msg, cf.path) {
				msg = cf.path + ": " + msg
			}
			invalid = append(invalid, invalidFile{Path: cf.path, Name: cf.name, Errors: []string{msg}})
		default:
			return err // the server, not the file: nothing was applied
		}
	}
	if n := len(invalid); n > 0 {
		if c.structured() {
			if dryRun {
				// Those with an answer were printed above.
				kept := invalid[:0:0]
				for _, f := range invalid {
					if f.infos == nil {
						kept = append(kept, f)
					}
				}
				invalid = kept
			}
			if len(invalid) > 0 {
				if err := c.print(invalid); err != nil {
					return err
				}
			}
		} else {
			for _, f := range invalid {
				switch {
				case f.infos != nil:
					fmt.Fprintf(c.e.stdout, "connector %s (%s) has %d error(s):\n", f.Name, f.Path, f.infos.ErrorCount)
					validationTable(f.infos, f.config, true).write(c.e.stdout)
				default:
					fmt.Fprintf(c.e.stdout, "%s\n", f.Errors[0])
				}
			}
		}
		total := len(conns) + len(unreadable)
		if dryRun {
			return fmt.Errorf("%d of %d connector file(s) are invalid", n, total)
		}
		return fmt.Errorf("%d of %d connector file(s) are invalid; none was applied", n, total)
	}
	if dryRun {
		return nil
	}
	type result struct {
		Name   string `json:"name"`
		Result string `json:"result"`
	}
	var results []result
	for _, cf := range conns {
		res, err := applyOne(ctx, cl, cf)
		if err != nil {
			return fmt.Errorf("%s: %w", cf.path, err)
		}
		results = append(results, result{cf.name, res})
		if !c.structured() {
			fmt.Fprintf(c.e.stdout, "connector %s %s\n", cf.name, res)
		}
	}
	if c.structured() {
		return c.print(results)
	}
	return nil
}

// applyOne creates or updates one connector and says which it did.
func applyOne(ctx context.Context, cl *client, cf connectorFile) (string, error) {
	var current map[string]string
	_, err := cl.getJSON(ctx, path("connectors", cf.name, "config"), nil, &current)
	switch {
	case err == nil:
		if maps.Equal(current, cf.config) {
			return "unchanged", nil
		}
	case isStatus(err, http.StatusNotFound):
	default:
		return "", err
	}
	r, err := cl.do(ctx, http.MethodPut, path("connectors", cf.name, "config"), nil, cf.config)
	if err != nil {
		return "", err
	}
	if r.status == http.StatusCreated {
		return "created", nil
	}
	return "configured", nil
}

func validateConfig(ctx context.Context, cl *client, cf connectorFile) (*rest.ConfigInfos, error) {
	class := strings.TrimSpace(cf.config["connector.class"])
	if class == "" {
		return nil, fmt.Errorf("%s: no connector.class: set it to the connector's class name, e.g. org.apache.kafka.connect.file.FileStreamSourceConnector", cf.path)
	}
	config := cf.config
	if _, ok := config["name"]; !ok && cf.name != "" {
		// A JSON file names its connector beside the config, where
		// validate (which checks "name" as a key) would not see it.
		config = maps.Clone(config)
		config["name"] = cf.name
	}
	r, err := cl.do(ctx, http.MethodPut, path("connector-plugins", class, "config", "validate"), nil, config)
	if err != nil {
		return nil, err
	}
	var infos rest.ConfigInfos
	if err := json.Unmarshal(r.body, &infos); err != nil {
		return nil, fmt.Errorf("unexpected answer to validate: %v", err)
	}
	return &infos, nil
}

// validationTable shows the keys the user set and every key with errors,
// each error beside its key. onlyErrors keeps just the failing keys.
func validationTable(infos *rest.ConfigInfos, given map[string]string, onlyErrors bool) *table {
	t := &table{header: []string{"KEY", "VALUE", "ERRORS"}}
	described := make(map[string]bool, len(infos.Configs))
	for _, ci := range infos.Configs {
		name := ci.Value.Name
		if name == "" && ci.Definition != nil {
			name = ci.Definition.Name
		}
		described[name] = true
		_, set := given[name]
		hasErr := len(ci.Value.Errors) > 0
		if !hasErr && (onlyErrors || !set) {
			continue
		}
		val := ""
		if v, ok := given[name]; ok {
			val = maskValue(name, v)
		} else if ci.Value.Value != nil {
			val = maskValue(name, *ci.Value.Value)
		}
		if ci.Definition != nil && ci.Definition.Type == "PASSWORD" && val != "" && !isPlaceholder(val) {
			val = "[hidden]"
		}
		errs := strings.Join(ci.Value.Errors, "; ")
		// A multi-line error would break the table; keep its lines joined.
		errs = strings.Join(strings.Fields(strings.ReplaceAll(errs, "\n", " ")), " ")
		t.add(name, val, errs)
	}
	if !onlyErrors {
		// The server describes only the keys its ConfigDefs know; a key
		// the user set that none of them knows (a typo, a key for another
		// version) is still one the user set, and seeing it listed is
		// how they notice it.
		var extra []string
		for name := range given {
			if !described[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			t.add(name, maskValue(name, given[name]), "")
		}
	}
	return t
}

func cmdValidate(ctx context.Context, c *cmdContext) error {
	var file string
	_, err := c.parse(func(fs *flag.FlagSet) {
		fs.StringVar(&file, "f", "", "connector file (.json or .properties)")
		fs.StringVar(&file, "filename", "", "same as -f")
	}, 0, 0)
	if err != nil {
		return helpOK(err)
	}
	if file == "" {
		return c.usagef("missing -f FILE")
	}
	cf, err := readConnectorFile(file)
	if err != nil {
		return err
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	infos, err := validateConfig(ctx, cl, cf)
	if err != nil {
		return err
	}
	if c.structured() {
		if err := c.print(infos); err != nil {
			return err
		}
	} else {
		validationTable(infos, cf.config, false).write(c.e.stdout)
	}
	if infos.ErrorCount > 0 {
		return fmt.Errorf("the configuration has %d error(s)", infos.ErrorCount)
	}
	if !c.structured() {
		fmt.Fprintln(c.e.stdout, "Configuration is valid.")
	}
	return nil
}

func cmdPatch(ctx context.Context, c *cmdContext) error {
	var sets, unsets multiFlag
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.Var(&sets, "set", "KEY=VALUE to set; repeatable")
		fs.Var(&unsets, "unset", "KEY to remove; repeatable")
	}, 1, 2)
	if err != nil {
		return helpOK(err)
	}
	name := pos[0]
	if len(pos) == 2 {
		if resource(pos[0]) != "connectors" {
			return c.usagef("unknown resource %q: use 'patch connector NAME'", pos[0])
		}
		name = pos[1]
	}
	if len(sets) == 0 && len(unsets) == 0 {
		return c.usagef("nothing to change: give --set KEY=VALUE or --unset KEY")
	}
	patch := map[string]*string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return c.usagef("--set %q: expected KEY=VALUE", s)
		}
		patch[strings.TrimSpace(k)] = &v
	}
	for _, k := range unsets {
		k = strings.TrimSpace(k)
		if _, dup := patch[k]; dup {
			return c.usagef("%q is both set and unset", k)
		}
		patch[k] = nil
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	r, err := cl.do(ctx, http.MethodPatch, path("connectors", name, "config"), nil, patch)
	if err != nil {
		return err
	}
	var info rest.ConnectorInfo
	if err := json.Unmarshal(r.body, &info); err != nil {
		return fmt.Errorf("unexpected answer to PATCH: %v", err)
	}
	info.Config = maskConfig(info.Config)
	if c.structured() {
		return c.print(info)
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(c.e.stdout, "connector %s patched (%s)\n", name, strings.Join(keys, ", "))
	return nil
}
