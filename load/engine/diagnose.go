package engine

import (
	"fmt"
	"sort"
	"syscall"
)

// diagnose says when the generator, not the target, is the limit.
func (r *run) diagnose(res Result) []string {
	var d []string
	total := max(res.Scheduled, 1)
	if late := r.lateSends.Load(); float64(late)/float64(total) > 0.01 {
		n := r.poolSize()
		why := "the machine running gameday is short of CPU"
		if n >= r.e.opts.MaxWorkers {
			why = fmt.Sprintf("all %d workers were busy (worker limit)", n)
		}
		d = append(d, fmt.Sprintf("generator behind schedule: %.1f%% of requests left more than 5 ms late (%s); latencies include that wait", 100*float64(late)/float64(total), why))
	}
	if lt := r.lateTicks.Load(); lt > 0 {
		d = append(d, fmt.Sprintf("the scheduler woke late %d times (CPU starved or GC)", lt))
	}
	if dr := res.Dropped; dr > 0 {
		d = append(d, fmt.Sprintf("%d requests were never sent: the send queue was full", dr))
	}
	for kind, n := range res.Errors {
		switch kind {
		case "file descriptors exhausted":
			d = append(d, fmt.Sprintf("%d requests failed for want of file descriptors: raise ulimit -n (now %s)", n, fdLimit()))
		case "ephemeral ports exhausted":
			d = append(d, fmt.Sprintf("%d requests failed for want of local ports: keep-alive is on; lower the rate or widen net.ipv4.ip_local_port_range", n))
		}
	}
	sort.Strings(d)
	return d
}

func fdLimit() string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "unknown"
	}
	return fmt.Sprint(rl.Cur)
}
