package cmdutil

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/pkg/client"
)

// CompletionTimeout bounds every dynamic completion request: a slow or
// absent daemon must never make the shell hang.
const CompletionTimeout = 2 * time.Second

type completeFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// completeFrom returns a completion function for positional argument number
// pos (0-based) that lists candidates with fetch. Errors are swallowed: a
// completion prints nothing rather than an error.
func completeFrom(f *Factory, pos int, fetch func(context.Context, client.Interface) ([]string, error)) completeFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if pos >= 0 && len(args) != pos {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fetchCompletions(cmd, f, toComplete, fetch), cobra.ShellCompDirectiveNoFileComp
	}
}

func fetchCompletions(cmd *cobra.Command, f *Factory, toComplete string, fetch func(context.Context, client.Interface) ([]string, error)) []string {
	if f == nil || f.Client == nil {
		return nil
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, CompletionTimeout)
	defer cancel()
	type result struct {
		items []string
	}
	ch := make(chan result, 1)
	clientFn := f.Client
	go func() {
		c, err := clientFn()
		if err != nil {
			ch <- result{}
			return
		}
		items, err := fetch(ctx, c)
		if err != nil {
			items = nil
		}
		ch <- result{items: items}
	}()
	var items []string
	select {
	case r := <-ch:
		items = r.items
	case <-ctx.Done():
		return nil
	}
	var out []string
	for _, it := range items {
		if strings.HasPrefix(it, toComplete) {
			out = append(out, it)
		}
	}
	return out
}

func vmNames(ctx context.Context, c client.Interface) ([]string, error) {
	nodes, err := c.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes {
		desc := n.Status
		for _, t := range n.Tags {
			if name, ok := strings.CutPrefix(t, "name="); ok {
				out = append(out, name+"\t"+n.Hostname)
			}
		}
		if desc != "" {
			out = append(out, n.Hostname+"\t"+desc)
		} else {
			out = append(out, n.Hostname)
		}
	}
	return out, nil
}

// vmTags are the distinct key=value tags of every VM, sorted.
func vmTags(ctx context.Context, c client.Interface) ([]string, error) {
	nodes, err := c.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range nodes {
		for _, t := range n.Tags {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// namesOf returns a fetch function that lists items with list and offers
// each one's name.
func namesOf[T any](list func(client.Interface, context.Context) ([]T, error), name func(T) string) func(context.Context, client.Interface) ([]string, error) {
	return func(ctx context.Context, c client.Interface) ([]string, error) {
		items, err := list(c, ctx)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, it := range items {
			out = append(out, name(it))
		}
		return out, nil
	}
}

var (
	hostGroupNames   = namesOf(client.Interface.GetHostGroups, func(g client.SlicerHostGroup) string { return g.Name })
	secretNames      = namesOf(client.Interface.ListSecrets, func(s client.Secret) string { return s.Name })
	proxyClientNames = namesOf(client.Interface.ListProxyClients, func(pc client.ProxyClient) string { return pc.Name })
	proxySecretNames = namesOf(client.Interface.ListProxySecrets, func(s client.ProxySecret) string { return s.Name })
)

// CompleteVMNames completes the first positional argument with VM hostnames
// and friendly names.
func CompleteVMNames(f *Factory) completeFunc { return completeFrom(f, 0, vmNames) }

// CompleteVMNamesAt completes positional argument pos with VM names; pos -1
// completes every position.
func CompleteVMNamesAt(f *Factory, pos int) completeFunc { return completeFrom(f, pos, vmNames) }

// CompleteHostGroups completes the first positional argument with host groups.
func CompleteHostGroups(f *Factory) completeFunc { return completeFrom(f, 0, hostGroupNames) }

// CompleteHostGroupsAt completes positional argument pos with host groups.
func CompleteHostGroupsAt(f *Factory, pos int) completeFunc {
	return completeFrom(f, pos, hostGroupNames)
}

// CompleteSecretNames completes the first positional argument with secrets.
func CompleteSecretNames(f *Factory) completeFunc { return completeFrom(f, 0, secretNames) }

// CompleteProxyClients completes the first positional argument with proxy clients.
func CompleteProxyClients(f *Factory) completeFunc { return completeFrom(f, 0, proxyClientNames) }

// CompleteProxySecrets completes the first positional argument with proxy secrets.
func CompleteProxySecrets(f *Factory) completeFunc { return completeFrom(f, 0, proxySecretNames) }

// CompleteFlagProxySecrets completes a flag value with proxy secret names.
func CompleteFlagProxySecrets(f *Factory) completeFunc { return completeFrom(f, -1, proxySecretNames) }

// CompleteFlagSecrets completes a flag value with secret names.
func CompleteFlagSecrets(f *Factory) completeFunc { return completeFrom(f, -1, secretNames) }

// CompleteVMPath completes "VM:" prefixes for cp-style arguments: before a
// colon it offers VM names followed by ':'; after it, local files are left
// to the shell.
func CompleteVMPath(f *Factory) completeFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if strings.Contains(toComplete, ":") || strings.ContainsAny(toComplete, "/.~") {
			return nil, cobra.ShellCompDirectiveDefault
		}
		names := fetchCompletions(cmd, f, toComplete, vmNames)
		out := make([]string, 0, len(names))
		for _, n := range names {
			name, _, _ := strings.Cut(n, "\t")
			out = append(out, name+":")
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveDefault
	}
}

// CompleteFlagTags completes a --tag flag value with the tags (key=value)
// the daemon's VMs carry.
func CompleteFlagTags(f *Factory) completeFunc { return completeFrom(f, -1, vmTags) }

// CompleteEnum returns a flag completion function for a fixed set of values.
func CompleteEnum(values ...string) completeFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
