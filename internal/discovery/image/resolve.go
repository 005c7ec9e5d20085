package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

const (
	createdAnnotation = "org.opencontainers.image.created"
	maxConfigBytes    = 4 << 20
)

// resolveFirst describes candidates in order until limit images match
// (platform mismatches and vanished tags are skipped), a batch of the
// still-missing count at a time, so a first discovery costs about limit
// manifest requests.
func (d *Discoverer) resolveFirst(ctx context.Context, p *remote.Puller, c *compiled, cands []string) ([]Reference, error) {
	refs := make([]Reference, 0, c.limit)
	for len(cands) > 0 && len(refs) < c.limit {
		n := min(c.limit-len(refs), len(cands))
		batch, err := d.resolveBatch(ctx, p, c, cands[:n])
		if err != nil {
			return nil, err
		}
		refs = append(refs, batch...)
		cands = cands[n:]
	}
	return refs, nil
}

// resolveAll describes every candidate (NewestBuild needs all build times).
func (d *Discoverer) resolveAll(ctx context.Context, p *remote.Puller, c *compiled, cands []string) ([]Reference, error) {
	return d.resolveBatch(ctx, p, c, cands)
}

// resolveByBuildTimes orders candidates by externally known build times
// (newest first, unknown last) and describes only as many as needed.
func (d *Discoverer) resolveByBuildTimes(ctx context.Context, p *remote.Puller, c *compiled, cands []string,
	buildTimes func(context.Context) (map[string]time.Time, error)) ([]Reference, error) {
	times, err := buildTimes(ctx)
	if err != nil {
		return nil, err
	}
	known := make([]Reference, len(cands))
	for i, tag := range cands {
		known[i].Tag = tag
		if t, ok := times[tag]; ok {
			known[i].CreatedAt = &t
		}
	}
	sortByBuildTime(known)
	ordered := make([]string, len(known))
	for i, r := range known {
		ordered[i] = r.Tag
	}
	withTimes := *c
	withTimes.timesKnown = true
	refs, err := d.resolveFirst(ctx, p, &withTimes, ordered)
	if err != nil {
		return nil, err
	}
	for i := range refs {
		if t, ok := times[refs[i].Tag]; ok {
			refs[i].CreatedAt = &t
		}
	}
	return refs, nil
}

