// Package kube is how the UI talks to the API server on a person's behalf.
// Writes go through a client that impersonates the person (user and groups
// with configurable prefixes), so Kubernetes RBAC and admission decide; the
// server never writes with its own rights. Reads come from the server's
// watch-backed cache, but only after a SubjectAccessReview, cached briefly,
// says the person may read that resource in that namespace.
package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// Config configures Access.
type Config struct {
	// Base reaches the API server as the UI server itself (its
	// ServiceAccount, or in loopback mode the local kubeconfig).
	Base *rest.Config
	// Scheme and Mapper are shared by every client.
	Scheme *runtime.Scheme
	Mapper meta.RESTMapper
	// UserPrefix and GroupPrefix are put before the OIDC user name and
	// groups, as kube-apiserver's --oidc-username-prefix and
	// --oidc-groups-prefix do (for example "oidc:").
	UserPrefix, GroupPrefix string
	// ReviewTTL is how long an access review's answer is reused.
	ReviewTTL time.Duration
	// Timeout bounds every request to the API server.
	Timeout time.Duration
}

// Access builds impersonating clients and answers "may this person read
// that?".
type Access struct {
	cfg  Config
	self client.Client
	now  func() time.Time

	mu      sync.Mutex
	reviews map[string]review
	// local is the kubeconfig's user name in loopback mode, once known.
	local string
}

type review struct {
	allowed bool
	reason  string
	at      time.Time
}

// New returns Access for cfg.
func New(cfg Config) (*Access, error) {
	cfg = withDefaults(cfg)
	base := rest.CopyConfig(cfg.Base)
	base.Timeout = cfg.Timeout
	self, err := client.New(base, client.Options{Scheme: cfg.Scheme, Mapper: cfg.Mapper})
	if err != nil {
		return nil, fmt.Errorf("creating the UI's client: %w", err)
	}
	return newAccess(cfg, self), nil
}

func withDefaults(cfg Config) Config {
	if cfg.ReviewTTL <= 0 {
		cfg.ReviewTTL = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return cfg
}

// newAccess is New with the server's own client given (tests).
func newAccess(cfg Config, self client.Client) *Access {
	return &Access{cfg: cfg, self: self, now: time.Now, reviews: map[string]review{}}
}

// maxReviews bounds the review cache; past it, expired answers are dropped.
const maxReviews = 10000

// Subject is the user and groups the API server sees for id.
func (a *Access) Subject(id auth.Identity) (string, []string) {
	if id.Local {
		return a.localUser(), nil
	}
	groups := make([]string, 0, len(id.Groups))
	for _, g := range id.Groups {
		groups = append(groups, a.cfg.GroupPrefix+g)
	}
	return a.cfg.UserPrefix + id.User, groups
}

// ClientFor returns a client acting as id: impersonating the person, or in
// loopback mode the local kubeconfig itself.
func (a *Access) ClientFor(id auth.Identity) (client.Client, error) {
	if id.Local {
		return a.self, nil
	}
	cfg := rest.CopyConfig(a.cfg.Base)
	cfg.Timeout = a.cfg.Timeout
	user, groups := a.Subject(id)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	c, err := client.New(cfg, client.Options{Scheme: a.cfg.Scheme, Mapper: a.cfg.Mapper})
	if err != nil {
		return nil, fmt.Errorf("creating a client for %s: %w", user, err)
	}
	return c, nil
}

// Allowed asks the API server whether id may do verb on the Railyard
// resource in namespace ns ("" for cluster scope); answers are reused for
// ReviewTTL.
func (a *Access) Allowed(ctx context.Context, id auth.Identity, verb, resource, ns string) (bool, string, error) {
	return a.AllowedOn(ctx, id, verb, resource, "", ns)
}

// AllowedOn is Allowed for one named object (name "" means any).
func (a *Access) AllowedOn(ctx context.Context, id auth.Identity, verb, resource, name, ns string) (bool, string, error) {
	user, groups := a.Subject(id)
	key := strings.Join([]string{user, strings.Join(sorted(groups), ","), fmt.Sprint(id.Local), verb, resource, name, ns}, "\x00")
	a.mu.Lock()
	r, ok := a.reviews[key]
	a.mu.Unlock()
	if ok && a.now().Sub(r.at) < a.cfg.ReviewTTL {
		return r.allowed, r.reason, nil
	}
	attrs := &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: railyard.GroupVersion.Group, Resource: resource, Name: name}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	var status authorizationv1.SubjectAccessReviewStatus
	if id.Local {
		sar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs}}
		if err := a.self.Create(ctx, sar); err != nil {
			return false, "", fmt.Errorf("asking the API server whether you may %s %s: %w", verb, resource, err)
		}
		status = sar.Status
	} else {
		// kube-apiserver adds system:authenticated to every authenticated
		// (and impersonated) user; the review must see the same groups.
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: append(groups, "system:authenticated"), ResourceAttributes: attrs}}
		if err := a.self.Create(ctx, sar); err != nil {
			return false, "", fmt.Errorf("asking the API server whether %s may %s %s (the UI needs create on subjectaccessreviews): %w", user, verb, resource, err)
		}
		status = sar.Status
	}
	r = review{allowed: status.Allowed && !status.Denied, reason: status.Reason, at: a.now()}
	a.mu.Lock()
	if len(a.reviews) >= maxReviews {
		for k, old := range a.reviews {
			if a.now().Sub(old.at) >= a.cfg.ReviewTTL {
				delete(a.reviews, k)
			}
		}
	}
	a.reviews[key] = r
	a.mu.Unlock()
	return r.allowed, r.reason, nil
}

// Check returns a *ForbiddenError unless id may do verb on every resource
// in ns.
func (a *Access) Check(ctx context.Context, id auth.Identity, verb, ns string, resources ...string) error {
	for _, res := range resources {
		ok, _, err := a.Allowed(ctx, id, verb, res, ns)
		if err != nil {
			return err
		}
		if !ok {
			user, _ := a.Subject(id)
			return &ForbiddenError{User: user, Verb: verb, Resource: res, Namespace: ns}
		}
	}
	return nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// localUser is the user the API server knows the local kubeconfig as (a
// SelfSubjectReview, asked once), for messages and the abort actor.
func (a *Access) localUser() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.local != "" {
		return a.local
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	review := &authenticationv1.SelfSubjectReview{}
	if err := a.self.Create(ctx, review); err != nil || review.Status.UserInfo.Username == "" {
		return "your kubeconfig's user"
	}
	a.local = review.Status.UserInfo.Username
	return a.local
}
