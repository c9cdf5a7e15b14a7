package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// AddOptions are the options of `vm add`.
type AddOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	// RunShell opens an interactive shell on the new VM (--shell).
	RunShell func(ctx context.Context, vm string) error

	HostGroup    string
	CPUs         int
	RamGB        int64
	RamMB        int64
	RamBytes     int64
	GPUs         int
	Userdata     string
	UserdataFile string
	SSHKeys      []string
	ImportUser   string
	Name         string
	Tags         []string
	Secrets      []string
	Persistent   bool
	Wait         bool
	WaitUserdata bool
	Timeout      time.Duration
	Shell        bool
	Output       output.Options

	// request is built while validating flags.
	request client.SlicerCreateNodeRequest
}

// NewCmdAdd returns `vm add` (aliases create, launch).
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, Client: f.Client}
	if f.Run != nil {
		run := f.Run
		opts.RunShell = func(ctx context.Context, vm string) error { return run(ctx, "vm", "shell", vm) }
	}
	var rm bool
	var sshKeysAlias, secretAlias []string
	cmd := &cobra.Command{
		Use:     "add [hostgroup]",
		Aliases: []string{"create", "launch"},
		Short:   "Launch a VM",
		Long: `Launch a VM in a host group. The host group may be left out when the daemon
has exactly one.

VMs are persistent by default (kept across daemon restarts and shutdowns);
--rm or --persistent=false makes an ephemeral VM, removed when it stops.

--wait waits on the daemon until the guest agent answers, --wait-userdata
also until the userdata script finished. If --timeout passes first the
daemon deletes the VM and slicer exits with 124.

Prints "VM created" and indented "Key: value" lines (scripts read
"Hostname:"), or with --json the daemon's response.`,
		Example: `  slicer vm add --wait
  slicer vm add sbox --name web --tag env=dev --cpus 2 --ram-gb 4
  VM=$(slicer vm add sbox --tag workflow=x --wait --json | jq -r '.hostname')
  VM=$(slicer vm add sbox | awk '/Hostname:/ {print $2; exit}')
  slicer vm launch sbox --userdata-file ./setup.sh --wait-userdata --timeout 15m`,
		Args:              cmdutil.RangeArgs(0, 1, "host group"),
		ValidArgsFunction: cmdutil.CompleteHostGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.HostGroup = args[0]
			}
			opts.SSHKeys = append(opts.SSHKeys, sshKeysAlias...)
			opts.Secrets = append(opts.Secrets, secretAlias...)
			if rm {
				if cmd.Flags().Changed("persistent") && opts.Persistent {
					return cmdutil.FlagErrorf("--rm conflicts with --persistent=true")
				}
				opts.Persistent = false
			}
			if err := opts.validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return addRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.CPUs, "cpus", 0, "vCPUs (at most the host group's; default the host group's)")
	fl.Int64Var(&opts.RamGB, "ram-gb", 0, "RAM in GiB")
	fl.Int64Var(&opts.RamMB, "ram-mb", 0, "RAM in MiB")
	fl.Int64Var(&opts.RamBytes, "ram-bytes", 0, "RAM in bytes")
	fl.IntVar(&opts.GPUs, "gpus", 0, "GPUs to allocate")
	fl.StringVar(&opts.Userdata, "userdata", "", "First-boot `script` (runs once, as root)")
	fl.StringVar(&opts.UserdataFile, "userdata-file", "", "Read the first-boot script from `file`")
	fl.StringArrayVar(&opts.SSHKeys, "ssh-key", nil, "SSH public `key` text to authorize (repeatable)")
	fl.StringArrayVar(&sshKeysAlias, "ssh-keys", nil, "Same as --ssh-key")
	_ = fl.MarkHidden("ssh-keys")
	fl.StringVar(&opts.ImportUser, "import-user", "", "Import SSH keys of a GitHub `user`")
	fl.StringVar(&opts.ImportUser, "github", "", "Same as --import-user")
	_ = fl.MarkHidden("github")
	fl.StringVarP(&opts.Name, "name", "n", "", "Friendly `name`, stored as the immutable tag name=<name>")
	fl.StringArrayVar(&opts.Tags, "tag", nil, "Tag `key=value` (repeatable)")
	fl.StringSliceVar(&opts.Secrets, "secrets", nil, "Only sync these secrets to the VM (comma list; default all)")
	fl.StringSliceVar(&secretAlias, "secret", nil, "Same as --secrets")
	_ = fl.MarkHidden("secret")
	fl.BoolVar(&opts.Persistent, "persistent", true, "Keep the VM and its disk across restarts (--persistent=false: ephemeral)")
	fl.BoolVar(&rm, "rm", false, "Ephemeral VM: same as --persistent=false")
	fl.BoolVar(&opts.Wait, "wait", false, "Wait until the guest agent answers")
	fl.BoolVar(&opts.WaitUserdata, "wait-userdata", false, "Wait until userdata finished (implies --wait)")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "How long to wait (default the daemon's, 5m); on timeout the daemon deletes the VM")
	fl.BoolVar(&opts.Shell, "shell", false, "Open an interactive shell once the VM is up (implies --wait)")
	_ = cmd.RegisterFlagCompletionFunc("secrets", cmdutil.CompleteFlagSecrets(f))
	_ = cmd.MarkFlagFilename("userdata-file")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML, output.Name)
	return cmd
}

