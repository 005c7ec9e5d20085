package chart

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/railyard-dev/railyard/internal/cli"
)

// uiValues switches the UI on with config/ui/ui.yaml's settings.
const uiValues = "testdata/ui.yaml"

// The UI is off by default: it cannot start without an OIDC client.
func TestUIOffByDefault(t *testing.T) {
	for _, o := range render(t) {
		if o.GetLabels()["app.kubernetes.io/component"] == "ui" || strings.HasSuffix(o.GetName(), "-ui") {
			t.Errorf("the default values render %s %s", o.GetKind(), o.GetName())
		}
	}
}

// Switching the UI on without what it cannot start without stops helm
// with a message naming the missing value.
func TestUIRequiredValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		set    string
		want   string
	}{
		{"no external URL", nil, "ui.enabled=true,ui.oidc.issuerURL=https://id.example.com,ui.oidc.clientID=railyard", "ui.externalURL is required"},
		{"no issuer", nil, "ui.enabled=true,ui.externalURL=https://r.example.com,ui.oidc.clientID=railyard", "ui.oidc.issuerURL is required"},
		{"no client", nil, "ui.enabled=true,ui.externalURL=https://r.example.com,ui.oidc.issuerURL=https://id.example.com", "ui.oidc.clientID is required"},
		{"an Ingress without a host", []string{uiValues}, "ui.ingress.enabled=true", "ui.ingress.host is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Template(context.Background(), tc.values, "--set", tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template --set %s: %v, want an error saying %q", tc.set, err, tc.want)
			}
		})
	}
}

// What the rendered UI Deployment passes is what 'railyard serve' parses
// (cli.BindServeFlags) and accepts, with the values asked for.
func TestUIArgs(t *testing.T) {
	defaults := cli.ServeOptions{Address: ":8080", Scopes: []string{"openid", "profile", "email", "groups"}, SessionTTL: 8 * time.Hour}
	for _, tc := range []struct {
		name   string
		values []string
		set    []string
		want   func(cli.ServeOptions) cli.ServeOptions
		image  string
		secret string
	}{
		{
			name: "config/ui's settings", values: []string{uiValues},
			want: func(so cli.ServeOptions) cli.ServeOptions {
				so.ExternalURL, so.Issuer, so.ClientID = "https://railyard.example.com", "https://keycloak.example.com/realms/example", "railyard"
				so.UsernameClaim, so.GroupsClaim, so.UsernamePrefix, so.GroupsPrefix = "preferred_username", "groups", "oidc:", "oidc:"
				return so
			},
			image: "ghcr.io/railyard-dev/railyard:0.1.0", secret: "railyard-ui",
		},
		{
			name: "all features", values: []string{allFeatures},
			want: func(so cli.ServeOptions) cli.ServeOptions {
				so.ExternalURL, so.Issuer, so.ClientID = "https://railyard.example.com/", "https://keycloak.example.com/realms/eodhp", "railyard"
				so.Scopes = []string{"openid", "profile", "groups"}
				so.UsernameClaim, so.GroupsClaim, so.UsernamePrefix, so.GroupsPrefix = "preferred_username", "groups", "keycloak:", "keycloak:"
				so.SessionTTL = 12 * time.Hour
				return so
			},
			image: "registry.example.com/platform/railyard-ui:v0.1.0-rc.2", secret: "railyard-ui-oidc",
		},
		{
			name: "the manager's image by default", values: []string{uiValues},
			set: []string{"--set", "image.repository=registry.example.com/railyard,image.tag=v2"},
			want: func(so cli.ServeOptions) cli.ServeOptions {
				so.ExternalURL, so.Issuer, so.ClientID = "https://railyard.example.com", "https://keycloak.example.com/realms/example", "railyard"
				so.UsernameClaim, so.GroupsClaim, so.UsernamePrefix, so.GroupsPrefix = "preferred_username", "groups", "oidc:", "oidc:"
				return so
			},
			image: "registry.example.com/railyard:v2", secret: "railyard-ui",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Template(context.Background(), tc.values, tc.set...)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Objects(out)
			if err != nil {
				t.Fatal(err)
			}
			c, err := UIContainer(objs)
			if err != nil {
				t.Fatal(err)
			}
			if cmd, _, _ := unstructured.NestedStringSlice(c, "command"); !slices.Equal(cmd, []string{"railyard", "serve"}) {
				t.Errorf("command = %q, want railyard serve", cmd)
			}
			args, _, _ := unstructured.NestedStringSlice(c, "args")
			so, err := ParseServeArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want(defaults); !reflect.DeepEqual(*so, want) {
				t.Errorf("serve options:\n got %+v\nwant %+v", *so, want)
			}
			if c["image"] != tc.image {
				t.Errorf("image = %v, want %s", c["image"], tc.image)
			}
			env, _, _ := unstructured.NestedSlice(c, "env")
			for _, e := range env {
				ref, _, _ := unstructured.NestedString(e.(map[string]any), "valueFrom", "secretKeyRef", "name")
				if ref != tc.secret {
					t.Errorf("env %v reads Secret %q, want %q", e, ref, tc.secret)
				}
			}
			// Hardened like the manager: non-root, read-only root filesystem.
			if ro, _, _ := unstructured.NestedBool(c, "securityContext", "readOnlyRootFilesystem"); !ro {
				t.Errorf("the UI's root filesystem is writable: %v", c["securityContext"])
			}
			d := Find(objs, "Deployment", "railyard-ui")
			if nonRoot, _, _ := unstructured.NestedBool(d.Object, "spec", "template", "spec", "securityContext", "runAsNonRoot"); !nonRoot {
				t.Error("the UI pods may run as root")
			}
		})
	}
}

