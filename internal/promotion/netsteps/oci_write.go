package netsteps

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// push writes desc to dst with the annotations of each scope. Without
// annotations the source manifests are written byte for byte, so the
// digest is the source's.
func push(desc *remote.Descriptor, dst name.Reference, scopes annotationScopes, opts []remote.Option) (v1.Hash, error) {
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return v1.Hash{}, ociError("reading index", err)
		}
		if idx, err = annotateIndex(idx, scopes); err != nil {
			return v1.Hash{}, err
		}
		if err := remote.WriteIndex(dst, idx, opts...); err != nil {
			return v1.Hash{}, ociError(fmt.Sprintf("pushing to %s", dst), err)
		}
		return idx.Digest()
	}
	if !desc.MediaType.IsImage() {
		return v1.Hash{}, promotion.Terminalf("unsupported media type %q", desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		return v1.Hash{}, ociError("reading manifest", err)
	}
	if len(scopes.manifest) > 0 {
		img = mutate.Annotations(img, scopes.manifest).(v1.Image) //nolint:forcetypeassert // an image stays an image
	}
	if err := remote.Write(dst, img, opts...); err != nil {
		return v1.Hash{}, ociError(fmt.Sprintf("pushing to %s", dst), err)
	}
	return img.Digest()
}

// annotateIndex adds the index-scoped annotations to idx and the
// manifest-scoped ones to each image it lists; nested indexes and other
// entries are kept as they are.
func annotateIndex(idx v1.ImageIndex, scopes annotationScopes) (v1.ImageIndex, error) {
	if len(scopes.manifest) > 0 {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, ociError("reading index", err)
		}
		adds := make([]mutate.IndexAddendum, 0, len(im.Manifests))
		for _, d := range im.Manifests {
			var add mutate.Appendable
			if d.MediaType.IsImage() {
				img, err := idx.Image(d.Digest)
				if err != nil {
					return nil, ociError("reading child manifest", err)
				}
				add = mutate.Annotations(img, scopes.manifest).(v1.Image) //nolint:forcetypeassert // an image stays an image
			} else if d.MediaType.IsIndex() {
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return nil, ociError("reading child index", err)
				}
				add = child
			} else {
				return nil, promotion.Terminalf("index lists an entry of unsupported media type %q", d.MediaType)
			}
			keep := v1.Descriptor{Platform: d.Platform, Annotations: d.Annotations, URLs: d.URLs}
			adds = append(adds, mutate.IndexAddendum{Add: add, Descriptor: keep})
		}
		mt, err := idx.MediaType()
		if err != nil {
			return nil, ociError("reading index", err)
		}
		base := mutate.IndexMediaType(empty.Index, mt)
		if im.Annotations != nil {
			base = mutate.Annotations(base, im.Annotations).(v1.ImageIndex) //nolint:forcetypeassert // an index stays an index
		}
		idx = mutate.AppendManifests(base, adds...)
	}
	if len(scopes.index) > 0 {
		idx = mutate.Annotations(idx, scopes.index).(v1.ImageIndex) //nolint:forcetypeassert // an index stays an index
	}
	return idx, nil
}