func (opts *AddOptions) validate(cmd *cobra.Command) error {
	if err := opts.Output.Validate(); err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	req := &opts.request
	*req = client.SlicerCreateNodeRequest{
		CPUs:       opts.CPUs,
		GPUCount:   opts.GPUs,
		Persistent: opts.Persistent,
		ImportUser: strings.TrimSpace(opts.ImportUser),
	}
	if opts.CPUs < 0 || opts.GPUs < 0 || opts.RamGB < 0 || opts.RamMB < 0 || opts.RamBytes < 0 {
		return cmdutil.FlagErrorf("--cpus, --gpus and --ram-* must not be negative")
	}
	nRAM := 0
	for _, v := range []int64{opts.RamGB, opts.RamMB, opts.RamBytes} {
		if v > 0 {
			nRAM++
		}
	}
	if nRAM > 1 {
		return cmdutil.FlagErrorf("give RAM once: --ram-gb, --ram-mb or --ram-bytes")
	}
	switch {
	case opts.RamGB > 0:
		req.RamBytes = opts.RamGB * gib
	case opts.RamMB > 0:
		req.RamBytes = opts.RamMB * mib
	default:
		req.RamBytes = opts.RamBytes
	}

	if opts.Userdata != "" && opts.UserdataFile != "" {
		return cmdutil.FlagErrorf("--userdata and --userdata-file cannot be combined")
	}
	req.Userdata = opts.Userdata
	if opts.UserdataFile != "" {
		data, err := readUserdata(opts.IO, opts.UserdataFile)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		req.Userdata = data
	} else if opts.Userdata != "" && !strings.ContainsAny(opts.Userdata, "\n ") {
		if st, err := os.Stat(opts.Userdata); err == nil && st.Mode().IsRegular() {
			fmt.Fprintf(opts.IO.ErrOut, "warning: --userdata %q is sent as the script text; to send the file's content use --userdata-file %s\n", opts.Userdata, opts.Userdata)
		}
	}

	for _, k := range opts.SSHKeys {
		if k = strings.TrimSpace(k); k != "" {
			req.SSHKeys = append(req.SSHKeys, k)
		}
	}
	if opts.Name != "" {
		if err := cmdutil.ValidateName(opts.Name); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
	}
	for _, t := range opts.Tags {
		k, _, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("invalid tag %q: use key=value", t)
		}
		if k == "name" {
			if opts.Name != "" {
				return cmdutil.FlagErrorf("--name and --tag name=... cannot be combined; use --name only")
			}
			if err := cmdutil.ValidateName(strings.TrimPrefix(t, "name=")); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
		}
		req.Tags = append(req.Tags, t)
	}
	if opts.Name != "" {
		req.Tags = append([]string{cmdutil.NameTag(opts.Name)}, req.Tags...)
	}
	for _, s := range opts.Secrets {
		if s = strings.TrimSpace(s); s != "" {
			req.Secrets = append(req.Secrets, s)
		}
	}
	if opts.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout must not be negative")
	}
	if opts.Timeout > 0 && !opts.Wait && !opts.WaitUserdata && !opts.Shell {
		return cmdutil.FlagErrorf("--timeout needs --wait or --wait-userdata")
	}
	if opts.Shell && opts.Output.Format != output.Table {
		return cmdutil.FlagErrorf("--shell cannot be combined with -o/--json")
	}
	return nil
}

