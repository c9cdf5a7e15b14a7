package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/pkg/iostreams"
)

type item struct {
	Name string    `json:"name"`
	Size int64     `json:"size"`
	Tags []string  `json:"tags,omitempty"`
	When time.Time `json:"when"`
}

func parse(t *testing.T, formats []Format, args ...string) (*Options, error) {
	t.Helper()
	o := &Options{}
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	AddFlags(cmd, o, formats...)
	cmd.SetArgs(append([]string{}, args...))
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	return o, o.Validate()
}

func TestValidate(t *testing.T) {
	tests := []struct {
		args    []string
		formats []Format
		want    Format
		wantErr string
	}{
		{args: nil, want: Table},
		{args: []string{"-o", "wide"}, want: Wide},
		{args: []string{"--output", "YAML"}, want: YAML},
		{args: []string{"--json"}, want: JSON},
		{args: []string{"--json", "-o", "json"}, want: JSON},
		{args: []string{"--jq", ".a"}, want: JSON},
		{args: []string{"--template", "{{.a}}"}, want: JSON},
		{args: []string{"-o", "xml"}, wantErr: "invalid output format"},
		{args: []string{"--json", "-o", "yaml"}, wantErr: "conflicts"},
		{args: []string{"--jq", ".a", "--template", "x"}, wantErr: "cannot be combined"},
		{args: []string{"--jq", ".a", "-o", "yaml"}, wantErr: "work on JSON"},
		{args: []string{"--jq", "]["}, wantErr: "invalid --jq"},
		{args: []string{"--template", "{{"}, wantErr: "invalid --template"},
		{args: []string{"-o", "wide"}, formats: []Format{Table, JSON}, wantErr: "use one of table, json"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parse(t, tt.formats, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Format != tt.want {
				t.Errorf("format = %q, want %q", o.Format, tt.want)
			}
		})
	}
}

func render(t *testing.T, tty bool, env map[string]string, args []string, d Data) string {
	t.Helper()
	o, err := parse(t, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.Getenv = func(k string) string { return env[k] }
	if err := o.Print(ios, d); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func data(items []item) Data {
	return Data{
		Value: items,
		Names: func() []string {
			var n []string
			for _, i := range items {
				n = append(n, i.Name)
			}
			return n
		},
		Table: func(t *TableWriter) {
			t.SetColumns(Column{Header: "NAME"}, Column{Header: "SIZE", Color: Green}, Column{Header: "EXTRA", Wide: true})
			for _, i := range items {
				t.AddRow(i.Name, "1", strings.Join(i.Tags, ","))
			}
		},
	}
}

func TestPrint(t *testing.T) {
	items := []item{{Name: "a", Size: 1 << 40, Tags: []string{"x=1"}, When: when}, {Name: "bb", When: when}}
	tests := []struct {
		name string
		args []string
		tty  bool
		env  map[string]string
		d    Data
		want string
	}{
		{name: "table", d: data(items), want: "NAME  SIZE\n----  ----\na     1\nbb    1\n"},
		{name: "wide", args: []string{"-o", "wide"}, d: data(items), want: "NAME  SIZE  EXTRA\n----  ----  -----\na     1     x=1\nbb    1\n"},
		{name: "no headers", args: []string{"--no-headers"}, d: data(items), want: "a   1\nbb  1\n"},
		{name: "tty colour", tty: true, d: data(items), want: "\x1b[1mNAME\x1b[0m  \x1b[1mSIZE\x1b[0m\n----  ----\na     \x1b[32m1\x1b[0m\nbb    \x1b[32m1\x1b[0m\n"},
		{name: "tty NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}, d: data(items), want: "NAME  SIZE\n----  ----\na     1\nbb    1\n"},
		{name: "piped never colours", env: map[string]string{}, d: data(items), want: "NAME  SIZE\n----  ----\na     1\nbb    1\n"},
		{name: "json empty list", args: []string{"--json"}, d: data(nil), want: "[]\n"},
		{name: "json", args: []string{"--json"}, d: data(items[1:]), want: "[\n  {\n    \"name\": \"bb\",\n    \"size\": 0,\n    \"when\": \"2026-01-02T03:04:05Z\"\n  }\n]\n"},
		{name: "yaml keeps wire order", args: []string{"-o", "yaml"}, d: data(items[:1]), want: "- name: a\n  size: 1099511627776\n  tags:\n    - x=1\n  when: \"2026-01-02T03:04:05Z\"\n"},
		{name: "yaml empty", args: []string{"-o", "yaml"}, d: data(nil), want: "[]\n"},
		{name: "name", args: []string{"-o", "name"}, d: data(items), want: "a\nbb\n"},
		{name: "jq raw strings", args: []string{"--jq", ".[].name"}, d: data(items), want: "a\nbb\n"},
		{name: "jq big ints exact", args: []string{"--jq", ".[0].size"}, d: data(items), want: "1099511627776\n"},
		{name: "jq objects compact", args: []string{"--jq", ".[1] | {name}"}, d: data(items), want: "{\"name\":\"bb\"}\n"},
		{name: "template", args: []string{"--template", `{{range .}}{{.name}}:{{join "," .tags}};{{end}}`}, d: data(items), want: "a:x=1;bb:;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = map[string]string{}
			}
			if got := render(t, tt.tty, env, tt.args, tt.d); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSanitizeCell(t *testing.T) {
	tests := map[string]string{
		"plain":          "plain",
		"a\nb":           `a\nb`,
		"\x1b[31mred":    `\x1b[31mred`,
		"tab\there":      `tab\there`,
		"bidi\u202eevil": `bidi\u202eevil`,
		"ünïcode":        "ünïcode",
	}
	for in, want := range tests {
		if got := SanitizeCell(in); got != want {
			t.Errorf("SanitizeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeText(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	in := "line\n\x1b]0;title\x07\ttab\n"
	if got := SafeText(ios, in); got != in {
		t.Errorf("piped text changed: %q", got)
	}
	ios.SetStdoutTTY(true)
	if got, want := SafeText(ios, in), "line\n\\x1b]0;title\\x07\ttab\n"; got != want {
		t.Errorf("tty text = %q, want %q", got, want)
	}
}

func TestList(t *testing.T) {
	items := []item{{Name: "a", Size: 1 << 40, Tags: []string{"x=1"}, When: when}, {Name: "bb", When: when}}
	list := func(items []item) Data {
		return List(items, func(i item) string { return i.Name },
			[]Column{{Header: "NAME"}, {Header: "SIZE", Color: Green}, {Header: "EXTRA", Wide: true}},
			func(i item) []string { return []string{i.Name, "1", strings.Join(i.Tags, ",")} })
	}
	for _, args := range [][]string{nil, {"-o", "wide"}, {"--no-headers"}, {"-o", "name"}, {"--json"}, {"-o", "yaml"}, {"--jq", ".[].name"}} {
		for _, tty := range []bool{false, true} {
			want := render(t, tty, map[string]string{}, args, data(items))
			if got := render(t, tty, map[string]string{}, args, list(items)); got != want {
				t.Errorf("%v tty=%v: got\n%q\nwant\n%q", args, tty, got, want)
			}
		}
	}
	// No items: [] (never null) even where a filter sees the raw value.
	for args, want := range map[string]string{"--json": "[]\n", "-o yaml": "[]\n", "--jq type": "array\n", "-o name": "", "--no-headers": ""} {
		if got := render(t, false, map[string]string{}, strings.Fields(args), list(nil)); got != want {
			t.Errorf("%s of no items: got %q, want %q", args, got, want)
		}
	}
}
