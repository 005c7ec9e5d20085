package git

import (
	"errors"
	"fmt"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signature names the author (and committer) of a commit.
type Signature struct {
	Name  string
	Email string
	// When defaults to now.
	When time.Time
}

func (s Signature) object() *object.Signature {
	when := s.When
	if when.IsZero() {
		when = time.Now()
	}
	name := s.Name
	if name == "" {
		name = "Railyard"
	}
	email := s.Email
	if email == "" {
		email = "no-reply@railyard.dev"
	}
	return &object.Signature{Name: name, Email: email, When: when}
}

// CommitAll stages every change in the work tree (additions, edits and
// deletions) and commits it. It returns ErrNothingToCommit when the tree
// equals HEAD's, so a re-run promotion step is a no-op.
func (w *WorkTree) CommitAll(message string, author Signature) (string, error) {
	if message == "" {
		return "", errors.New("commit: empty message")
	}
	if err := w.wt.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("stage changes: %w", err)
	}
	sig := author.object()
	h, err := w.wt.Commit(message, &gogit.CommitOptions{Author: sig, Committer: sig, SignKey: w.signKey})
	if errors.Is(err, gogit.ErrEmptyCommit) {
		return "", ErrNothingToCommit
	}
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return h.String(), nil
}
