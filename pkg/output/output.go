// Package output renders command results: the vendor's tables (ALL-CAPS
// header, a row of dashes, VM hostname first), JSON and YAML with the wire
// field names, bare names, and --jq / --template over the JSON form.
package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// Format is an output format.
type Format string

const (
	Table Format = "table"
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
	Name  Format = "name"
)

// AllFormats is the full -o enum.
var AllFormats = []Format{Table, Wide, JSON, YAML, Name}

// Options are the output flags of one command.
type Options struct {
	Format    Format
	JSONAlias bool
	JQ        string
	Template  string
	NoHeaders bool

	formatFlag string
	allowed    []Format
}

// AddFlags registers -o/--output, --json, --jq, --template and --no-headers.
// formats limits -o to the given values (all when empty).
func AddFlags(cmd *cobra.Command, o *Options, formats ...Format) {
	if len(formats) == 0 {
		formats = AllFormats
	}
	o.allowed = formats
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.formatFlag, "output", "o", "", "Output format: "+strings.Join(names, "|"))
	fl.BoolVar(&o.JSONAlias, "json", false, "Print JSON (same as -o json)")
	fl.StringVar(&o.JQ, "jq", "", "Filter JSON output with a jq `expression`")
	fl.StringVar(&o.Template, "template", "", "Format JSON output with a Go `template`")
	if slices.Contains(formats, Table) || slices.Contains(formats, Wide) {
		fl.BoolVar(&o.NoHeaders, "no-headers", false, "Omit the header lines of tables")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the flags and settles Format. The error is a plain error;
// commands wrap it as a usage error.
func (o *Options) Validate() error {
	f := Format(strings.ToLower(strings.TrimSpace(o.formatFlag)))
	if o.JSONAlias {
		if f != "" && f != JSON {
			return fmt.Errorf("--json conflicts with -o %s", f)
		}
		f = JSON
	}
	if o.JQ != "" && o.Template != "" {
		return errors.New("--jq and --template cannot be combined")
	}
	if o.JQ != "" || o.Template != "" {
		if f != "" && f != JSON {
			return fmt.Errorf("--jq and --template work on JSON output, not -o %s", f)
		}
		f = JSON
	}
	if f == "" {
		f = o.allowed[0]
		if len(o.allowed) == 0 {
			f = Table
		}
	}
	if len(o.allowed) > 0 && !slices.Contains(o.allowed, f) {
		names := make([]string, len(o.allowed))
		for i, a := range o.allowed {
			names[i] = string(a)
		}
		return fmt.Errorf("invalid output format %q: use one of %s", f, strings.Join(names, ", "))
	}
	if o.JQ != "" {
		if _, err := gojq.Parse(o.JQ); err != nil {
			return fmt.Errorf("invalid --jq expression: %v", err)
		}
	}
	if o.Template != "" {
		if _, err := template.New("t").Funcs(templateFuncs).Parse(o.Template); err != nil {
			return fmt.Errorf("invalid --template: %v", err)
		}
	}
	o.Format = f
	return nil
}

// Structured reports whether the output is machine data (json/yaml/jq/template).
func (o *Options) Structured() bool {
	return o.Format == JSON || o.Format == YAML
}

// Data is what a command hands to Print. Value is the raw client value
// (rendered for json/yaml/jq/template); Table fills a table for table/wide;
// Names lists the bare names for -o name; Human writes free-form human
// output when the command has no table.
type Data struct {
	Value any
	Table func(t *TableWriter)
	Names func() []string
	Human func(w io.Writer) error
}

// Print renders d in the selected format to ios.Out.
func (o *Options) Print(ios *iostreams.IOStreams, d Data) error {
	switch o.Format {
	case JSON:
		switch {
		case o.JQ != "":
			return RunJQ(ios.Out, o.JQ, d.Value)
		case o.Template != "":
			return RunTemplate(ios.Out, o.Template, d.Value)
		}
		return WriteJSON(ios.Out, d.Value)
	case YAML:
		return WriteYAML(ios.Out, d.Value)
	case Name:
		if d.Names == nil {
			return errors.New("-o name is not supported here")
		}
		var b strings.Builder
		for _, n := range d.Names() {
			b.WriteString(n)
			b.WriteByte('\n')
		}
		_, err := io.WriteString(ios.Out, b.String())
		return err
	default:
		if d.Table != nil {
			t := NewTable(ios, o.Format == Wide)
			t.NoHeaders = o.NoHeaders
			d.Table(t)
			return t.Render()
		}
		if d.Human != nil {
			return d.Human(ios.Out)
		}
		return WriteJSON(ios.Out, d.Value)
	}
}

// WriteJSON writes v as indented JSON with a trailing newline. A nil slice
// is written as [] (never null).
func WriteJSON(w io.Writer, v any) error {
	v = emptyList(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func emptyList(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return []any{}
	}
	return v
}

// generic converts v to its JSON form (maps, slices, float64, ...).
func generic(v any) (any, error) {
	data, err := json.Marshal(emptyList(v))
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return normalizeNumbers(out), nil
}

// normalizeNumbers turns json.Number into int or float64 so jq and
// templates see plain numbers and large integers stay exact.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = normalizeNumbers(e)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

// WriteYAML writes v as YAML with the JSON wire field names, in wire order.
func WriteYAML(w io.Writer, v any) error {
	data, err := json.Marshal(emptyList(v))
	if err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	node, err := jsonToYAMLNode(data)
	if err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	return enc.Close()
}

// RunJQ applies a jq expression to v's JSON form. Strings are printed raw,
// other values as compact JSON, one per line.
func RunJQ(w io.Writer, expr string, v any) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return fmt.Errorf("invalid --jq expression: %w", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return fmt.Errorf("invalid --jq expression: %w", err)
	}
	in, err := generic(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	iter := code.Run(in)
	for {
		out, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := out.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			return fmt.Errorf("--jq: %w", err)
		}
		if s, ok := out.(string); ok {
			buf.WriteString(s)
		} else {
			b, err := gojq.Marshal(out)
			if err != nil {
				return fmt.Errorf("--jq: %w", err)
			}
			buf.Write(b)
		}
		buf.WriteByte('\n')
	}
	_, err = w.Write(buf.Bytes())
	return err
}

var templateFuncs = template.FuncMap{
	"join": func(sep string, v any) string {
		switch t := v.(type) {
		case []any:
			parts := make([]string, len(t))
			for i, e := range t {
				parts[i] = fmt.Sprint(e)
			}
			return strings.Join(parts, sep)
		case nil:
			return ""
		}
		return fmt.Sprint(v)
	},
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// RunTemplate executes a Go template over v's JSON form (field names are
// the wire names: {{range .}}{{.hostname}}{{"\n"}}{{end}}).
func RunTemplate(w io.Writer, tmpl string, v any) error {
	t, err := template.New("output").Funcs(templateFuncs).Option("missingkey=zero").Parse(tmpl)
	if err != nil {
		return fmt.Errorf("invalid --template: %w", err)
	}
	in, err := generic(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, in); err != nil {
		return fmt.Errorf("--template: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// List is the Data of a list command: items as the value ([] when there
// are none, never null), name(item) per line for -o name, and a table with
// columns and one row(item) per item.
func List[T any](items []T, name func(T) string, columns []Column, row func(T) []string) Data {
	if items == nil {
		items = []T{}
	}
	return Data{
		Value: items,
		Names: func() []string {
			out := make([]string, len(items))
			for i, it := range items {
				out[i] = name(it)
			}
			return out
		},
		Table: func(t *TableWriter) {
			t.SetColumns(columns...)
			for _, it := range items {
				t.AddRow(row(it)...)
			}
		},
	}
}
