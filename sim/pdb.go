package sim

import (
	"time"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func (s *Sim) createPDB() {
	minAvail := intstr.FromInt32(2)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: meta(Namespace, Target, s.Now().Add(-3*time.Hour), nil),
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvail, Selector: selector(map[string]string{"app": Target})},
	}
	s.mustCreate(pdbGVR, Namespace, pdb)
}

func (s *Sim) updatePDB(now time.Time) {
	obj, err := s.client.Tracker().Get(pdbGVR, Namespace, Target)
	if err != nil {
		return
	}
	pdb := obj.(*policyv1.PodDisruptionBudget)
	var healthy int32
	for _, p := range s.plans() {
		if p.workload == Target && p.servesTraffic(now) {
			healthy++
		}
	}
	allowed := max32(healthy-2, 0)
	if pdb.Status.CurrentHealthy != healthy || pdb.Status.DisruptionsAllowed != allowed {
		pdb.Status = policyv1.PodDisruptionBudgetStatus{CurrentHealthy: healthy, DesiredHealthy: 2, DisruptionsAllowed: allowed}
		_ = s.client.Tracker().Update(pdbGVR, pdb, Namespace)
	}
}
