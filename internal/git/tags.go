package git

import (
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TagInfo is what callers outside this package read of a tag.
type TagInfo struct {
	Name string
	// Commit is the commit the tag names, annotated tags peeled.
	Commit string
	// Annotated tags have a tag object, whose Target, Tagger and Message
	// these are.
	Annotated bool
	Target    string
	Tagger    Signature
	Message   string
}

func annotated(name string, t *object.Tag) TagInfo {
	return TagInfo{
		Name:      name,
		Annotated: true,
		Target:    t.Target.String(),
		Tagger:    Signature{Name: t.Tagger.Name, Email: t.Tagger.Email, When: t.Tagger.When},
		Message:   t.Message,
	}
}

// Tag looks up the local tag name; found is false when there is none.
func (w *WorkTree) Tag(name string) (tag TagInfo, found bool, err error) {
	ref, err := w.repo.Tag(name)
	if errors.Is(err, gogit.ErrTagNotFound) {
		return TagInfo{}, false, nil
	}
	if err != nil {
		return TagInfo{}, false, fmt.Errorf("read tag %q: %w", name, err)
	}
	tag = TagInfo{Name: name}
	if obj, err := w.repo.TagObject(ref.Hash()); err == nil {
		tag = annotated(name, obj)
	}
	commit, err := w.peelTag(ref.Hash())
	if err != nil {
		return TagInfo{}, false, fmt.Errorf("tag %q: %w", name, err)
	}
	tag.Commit = commit.String()
	return tag, true, nil
}

// CreateTag creates an annotated tag name on commit, signed with the
// work tree's signing key when it has one.
func (w *WorkTree) CreateTag(name, commit, message string, tagger Signature) error {
	if err := w.createTag(name, hashOf(commit), message, tagger.object()); err != nil {
		return fmt.Errorf("create tag %q: %w", name, err)
	}
	return nil
}

func (w *WorkTree) createTag(name string, commit plumbing.Hash, message string, tagger *object.Signature) error {
	_, err := w.repo.CreateTag(name, commit, &gogit.CreateTagOptions{Tagger: tagger, Message: message, SignKey: w.signKey})
	return err
}

// DeleteTag deletes the local tag name.
func (w *WorkTree) DeleteTag(name string) error {
	if err := w.repo.DeleteTag(name); err != nil {
		return fmt.Errorf("delete tag %q: %w", name, err)
	}
	return nil
}

// peelTag returns the commit an annotated or lightweight tag names.
func (w *WorkTree) peelTag(h plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		t, err := w.repo.TagObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return h, nil
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h = t.Target
	}
	return plumbing.ZeroHash, errors.New("tag chain too long")
}

// MoveTags moves the tags on commit old to commit id: after a push
// replayed old onto someone else's commits as id, a tag pushed later must
// name the commit the branch really holds. Annotated tags keep their
// tagger and message and are signed again with the signing key.
func (w *WorkTree) MoveTags(old, id string) error {
	from, to := hashOf(old), hashOf(id)
	if from == to {
		return nil
	}
	iter, err := w.repo.Tags()
	if err != nil {
		return fmt.Errorf("list tags: %w", err)
	}
	var refs []*plumbing.Reference
	if err := iter.ForEach(func(r *plumbing.Reference) error { refs = append(refs, r); return nil }); err != nil {
		return fmt.Errorf("list tags: %w", err)
	}
	for _, ref := range refs {
		target, err := w.peelTag(ref.Hash())
		if err != nil || target != from {
			continue
		}
		name := ref.Name().Short()
		obj, err := w.repo.TagObject(ref.Hash())
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			if err := w.repo.Storer.SetReference(plumbing.NewHashReference(ref.Name(), to)); err != nil {
				return fmt.Errorf("move tag %q: %w", name, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read tag %q: %w", name, err)
		}
		if err := w.repo.DeleteTag(name); err != nil {
			return fmt.Errorf("move tag %q: %w", name, err)
		}
		tagger := obj.Tagger
		if err := w.createTag(name, to, obj.Message, &tagger); err != nil {
			return fmt.Errorf("move tag %q: %w", name, err)
		}
	}
	return nil
}
