package reconcilehelp

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func testScheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return scheme
}

// newClient is a fake client holding objs, with Stage and Warehouse status
// as subresources (as the CRDs declare), and funcs intercepting calls.
func newClient(t testing.TB, funcs interceptor.Funcs, objs ...client.Object) client.WithWatch {
	t.Helper()
	return fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(objs...).
		WithStatusSubresource(&railyard.Stage{}, &railyard.Warehouse{}).
		WithInterceptorFuncs(funcs).
		Build()
}

func stage(name string) *railyard.Stage {
	return &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Generation: 3}}
}
