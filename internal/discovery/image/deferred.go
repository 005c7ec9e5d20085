package image

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Rest is what a deferred discovery (Options.Defer) left to do: the newest
// reference's build time and the other references up to the limit.
type Rest struct {
	d     *Discoverer
	p     *remote.Puller
	c     *compiled
	first Reference
	cands []string // the candidates after first, in order
	res   Result
}

// deferrable says whether a discovery can return after its newest
// reference: orders that need every build time (NewestBuild) or follow
// one tag (Digest) gain nothing.
func (c *compiled) deferrable(o Options) bool {
	return o.Defer && (c.strategy == SemVer || c.strategy == Lexical)
}

// resolveNewest describes candidates one at a time until one matches and
// returns it with what is left for Rest; the build time is not read. No
// match means there is nothing to defer (Result.Rest nil).
func (d *Discoverer) resolveNewest(ctx context.Context, p *remote.Puller, c *compiled, cands []string, res Result) (Result, error) {
	now := *c
	now.deferTime = true
	for i, tag := range cands {
		ref, ok, err := d.resolve(ctx, p, &now, tag)
		if err != nil {
			return Result{}, err
		}
		if ok {
			res.References = []Reference{ref}
			res.Rest = &Rest{d: d, p: p, c: c, first: ref, cands: cands[i+1:], res: res}
			return res, nil
		}
	}
	return res, nil
}

// Finish completes the discovery with its requests at low priority on the
// registry's rate limit and returns what Discover without Defer would
// have: the newest reference with its build time, then the next ones.
func (r *Rest) Finish(ctx context.Context) (Result, error) {
	ctx = LowPriority(ctx)
	first := r.first
	if first.CreatedAt == nil {
		digest, err := v1.NewHash(first.Digest)
		if err != nil {
			return Result{}, fmt.Errorf("digest of %s: %w", first.Tag, err)
		}
		meta, err := r.d.imageMeta(ctx, r.p, r.c.repo.Digest(first.Digest), false)
		if err != nil {
			return Result{}, classify(fmt.Sprintf("read manifest %s@%s", r.c.repo, first.Digest), err)
		}
		ref, ok, err := r.d.describe(ctx, r.p, r.c, r.c.repo.Tag(first.Tag), digest, meta)
		if err != nil {
			return Result{}, err
		}
		if ok {
			first.CreatedAt = ref.CreatedAt
		}
	}
	res := r.res
	res.Rest = nil
	res.References = []Reference{first}
	if r.c.limit > 1 && len(r.cands) > 0 {
		more := *r.c
		more.limit--
		refs, err := r.d.resolveFirst(ctx, r.p, &more, r.cands)
		if err != nil {
			return Result{}, err
		}
		res.References = append(res.References, refs...)
	}
	return res, nil
}
