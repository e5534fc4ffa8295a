package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

func cmdConfig(ctx context.Context, c *cmdContext) error {
	if len(c.args) == 0 {
		return c.usagef("missing the config operation")
	}
	op := c.args[0]
	c.args = c.args[1:]
	switch op {
	case "set-context":
		return configSetContext(c)
	case "use-context":
		return configUseContext(c)
	case "get-contexts":
		return configGetContexts(c)
	case "current-context":
		return configCurrentContext(c)
	case "delete-context":
		return configDeleteContext(c)
	}
	return c.usagef("unknown config operation %q: use set-context, use-context, get-contexts, current-context or delete-context", op)
}

func (c *cmdContext) loadConfig() (*Config, error) {
	p, err := configPath(c.e)
	if err != nil {
		return nil, err
	}
	return loadConfig(p)
}

func configSetContext(c *cmdContext) error {
	c.usageLine = "config set-context NAME --cluster URL [--username U --password P] [--ca-file F] [--cert-file F --key-file F] [--insecure-skip-tls-verify]"
	var set Context
	var insecure boolFlag
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.StringVar(&set.Username, "username", "", "basic auth user")
		fs.StringVar(&set.Password, "password", "", "basic auth password")
		fs.StringVar(&set.CAFile, "ca-file", "", "PEM CA certificate(s) that sign the server's certificate")
		fs.StringVar(&set.CertFile, "cert-file", "", "PEM client certificate for mutual TLS")
		fs.StringVar(&set.KeyFile, "key-file", "", "PEM key of the client certificate")
		fs.Var(&insecure, "insecure-skip-tls-verify", "do not verify the server's certificate")
	}, 1, 1)
	if err != nil {
		return helpOK(err)
	}
	// --cluster is a global flag; here it is the context's URL, and only
	// the flags given change an existing context.
	name := pos[0]
	given := map[string]bool{}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	ctxt, exists := cfg.Contexts[name]
	if !exists {
		if c.g.cluster == "" {
			return c.usagef("a new context needs --cluster URL")
		}
		ctxt = &Context{}
	}
	c.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if c.g.cluster != "" {
		if err := checkClusterURL(c.g.cluster); err != nil {
			return &usageError{msg: err.Error(), usage: c.usage()}
		}
		ctxt.Cluster = strings.TrimRight(c.g.cluster, "/")
	}
	if given["username"] {
		ctxt.Username = set.Username
	}
	if given["password"] {
		ctxt.Password = set.Password
	}
	if given["ca-file"] {
		ctxt.CAFile = set.CAFile
	}
	if given["cert-file"] {
		ctxt.CertFile = set.CertFile
	}
	if given["key-file"] {
		ctxt.KeyFile = set.KeyFile
	}
	if insecure.set {
		ctxt.Insecure = insecure.v
	}
	cfg.Contexts[name] = ctxt
	if cfg.CurrentContext == "" {
		cfg.CurrentContext = name
	}
	if err := cfg.save(); err != nil {
		return err
	}
	verb := "created"
	if exists {
		verb = "modified"
	}
	fmt.Fprintf(c.e.stdout, "context %q %s", name, verb)
	if cfg.CurrentContext == name {
		fmt.Fprint(c.e.stdout, " (current)")
	}
	fmt.Fprintln(c.e.stdout)
	return nil
}

// boolFlag remembers whether it was given, so set-context can tell
// "--insecure-skip-tls-verify=false" from "not mentioned".
type boolFlag struct{ v, set bool }

func (b *boolFlag) String() string   { return fmt.Sprint(b.v) }
func (b *boolFlag) IsBoolFlag() bool { return true }
func (b *boolFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1":
		b.v = true
	case "false", "0":
		b.v = false
	default:
		return fmt.Errorf("invalid boolean %q", s)
	}
	b.set = true
	return nil
}

func configUseContext(c *cmdContext) error {
	c.usageLine = "config use-context NAME"
	pos, err := c.parse(nil, 1, 1)
	if err != nil {
		return helpOK(err)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Contexts[pos[0]] == nil {
		return fmt.Errorf("context %q not found in %s; create it with 'sluicectl config set-context %s --cluster URL'", pos[0], cfg.path, pos[0])
	}
	cfg.CurrentContext = pos[0]
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "switched to context %q\n", pos[0])
	return nil
}

