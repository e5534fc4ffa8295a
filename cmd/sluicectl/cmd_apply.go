package main

import (
	"context"
	"encoding/json"
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
	var conns []connectorFile
	for _, f := range files {
		cs, err := loadConnectorPaths(f)
		if err != nil {
			return err
		}
		conns = append(conns, cs...)
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	if dryRun {
		invalid := 0
		for _, cf := range conns {
			infos, err := validateConfig(ctx, cl, cf)
			if err != nil {
				return err
			}
			if c.structured() {
				if err := c.print(infos); err != nil {
					return err
				}
			} else if infos.ErrorCount == 0 {
				fmt.Fprintf(c.e.stdout, "connector %s valid (dry run)\n", cf.name)
			} else {
				fmt.Fprintf(c.e.stdout, "connector %s has %d error(s) (dry run):\n", cf.name, infos.ErrorCount)
				validationTable(infos, cf.config, true).write(c.e.stdout)
			}
			if infos.ErrorCount > 0 {
				invalid++
			}
		}
		if invalid > 0 {
			return fmt.Errorf("%d of %d connector config(s) are invalid", invalid, len(conns))
		}
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