func readUserdata(ios *iostreams.IOStreams, path string) (string, error) {
	var r io.Reader
	if path == "-" {
		r = ios.In
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("--userdata-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	const max = 16 << 20
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", fmt.Errorf("--userdata-file: %w", err)
	}
	if len(data) > max {
		return "", fmt.Errorf("--userdata-file %s is larger than 16 MiB", path)
	}
	return string(data), nil
}

// CreatedVM is the JSON printed by `vm add --json`: the daemon's response
// plus whether the VM is persistent, as the vendor CLI prints it.
type CreatedVM struct {
	*client.SlicerCreateNodeResponse
	Persistent bool `json:"persistent"`
}

func addRun(ctx context.Context, opts *AddOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	groups, err := c.GetHostGroups(ctx)
	if err != nil {
		return fmt.Errorf("list host groups: %w", err)
	}
	group, err := pickGroup(groups, opts.HostGroup)
	if err != nil {
		return err
	}

	var createOpts client.SlicerCreateNodeOptions
	switch {
	case opts.WaitUserdata:
		createOpts.Wait = client.SlicerCreateNodeWaitUserdata
	case opts.Wait || opts.Shell:
		createOpts.Wait = client.SlicerCreateNodeWaitAgent
	}
	if createOpts.Wait != "" {
		createOpts.Timeout = opts.Timeout
		if opts.IO.IsStderrTTY() && !opts.Output.Structured() {
			fmt.Fprintf(opts.IO.ErrOut, "Launching a VM in %s and waiting for %s...\n", group.Name, createOpts.Wait)
		}
	}
	resp, err := c.CreateVMWithOptions(ctx, group.Name, opts.request, createOpts)
	if err != nil {
		if cmdutil.IsAPIStatus(err, http.StatusRequestTimeout) {
			return fmt.Errorf("launch VM in %q: %w: the VM was not ready in time and the daemon deleted it (%v); raise --timeout", group.Name, cmdutil.ErrTimeout, err)
		}
		return fmt.Errorf("launch VM in %q: %w", group.Name, err)
	}
	out := CreatedVM{SlicerCreateNodeResponse: resp, Persistent: opts.request.Persistent}
	if err := opts.Output.Print(opts.IO, output.Data{
		Value: out,
		Names: func() []string { return []string{resp.Hostname} },
		Human: func(w io.Writer) error { return writeCreated(w, resp, group, opts.request) },
	}); err != nil {
		return err
	}
	if opts.Shell {
		if opts.RunShell == nil {
			return errors.New("--shell: no shell command available")
		}
		return opts.RunShell(ctx, resp.Hostname)
	}
	return nil
}

// pickGroup finds the named host group, or the only one when name is "".
func pickGroup(groups []client.SlicerHostGroup, name string) (client.SlicerHostGroup, error) {
	names := make([]string, 0, len(groups))
	for _, g := range groups {
		if name != "" && g.Name == name {
			return g, nil
		}
		names = append(names, g.Name)
	}
	sort.Strings(names)
	if name != "" {
		if len(names) == 0 {
			return client.SlicerHostGroup{}, fmt.Errorf("host group %q not found: the daemon has no host groups", name)
		}
		return client.SlicerHostGroup{}, cmdutil.FlagErrorf("host group %q not found (have: %s)", name, strings.Join(names, ", "))
	}
	switch len(groups) {
	case 0:
		return client.SlicerHostGroup{}, errors.New("the daemon has no host groups to launch a VM in")
	case 1:
		return groups[0], nil
	}
	return client.SlicerHostGroup{}, cmdutil.FlagErrorf("host group is required when more than one is configured (have: %s)", strings.Join(names, ", "))
}

// writeCreated prints the vendor's create block. Scripts read the
// "Hostname:" line with awk '{print $2}' and trim with tail -8.
func writeCreated(w io.Writer, resp *client.SlicerCreateNodeResponse, g client.SlicerHostGroup, req client.SlicerCreateNodeRequest) error {
	cpus, ram, gpus := req.CPUs, req.RamBytes, req.GPUCount
	if cpus == 0 {
		cpus = g.CPUs
	}
	if ram == 0 {
		ram = g.RamBytes
	}
	if gpus == 0 {
		gpus = g.GPUCount
	}
	unit := "vCPUs"
	if cpus == 1 {
		unit = "vCPU"
	}
	group := resp.HostGroup
	if group == "" {
		group = g.Name
	}
	var b strings.Builder
	b.WriteString("VM created\n")
	fmt.Fprintf(&b, "  Hostname: %s\n", output.SanitizeCell(resp.Hostname))
	fmt.Fprintf(&b, "  Group:    %s\n", output.SanitizeCell(group))
	fmt.Fprintf(&b, "  IP:       %s\n", output.SanitizeCell(orDash(resp.IP)))
	fmt.Fprintf(&b, "  Specs:    %d %s, %s RAM, GPUs: %d\n", cpus, unit, formatSpecRAM(ram), gpus)
	fmt.Fprintf(&b, "  Persistent: %t\n", req.Persistent)
	if !resp.CreatedAt.IsZero() {
		// Local time with its offset, as the vendor prints it
		// (2025-09-09T09:45:27+01:00), whatever zone the daemon used.
		fmt.Fprintf(&b, "  Created:  %s\n", resp.CreatedAt.Local().Format(time.RFC3339))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