// The chart's UI is config/ui's: the same RBAC (so the two cannot drift),
// ServiceAccount, Service ports, probes, Secret keys and every argument.
func TestUIMatchesConfig(t *testing.T) {
	config := kustomized(t, "ui")
	chart := render(t, uiValues)
	for _, tc := range []struct{ kind, name, field string }{
		{"ClusterRole", "railyard-ui", "rules"},
		{"ClusterRoleBinding", "railyard-ui", "roleRef"},
		{"ClusterRoleBinding", "railyard-ui", "subjects"},
		{"ServiceAccount", "railyard-ui", "kind"},
	} {
		t.Run(tc.kind+" "+tc.field, func(t *testing.T) {
			want, got := Find(config, tc.kind, tc.name), Find(chart, tc.kind, tc.name)
			if want == nil || got == nil {
				t.Fatalf("config/ui or the chart has no %s %s: %v, %v", tc.kind, tc.name, want != nil, got != nil)
			}
			if !reflect.DeepEqual(want.Object[tc.field], got.Object[tc.field]) {
				t.Errorf("%s differs:\nconfig/ui: %s\nchart:     %s", tc.field, toJSON(t, want.Object[tc.field]), toJSON(t, got.Object[tc.field]))
			}
			if got.GetNamespace() != want.GetNamespace() {
				t.Errorf("namespace %q, config/ui's %q", got.GetNamespace(), want.GetNamespace())
			}
		})
	}
	t.Run("Service", func(t *testing.T) {
		want, got := Find(config, "Service", "railyard-ui"), Find(chart, "Service", "railyard-ui")
		if want == nil || got == nil {
			t.Fatalf("config/ui or the chart has no Service railyard-ui: %v, %v", want != nil, got != nil)
		}
		if !reflect.DeepEqual(want.Object["spec"].(map[string]any)["ports"], got.Object["spec"].(map[string]any)["ports"]) {
			t.Errorf("ports differ: config/ui %v, chart %v", want.Object["spec"], got.Object["spec"])
		}
	})
	t.Run("Deployment", func(t *testing.T) {
		want := Find(config, "Deployment", "railyard-ui")
		if want == nil {
			t.Fatal("config/ui has no Deployment railyard-ui")
		}
		wantC := container(t, want)
		gotC, err := UIContainer(chart)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"command", "ports", "livenessProbe", "readinessProbe", "env"} {
			if !reflect.DeepEqual(wantC[f], gotC[f]) {
				t.Errorf("%s differ:\nconfig/ui: %s\nchart:     %s", f, toJSON(t, wantC[f]), toJSON(t, gotC[f]))
			}
		}
		wantArgs, _, _ := unstructured.NestedStringSlice(wantC, "args")
		gotArgs, _, _ := unstructured.NestedStringSlice(gotC, "args")
		for _, a := range wantArgs {
			if !slices.Contains(gotArgs, a) {
				t.Errorf("the chart does not pass %s, which config/ui passes: %q", a, gotArgs)
			}
		}
		for k, v := range wantC["securityContext"].(map[string]any) {
			if !reflect.DeepEqual(gotC["securityContext"].(map[string]any)[k], v) {
				t.Errorf("securityContext.%s differs: config/ui %v, chart %v", k, v, gotC["securityContext"])
			}
		}
	})
}

// With the UI on, the manager's expressions link to it (ctx.uiBaseUrl);
// extraArgs still win, and without the UI there is no link.
func TestManagerLinksToUI(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   string
	}{
		{"no UI", nil, ""},
		{"the UI's external URL", []string{uiValues}, "https://railyard.example.com"},
		{"extraArgs override it", []string{allFeatures}, "https://railyard.example.com/ui"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, err := ManagerArgs(render(t, tc.values...))
			if err != nil {
				t.Fatal(err)
			}
			mf, err := ParseManagerArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			if mf.Options.UIBaseURL != tc.want {
				t.Errorf("--ui-base-url = %q, want %q", mf.Options.UIBaseURL, tc.want)
			}
		})
	}
}
