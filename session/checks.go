package session

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
)

// CheckWhere says what is wrong with where the session points, once its cluster source has synced: a
// namespace that does not exist, a target that is not in it ("" when all is well). On a real cluster
// an informer on a missing namespace lists nothing and says nothing, so it asks the API.
func (s *Session) CheckWhere(ctx context.Context) string {
	ns, target := s.Namespace(), s.Target()
	if ns != "" && s.Env.Client != nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := s.Env.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return fmt.Sprintf("namespace %q does not exist: nothing to watch or act on and the graphs have no data (:ns NAME)", ns)
		}
	}
	if target == "" {
		return ""
	}
	found := false
	s.Store(func(c *model.Cluster) { found = c.Deployment(ns, target) != nil })
	if !found {
		return fmt.Sprintf("deploy/%s not found in namespace %q: the graphs have no data for it and load is refused (:target picks one)", target, ns)
	}
	return ""
}

// CheckPermissions asks which actions the identity may run in the session's namespace.
func (s *Session) CheckPermissions(ctx context.Context, namespace string) (actions.Permissions, error) {
	if s.Env.Client == nil {
		return nil, nil
	}
	perms, err := s.Env.CheckPermissions(ctx, namespace)
	s.Bus.Publish(KindPerms, actions.PermissionsAnswer{Namespace: namespace, Perms: perms, Err: model.ErrText(err)})
	return perms, err
}
