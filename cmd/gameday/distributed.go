package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/load/engine"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
)

// workerArgs are the load-worker arguments for one of n workers: each sends 1/n of every rate.
func workerArgs(p load.Profile, n int, targets []engine.Target, timeout time.Duration) []string {
	div := func(v float64) string { return fmt.Sprintf("%g", v/float64(n)) }
	args := []string{"load-worker", "--rate", div(p.Rate), "--duration", p.Duration.String(), "--timeout", timeout.String()}
	switch p.Kind {
	case load.Constant, "":
	default:
		prof := fmt.Sprintf("%s:%s-%s", p.Kind, div(p.Rate), div(p.To))
		if p.Steps > 0 {
			prof += fmt.Sprintf("/%d", p.Steps)
		}
		if p.Period > 0 {
			prof += "/" + p.Period.String()
		}
		args = append(args, "--profile", prof)
	}
	if len(targets) > 0 {
		t := targets[0]
		args = append(args, "--method", t.Method)
		for k, vs := range t.Header {
			for _, v := range vs {
				args = append(args, "-H", k+": "+v)
			}
		}
		if len(t.Body) > 0 {
			args = append(args, "--body", string(t.Body))
		}
	}
	for _, t := range targets {
		args = append(args, t.URL)
	}
	return args
}

