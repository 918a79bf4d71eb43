package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/testbed"
)

// TestLoadJobIsDeletedWhenTheRunStops runs `gameday load --workers` (the real binary) against the
// testbed, waits for the worker Job's pods, then stops the run as a person or CI would: Ctrl-C, and
// SIGTERM. Each time the Job and its pods are deleted (no worker keeps sending), the run exits
// non-zero saying it was interrupted, and the journal has the Job's creation and the HALT that
// deleted it. In a protected namespace the Job is refused and never created.
func TestLoadJobIsDeletedWhenTheRunStops(t *testing.T) {
	bin := gamedayBinary(t)
	k := testbed.SharedKube(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ns := k.Namespace(t, "loadjob-stop")
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			cmd := exec.Command(bin, "load", "--kubeconfig", k.Kubeconfig, "-n", ns, "--workers", "2", "--rate", "20",
				"--duration", "5m", "--image", "ghcr.io/gamedaylab/gameday:test", "http://web.shop.svc:8080/")
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
			writeJournalConfig(t, dir, journal)
			var stderr, stdout bytes.Buffer
			cmd.Stderr, cmd.Stdout = &stderr, &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			waitFor(t, 30*time.Second, "the workers' pods", func() bool {
				pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gameday-load"})
				return len(pods.Items) == 2
			}, &stderr)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || !strings.Contains(stdout.String(), "result       INTERRUPTED after ") {
					t.Fatalf("an interrupted run: exit %v, want %d and an INTERRUPTED result:\n%s\n%s", err, exitInterrupted, stdout.String(), stderr.String())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("the run did not stop on %s:\n%s", sig, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "deleted load job "+ns+"/") {
				t.Fatalf("stderr does not say the run was interrupted and the Job deleted:\n%s", stderr.String())
			}
			waitFor(t, 60*time.Second, "the Job and its pods to be gone", func() bool {
				jobs, _ := k.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
				pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gameday-load"})
				live := 0
				for _, p := range pods.Items {
					if p.DeletionTimestamp == nil {
						live++
					}
				}
				return len(jobs.Items) == 0 && live == 0
			}, &stderr)
			if got := journalActions(t, journal); !slices.Contains(got, "load-job") || !slices.Contains(got, "halt") {
				t.Fatalf("journal %v: want load-job and halt", got)
			}
		})
	}
	t.Run("protected namespace", func(t *testing.T) {
		dir := t.TempDir()
		journal := filepath.Join(dir, "journal.jsonl")
		writeJournalConfig(t, dir, journal)
		cmd := exec.Command(bin, "load", "--kubeconfig", k.Kubeconfig, "-n", "kube-system", "--workers", "2", "--rate", "20",
			"--duration", "1m", "http://web.shop.svc:8080/")
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_STATE_HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "protected") {
			t.Fatalf("a Job in kube-system must be refused: err %v\n%s", err, out)
		}
		jobs, _ := k.Client.BatchV1().Jobs("kube-system").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gameday-load"})
		if len(jobs.Items) != 0 {
			t.Fatalf("a refused Job was created: %v", jobs.Items[0].Name)
		}
		if got := journalActions(t, journal); len(got) != 1 || got[0] != "load-job" {
			t.Fatalf("journal %v: want the refused load-job", got)
		}
	})
}

// writeJournalConfig points the journal of a run with XDG_CONFIG_HOME=dir at path.
func writeJournalConfig(t *testing.T, dir, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "gameday"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gameday", "config.yaml"), []byte("journal:\n  path: "+path+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool, log *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; stderr:\n%s", d, what, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
