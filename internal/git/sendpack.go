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

// pushBranches pushes branch updates as go-git's push does, with two
// differences. When every update moves a branch the server already has,
// the objects those branches point to are all it is told it has. go-git
// counts every advertised ref as a "have" and walks everything reachable
// from each before it packs a byte; with a branch per app and Stage in the
// users' one repository, that walk was most of a push. A branch the
// server lacks is packed against every advertised ref, as go-git does, so
// a new branch off main does not send main's history again. And when every
// update says where the caller saw its branch (Expect), over HTTP, the
// ref advertisement is skipped (pushExpected).
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
	key := ep.String()
	if pushed, done, err := pushExpected(ctx, repo, sess, ep.Protocol, key, updates); done {
		return pushed, err
	}
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return false, err
	}
	if ep.String() == key {
		serverCaps.remember(key, ar.Capabilities)
	} else {
		// go-git followed a redirect (a renamed repository) for the
		// advertisement, which it does not for a push's own request.
		serverCaps.indirect(key)
	}
	remoteRefs, err := ar.AllReferences()
	if err != nil {
		return false, err
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	var wants, olds []plumbing.Hash
	created := false
	for _, u := range updates {
		local, err := localCommit(repo, u)
		if err != nil {
			return false, fmt.Errorf("push %s: %w", u.Local, err)
		}
		var old plumbing.Hash
		if ref, err := remoteRefs.Reference(u.Remote); err == nil {
			old = ref.Hash()
		} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return false, err
		}
		if old == local {
			continue
		}
		if !old.IsZero() && !u.Force && !isAncestorIn(repo, old, local) {
			return false, fmt.Errorf("non-fast-forward update: %s", u.Remote)
		}
		req.Commands = append(req.Commands, &packp.Command{Name: u.Remote, Old: old, New: local})
		wants = append(wants, local)
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
	if err := sendPack(ctx, repo, sess, req, wants, haves, ar.Capabilities); err != nil {
		return false, err
	}
	trackPushed(repo, req)
	return true, nil
}

// pushExpected pushes updates without asking the server for its refs
// first, when that is safe: over smart HTTP (stateless: a request carries
// the old and new value of each ref, and the server applies it only if
// the ref still holds the old one), with the server's capabilities known
// from an earlier push, and when every update moves an existing branch
// forward from its Expect or creates a branch with a root commit. done is
// false when it did not apply or the server refused: the caller then
// pushes after the advertisement as before, which also tells a race from a
// refusal. A promotion's push is
// then one request instead of two.
func pushExpected(ctx context.Context, repo *gogit.Repository, sess transport.ReceivePackSession, protocol, endpoint string,
	updates []RefUpdate) (pushed, done bool, err error) {
	if protocol != "http" && protocol != "https" {
		return false, false, nil
	}
	caps := serverCaps.get(endpoint)
	if caps == nil {
		return false, false, nil
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(caps)
	var wants, haves []plumbing.Hash
	for _, u := range updates {
		if u.Force {
			return false, false, nil
		}
		local, err := localCommit(repo, u)
		if err != nil {
			return false, false, nil
		}
		if u.Expect.IsZero() {
			// A root commit (the first commit of a branch made as an
			// orphan, as git-clone's create does) can only create its
			// branch: it is sent whole, and if the branch exists the server
			// refuses to create it, and the advertisement decides.
			if !u.Remote.IsBranch() || !isRootCommit(repo, local) {
				return false, false, nil
			}
			req.Commands = append(req.Commands, &packp.Command{Name: u.Remote, Old: plumbing.ZeroHash, New: local})
			wants = append(wants, local)
			continue
		}
		if local == u.Expect || !isAncestorIn(repo, u.Expect, local) {
			// Nothing to send, or not a fast-forward: the advertisement
			// decides, as without Expect.
			return false, false, nil
		}
		req.Commands = append(req.Commands, &packp.Command{Name: u.Remote, Old: u.Expect, New: local})
		wants = append(wants, local)
		haves = append(haves, u.Expect)
	}
	err = sendPack(ctx, repo, sess, req, wants, haves, caps)
	switch {
	case err == nil:
		trackPushed(repo, req)
		return true, true, nil
	case ctx.Err() != nil, errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrRepositoryNotFound):
		// Asking for the advertisement would fail the same way.
		return false, true, err
	}
	var refused refusedError
	if !errors.As(err, &refused) {
		// Not the server's report on the refs: a redirect (which go-git
		// follows only for the advertisement) or a server that wants the
		// advertisement first. Ask it from now on.
		serverCaps.indirect(endpoint)
	}
	// Most likely the branch moved since the caller saw it: the
	// advertisement tells a race from a refusal.
	return false, false, nil
}

// localCommit is what u pushes: its Commit, else what its Local ref
// resolves to.
func localCommit(repo *gogit.Repository, u RefUpdate) (plumbing.Hash, error) {
	if !u.Commit.IsZero() {
		return u.Commit, nil
	}
	ref, err := repo.Reference(u.Local, true)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// isRootCommit says whether id is a commit without parents.
func isRootCommit(repo *gogit.Repository, id plumbing.Hash) bool {
	c, err := repo.CommitObject(id)
	return err == nil && len(c.ParentHashes) == 0
}

// refusedError is the server's report that it did not apply a push (a ref
// it did not update, or the pack it could not unpack).
type refusedError struct{ err error }

func (e refusedError) Error() string { return e.err.Error() }
func (e refusedError) Unwrap() error { return e.err }

// sendPack packs what wants need beyond haves and sends it with req.
func sendPack(ctx context.Context, repo *gogit.Repository, sess transport.ReceivePackSession, req *packp.ReferenceUpdateRequest,
	wants, haves []plumbing.Hash, caps *capability.List) error {
	hashes, err := revlist.Objects(repo.Storer, wants, haves)
	if err != nil {
		return err
	}
	cfg, err := repo.Storer.Config()
	if err != nil {
		return err
	}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		enc := packfile.NewEncoder(wr, repo.Storer, !caps.Supports(capability.OFSDelta))
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
		if rs != nil && rs.Error() != nil {
			// go-git returns the server's report as the error.
			return refusedError{err}
		}
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			return refusedError{err}
		}
	}
	return nil
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
