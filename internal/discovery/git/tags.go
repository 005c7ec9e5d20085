package git

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// tagInfo is a fetched tag with the metadata a filter may use.
type tagInfo struct {
	Commit
	tagger     string
	annotation string
}

// readTags resolves fetched tags to their commits and metadata, keeping
// the order of names.
func readTags(hist *gitpkg.History, names []string) ([]tagInfo, error) {
	out := make([]tagInfo, 0, len(names))
	for _, name := range names {
		tag, commit, err := hist.Tag(name)
		if err != nil {
			return nil, err
		}
		info := tagInfo{Commit: toCommit(commit, "", name)}
		if tag.Annotated {
			info.CreatorDate = tag.Tagger.When.UTC()
			info.tagger = ident(tag.Tagger)
			info.annotation = strings.TrimSpace(tag.Message)
		}
		out = append(out, info)
	}
	return out, nil
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
func (s *selector) acceptTag(hist *gitpkg.History, t tagInfo, since time.Time) (bool, error) {
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
	paths, err := hist.ChangedPaths(t.ID)
	if errors.Is(err, gitpkg.ErrNotFetched) {
		return false, fmt.Errorf("tag %s: parent commit was not fetched", t.Tag)
	}
	if err != nil {
		return false, err
	}
	return s.pathsMatch(paths), nil
}
