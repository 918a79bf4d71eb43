package actions

import (
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/model"
)

func meshWorld(vss ...model.VirtualService) World {
	c := model.NewCluster()
	for i := range vss {
		c.VirtualServices[vss[i].Key()] = &vss[i]
	}
	c.Pods["shop/web-1"] = &model.Pod{Namespace: "shop", Name: "web-1", Labels: map[string]string{"security.istio.io/tlsMode": "istio"}}
	c.Pods["shop/batch-1"] = &model.Pod{Namespace: "shop", Name: "batch-1"}
	return World{Namespace: "shop", Target: "web", Cluster: c}
}

func TestParseFault(t *testing.T) {
	f, err := ParseFault("vs/web delay 2s 50% abort 502 10% header x-user=QA prefix /api method get for 90s")
	if err != nil {
		t.Fatal(err)
	}
	if f.Target != "vs/web" || f.Delay != 2*time.Second || f.DelayPct != 50 || f.Abort != 502 || f.AbortPct != 10 ||
		f.Headers["x-user"] != "QA" || f.Prefix != "/api" || f.Method != "GET" || f.For != 90*time.Second {
		t.Fatalf("%+v", f)
	}
	for args, want := range map[string]string{
		"web abort 500":        "explicit percentage",
		"web delay 2s":         "explicit percentage",
		"web abort 500 30":     "with its % sign",
		"web abort 700 30%":    "HTTP status 200-599",
		"web delay 0s 30%":     "from 1ms to 1h",
		"web abort 500 130%":   "at most 100",
		"web":                  "wants a delay or an abort",
		"web abort 500 5% for": "wants a duration",
		"web prefix api":       "starting with /",
		"web header x":         "NAME=VALUE",
		"a b abort 500 5%":     "unexpected",
	} {
		if _, err := ParseFault(args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", args, err, want)
		}
	}
}

func TestPlanFault(t *testing.T) {
	e := &Env{Guard: &Guard{Protected: map[string]bool{"kube-system": true}}}
	web := model.VirtualService{Namespace: "shop", Name: "web", Hosts: []string{"web"},
		Routes: []model.VSRoute{{Name: "main", Destinations: []string{"web"}, Retries: true}}}
	f, _ := ParseFault("web abort 503 30%")
	p := e.PlanFault(meshWorld(web), f)
	if p.Refusal != nil || p.VS != "shop/web" || p.Create || !p.Mesh || p.Sidecars != 1 || p.NoSidecar != 1 || len(p.Routes) != 1 {
		t.Fatalf("%+v", p)
	}
	warn := strings.Join(p.Warnings, "\n")
	for _, w := range []string{"#25160", "#13705", "#4322"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warnings lack %s:\n%s", w, warn)
		}
	}
	// None claims the host: created; two claim it: refused; a protected namespace: refused.
	if p := e.PlanFault(meshWorld(), f); !p.Create || p.VS != "shop/gameday-web" || p.Refusal != nil {
		t.Fatalf("create: %+v", p)
	}
	other := model.VirtualService{Namespace: "shop", Name: "web-2", Hosts: []string{"web.shop.svc.cluster.local"}}
	if p := e.PlanFault(meshWorld(web, other), f); p.Refusal == nil || !strings.Contains(p.Refusal.Error(), "#36621") {
		t.Fatalf("two claim it: %+v", p)
	}
	f2, _ := ParseFault("vs/kube-system/dns abort 500 30%")
	dns := model.VirtualService{Namespace: "kube-system", Name: "dns", Routes: []model.VSRoute{{Name: "r"}}}
	if p := e.PlanFault(meshWorld(dns), f2); p.Refusal == nil || !strings.Contains(p.Refusal.Error(), "protected") {
		t.Fatalf("protected: %+v", p)
	}
	// Bound to a gateway: the preview says who applies it; no sidecar warning.
	gw := web
	gw.Gateways = []string{"istio-system/public"}
	f3, _ := ParseFault("vs/web delay 1s 10%")
	p = e.PlanFault(meshWorld(gw), f3)
	if p.Mesh || strings.Contains(strings.Join(p.Warnings, ""), "#4322") || !strings.Contains(faultText(p), "gateway(s) istio-system/public") {
		t.Fatalf("gateway: %+v\n%s", p, faultText(p))
	}
}

func TestFaultPickerOffersEveryVirtualService(t *testing.T) {
	spec, _ := Lookup("fault")
	w := meshWorld(model.VirtualService{Namespace: "shop", Name: "api"}, model.VirtualService{Namespace: "other", Name: "x"})
	if err := spec.Ask.None(w); err != nil {
		t.Fatalf("None refused with a VirtualService in view: %v", err)
	}
	opts := strings.Join(spec.Ask.Options(w), "\n")
	if !strings.Contains(opts, "vs/api abort 500 30% for 2m") || strings.Contains(opts, "vs/x") || !strings.Contains(opts, "web delay 2s 50% for 2m") {
		t.Fatalf("options:\n%s", opts)
	}
	if err := spec.Ask.None(World{Namespace: "shop", Cluster: model.NewCluster()}); err == nil {
		t.Fatal("None did not refuse with nothing to fault")
	}
}

func TestMergeMatch(t *testing.T) {
	f, _ := ParseFault("web abort 500 5% header x-a=1 prefix /api")
	out, err := mergeMatch([]any{map[string]any{"method": map[string]any{"exact": "GET"}}, map[string]any{}}, f)
	if err != nil || len(out) != 2 {
		t.Fatalf("%v %v", out, err)
	}
	for _, c := range out {
		m := c.(map[string]any)
		if m["uri"] == nil || m["headers"].(map[string]any)["x-a"] == nil {
			t.Fatalf("condition %v lacks the fault's match", m)
		}
	}
	if _, err := mergeMatch([]any{map[string]any{"uri": map[string]any{"exact": "/x"}}}, f); err == nil {
		t.Fatal("a route matching on its path was narrowed")
	}
}