// JobSpec is the Indexed Job of n load workers. Each pod writes its result (counts and an encoded
// latency histogram) to its termination message for the coordinator to merge.
func JobSpec(namespace, image string, n int, args []string) *batchv1.Job {
	one := int32(n)
	backoff := int32(0)
	ttl := int32(600)
	mode := batchv1.IndexedCompletion
	labels := map[string]string{"app.kubernetes.io/name": "gameday-load", "app.kubernetes.io/managed-by": "gameday"}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "gameday-load-", Namespace: namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode: &mode, Completions: &one, Parallelism: &one, BackoffLimit: &backoff,
			TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name: "load-worker", Image: image, Command: []string{"/usr/local/bin/gameday"}, Args: args,
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr(true), AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem: ptr(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// runDistributed runs the load as an Indexed Job and merges the workers' results. The Job is an action:
// the guard may refuse it, it is journaled, and it is deleted with its pods whatever way the run ends
// (results in, Ctrl-C, SIGTERM, a breached threshold, an error), so no worker keeps sending.
func runDistributed(cmd *cobra.Command, o *loadOptions, cfg config.Config, p load.Profile, targets []engine.Target, maxRate float64, th engine.Thresholds) (err error) {
	if p.Duration <= 0 {
		return usageError{fmt.Errorf("--workers needs a --duration")}
	}
	if load.Peak(p) > maxRate {
		return fmt.Errorf("%w: the profile peaks at %.0f requests/s, above the maximum %.0f (load.maxRate or --max-rate)", model.ErrRefused, load.Peak(p), maxRate)
	}
	rc, err := o.kube.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	loader := o.kube.ToRawKubeConfigLoader()
	ns, _, err := loader.Namespace()
	if err != nil {
		return err
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	kctx := raw.CurrentContext
	if o.kube.Context != nil && *o.kube.Context != "" {
		kctx = *o.kube.Context
	}
	env, in, closeJournal, err := loadJobEnv(o, cfg, cs, ns, kctx, raw.Contexts)
	if err != nil {
		return err
	}
	defer closeJournal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := onStop(func(os.Signal) { cancel() }, func(os.Signal) {
		// Leaving now: the Job stays, with its revert label; say how to delete it.
		fmt.Fprintf(os.Stderr, "gameday: leaving now; NOT deleted: %s (kubectl delete job -n %s -l %s)\n",
			strings.Join(in.Pending(), "; "), ns, "app.kubernetes.io/name=gameday-load")
		os.Exit(exitRevertFailed)
	})
	defer stop.Close()
	defer func() {
		// HALT: delete the Job and its pods; an interrupted run says so.
		if in.Len() == 0 {
			return
		}
		r, herr := env.Halt(context.Background(), in)
		if herr != nil {
			fmt.Fprintln(os.Stderr, "gameday: "+herr.Error())
			if err == nil {
				err = herr
			}
			return
		}
		fmt.Fprintf(os.Stderr, "deleted %s (journal: %s)\n", strings.Join(r.Entry.Targets, ", "), env.Journal.Path())
	}()
	detail := fmt.Sprintf("%d workers × %s", o.workers, p.String())
	// Not under the signal context: a Ctrl-C while the create is in flight must not leave a Job the
	// apiserver made but HALT does not know of.
	_, job, err := env.StartLoadJob(context.WithoutCancel(ctx), in, JobSpec(ns, o.image, o.workers, workerArgs(p, o.workers, targets, o.timeout)), detail)
	if err != nil {
		return err
	}
	if env.Guard.DryRun {
		fmt.Fprintf(os.Stderr, "dry-run: the apiserver accepted job %s/%s (%s); nothing was started\n", ns, job.Name, detail)
		return nil
	}
	fmt.Fprintf(os.Stderr, "job %s/%s: %d workers × %.0f requests/s\n", ns, job.Name, o.workers, p.Rate/float64(o.workers))
	started := time.Now()
	parts, err := collectResults(ctx, cs, ns, job.Name, o.workers, p.Duration+5*time.Minute)
	if ctx.Err() != nil {
		// The workers' numbers leave with their pods: there is no partial report to merge, only the
		// mark, as a local run's (exit 130, no verdict).
		in := interrupted{after: time.Since(started), of: p.Duration}
		fmt.Fprintf(cmd.OutOrStdout(), "result       INTERRUPTED after %s of %s: no verdict; the worker Job is deleted, and its workers' numbers with it\n",
			in.after.Round(time.Second), in.of)
		return in
	}
	if err != nil {
		return err
	}
	res, err := engine.Merge(parts)
	if err != nil {
		return err
	}
	breaches := th.Check(res)
	if o.output == "json" {
		err = res.WriteJSON(cmd.OutOrStdout(), breaches)
	} else {
		res.WriteText(cmd.OutOrStdout(), th)
	}
	if err != nil {
		return err
	}
	if len(breaches) > 0 {
		return thresholdBreached{len(breaches)}
	}
	return nil
}

// collectResults waits for every worker pod to end and decodes the results in their termination
// messages.
func collectResults(ctx context.Context, cs kubernetes.Interface, ns, job string, n int, timeout time.Duration) ([]engine.Result, error) {
	deadline := time.Now().Add(timeout)
	for {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + job})
		if err != nil {
			return nil, err
		}
		var parts []engine.Result
		var failed []string
		for _, p := range pods.Items {
			for _, c := range p.Status.ContainerStatuses {
				t := c.State.Terminated
				if t == nil {
					continue
				}
				if t.ExitCode != 0 {
					failed = append(failed, fmt.Sprintf("%s exited %d: %s", p.Name, t.ExitCode, t.Message))
					continue
				}
				var r engine.Result
				if err := json.Unmarshal([]byte(t.Message), &r); err != nil {
					failed = append(failed, fmt.Sprintf("%s: unreadable result: %v", p.Name, err))
					continue
				}
				parts = append(parts, r)
			}
		}
		if len(failed) > 0 {
			return nil, fmt.Errorf("workers failed: %s", strings.Join(failed, "; "))
		}
		if len(parts) >= n {
			return parts, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d workers reported after %s", len(parts), n, timeout)
		}
		time.Sleep(2 * time.Second)
	}
}

// loadJobEnv is the action environment of a distributed run: the config's safety rules (and --arm),
// the journal, and the registry HALT reverts.
func loadJobEnv(o *loadOptions, cfg config.Config, cs kubernetes.Interface, ns, kctx string, contexts map[string]*clientcmdapi.Context) (*actions.Env, *actions.Injected, func(), error) {
	guard := session.NewGuard(cfg.Safety, o.arm)
	guard.DryRun, guard.Context = guard.DryRun || o.dryRun, kctx
	path := cfg.Journal.Path
	if path == "" {
		path = config.DefaultJournalPath()
	}
	j, err := actions.OpenJournal(path)
	if err != nil {
		return nil, nil, nil, err
	}
	env := &actions.Env{Client: cs, Context: kctx, Guard: guard, Journal: j, Now: time.Now, RevertTimeout: cfg.Safety.RevertTimeout.Duration}
	if c, ok := contexts[kctx]; ok && c != nil {
		env.User = c.AuthInfo // the kubeconfig user entry's name, never its credentials
	}
	stopBeat := func() {}
	if !guard.DryRun {
		var err error
		if env.Records, stopBeat, err = session.Records(context.Background(), cs, ns, env.User, cfg.Safety, ""); err != nil {
			_ = j.Close()
			return nil, nil, nil, err
		}
	}
	return env, &actions.Injected{}, func() { stopBeat(); _ = j.Close() }, nil
}
