package git

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// tagInfo is a fetched tag with the metadata a filter may use.
type tagInfo struct {
	Commit
	commit     *object.Commit
	tagger     string
	annotation string
}

// readTags resolves fetched tags to their commits and metadata, keeping
// the order of names.
func readTags(hist *gitpkg.History, names []string) ([]tagInfo, error) {
	repo := hist.Repository()
	out := make([]tagInfo, 0, len(names))
	for _, name := range names {
		h, err := hist.Resolve(plumbing.NewTagReferenceName(name))
		if err != nil {
			return nil, err
		}
		info, err := readTag(repo, name, h)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func readTag(repo *gogit.Repository, name string, h plumbing.Hash) (tagInfo, error) {
	var info tagInfo
	tag, err := repo.TagObject(h)
	switch {
	case err == nil:
		if info.commit, err = tag.Commit(); err != nil {
			return info, fmt.Errorf("tag %s does not point at a commit: %w", name, err)
		}
		info.Commit = toCommit(info.commit, "", name)
		info.CreatorDate = tag.Tagger.When.UTC()
		info.tagger = ident(tag.Tagger)
		info.annotation = strings.TrimSpace(tag.Message)
	case errors.Is(err, plumbing.ErrObjectNotFound):
		if info.commit, err = repo.CommitObject(h); err != nil {
			return info, fmt.Errorf("read commit of tag %s: %w", name, err)
		}
		info.Commit = toCommit(info.commit, "", name)
	default:
		return info, fmt.Errorf("read tag %s: %w", name, err)
	}
	return info, nil
}

// sortNewest orders tags by creator date, newest first, then by name.
func sortNewest(tags []tagInfo) {
	slices.SortStableFunc(tags, func(a, b tagInfo) int {
		if c := b.CreatorDate.Compare(a.CreatorDate); c != 0 {
			return c
		}
		return strings.Compare(b.Tag, a.Tag)
	})
}

// acceptTag applies since, the expression and the path filters to a tag.
// The paths of a tag are those its commit changed.
func (s *selector) acceptTag(repo *gogit.Repository, t tagInfo, since time.Time) (bool, error) {
	if !since.IsZero() && t.CreatorDate.Before(since) {
		return false, nil
	}
	if s.filter != nil {
		ok, err := s.filter.match(tagEnv(t.Commit, t.tagger, t.annotation))
		if err != nil || !ok {
			return false, err
		}
	}
	if !s.filtersPaths() {
		return true, nil
	}
	paths, err := changedPaths(repo, t.commit)
	if errors.Is(err, errShallow) {
		return false, fmt.Errorf("tag %s: parent commit was not fetched", t.Tag)
	}
	if err != nil {
		return false, err
	}
	return s.pathsMatch(paths), nil
}