func configGetContexts(c *cmdContext) error {
	c.usageLine = "config get-contexts"
	if _, err := c.parse(nil, 0, 0); err != nil {
		return helpOK(err)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	type view struct {
		Name     string `json:"name"`
		Current  bool   `json:"current"`
		Cluster  string `json:"cluster"`
		Username string `json:"username,omitempty"`
		TLS      string `json:"tls,omitempty"`
	}
	var views []view
	for _, n := range cfg.names() {
		x := cfg.Contexts[n]
		var tls []string
		if x.CAFile != "" {
			tls = append(tls, "ca="+x.CAFile)
		}
		if x.CertFile != "" {
			tls = append(tls, "client-cert")
		}
		if x.Insecure {
			tls = append(tls, "insecure")
		}
		views = append(views, view{Name: n, Current: n == cfg.CurrentContext, Cluster: x.Cluster, Username: x.Username, TLS: strings.Join(tls, ",")})
	}
	if c.structured() {
		if views == nil {
			views = []view{}
		}
		return c.print(views)
	}
	if len(views) == 0 {
		fmt.Fprintf(c.e.stdout, "No contexts in %s; sluicectl uses %s.\n", cfg.path, DefaultCluster)
		return nil
	}
	t := &table{header: []string{"CURRENT", "NAME", "CLUSTER", "USER", "TLS"}}
	for _, v := range views {
		cur := ""
		if v.Current {
			cur = "*"
		}
		t.add(cur, v.Name, v.Cluster, v.Username, v.TLS)
	}
	t.write(c.e.stdout)
	return nil
}

func configCurrentContext(c *cmdContext) error {
	c.usageLine = "config current-context"
	if _, err := c.parse(nil, 0, 0); err != nil {
		return helpOK(err)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.CurrentContext == "" {
		fmt.Fprintf(c.e.stdout, "%s (no context configured: %s)\n", defaultContextName, DefaultCluster)
		return nil
	}
	fmt.Fprintln(c.e.stdout, cfg.CurrentContext)
	return nil
}

func configDeleteContext(c *cmdContext) error {
	c.usageLine = "config delete-context NAME"
	pos, err := c.parse(nil, 1, 1)
	if err != nil {
		return helpOK(err)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Contexts[pos[0]] == nil {
		return fmt.Errorf("context %q not found in %s", pos[0], cfg.path)
	}
	delete(cfg.Contexts, pos[0])
	if cfg.CurrentContext == pos[0] {
		cfg.CurrentContext = ""
	}
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "context %q deleted\n", pos[0])
	return nil
}

func cmdVersion(ctx context.Context, c *cmdContext) error {
	var clientOnly bool
	if _, err := c.parse(func(fs *flag.FlagSet) {
		fs.BoolVar(&clientOnly, "client", false, "print only sluicectl's version")
	}, 0, 0); err != nil {
		return helpOK(err)
	}
	type server struct {
		URL            string `json:"url"`
		Version        string `json:"version"`
		Commit         string `json:"commit"`
		KafkaClusterID string `json:"kafka_cluster_id"`
	}
	out := struct {
		Client string  `json:"client"`
		Server *server `json:"server,omitempty"`
	}{Client: Version}
	var serr error
	if !clientOnly {
		cl, err := c.connect()
		if err != nil {
			return err
		}
		var s server
		if _, serr = cl.getJSON(ctx, "/", nil, &s); serr == nil {
			s.URL = cl.t.ctx.Cluster
			out.Server = &s
		}
	}
	if c.structured() {
		if err := c.print(out); err != nil {
			return err
		}
		return serr
	}
	fmt.Fprintf(c.e.stdout, "sluicectl %s\n", Version)
	if out.Server != nil {
		fmt.Fprintf(c.e.stdout, "server %s (commit %s, Kafka cluster %s) at %s\n", out.Server.Version, out.Server.Commit, out.Server.KafkaClusterID, out.Server.URL)
	}
	return serr
}
