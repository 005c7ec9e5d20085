package ecr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/ecr/ecrtest"
)

// images returns n tagged images pushed one minute apart, plus an untagged
// one that listings must skip.
func images(n int) []ecrtest.Image {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	out := []ecrtest.Image{{Digest: "sha256:untagged", PushedAt: base}}
	for i := range n {
		out = append(out, ecrtest.Image{
			Digest:    fmt.Sprintf("sha256:%064x", i),
			Tags:      []string{fmt.Sprintf("v1.0.%d", i)},
			PushedAt:  base.Add(time.Duration(i) * time.Minute),
			MediaType: "application/vnd.oci.image.manifest.v1+json",
			SizeBytes: int64(1000 + i),
		})
	}
	return out
}

// TestPushTimesPaginates runs the SDK's DescribeImages paginator against the
// local ECR stand-in (the real ECR API cannot be reached from tests).
func TestPushTimesPaginates(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{})
	imgs := images(2500)
	imgs[7].Tags = append(imgs[7].Tags, "latest", "stable")
	srv.SetImages("team/app", imgs)

	times, err := p.PushTimes(t.Context(), srv.RepoURL("team/app"), staticCreds(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls(ecrtest.OpDescribeImages); n != 3 {
		t.Fatalf("DescribeImages calls = %d, want 3 for 2,500 images", n)
	}
	if len(times) != 2502 {
		t.Fatalf("got %d tags, want 2,500 + latest + stable", len(times))
	}
	for _, tag := range []string{"v1.0.0", "v1.0.999", "v1.0.1000", "v1.0.2499", "latest"} {
		var want time.Time
		for _, img := range imgs {
			for _, t := range img.Tags {
				if t == tag {
					want = img.PushedAt
				}
			}
		}
		if got := times[tag]; !got.Equal(want) {
			t.Errorf("push time of %s = %v, want %v", tag, got, want)
		}
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 0 {
		t.Errorf("listing fetched %d registry tokens; it needs none", n)
	}
}

func TestListImages(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{})
	srv.SetImages("app", images(3))
	list, err := p.ListImages(t.Context(), srv.RepoURL("app"), staticCreds(t))
	if err != nil {
		t.Fatal(err)
	}
	if list.Calls != 1 || list.Truncated || len(list.Images) != 3 {
		t.Fatalf("list = %d images, %d calls, truncated %v; want 3, 1, false", len(list.Images), list.Calls, list.Truncated)
	}
	got, want := list.Images[2], images(3)[3]
	if got.Digest != want.Digest || got.Tags[0] != want.Tags[0] || !got.PushedAt.Equal(want.PushedAt) ||
		got.ManifestMediaType != want.MediaType || got.SizeBytes != want.SizeBytes {
		t.Errorf("image = %+v, want %+v", got, want)
	}
}

func TestListImagesTruncatesAtMaxImages(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{MaxImages: 1500})
	srv.SetImages("app", images(2500))
	list, err := p.ListImages(t.Context(), srv.RepoURL("app"), staticCreds(t))
	if err != nil {
		t.Fatal(err)
	}
	if !list.Truncated || list.Calls != 2 || len(list.Images) != 2000 {
		t.Fatalf("list = %d images, %d calls, truncated %v; want 2000, 2, true", len(list.Images), list.Calls, list.Truncated)
	}
}

func TestListImagesErrors(t *testing.T) {
	tests := []struct {
		name    string
		repo    string // appended to the stand-in's registry; "" keeps "app"
		repoURL string // overrides the URL entirely
		fail    *ecrtest.Failure
		want    error
	}{
		{name: "registry without repository", repoURL: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", want: ErrInvalidConfig},
		{name: "public ECR", repoURL: "public.ecr.aws/org/app", want: ErrInvalidConfig},
		{name: "missing repository", repo: "nope", want: ErrNotFound},
		{name: "throttled", fail: &ecrtest.Failure{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}, want: ErrTransient},
		{name: "too many requests", fail: &ecrtest.Failure{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException"}, want: ErrTransient},
		{name: "unavailable", fail: &ecrtest.Failure{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable"}, want: ErrTransient},
		{name: "denied", fail: &ecrtest.Failure{Status: http.StatusBadRequest, Code: "AccessDeniedException",
			Message: "not authorized to perform ecr:DescribeImages with " + testSecret}, want: ErrAccessDenied},
		{name: "invalid parameter", fail: &ecrtest.Failure{Status: http.StatusBadRequest, Code: "InvalidParameterException"}, want: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, p := standIn(t, newClock(), Options{})
			srv.SetImages("app", images(2))
			repoURL := tt.repoURL
			if repoURL == "" {
				repo := tt.repo
				if repo == "" {
					repo = "app"
				}
				repoURL = srv.RepoURL(repo)
			}
			if tt.fail != nil {
				srv.FailNext(ecrtest.OpDescribeImages, *tt.fail)
			}
			_, err := p.PushTimes(t.Context(), repoURL, staticCreds(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			assertNoSecret(t, err)
		})
	}
}
