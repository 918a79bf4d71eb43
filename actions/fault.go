package actions

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/model"
)

func init() {
	register(
		Spec{Name: InjectFault, Order: 45, Key: "fault", Keys: []string{"F"}, Command: "fault",
			Usage: "VS|HOST [delay DUR PCT%] [abort STATUS PCT%] [header K=V] [prefix /P] [method M] [for DUR]",
			Help:  "inject an Istio fault", CommandHelp: "inject an Istio delay and / or abort, reverted after DUR", Perm: "fault",
			Access: []authv1.ResourceAttributes{{Verb: "get", Group: "networking.istio.io", Resource: "virtualservices"},
				{Verb: "update", Group: "networking.istio.io", Resource: "virtualservices"}},
			AccessCreate: []authv1.ResourceAttributes{{Verb: "create", Group: "networking.istio.io", Resource: "virtualservices"}},
			Destructive:  true, Verb: "Inject", Marker: "fault",
			Ask: &Ask{
				Title: func(w World) string { return "Istio fault on " + cmp.Or(w.Target, "a service") },
				Help: func(World) string {
					return "delay DUR PCT% and / or abort STATUS PCT%; optional header K=V, prefix /P, method M; for DUR (default 2m)"
				},
				Options: faultOptions,
				Args:    func(answer string) string { return answer },
				None: func(w World) error {
					if len(faultOptions(w)) > 0 {
						return nil
					}
					return refuse("no VirtualService in namespace %s and no target: name a host with :fault HOST abort 500 30%%", w.Namespace)
				},
			},
			Plan: planFaultStep, Run: runFault, ParseArgs: func(args string) error { _, err := ParseFault(args); return err }},
		Spec{Name: Unfault, Order: 46, Command: "unfault", Usage: "ID|all", Help: "revert an Istio fault before its time is up",
			Marker: "unfault", Plan: planUnfaultStep, Run: runUnfault},
		Spec{Name: FaultExpired, Order: 91, Help: "an Istio fault's duration ended and it was reverted", Marker: "fault end", Event: true},
	)
}

// DefaultFaultDuration is how long a fault stays when no `for` is given.
const DefaultFaultDuration = 2 * time.Minute

// Fault is what `:fault` and a scenario step say: where, which traffic, what, and for how long.
type Fault struct {
	// Target is vs/NAME (or vs/NAMESPACE/NAME) or a host (a service name).
	Target    string
	Delay     time.Duration
	DelayPct  float64
	Abort     int    // an HTTP status
	AbortGRPC string // or a gRPC status name
	AbortPct  float64
	Headers   map[string]string // exact header matches
	Prefix    string
	Method    string
	For       time.Duration
}

// Text is the fault as its arguments read.
func (f Fault) Text() string {
	var p []string
	if f.Delay > 0 {
		p = append(p, fmt.Sprintf("delay %s %s%%", f.Delay, fmtPct(f.DelayPct)))
	}
	if f.Abort != 0 {
		p = append(p, fmt.Sprintf("abort %d %s%%", f.Abort, fmtPct(f.AbortPct)))
	}
	if f.AbortGRPC != "" {
		p = append(p, fmt.Sprintf("abort grpc:%s %s%%", f.AbortGRPC, fmtPct(f.AbortPct)))
	}
	return strings.Join(p, ", ")
}

// MatchText says which requests the fault takes ("every request" without a match).
func (f Fault) MatchText() string {
	var p []string
	if f.Prefix != "" {
		p = append(p, "path prefix "+f.Prefix)
	}
	if f.Method != "" {
		p = append(p, "method "+f.Method)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Headers)) {
		p = append(p, fmt.Sprintf("header %s = %s", k, f.Headers[k]))
	}
	if len(p) == 0 {
		return "every request"
	}
	return strings.Join(p, ", ")
}

