package netsteps

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/railyard-dev/railyard/internal/promotion"
)

type ociPushConfig struct {
	SrcRef                string            `json:"srcRef"`
	DestRef               string            `json:"destRef"`
	Annotations           map[string]string `json:"annotations,omitempty"`
	InsecureSkipTLSVerify bool              `json:"insecureSkipTLSVerify,omitempty"`
}

// OCIPush is the `oci-push` step: it copies an image, an image index (in
// full) or another OCI artifact to destRef, optionally adding annotations.
// Copies between repositories are capped at Options.MaxArtifactBytes of
// compressed content; a retag within one repository transfers no blobs and
// is not capped. Outputs: image (destRef as parsed), digest and tag.
type OCIPush struct{ opts Options }

// Name implements promotion.Step.
func (*OCIPush) Name() string { return "oci-push" }

// Run implements promotion.Step.
func (s *OCIPush) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg ociPushConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	src, err := parseOCIRef("srcRef", cfg.SrcRef)
	if err != nil {
		return failed(err)
	}
	dst, err := parseOCIRef("destRef", cfg.DestRef)
	if err != nil {
		return failed(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ociTimeout())
	defer cancel()
	srcOpts, err := remoteOptions(ctx, sc, s.opts, src, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return errored(err)
	}
	dstOpts, err := remoteOptions(ctx, sc, s.opts, dst, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return errored(err)
	}
	desc, err := remote.Get(src.ref, srcOpts...)
	if err != nil {
		return errored(ociError(fmt.Sprintf("fetching %s", src.ref), err))
	}
	if src.ref.Context().String() != dst.ref.Context().String() {
		if err := s.checkSize(desc); err != nil {
			return errored(err)
		}
	}
	digest, err := push(desc, dst.ref, scopeAnnotations(cfg.Annotations), dstOpts)
	if err != nil {
		return errored(err)
	}
	tag := ""
	if t, ok := dst.ref.(name.Tag); ok {
		tag = t.TagStr()
	}
	return succeeded(map[string]any{"image": dst.ref.String(), "digest": digest.String(), "tag": tag})
}

// annotationScopes splits Kargo's annotation keys: index:-prefixed keys go
// on an index, manifest:-prefixed and unprefixed keys on image manifests.
type annotationScopes struct{ index, manifest map[string]string }

func scopeAnnotations(in map[string]string) annotationScopes {
	s := annotationScopes{index: map[string]string{}, manifest: map[string]string{}}
	for k, v := range in {
		if rest, ok := strings.CutPrefix(k, "index:"); ok {
			s.index[rest] = v
		} else {
			s.manifest[strings.TrimPrefix(k, "manifest:")] = v
		}
	}
	return s
}

// checkSize refuses a cross-repository copy over the cap, summing the
// config and layer sizes the manifests declare before any blob moves.
func (s *OCIPush) checkSize(desc *remote.Descriptor) error {
	limit := s.opts.maxArtifactBytes()
	if limit < 0 {
		return promotion.Terminalf("copying artifacts between repositories is disabled")
	}
	size, err := artifactSize(desc)
	if err != nil {
		return err
	}
	if size > limit {
		return promotion.Terminalf("compressed artifact size %d bytes exceeds the limit of %d bytes", size, limit)
	}
	return nil
}

func artifactSize(desc *remote.Descriptor) (int64, error) {
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return 0, ociError("reading index", err)
		}
		return indexSize(idx)
	default:
		img, err := desc.Image()
		if err != nil {
			return 0, ociError("reading manifest", err)
		}
		return imageSize(img)
	}
}

func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, ociError("reading manifest", err)
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

func indexSize(idx v1.ImageIndex) (int64, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return 0, ociError("reading index", err)
	}
	var total int64
	for _, d := range im.Manifests {
		var size int64
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return 0, ociError("reading child index", err)
			}
			size, err = indexSize(child)
			if err != nil {
				return 0, err
			}
		} else {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return 0, ociError("reading child manifest", err)
			}
			if size, err = imageSize(img); err != nil {
				return 0, err
			}
		}
		total += size
	}
	return total, nil
}
