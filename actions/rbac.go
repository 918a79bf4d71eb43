package actions

import (
	"context"
	"fmt"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Permission says whether the identity may run an action, and if not, why.
type Permission struct {
	Allowed bool
	Reason  string
}

// Permissions by permission name (Spec.Perm): kill, scale, restart, cordon, drain.
type Permissions map[string]Permission

// PermissionsAnswer is what the identity may do in a namespace, as an event.
type PermissionsAnswer struct {
	Namespace string
	Perms     Permissions
	Err       string `json:"err,omitempty"`
}

// CheckPermissions asks the API server (SelfSubjectAccessReview) which actions the identity may run
// in namespace, before any key is pressed.
func (e *Env) CheckPermissions(ctx context.Context, namespace string) (Permissions, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	out := Permissions{}
	for action, checks := range accessChecks() {
		p := Permission{Allowed: true}
		for _, c := range checks {
			attrs := c
			if c.Resource != "nodes" {
				attrs.Namespace = namespace
			}
			r, err := e.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
				&authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}, metav1.CreateOptions{})
			if err != nil {
				return nil, fmt.Errorf("checking permissions: %w", err)
			}
			if !r.Status.Allowed {
				res := attrs.Resource
				if attrs.Subresource != "" {
					res += "/" + attrs.Subresource
				}
				where := "cluster-wide"
				if attrs.Namespace != "" {
					where = "in " + attrs.Namespace
				}
				p = Permission{Reason: fmt.Sprintf("forbidden: this identity cannot %s %s %s", attrs.Verb, res, where)}
				break
			}
		}
		out[action] = p
	}
	return out, nil
}