func fmtPct(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ParseFault reads `VS|HOST [delay DUR PCT%] [abort STATUS PCT%] [header K=V] [prefix /P] [method M]
// [for DUR]`. Percentages are required: Istio injects nothing when one is omitted (istio #36303).
func ParseFault(args string) (Fault, error) {
	f := Fault{For: DefaultFaultDuration}
	tok := strings.Fields(args)
	need := func(i, n int, usage string) error {
		if i+n >= len(tok) {
			return fmt.Errorf("%s wants %s", tok[i], usage)
		}
		return nil
	}
	for i := 0; i < len(tok); i++ {
		switch t := tok[i]; t {
		case "delay":
			const usage = "a duration and an explicit percentage (an omitted percentage injects nothing, istio #36303): delay 2s 50%"
			if err := need(i, 2, usage); err != nil {
				return f, err
			}
			d, err := bounds.Span{Min: time.Millisecond, Max: time.Hour}.Parse(tok[i+1])
			if err != nil {
				return f, fmt.Errorf("delay: %w", err)
			}
			p, err := parsePct(tok[i+2], "delay")
			if err != nil {
				return f, err
			}
			f.Delay, f.DelayPct = d, p
			i += 2
		case "abort":
			const usage = "a status and an explicit percentage (an omitted percentage injects nothing, istio #36303): abort 500 30%"
			if err := need(i, 2, usage); err != nil {
				return f, err
			}
			if g, ok := strings.CutPrefix(tok[i+1], "grpc:"); ok {
				if g == "" || strings.ToUpper(g) != g {
					return f, fmt.Errorf("abort %q: want a gRPC status name in capitals (grpc:UNAVAILABLE)", tok[i+1])
				}
				f.AbortGRPC = g
			} else {
				s, err := strconv.Atoi(tok[i+1])
				if err != nil || s < 200 || s > 599 {
					return f, fmt.Errorf("abort %q: want an HTTP status 200-599 (e.g. 500) or grpc:NAME", tok[i+1])
				}
				f.Abort = s
			}
			p, err := parsePct(tok[i+2], "abort")
			if err != nil {
				return f, err
			}
			f.AbortPct = p
			i += 2
		case "header":
			if err := need(i, 1, "NAME=VALUE (an exact match)"); err != nil {
				return f, err
			}
			k, v, ok := strings.Cut(tok[i+1], "=")
			if !ok || k == "" || v == "" {
				return f, fmt.Errorf("header %q: want NAME=VALUE (e.g. header x-user=qa)", tok[i+1])
			}
			if f.Headers == nil {
				f.Headers = map[string]string{}
			}
			f.Headers[strings.ToLower(k)] = v
			i++
		case "prefix":
			if err := need(i, 1, "a path starting with / (prefix /api)"); err != nil {
				return f, err
			}
			if !strings.HasPrefix(tok[i+1], "/") {
				return f, fmt.Errorf("prefix %q: want a path starting with / (prefix /api)", tok[i+1])
			}
			f.Prefix = tok[i+1]
			i++
		case "method":
			if err := need(i, 1, "an HTTP method (method GET)"); err != nil {
				return f, err
			}
			f.Method = strings.ToUpper(tok[i+1])
			i++
		case "for":
			if err := need(i, 1, "a duration (for 2m)"); err != nil {
				return f, err
			}
			d, err := bounds.Span{MinOpen: true, Max: 24 * time.Hour}.Parse(tok[i+1])
			if err != nil {
				return f, fmt.Errorf("for: %w: a fault always ends by itself", err)
			}
			f.For = d
			i++
		default:
			if f.Target != "" {
				return f, fmt.Errorf("%q: unexpected; want delay, abort, header, prefix, method or for after the target %q", t, f.Target)
			}
			f.Target = t
		}
	}
	if f.Delay == 0 && f.Abort == 0 && f.AbortGRPC == "" {
		return f, fmt.Errorf("a fault wants a delay or an abort, e.g. :fault %s abort 500 30%% for 2m", cmp.Or(f.Target, "HOST"))
	}
	return f, nil
}

func parsePct(s, what string) (float64, error) {
	v, err := bounds.Above(0, 100, "%").Parse(strings.TrimSuffix(s, "%"))
	if !strings.HasSuffix(s, "%") || err != nil {
		return 0, fmt.Errorf("%s percentage %q: want a share above 0 and at most 100 with its %% sign (e.g. 30%%)", what, s)
	}
	return v, nil
}

// FaultPlan is a fault worked out against the VirtualServices the session sees: which object is
// patched (or created), which routes get a faulted copy, who is affected, what to watch for.
type FaultPlan struct {
	Fault
	Namespace string
	// VS is the VirtualService patched, or the one created when Create is set.
	VS     string
	Create bool
	// Host is the service host the created VirtualService routes to.
	Host     string
	Gateways []string
	// Routes are the routes that get a faulted copy (name or match).
	Routes []string
	// Sidecars and NoSidecar count the pods of the namespace by whether an Istio sidecar calls
	// through the mesh; Mesh is false when only gateways apply the VirtualService.
	Mesh      bool
	Sidecars  int
	NoSidecar int
	Warnings  []string
	DryRun    bool
	Refusal   error `json:"-"`
}

// Summary is one line: the confirm's title and the journal's detail.
func (p FaultPlan) Summary() string {
	verb := "patch"
	if p.Create {
		verb = "create"
	}
	return fmt.Sprintf("fault %s on %s (%s virtualservice %s) for %s", p.Text(), p.MatchText(), verb, p.VS, ShortDuration(p.For))
}

// PlanFault resolves the target among the VirtualServices and works out the change.
func (e *Env) PlanFault(w World, f Fault) FaultPlan {
	p := FaultPlan{Fault: f, Namespace: w.Namespace}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	target := cmp.Or(f.Target, w.Target)
	var vss []model.VirtualService
	if name, ok := strings.CutPrefix(target, "vs/"); ok {
		ns := w.Namespace
		if a, b, ok := strings.Cut(name, "/"); ok {
			ns, name = a, b
		}
		p.Namespace = ns
		if v := w.Cluster.VirtualServices[ns+"/"+name]; v != nil {
			vss = append(vss, *v)
		} else {
			p.VS = ns + "/" + name
			p.Refusal = refuse("no VirtualService %s/%s (the cluster has %d in view): name one that exists, or a host to create one for", ns, name, len(w.Cluster.VirtualServices))
			return p
		}
	} else {
		vss = claiming(w.Cluster, w.Namespace, target)
		p.Host = target
	}
	if err := e.Guard.Check(p.Namespace); err != nil {
		p.Refusal = err
	}
	switch len(vss) {
	case 0:
		if target == "" {
			p.Refusal = refuse("no target: name a VirtualService (vs/NAME) or a host")
			return p
		}
		p.Create, p.VS, p.Mesh = true, p.Namespace+"/gameday-"+dnsName(target), true
		p.Routes = []string{"all traffic to " + target + " (a new VirtualService)"}
	case 1:
		v := vss[0]
		p.VS, p.Gateways, p.Mesh = v.Key(), v.Gateways, v.Mesh()
		for _, r := range v.Routes {
			if strings.HasPrefix(r.Name, "gameday-") {
				p.Warnings = append(p.Warnings, fmt.Sprintf("route %s is another gameday fault: the new one takes precedence where both match", r.Name))
				continue
			}
			p.Routes = append(p.Routes, cmp.Or(r.Name, "(unnamed)")+": "+cmp.Or(r.Match, "every request")+" → "+strings.Join(r.Destinations, ", "))
			if r.Retries || r.Timeout {
				p.Warnings = append(p.Warnings, fmt.Sprintf("route %s has retries or a timeout: a fault disables them on its route (istio #13705)", cmp.Or(r.Name, "(unnamed)")))
			}
		}
		if len(p.Routes) == 0 && p.Refusal == nil {
			p.Refusal = refuse("virtualservice %s has no HTTP routes to fault", v.Key())
		}
	default:
		names := make([]string, len(vss))
		for i, v := range vss {
			names[i] = v.Key()
		}
		p.VS = strings.Join(names, ", ")
		p.Refusal = refuse("%d VirtualServices claim host %s (%s): sidecars do not merge them (istio #36621); name one with vs/NAME", len(vss), target, p.VS)
		return p
	}
	if f.Abort == 503 {
		p.Warnings = append(p.Warnings, "abort 503: retry policies retry 503, which skews the observed rate (istio #25160); 500 or 502 is not retried by default")
	}
	for _, pod := range w.Cluster.Pods {
		if pod.Namespace != p.Namespace || pod.Terminating() {
			continue
		}
		if pod.Labels["security.istio.io/tlsMode"] == "istio" {
			p.Sidecars++
		} else {
			p.NoSidecar++
		}
	}
	if p.Mesh && p.NoSidecar > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d pod(s) in %s have no Istio sidecar: the caller's proxy applies a fault, so their requests are not affected (istio #4322)", p.NoSidecar, p.Namespace))
	}
	return p
}

// claiming lists the VirtualServices whose hosts name host (short, namespaced or fully qualified).
func claiming(c *model.Cluster, ns, host string) []model.VirtualService {
	if host == "" {
		return nil
	}
	names := map[string]bool{host: true}
	if !strings.Contains(host, ".") {
		for _, s := range []string{".", ".svc", ".svc.cluster.local"} {
			names[host+"."+ns+strings.TrimSuffix(s, ".")] = true
		}
	}
	var out []model.VirtualService
	for _, v := range c.VirtualServices {
		for _, h := range v.Hosts {
			if names[h] || (v.Namespace == ns && names[h+"."+ns]) {
				out = append(out, *v)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b model.VirtualService) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

func dnsName(s string) string {
	s = strings.ToLower(strings.NewReplacer(".", "-", "*", "any", "/", "-").Replace(s))
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// faultOptions are what F offers: an abort and a delay on each VirtualService in view, and on the
// target when none claims it.
func faultOptions(w World) []string {
	var targets []string
	for _, v := range w.Cluster.VirtualServices {
		if v.Namespace == w.Namespace {
			targets = append(targets, "vs/"+v.Name)
		}
	}
	slices.Sort(targets)
	if len(claiming(w.Cluster, w.Namespace, w.Target)) == 0 && w.Target != "" {
		targets = append(targets, w.Target)
	}
	var out []string
	for _, t := range targets {
		out = append(out, t+" abort 500 30% for 2m", t+" delay 2s 50% for 2m")
	}
	return out
}

func planFaultStep(e *Env, w World, args string) (Step, error) {
	f, err := ParseFault(args)
	if err != nil {
		return Step{}, err
	}
	p := e.PlanFault(w, f)
	if p.Refusal == nil && e.Mesh == nil {
		p.Refusal = refuse("this cluster serves no Istio VirtualServices (networking.istio.io): install Istio first")
	}
	return Step{Action: InjectFault, Summary: p.Summary(), Detail: faultText(p), DryRun: p.DryRun, Refusal: p.Refusal,
		Confirm: p.Refusal == nil, Fault: &p}, nil
}

// faultText is the confirm's preview: the object, the routes, the share of which traffic, the
// callers, the warnings.
func faultText(p FaultPlan) string {
	var b strings.Builder
	if p.Create {
		fmt.Fprintf(&b, "No VirtualService claims %s: create %s (mesh) routing to it.\n", p.Host, p.VS)
	} else {
		fmt.Fprintf(&b, "VirtualService %s", p.VS)
		if len(p.Gateways) > 0 {
			fmt.Fprintf(&b, " (gateways: %s)", strings.Join(p.Gateways, ", "))
		}
		b.WriteString(": a faulted copy of each route goes first, named gameday-…\n")
	}
	fmt.Fprintf(&b, "Fault: %s of %s, for %s, then reverted by itself.\n", p.Text(), p.MatchText(), ShortDuration(p.For))
	b.WriteString("Routes:\n")
	for _, r := range p.Routes {
		b.WriteString("  • " + r + "\n")
	}
	if p.Mesh {
		fmt.Fprintf(&b, "Callers in %s: %d pod(s) with a sidecar (affected), %d without (not affected).", p.Namespace, p.Sidecars, p.NoSidecar)
	} else {
		fmt.Fprintf(&b, "Applied by the gateway(s) %s: requests entering through them.", strings.Join(p.Gateways, ", "))
	}
	for _, w := range p.Warnings {
		b.WriteString("\n! " + w)
	}
	b.WriteString("\nHALT (x) or quitting reverts it; a crash leaves a record that the next start or `gameday revert` undoes.")
	if p.DryRun {
		b.WriteString("\nDRY-RUN: the API server validates the request, nothing changes.")
	}
	return b.String()
}

// ShortDuration is a duration as a person writes it: 2m, 1h, 90s (not 2m0s).
func ShortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
