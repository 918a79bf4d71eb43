package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment/chaostoolkit"
	"github.com/gamedaylab/gameday/scenario"
)

func newExportCmd() *cobra.Command {
	var format, out, ns, prom string
	cmd := &cobra.Command{
		Use:   "export --format chaostoolkit [flags] SCENARIO",
		Short: "Write a scenario in another tool's format (the Chaos Toolkit's), for teams that keep it in CI",
		Example: `  # a Chaos Toolkit experiment, to run with chaos run (chaostoolkit-kubernetes, chaostoolkit-prometheus)
  gameday export --format chaostoolkit examples/kill-and-recover.yaml > kill-and-recover.json
  gameday export --format chaostoolkit -o exp.json --prometheus-url http://prometheus:9090 my-scenario.yaml

What the Chaos Toolkit cannot express (load, faults, HALT, the monkey, CEL other than a Deployment's
readiness, traces, logs, latency) is refused, every part named, exit 2.`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "chaostoolkit":
			case "":
				return usageError{fmt.Errorf("--format is required: chaostoolkit (see gameday export --help)")}
			default:
				return usageError{fmt.Errorf("--format %q: the one format is chaostoolkit", format)}
			}
			e, err := scenario.Read(args[0])
			if err != nil {
				return usageError{err}
			}
			b, err := chaostoolkit.Export(e, chaostoolkit.ExportOptions{Namespace: ns, PrometheusURL: prom})
			if err != nil {
				return usageError{fmt.Errorf("%s %w", args[0], err)}
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return fmt.Errorf("-o: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "the format: chaostoolkit")
	f.StringVarP(&out, "output", "o", "", "the file to write (default: standard output)")
	f.StringVarP(&ns, "namespace", "n", "", "the namespace when the scenario's guard names none (default \"default\")")
	f.StringVar(&prom, "prometheus-url", "", "configuration.prometheus_base_url of the experiment (default: chaosprometheus's, http://localhost:9090)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s (see gameday export --help)", flagError(err))}
	})
	return cmd
}
