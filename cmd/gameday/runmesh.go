package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gamedaylab/gameday/experiment/chaosmesh"
)

// runChaosMesh carries a Chaos Mesh file's pod-kills out on a session: its pods picked as Chaos Mesh
// picks them, each killed through gameday's catalog. Exit 0 when every kill was made, 4 when the
// safety rules refused one, 1 when one failed.
func runChaosMesh(cmd *cobra.Command, ro *runOptions, file string) error {
	o := &ro.options
	f, err := chaosmesh.Read(file)
	if err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	o.runFile = file
	c, err := build(cmd, o, &cfg)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	stop := onStop(func(os.Signal) { interrupt() }, func(os.Signal) {})
	defer stop.Close()
	if err := c.startListed(ctx); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "chaos mesh %s on %s, namespace %s\n", file, c.sess.KubeContext, c.sess.Namespace())
	killed := 0
	var failed error
	for _, r := range chaosmesh.Run(ctx, c.sess, f, out, nil) {
		killed += len(r.Killed)
		if r.Err != nil && failed == nil {
			failed = fmt.Errorf("%s: %w", r.Resource, r.Err)
		}
	}
	fmt.Fprintf(out, "killed %d pod(s)\n", killed)
	switch {
	case ctx.Err() != nil:
		return interrupted{}
	case failed != nil && strings.Contains(failed.Error(), "refused"):
		return outcomeError{"refused: " + failed.Error(), exitRefused}
	case failed != nil:
		return outcomeError{"failed: " + failed.Error(), exitFailed}
	}
	return nil
}
