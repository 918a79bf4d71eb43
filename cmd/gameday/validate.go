package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment/chaosmesh"
	"github.com/gamedaylab/gameday/experiment/chaostoolkit"
	"github.com/gamedaylab/gameday/experiment/litmus"
	"github.com/gamedaylab/gameday/scenario"
)

func newValidateCmd() *cobra.Command {
	allowProcess := false
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files (gameday's, Chaos Toolkit experiments, Chaos Mesh resources, Litmus ChaosEngines): every error names the file, the line, the field and what is allowed",
		Example: `  # before a game day, or in CI on every change of the scenarios
  gameday validate examples/*.yaml`,
		Args:          cobra.MinimumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, files []string) error {
			failed := 0
			for _, f := range files {
				if data, err := os.ReadFile(f); err == nil && chaostoolkit.Detect(data) {
					ce, err := chaostoolkit.ParseAllowing(f, data, allowProcess)
					if err != nil {
						failed++
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						continue
					}
					if _, err := ce.Resolve(nil, nil); err != nil { // as chaos validate, the environment is read
						failed++
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						continue
					}
					probes := 0
					if ce.Hypothesis != nil {
						probes = len(ce.Hypothesis.Probes)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: Chaos Toolkit experiment %q, %d probes, %d method activities, %d rollbacks\n",
						f, ce.Title, probes, len(ce.Method), len(ce.Rollbacks))
					continue
				}
				if data, err := os.ReadFile(f); err == nil && litmus.Detect(data) {
					engines, err := litmus.Parse(f, data)
					if err != nil {
						failed++
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						continue
					}
					var names []string
					for _, e := range engines {
						for _, x := range e.Experiments {
							names = append(names, fmt.Sprintf("ChaosEngine %s (%s, %d probes)", e.Name, x.Name, len(x.Probes)))
						}
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: Litmus %s\n", f, strings.Join(names, ", "))
					continue
				}
				if data, err := os.ReadFile(f); err == nil && chaosmesh.Detect(data) {
					mf, err := chaosmesh.Parse(f, data)
					if err != nil {
						failed++
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						continue
					}
					var names []string
					for _, r := range mf.Resources {
						names = append(names, r.Kind+" "+r.Name+" (pod-kill, mode "+r.Mode+")")
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: Chaos Mesh %s\n", f, strings.Join(names, ", "))
					continue
				}
				e, err := scenario.Read(f)
				if err != nil {
					failed++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: experiment %s, %d probes, %d steps, %d rollbacks\n",
					f, e.Metadata.Name, len(e.Hypothesis.Probes), len(e.Method), len(e.Rollbacks))
			}
			if failed > 0 {
				return usageError{fmt.Errorf("%d of %d scenario file(s) invalid", failed, len(files))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowProcess, "allow-process", false, "Chaos Toolkit experiments: accept process activities (their executables must be found), as gameday run --allow-process runs them")
	return cmd
}
