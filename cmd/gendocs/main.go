// Command gendocs writes the slicer command reference: markdown pages into
// docs/cli and man pages into docs/man. Run it with `make docs`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/slicer-cli/slicer/cmd"
	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func main() {
	out := flag.String("out", "docs", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ios := &iostreams.IOStreams{In: io.NopCloser(strings.NewReader("")), Out: io.Discard, ErrOut: io.Discard,
		Getenv: func(string) string { return "" }}
	f := &cmdutil.Factory{
		IOStreams:  ios,
		AppVersion: "",
		Client: func() (client.Interface, error) {
			return nil, fmt.Errorf("gendocs does not talk to a daemon")
		},
	}
	root := cmd.NewCmdRoot(f)
	root.DisableAutoGenTag = true
	disableAutoGen(root)

	mdDir := filepath.Join(out, "cli")
	manDir := filepath.Join(out, "man")
	for _, d := range []string{mdDir, manDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(root, mdDir); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	header := &doc.GenManHeader{Title: "SLICER", Section: "1", Source: "slicer", Manual: "slicer manual"}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := genHelpTopics(root, header, mdDir, manDir); err != nil {
		return err
	}
	return stripDates(manDir)
}

// genHelpTopics writes the `slicer help <topic>` pages (exit-codes,
// environment, formatting), which the tree generators skip because they
// are not runnable commands.
func genHelpTopics(root *cobra.Command, header *doc.GenManHeader, mdDir, manDir string) error {
	for _, c := range root.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		// The text is laid out for a terminal (aligned columns): keep it
		// verbatim in a code block rather than let markdown reflow it.
		md := fmt.Sprintf("## slicer help %s\n\n%s\n\n```\n%s\n```\n\n### SEE ALSO\n\n* [slicer](slicer.md)\t - %s\n",
			c.Name(), c.Short, strings.TrimRight(c.Long, "\n"), root.Short)
		if err := os.WriteFile(filepath.Join(mdDir, "slicer_"+c.Name()+".md"), []byte(md), 0o644); err != nil {
			return err
		}
		var man bytes.Buffer
		h := *header
		if err := doc.GenMan(c, &h, &man); err != nil {
			return fmt.Errorf("man page for help topic %s: %w", c.Name(), err)
		}
		if err := os.WriteFile(filepath.Join(manDir, "slicer-"+c.Name()+".1"), man.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func disableAutoGen(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGen(sub)
	}
}

// stripDates removes the generation date cobra puts in man page headers,
// so that `make docs` leaves no diff when nothing changed.
func stripDates(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines := bytes.Split(data, []byte("\n"))
		for i, l := range lines {
			if !bytes.HasPrefix(l, []byte(".TH ")) {
				continue
			}
			// .TH "TITLE" "1" "Mon YYYY" "source" "manual"
			fields := strings.Split(string(l), `" "`)
			if len(fields) >= 3 {
				fields[2] = ""
				lines[i] = []byte(strings.Join(fields, `" "`))
			}
			break
		}
		if err := os.WriteFile(p, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
			return err
		}
	}
	return nil
}
