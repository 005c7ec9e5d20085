package registrytest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageSpec describes a small layer-less OCI image built by NewImage.
type ImageSpec struct {
	// Created is the config "created" time; zero leaves it unset.
	Created time.Time
	// OS, Arch and Variant go into the config (defaults linux/amd64).
	OS, Arch, Variant string
	// Annotations are set on the image manifest, e.g.
	// "org.opencontainers.image.created".
	Annotations map[string]string
	// Labels are set in the config. Images with equal specs are identical
	// (same digest); add a label to make them differ.
	Labels map[string]string
}

// NewImage builds a small OCI image (no layers) from spec.
func NewImage(t testing.TB, spec ImageSpec) v1.Image {
	t.Helper()
	if spec.OS == "" {
		spec.OS = "linux"
	}
	if spec.Arch == "" {
		spec.Arch = "amd64"
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("registrytest: config file: %v", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = spec.OS, spec.Arch, spec.Variant
	cfg.Created = v1.Time{Time: spec.Created}
	cfg.Config.Labels = spec.Labels
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatalf("registrytest: set config: %v", err)
	}
	if len(spec.Annotations) > 0 {
		img = mutate.Annotations(img, spec.Annotations).(v1.Image)
	}
	return img
}

// RandomImage returns a random image with one small layer (random.Image); its
// config has no os/arch or created time.
func RandomImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatalf("registrytest: random image: %v", err)
	}
	return img
}

// NewIndex builds an OCI image index of imgs; each entry's platform is read
// from the image's config. annotations (may be nil) go on the index.
func NewIndex(t testing.TB, annotations map[string]string, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	adds := make([]mutate.IndexAddendum, 0, len(imgs))
	for _, img := range imgs {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("registrytest: config file: %v", err)
		}
		adds = append(adds, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{
				OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant,
			}},
		})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	if len(annotations) > 0 {
		idx = mutate.Annotations(idx, annotations).(v1.ImageIndex)
	}
	return idx
}

// PushImage pushes img as <repo>:<tag> and returns its digest.
func (r *Registry) PushImage(t testing.TB, repo, tag string, img v1.Image) v1.Hash {
	t.Helper()
	ref := r.tagRef(t, repo, tag)
	if err := remote.Write(ref, img, r.setupOptions()...); err != nil {
		t.Fatalf("registrytest: push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("registrytest: digest: %v", err)
	}
	return d
}

// PushIndex pushes idx (and its images) as <repo>:<tag> and returns the index
// digest.
func (r *Registry) PushIndex(t testing.TB, repo, tag string, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	ref := r.tagRef(t, repo, tag)
	if err := remote.WriteIndex(ref, idx, r.setupOptions()...); err != nil {
		t.Fatalf("registrytest: push index %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatalf("registrytest: digest: %v", err)
	}
	return d
}

// PushMany pushes image(i) as <repo>:<tags[i]> for every tag, with a few
// parallel workers and one authenticated connection; use it to fill a
// repository with thousands of tags.
func (r *Registry) PushMany(t testing.TB, repo string, tags []string, image func(i int) v1.Image) {
	t.Helper()
	pusher, err := remote.NewPusher(r.setupOptions()...)
	if err != nil {
		t.Fatalf("registrytest: pusher: %v", err)
	}
	ctx := context.Background()
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				ref := r.tagRef(t, repo, tags[i])
				if err := pusher.Push(ctx, ref, image(i)); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range tags {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("registrytest: push many to %s: %v", repo, err)
	default:
	}
}

// Delete removes <repo>:<tag> (the manifest the tag points to).
func (r *Registry) Delete(t testing.TB, repo, tag string) {
	t.Helper()
	if err := remote.Delete(r.tagRef(t, repo, tag), r.setupOptions()...); err != nil {
		t.Fatalf("registrytest: delete %s:%s: %v", repo, tag, err)
	}
}

func (r *Registry) tagRef(t testing.TB, repo, tag string) name.Tag {
	t.Helper()
	ref, err := name.NewTag(r.Repo(repo)+":"+tag, name.Insecure)
	if err != nil {
		t.Fatalf("registrytest: reference %s:%s: %v", repo, tag, err)
	}
	return ref
}

func (r *Registry) setupOptions() []remote.Option {
	return []remote.Option{remote.WithTransport(r.setupRT)}
}
