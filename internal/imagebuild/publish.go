package imagebuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ParseReference parses the IMG the image is pushed to, with a message that
// names the variable people set.
func ParseReference(img string, opts ...name.Option) (name.Reference, error) {
	if img == "" {
		return nil, fmt.Errorf("no image reference: set IMG, e.g. IMG=localhost:5000/railyard:dev")
	}
	ref, err := name.ParseReference(img, opts...)
	if err != nil {
		return nil, fmt.Errorf("IMG %q is not an image reference (want registry/repository:tag, e.g. localhost:5000/railyard:dev): %w", img, err)
	}
	return ref, nil
}

// Push writes the index (and everything it references) to ref, then one SBOM
// artifact per platform that refers to that platform's image, so that
// `crane/oras/cosign` can find the SBOM without pulling layers. Registries
// without the OCI 1.1 referrers API get the referrers tag instead. ctx bounds
// every request; opts add auth or a transport.
func Push(ctx context.Context, ref name.Reference, res *Result, opts ...remote.Option) (v1.Hash, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.WriteIndex(ref, res.Index, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	digest, err := res.Index.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	for plat, img := range res.Images {
		if err := pushSBOM(ref.Context(), img, res.SBOMs[plat], append(opts, remote.WithReferrersTagFallback(true))...); err != nil {
			return v1.Hash{}, fmt.Errorf("pushing the SBOM of %s: %w", plat, err)
		}
	}
	return digest, nil
}

// emptyConfig is the OCI 1.1 empty descriptor's content, the config of an
// artifact that has none.
var emptyConfig = []byte("{}")

const emptyConfigMediaType types.MediaType = "application/vnd.oci.empty.v1+json"

// artifact is an OCI 1.1 artifact manifest: artifactType says what it is,
// subject says which image it describes.
type artifact struct {
	raw []byte
}

func (a artifact) RawManifest() ([]byte, error)        { return a.raw, nil }
func (a artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// sbomArtifact returns the referrer manifest for img's SBOM, its digest and
// its two blobs (the empty config and the document).
func sbomArtifact(img v1.Image, sbom []byte) (artifact, v1.Hash, []v1.Layer, error) {
	cfg := static.NewLayer(emptyConfig, emptyConfigMediaType)
	blob := static.NewLayer(sbom, SBOMMediaType)
	var descs []*v1.Descriptor
	for _, d := range []partial.Describable{img, cfg, blob} {
		desc, err := partial.Descriptor(d)
		if err != nil {
			return artifact{}, v1.Hash{}, nil, err
		}
		descs = append(descs, desc)
	}
	subject, cfgDesc, blobDesc := descs[0], descs[1], descs[2]
	blobDesc.Annotations = map[string]string{"org.opencontainers.image.title": "sbom.spdx.json"}
	raw, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  SBOMMediaType,
		Config:        *cfgDesc,
		Layers:        []v1.Descriptor{*blobDesc},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
	})
	if err != nil {
		return artifact{}, v1.Hash{}, nil, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return artifact{}, v1.Hash{}, nil, err
	}
	return artifact{raw: raw}, h, []v1.Layer{cfg, blob}, nil
}

func pushSBOM(repo name.Repository, img v1.Image, sbom []byte, opts ...remote.Option) error {
	art, digest, blobs, err := sbomArtifact(img, sbom)
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if err := remote.WriteLayer(repo, b, opts...); err != nil {
			return err
		}
	}
	return remote.Put(repo.Digest(digest.String()), art, opts...)
}

// WriteLayout writes an OCI image layout directory whose index.json names
// the image index as refName (e.g. the version), the shape `skopeo copy
// oci:<dir>:<refName>` and `crane push <dir>` expect.
func WriteLayout(dir, refName string, res *Result) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing OCI layout %s: %w", dir, err)
	}
	err = p.AppendIndex(res.Index, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": refName,
	}))
	if err != nil {
		return fmt.Errorf("writing OCI layout %s: %w", dir, err)
	}
	return nil
}
