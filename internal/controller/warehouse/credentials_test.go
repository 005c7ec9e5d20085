package warehouse

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	"github.com/railyard-dev/railyard/internal/ecr"
	"github.com/railyard-dev/railyard/internal/ecr/ecrtest"
)

// Private ECR: a Secret with AWS keys yields a registry token and, for
// NewestBuild, push times from DescribeImages. The ECR API is the local
// stand-in from package ecrtest, reached through the SDK's endpoint setting
// (internal/ecr Options.Endpoint), because AWS cannot be reached in tests.
// Pulling from the ECR registry host itself is not exercised here.
func TestImageCredentialsPrivateECR(t *testing.T) {
	srv := ecrtest.New(t, ecrtest.WithAccessKey("AKIATEST", "secret-key"))
	pushed := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv.SetImages("app", []ecrtest.Image{{Digest: "sha256:aa", Tags: []string{"v1"}, PushedAt: pushed}})
	provider, err := ecr.New(ecr.Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	repoURL := srv.RepoURL("app")

	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "ecr", Labels: map[string]string{railyard.LabelCredType: "image"}},
		Data: map[string][]byte{"repoURL": []byte(repoURL), "awsAccessKeyID": []byte("AKIATEST"),
			"awsSecretAccessKey": []byte("secret-key"), "awsRegion": []byte(srv.Region)},
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(sec).Build()
	r := New(c, c, nil, Options{ECR: provider})

	opts := image.Options{RepoURL: repoURL, Strategy: image.NewestBuild}
	if err := r.imageCredentials(context.Background(), "demo", &opts); err != nil {
		t.Fatal(err)
	}
	ac, err := authn.Authorization(context.Background(), opts.Authenticator)
	if err != nil || ac.Username != "AWS" || ac.Password != ecrtest.Password(1) {
		t.Fatalf("authorization = %+v, %v; want the stand-in's first token", ac, err)
	}
	if opts.BuildTimes == nil {
		t.Fatal("NewestBuild on private ECR must take push times from DescribeImages")
	}
	times, err := opts.BuildTimes(context.Background())
	if err != nil || !times["v1"].Equal(pushed) {
		t.Fatalf("push times = %v, %v", times, err)
	}
	if srv.Calls(ecrtest.OpDescribeImages) != 1 {
		t.Errorf("DescribeImages calls = %d, want 1", srv.Calls(ecrtest.OpDescribeImages))
	}

	// AWS keys for a repository that is not private ECR are a Secret problem.
	sec2 := sec.DeepCopy()
	sec2.Name, sec2.ResourceVersion = "wrong", ""
	sec2.Data["repoURL"] = []byte("ghcr.io/org/app")
	if err := c.Create(context.Background(), sec2); err != nil {
		t.Fatal(err)
	}
	other := image.Options{RepoURL: "ghcr.io/org/app"}
	if err := r.imageCredentials(context.Background(), "demo", &other); !errors.Is(err, credentials.ErrInvalidSecret) || !needsChange(err) {
		t.Fatalf("AWS keys for ghcr.io: %v, want ErrInvalidSecret", err)
	}
}
