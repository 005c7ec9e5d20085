package ui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/testenv"
	"github.com/railyard-dev/railyard/internal/ui"
	"github.com/railyard-dev/railyard/internal/ui/auth"
	"github.com/railyard-dev/railyard/internal/ui/oidctest"
)

// The suite runs one control plane (envtest), one OpenID Provider with the
// two users of the issue, and one UI server acting as its own identity
// "railyard-ui", which may read, review access and impersonate, never
// write. No Railyard controller runs: the tests write what one would.
var (
	env     *testenv.Env
	k8s     client.Client
	uiURL   string
	op      *oidctest.Provider
	logs    = &syncBuffer{}
	testCtx = context.Background()
)

const (
	project = "demo"
	secret  = "secret"
	imgRepo = "registry.example.com/acme/app"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if env, err = testenv.Start(testenv.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client
	ctx, cancel := context.WithCancel(testCtx)
	defer cancel()
	if err := setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "setting up the UI suite:", err)
		return 1
	}
	return m.Run()
}

func setup(ctx context.Context) error {
	// The promote verb is checked by the real admission policy.
	if out, err := env.Kubectl(ctx, nil, "apply", "-f", env.Root+"/config/admission/promote_policy.yaml"); err != nil {
		return fmt.Errorf("applying the promote policy: %w: %s", err, out)
	}
	for _, ns := range []string{project, secret} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
		if err := k8s.Create(ctx, &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	if err := seedRBAC(ctx); err != nil {
		return err
	}
	if err := seedProject(ctx); err != nil {
		return err
	}
	uiConfig, err := installUI(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	uiURL = "http://" + ln.Addr().String()
	op, err = oidctest.Start(uiURL+"/auth/callback",
		oidctest.User{Name: "dev-admin", Groups: []string{"admin"}}, oidctest.User{Name: "dev-viewer"})
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = op.Close() }()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	_, err = ui.Start(ctx, ui.RunOptions{
		Config: uiConfig, Listener: ln, UserPrefix: "oidc:", GroupPrefix: "oidc:",
		Logger: slog.New(slog.NewTextHandler(logs, nil)), SyncTimeout: 30 * time.Second,
		Auth: auth.Config{Issuer: op.Issuer, ClientID: op.ClientID, ClientSecret: op.ClientSecret, ExternalURL: uiURL,
			UsernameClaim: "preferred_username", GroupsClaim: "groups", Key: key},
	})
	return err
}

// installUI applies config/ui (the UI's ServiceAccount, its RBAC and its
// Deployment, which nothing runs here) and returns a config that acts as
// that ServiceAccount, with a token from the TokenRequest API: the suite's
// UI server has exactly the rights an installed one has.
func installUI(ctx context.Context) (*rest.Config, error) {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "railyard-system"}}); err != nil {
		return nil, err
	}
	if out, err := env.Kubectl(ctx, nil, "apply", "-k", env.Root+"/config/ui"); err != nil {
		return nil, fmt.Errorf("applying config/ui: %w: %s", err, out)
	}
	token, err := env.Kubectl(ctx, nil, "create", "token", "railyard-ui", "-n", "railyard-system", "--duration=1h")
	if err != nil {
		return nil, fmt.Errorf("a token for the UI's ServiceAccount: %w", err)
	}
	return &rest.Config{Host: env.Config.Host, BearerToken: strings.TrimSpace(token),
		TLSClientConfig: rest.TLSClientConfig{CAData: env.Config.CAData}}, nil
}

// seedRBAC: group oidc:admin may do anything with Railyard objects;
// oidc:dev-viewer may read stages, freights, promotions and warehouses in
// the demo project only.
func seedRBAC(ctx context.Context) error {
	all := []string{"*"}
	read := []string{"get", "list", "watch"}
	objs := []client.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "railyard-admin"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: all, Verbs: all}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "railyard-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "railyard-admin"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: "oidc:admin"}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "railyard-viewer"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"stages", "freights", "promotions", "warehouses"}, Verbs: read}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: project},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "railyard-viewer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "oidc:dev-viewer"}}},
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// seedProject creates Warehouse app with two discovered tags (a release and
// a dev build), Stages test (direct) and staging (from test), and Freight
// of the release running in test, as the controllers would have left them.
func seedProject(ctx context.Context) error {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	wh := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: project, Name: "app"},
		Spec:       railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: imgRepo}}}},
	}
	if err := k8s.Create(ctx, wh); err != nil {
		return err
	}
	wh.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{
		DiscoveredAt: metav1.Now(),
		Images: []railyard.ImageDiscoveryResult{{RepoURL: imgRepo, References: []railyard.DiscoveredImageReference{
			{Tag: "v1.0.0", Digest: "sha256:" + strings.Repeat("a", 64)},
			{Tag: "dev-abc123", Digest: "sha256:" + strings.Repeat("b", 64)},
		}}},
	}
	if err := k8s.Status().Update(ctx, wh); err != nil {
		return err
	}
	for _, s := range []struct {
		name string
		src  railyard.FreightSources
	}{{"test", railyard.FreightSources{Direct: true}}, {"staging", railyard.FreightSources{Stages: []string{"test"}}}} {
		if err := k8s.Create(ctx, &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: project, Name: s.name},
			Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: s.src}}}}); err != nil {
			return err
		}
	}
	// A Stage in a project dev-viewer may not see.
	return k8s.Create(ctx, &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: secret, Name: "hidden"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: railyard.FreightSources{Direct: true}}}}})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func objectKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
