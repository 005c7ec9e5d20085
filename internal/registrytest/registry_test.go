package registrytest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func listTags(t *testing.T, reg *Registry, repo string, opts ...remote.Option) ([]string, error) {
	t.Helper()
	r, err := name.NewRepository(reg.Repo(repo), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, remote.WithTransport(reg.Client().Transport))
	return remote.List(r, opts...)
}

func TestTagListingPagesWithLink(t *testing.T) {
	reg := New(t)
	tags := make([]string, 25)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%02d", i)
	}
	img := NewImage(t, ImageSpec{})
	reg.PushMany(t, "app", tags, func(int) v1.Image { return img })
	if got := reg.Counts(); got.Total() != 0 {
		t.Fatalf("setup requests were counted: %+v", got)
	}

	for _, tc := range []struct {
		pageSize, wantPages int
	}{{10, 3}, {25, 1}, {5, 5}, {1000, 1}} {
		reg.ResetCounts()
		got, err := listTags(t, reg, "app", remote.WithPageSize(tc.pageSize))
		if err != nil {
			t.Fatalf("page size %d: %v", tc.pageSize, err)
		}
		if !slices.Equal(got, tags) {
			t.Errorf("page size %d: got %d tags %v", tc.pageSize, len(got), got)
		}
		if c := reg.Counts(); c.TagsList != tc.wantPages {
			t.Errorf("page size %d: %d tags/list requests, want %d", tc.pageSize, c.TagsList, tc.wantPages)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	reg := New(t, WithBasicAuth("alice", "s3cret"))
	reg.PushImage(t, "app", "v1", RandomImage(t))
	if _, err := listTags(t, reg, "app"); err == nil {
		t.Fatal("anonymous listing succeeded, want 401")
	}
	if reg.Counts().Unauthorized == 0 {
		t.Error("no unauthorized request counted")
	}
	got, err := listTags(t, reg, "app", remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"v1"}) {
		t.Errorf("tags = %v", got)
	}
}

func TestInjectErrors(t *testing.T) {
	reg := New(t, WithTLS())
	reg.InjectErrors(http.StatusTooManyRequests, 2, "3")
	client := reg.Client()
	var statuses []int
	for range 3 {
		resp, err := client.Get(reg.URL + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
	}
	if want := []int{429, 429, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	if c := reg.Counts(); c.Ping != 3 || c.Injected != 2 {
		t.Errorf("counts = %+v", c)
	}
}

func TestCountsByKind(t *testing.T) {
	reg := New(t)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	amd := NewImage(t, ImageSpec{Created: created})
	arm := NewImage(t, ImageSpec{Created: created, Arch: "arm64", Variant: "v8"})
	reg.PushIndex(t, "app", "multi", NewIndex(t, nil, amd, arm))

	ref, err := name.NewTag(reg.Repo("app")+":multi", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{remote.WithTransport(reg.Client().Transport), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"})}
	if _, err := remote.Head(ref, opts...); err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != "arm64" || !cfg.Created.Equal(created) {
		t.Errorf("config = %s %v", cfg.Architecture, cfg.Created)
	}
	c := reg.Counts()
	// index GET + arm64 manifest GET; one config blob GET.
	if c.ManifestHead != 1 || c.ManifestGet != 2 || c.BlobGet != 1 {
		t.Errorf("counts = %+v", c)
	}
}
