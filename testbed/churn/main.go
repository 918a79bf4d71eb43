// Command churn drives pod churn on the testbed for the cluster benchmark, and turns gameday's frame
// trace into event-to-screen latencies.
//
//	churn run -kubeconfig K -n NS -selector app=filler -rate 10 -duration 60s -out churn.log
//	churn analyze -churn churn.log -trace trace.txt
//
// run deletes `rate` random Running pods per second (the Deployment replaces each: about five pod
// changes per delete) and logs when each delete was sent. analyze matches each delete with the first
// frame that showed that pod terminating or gone, and prints p50 / p99 / max.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: churn run|analyze [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "analyze":
		err = analyze(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (want run or analyze)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "churn: "+err.Error())
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	kc := fs.String("kubeconfig", "", "kubeconfig")
	ns := fs.String("n", "default", "namespace")
	sel := fs.String("selector", "", "label selector of the pods to delete")
	rate := fs.Float64("rate", 10, "deletes per second")
	dur := fs.Duration("duration", time.Minute, "how long")
	out := fs.String("out", "churn.log", "where to log the deletes")
	_ = fs.Parse(args)
	cfg, err := clientcmd.BuildConfigFromFlags("", *kc)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()

	// Keep the set of Running, not-terminating pods from a watch, not from lists of 5,000 pods.
	var mu sync.Mutex
	running := map[string]bool{}
	fac := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(*ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = *sel }))
	inf := fac.Core().V1().Pods().Informer()
	upd := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running[p.Name] = true
		} else {
			delete(running, p.Name)
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: upd, UpdateFunc: func(_, o any) { upd(o) },
		DeleteFunc: func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				mu.Lock()
				delete(running, p.Name)
				mu.Unlock()
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fac.Start(ctx.Done())
	cache.WaitForCacheSync(ctx.Done(), inf.HasSynced)

	rng := rand.New(rand.NewSource(1))
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	end := time.Now().Add(*dur)
	sent := 0
	var wmu sync.Mutex
	var wg sync.WaitGroup
	for now := range tick.C {
		if now.After(end) {
			break
		}
		mu.Lock()
		names := make([]string, 0, len(running))
		for n := range running {
			names = append(names, n)
		}
		mu.Unlock()
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		name := names[rng.Intn(len(names))]
		mu.Lock()
		delete(running, name)
		mu.Unlock()
		sent++
		wg.Add(1)
		go func(name string, at time.Time) {
			defer wg.Done()
			err := cs.CoreV1().Pods(*ns).Delete(context.Background(), name, metav1.DeleteOptions{})
			wmu.Lock()
			defer wmu.Unlock()
			if err != nil {
				fmt.Fprintf(os.Stderr, "delete %s: %v\n", name, err)
				return
			}
			fmt.Fprintf(w, "delete %s/%s %d\n", *ns, name, at.UnixNano())
		}(name, now)
	}
	wg.Wait()
	fmt.Fprintf(os.Stderr, "churn: %d deletes in %s\n", sent, *dur)
	return nil
}

func analyze(args []string) error {
	fs := flag.NewFlagSet("analyze", flag.ExitOnError)
	churnPath := fs.String("churn", "churn.log", "the run's log")
	tracePath := fs.String("trace", "trace.txt", "gameday's --trace-frames file")
	_ = fs.Parse(args)
	type rec struct {
		op  string
		frm int64
	}
	frames := map[string][]rec{}
	tf, err := os.Open(*tracePath)
	if err != nil {
		return err
	}
	defer tf.Close()
	sc := bufio.NewScanner(tf)
	var firstFrame time.Duration
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "first-full-frame" { // no key
			a, _ := strconv.ParseInt(f[1], 10, 64)
			b, _ := strconv.ParseInt(f[2], 10, 64)
			firstFrame = time.Duration(b - a)
			continue
		}
		if len(f) != 4 {
			continue
		}
		frm, _ := strconv.ParseInt(f[3], 10, 64)
		frames[f[1]] = append(frames[f[1]], rec{op: f[0], frm: frm})
	}
	cf, err := os.Open(*churnPath)
	if err != nil {
		return err
	}
	defer cf.Close()
	var lat []time.Duration
	missing := 0
	sc = bufio.NewScanner(cf)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		at, _ := strconv.ParseInt(f[2], 10, 64)
		found := false
		for _, r := range frames[f[1]] {
			if (r.op == "terminating" || r.op == "gone") && r.frm >= at {
				lat = append(lat, time.Duration(r.frm-at))
				found = true
				break
			}
		}
		if !found {
			missing++
		}
	}
	if len(lat) == 0 {
		return fmt.Errorf("no delete of %s was found in %s", *churnPath, *tracePath)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("first_full_frame_ms %.0f\n", float64(firstFrame)/1e6)
	fmt.Printf("event_to_screen_n %d missing %d\n", len(lat), missing)
	fmt.Printf("event_to_screen_p50_ms %.0f\n", float64(q(0.5))/1e6)
	fmt.Printf("event_to_screen_p99_ms %.0f\n", float64(q(0.99))/1e6)
	fmt.Printf("event_to_screen_max_ms %.0f\n", float64(lat[len(lat)-1])/1e6)
	return nil
}
