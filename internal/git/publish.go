package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// RefUpdate is one ref PushRefs sets on the remote.
type RefUpdate struct {
	// Local is the ref of the local repository whose object is pushed.
	Local plumbing.ReferenceName
	// Remote is the ref set on the remote.
	Remote plumbing.ReferenceName
	// Force overwrites Remote whatever it points at, like `git push
	// --force`; without it the server refuses anything but a fast-forward
	// of a branch or the creation of a tag.
	Force bool
}

// PushRefs pushes refs of the repository at dir, and the objects they need,
// to repoURL in one bounded attempt, without any replay: for force pushes
// and tags. It reports false when the remote already had every ref as is.
func PushRefs(ctx context.Context, dir, repoURL string, creds Credentials, updates ...RefUpdate) (bool, error) {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return false, err
	}
	if len(updates) == 0 {
		return false, errors.New("push: no refs to push")
	}
	repo, err := OpenRepository(dir, false)
	if err != nil {
		return false, fmt.Errorf("open repository: %w", err)
	}
	specs := make([]config.RefSpec, 0, len(updates))
	for _, u := range updates {
		spec := config.RefSpec(u.Local + ":" + u.Remote)
		if u.Force {
			spec = "+" + spec
		}
		if err := spec.Validate(); err != nil {
			return false, fmt.Errorf("push %s: %w", u.Remote, err)
		}
		specs = append(specs, spec)
	}
	ctx, proxy, end := rem.begin(ctx)
	defer end()
	err = repo.PushContext(ctx, &gogit.PushOptions{
		RemoteName:      "origin",
		RemoteURL:       rem.url,
		RefSpecs:        specs,
		Auth:            rem.auth,
		InsecureSkipTLS: rem.insecure,
		ProxyOptions:    proxy,
		// Tags travel only as named in specs.
		FollowTags: false,
	})
	switch {
	case errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return false, nil
	case err != nil:
		return false, wrapErr(ctx, "push to", rem, err)
	}
	return true, nil
}
