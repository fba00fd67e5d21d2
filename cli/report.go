package cli

import (
	"fmt"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/report"
)

func reportCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:      "report",
		Usage:     "rebuild report.html and the figures of a folder written by descent sweep or compare",
		ArgsUsage: "DIR",
		Description: "Reads DIR/summary.json and each run's history.json, and writes summary.json, val_accuracy and\n" +
			"val_loss (PNG and SVG) and report.html again. Nothing is trained.",
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return usagef("want one folder, got %d arguments", c.NArg())
			}
			dir := c.Args().First()
			exp, err := report.Load(dir)
			if err != nil {
				return err
			}
			files, err := report.PageFiles(exp)
			if err != nil {
				return err
			}
			if err := writeFiles(dir, files); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "report: %s (%d runs)\n", filepath.Join(dir, report.PageFile), len(exp.Runs))
			return nil
		},
	}
}
