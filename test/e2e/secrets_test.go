package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

// Known secret values: the workflow's git server and registry demand them,
// and the workflow ends by checking that none was ever shown.
const (
	gitUser          = "ci-bot"
	gitPassword      = "git-s3cret-Qz7vXw"
	registryUser     = "ci-pull"
	registryPassword = "reg-s3cret-Lp4nTy"
)

// credentialSecrets are the project's credentials for the git repository
// and the image repository, as a platform team stores them.
func credentialSecrets(gitURL, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: gitops-repo
  namespace: %[1]s
  labels:
    railyard.dev/cred-type: git
stringData:
  repoURL: %[2]s
  username: %[3]s
  password: %[4]s
---
apiVersion: v1
kind: Secret
metadata:
  name: image-repo
  namespace: %[1]s
  labels:
    kargo.akuity.io/cred-type: image
stringData:
  repoURL: %[5]s
  username: %[6]s
  password: %[7]s
`, ns, gitURL, gitUser, gitPassword, image, registryUser, registryPassword)
}

// scannedKinds are every kind whose objects the scan reads, whole.
var scannedKinds = []schema.GroupVersionKind{
	railyard.GroupVersion.WithKind("Project"),
	railyard.GroupVersion.WithKind("ProjectConfig"),
	railyard.GroupVersion.WithKind("Warehouse"),
	railyard.GroupVersion.WithKind("Freight"),
	railyard.GroupVersion.WithKind("Stage"),
	railyard.GroupVersion.WithKind("Promotion"),
	railyard.GroupVersion.WithKind("PromotionTask"),
	argocd.GroupVersion.WithKind("Application"),
	{Group: "events.k8s.io", Version: "v1", Kind: "Event"},
	{Version: "v1", Kind: "Event"},
}

// noSecretsShown checks the manager's logs, every Event and every
// Railyard and Argo CD object (status included) for the secret values.
func noSecretsShown(w *world) {
	ctx := context.Background()
	where := map[string]string{"manager logs": managerLog.String()}
	for _, gvk := range scannedKinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := w.env.Client.List(ctx, list, client.InNamespace("")); err != nil {
			w.t.Fatalf("listing %s: %v", gvk.Kind, err)
		}
		if len(list.Items) == 0 && gvk.Group != "events.k8s.io" && gvk.Kind != "Event" && gvk.Kind != "PromotionTask" {
			w.t.Errorf("no %s to scan: the scan would prove nothing", gvk.Kind)
		}
		for _, item := range list.Items {
			raw, err := json.Marshal(item.Object)
			if err != nil {
				w.t.Fatal(err)
			}
			where[gvk.Kind+" "+item.GetNamespace()+"/"+item.GetName()] = string(raw)
		}
	}
	if !strings.Contains(where["manager logs"], "controller") {
		w.t.Error("the manager's logs were not captured: the scan would prove nothing")
	}
	for name, text := range where {
		for _, secret := range []string{gitPassword, registryPassword} {
			if i := strings.Index(text, secret); i >= 0 {
				from, to := max(0, i-200), min(len(text), i+len(secret)+50)
				w.t.Errorf("%s shows a secret: ...%s...", name, text[from:to])
			}
		}
	}
}
