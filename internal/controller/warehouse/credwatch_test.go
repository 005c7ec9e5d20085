package warehouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// A change to a credentials Secret makes the Warehouses of its namespace
// discover at once. The interval is a day and no refresh is asked for, so
// only the Secret watch can explain the second discovery finding the tag
// pushed after the first.
func TestCredentialSecretChangeRediscovers(t *testing.T) {
	for _, label := range []string{railyard.LabelCredType, railyard.LabelKargoCredType} {
		t.Run(label, func(t *testing.T) {
			ns := newNamespace(t)
			reg := registrytest.New(t, registrytest.WithBasicAuth("puller", "pw"))
			reg.PushImage(t, "app", "1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "amd64", Created: base}))
			secret := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "registry", Labels: map[string]string{label: railyard.CredTypeImage}},
				StringData: map[string]string{"repoURL": reg.Repo("app"), "username": "puller", "password": "pw"},
			}
			create(t, secret)
			create(t, &railyard.Warehouse{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "daily"},
				Spec: railyard.WarehouseSpec{
					Interval:      &metav1.Duration{Duration: 24 * time.Hour},
					Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}},
				},
			})
			waitTag(t, ns, "daily", "1.0.0")

			reg.PushImage(t, "app", "1.1.0", registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "amd64", Created: base.Add(time.Hour)}))
			// Rotating the password to the same value is still a write.
			eventually(t, func() error {
				cur := &corev1.Secret{}
				if err := k.Get(context.Background(), client.ObjectKeyFromObject(secret), cur); err != nil {
					return err
				}
				cur.StringData = map[string]string{"password": "pw"}
				metav1.SetMetaDataAnnotation(&cur.ObjectMeta, "rotated", "1")
				return k.Update(context.Background(), cur)
			})
			waitTag(t, ns, "daily", "1.1.0")
		})
	}
}

// waitTag waits until the Warehouse's newest discovered tag is tag.
func waitTag(t *testing.T, ns, name, tag string) {
	t.Helper()
	eventually(t, func() error {
		w := getWarehouse(t, ns, name)
		a := w.Status.DiscoveredArtifacts
		if a == nil || len(a.Images) == 0 || len(a.Images[0].References) == 0 {
			return fmt.Errorf("nothing discovered yet; conditions %+v", w.Status.Conditions)
		}
		if got := a.Images[0].References[0].Tag; got != tag {
			return fmt.Errorf("newest tag %s, want %s", got, tag)
		}
		return nil
	})
}