// resolveBatch resolves tags concurrently and returns the matching ones in
// input order.
func (d *Discoverer) resolveBatch(ctx context.Context, p *remote.Puller, c *compiled, tags []string) ([]Reference, error) {
	out := make([]Reference, len(tags))
	ok := make([]bool, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.cfg.Concurrency)
	for i, tag := range tags {
		g.Go(func() error {
			var err error
			out[i], ok[i], err = d.resolve(gctx, p, c, tag)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	refs := out[:0]
	for i := range out {
		if ok[i] {
			refs = append(refs, out[i])
		}
	}
	return refs, nil
}

// resolve describes one tag; false means skip it (gone, or wrong platform).
func (d *Discoverer) resolve(ctx context.Context, p *remote.Puller, c *compiled, tag string) (Reference, bool, error) {
	ref := c.repo.Tag(tag)
	digest, meta, err := d.tagManifest(ctx, p, ref, c.byTag)
	if isNotFound(err) {
		return Reference{}, false, nil
	}
	if err != nil {
		return Reference{}, false, classify(fmt.Sprintf("read manifest %s", ref), err)
	}
	return d.describe(ctx, p, c, ref, digest, meta)
}

// describe makes the reference of a tag whose manifest is known, reading
// the platform and build time as c needs them.
func (d *Discoverer) describe(ctx context.Context, p *remote.Puller, c *compiled, ref name.Tag, digest v1.Hash, meta manifestMeta) (Reference, bool, error) {
	tag := ref.TagStr()
	// Every returned reference carries its creation time, as Kargo's do:
	// freightCreationCriteria read it (imageFrom(...).CreatedAt). Reading
	// the config costs a request the first time a digest is seen; the
	// metadata cache answers after that.
	created := meta.created
	needTime := !c.timesKnown && !c.deferTime && (c.strategy == NewestBuild || created == nil)
	if meta.isIndex {
		child, found := v1.Descriptor{}, false
		if c.platform != nil {
			if child, found = c.platform.pickManifest(meta.manifests); !found {
				return Reference{}, false, nil
			}
		} else if needTime && created == nil {
			child, found = representative(meta.manifests)
		}
		if needTime && created == nil && found {
			cm, err := d.imageMeta(ctx, p, c.repo.Digest(child.Digest.String()), true)
			if err != nil && !isNotFound(err) {
				return Reference{}, false, classify(fmt.Sprintf("read manifest %s@%s", c.repo, child.Digest), err)
			}
			created = cm.created
		}
	} else {
		if (c.platform != nil || (needTime && created == nil)) && !meta.configRead {
			var err error
			if meta, err = d.readConfig(ctx, p, c.repo, digest, meta); err != nil {
				return Reference{}, false, classify(fmt.Sprintf("read config of %s", ref), err)
			}
		}
		if c.platform != nil && !c.platform.matches(meta.os, meta.arch, meta.variant) {
			return Reference{}, false, nil
		}
		created = meta.created
	}
	return Reference{
		Tag:         tag,
		Digest:      digest.String(),
		Annotations: maps.Clone(meta.annotations),
		CreatedAt:   created,
	}, true, nil
}

// tagManifest returns the digest and metadata a tag points to. When the
// tag's last digest is known and cached, a HEAD confirms it (no GET), or,
// with byTag, nothing does; an unknown tag costs one GET.
func (d *Discoverer) tagManifest(ctx context.Context, p *remote.Puller, ref name.Tag, byTag bool) (v1.Hash, manifestMeta, error) {
	key := ref.String()
	if last, ok := d.tagDigests.get(key); ok {
		if m, cached := d.metas.get(last); cached {
			if byTag {
				if h, err := v1.NewHash(last); err == nil {
					return h, m, nil
				}
			}
			desc, err := p.Head(ctx, ref)
			switch {
			case err == nil:
				dg := desc.Digest.String()
				d.tagDigests.put(key, dg)
				if m, ok := d.metas.get(dg); ok {
					return desc.Digest, m, nil
				}
				_, m, err := d.fetchManifest(ctx, p, ref.Context().Digest(dg), "")
				return desc.Digest, m, err
			case isNotFound(err):
				return v1.Hash{}, manifestMeta{}, err
			case errors.Is(classify("", err), ErrTransient):
				return v1.Hash{}, manifestMeta{}, err
			}
			// Some registries refuse HEAD; fall back to GET.
		}
	}
	return d.fetchManifest(ctx, p, ref, key)
}

// imageMeta returns the metadata of a manifest by digest, from the cache or
// one GET; withConfig also reads its config (one more GET) if not yet done.
func (d *Discoverer) imageMeta(ctx context.Context, p *remote.Puller, ref name.Digest, withConfig bool) (manifestMeta, error) {
	m, ok := d.metas.get(ref.DigestStr())
	if !ok {
		var err error
		if _, m, err = d.fetchManifest(ctx, p, ref, ""); err != nil {
			return manifestMeta{}, err
		}
	}
	if !withConfig || m.isIndex || m.configRead {
		return m, nil
	}
	h, err := v1.NewHash(ref.DigestStr())
	if err != nil {
		return manifestMeta{}, err
	}
	return d.readConfig(ctx, p, ref.Context(), h, m)
}

// fetchManifest GETs a manifest, caches its metadata by digest and, when
// tagKey is set, remembers the tag's digest.
func (d *Discoverer) fetchManifest(ctx context.Context, p *remote.Puller, ref name.Reference, tagKey string) (v1.Hash, manifestMeta, error) {
	desc, err := p.Get(ctx, ref)
	if err != nil {
		return v1.Hash{}, manifestMeta{}, err
	}
	m, err := parseManifest(desc)
	if err != nil {
		return v1.Hash{}, manifestMeta{}, fmt.Errorf("parse manifest %s: %w", ref, err)
	}
	dg := desc.Digest.String()
	d.metas.put(dg, m)
	if tagKey != "" {
		d.tagDigests.put(tagKey, dg)
	}
	return desc.Digest, m, nil
}

func parseManifest(desc *remote.Descriptor) (manifestMeta, error) {
	var m manifestMeta
	switch {
	case desc.MediaType.IsIndex():
		im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return m, err
		}
		m.isIndex, m.manifests, m.annotations = true, im.Manifests, im.Annotations
	default:
		// Images and other artifacts; a non-image config simply yields no
		// platform, so a platform filter skips it.
		mf, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return m, err
		}
		m.config, m.annotations = mf.Config.Digest, mf.Annotations
	}
	m.created = parseCreated(m.annotations[createdAnnotation])
	return m, nil
}

// readConfig GETs an image's config blob for platform and build time, and
// caches the enriched metadata under the manifest digest.
func (d *Discoverer) readConfig(ctx context.Context, p *remote.Puller, repo name.Repository, manifest v1.Hash, m manifestMeta) (manifestMeta, error) {
	if m.config == (v1.Hash{}) {
		m.configRead = true
		return m, nil
	}
	layer, err := p.Layer(ctx, repo.Digest(m.config.String()))
	if err != nil {
		return m, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return m, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxConfigBytes))
	if err != nil {
		return m, err
	}
	m.configRead = true
	if cfg, err := v1.ParseConfigFile(bytes.NewReader(raw)); err == nil {
		m.os, m.arch, m.variant = cfg.OS, cfg.Architecture, cfg.Variant
		if m.created == nil {
			if !cfg.Created.IsZero() {
				t := cfg.Created.UTC()
				m.created = &t
			} else {
				m.created = parseCreated(cfg.Config.Labels[createdAnnotation])
			}
		}
	}
	d.metas.put(manifest.String(), m)
	return m, nil
}

func parseCreated(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
