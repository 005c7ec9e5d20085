package git

import (
	"context"
	"errors"
	"fmt"
	"io"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/revlist"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// pushBranches pushes branch updates as go-git's push does, with one
// difference: when every update moves a branch the server already has,
// the objects those branches point to are all it is told it has. go-git
// counts every advertised ref as a "have" and walks everything reachable
// from each before it packs a byte; with a branch per app and Stage in the
// users' one repository, that walk was most of a push. A branch the
// server lacks is packed against every advertised ref, as go-git does, so
// a new branch off main does not send main's history again.
func pushBranches(ctx context.Context, repo *gogit.Repository, rem *remote, proxy transport.ProxyOptions, updates []RefUpdate) (bool, error) {
	ep, err := transport.NewEndpoint(rem.url)
	if err != nil {
		return false, err
	}
	ep.InsecureSkipTLS = rem.insecure
	ep.Proxy = proxy
	c, err := client.NewClient(ep)
	if err != nil {
		return false, err
	}
	sess, err := c.NewReceivePackSession(ep, rem.auth)
	if err != nil {
		return false, err
	}
	defer func() { _ = sess.Close() }()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return false, err
	}
	remoteRefs, err := ar.AllReferences()
	if err != nil {
		return false, err
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	var wants, olds []plumbing.Hash
	created := false
	for _, u := range updates {
		local, err := repo.Reference(u.Local, true)
		if err != nil {
			return false, fmt.Errorf("push %s: %w", u.Local, err)
		}
		var old plumbing.Hash
		if ref, err := remoteRefs.Reference(u.Remote); err == nil {
			old = ref.Hash()
		} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return false, err
		}
		if old == local.Hash() {
			continue
		}
		if !old.IsZero() && !u.Force && !isAncestorIn(repo, old, local.Hash()) {
			return false, fmt.Errorf("non-fast-forward update: %s", u.Remote)
		}
		req.Commands = append(req.Commands, &packp.Command{Name: u.Remote, Old: old, New: local.Hash()})
		wants = append(wants, local.Hash())
		if old.IsZero() {
			created = true
		} else {
			olds = append(olds, old)
		}
	}
	if len(req.Commands) == 0 {
		return false, nil
	}
	haves := olds
	if created {
		if haves, err = advertisedHashes(remoteRefs); err != nil {
			return false, err
		}
	}
	hashes, err := revlist.Objects(repo.Storer, wants, haves)
	if err != nil {
		return false, err
	}
	cfg, err := repo.Storer.Config()
	if err != nil {
		return false, err
	}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		enc := packfile.NewEncoder(wr, repo.Storer, !ar.Capabilities.Supports(capability.OFSDelta))
		_, err := enc.Encode(hashes, cfg.Pack.Window)
		if err != nil {
			done <- wr.CloseWithError(err)
			return
		}
		done <- wr.Close()
	}()
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		_ = rd.Close()
		// The encoder stops on the closed pipe; anything else it met
		// is worth saying too.
		if encErr := <-done; encErr != nil && !errors.Is(encErr, io.ErrClosedPipe) {
			err = errors.Join(err, encErr)
		}
		return false, err
	}
	if err := <-done; err != nil {
		return false, err
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			return false, err
		}
	}
	trackPushed(repo, req)
	return true, nil
}

func advertisedHashes(refs storer.ReferenceStorer) ([]plumbing.Hash, error) {
	iter, err := refs.IterReferences()
	if err != nil {
		return nil, err
	}
	var out []plumbing.Hash
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			out = append(out, ref.Hash())
		}
		return nil
	})
	return out, err
}

// trackPushed moves the origin remote-tracking refs of the pushed branches,
// as go-git's push does.
func trackPushed(repo *gogit.Repository, req *packp.ReferenceUpdateRequest) {
	origin, err := repo.Remote("origin")
	if err != nil {
		return
	}
	for _, spec := range origin.Config().Fetch {
		for _, c := range req.Commands {
			if spec.Match(c.Name) {
				_ = repo.Storer.SetReference(plumbing.NewHashReference(spec.Dst(c.Name), c.New))
			}
		}
	}
}
