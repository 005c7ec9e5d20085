package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Ref is one branch or tag of a remote.
type Ref struct {
	// Name is the short name: "main", "v1.2.3".
	Name string
	// ID is the commit id; for annotated tags the peeled commit.
	ID string
}

// Refs is the result of an ls-remote.
type Refs struct {
	// HeadBranch is the remote's default branch ("" if not advertised).
	HeadBranch string
	// Branches and Tags are sorted by name.
	Branches []Ref
	Tags     []Ref
}

// Branch looks up a branch by short name.
func (r *Refs) Branch(name string) (Ref, bool) { return find(r.Branches, name) }

// Tag looks up a tag by short name.
func (r *Refs) Tag(name string) (Ref, bool) { return find(r.Tags, name) }

func find(refs []Ref, name string) (Ref, bool) {
	i := sort.Search(len(refs), func(i int) bool { return refs[i].Name >= name })
	if i < len(refs) && refs[i].Name == name {
		return refs[i], true
	}
	return Ref{}, false
}

// Fingerprint is a stable hash of the whole listing.
func (r *Refs) Fingerprint() string {
	all := make([]string, 0, len(r.Branches)+len(r.Tags)+1)
	all = append(all, "HEAD "+r.HeadBranch)
	for _, b := range r.Branches {
		all = append(all, "refs/heads/"+b.Name+" "+b.ID)
	}
	for _, t := range r.Tags {
		all = append(all, "refs/tags/"+t.Name+" "+t.ID)
	}
	return Fingerprint(all...)
}

// Fingerprint hashes lines in a stable, order-independent way so callers
// can fingerprint just the refs (and settings) they depend on.
func Fingerprint(lines ...string) string {
	sorted := append([]string(nil), lines...)
	sort.Strings(sorted)
	h := sha256.New()
	for _, l := range sorted {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ListRefs lists the branches and tags of a remote without fetching
// objects (git ls-remote).
func ListRefs(ctx context.Context, repoURL string, creds Credentials) (*Refs, error) {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return nil, err
	}
	return listRemoteRefs(ctx, rem)
}

func listRemoteRefs(ctx context.Context, rem *remote) (*Refs, error) {
	ctx, proxy, end := rem.begin(ctx)
	defer end()
	gr := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{rem.url}})
	list, err := gr.ListContext(ctx, &gogit.ListOptions{
		Auth:            rem.auth,
		InsecureSkipTLS: rem.insecure,
		PeelingOption:   gogit.AppendPeeled,
		ProxyOptions:    proxy,
	})
	if err != nil {
		return nil, wrapErr(ctx, "list refs of", rem, err)
	}
	return refsFrom(list), nil
}

func refsFrom(list []*plumbing.Reference) *Refs {
	out := &Refs{}
	tags := map[string]string{}
	peeled := map[string]string{}
	for _, ref := range list {
		name := ref.Name().String()
		switch {
		case name == "HEAD" && ref.Type() == plumbing.SymbolicReference:
			out.HeadBranch = ref.Target().Short()
		case ref.Name().IsBranch():
			out.Branches = append(out.Branches, Ref{Name: ref.Name().Short(), ID: ref.Hash().String()})
		case strings.HasSuffix(name, "^{}") && strings.HasPrefix(name, "refs/tags/"):
			peeled[strings.TrimSuffix(strings.TrimPrefix(name, "refs/tags/"), "^{}")] = ref.Hash().String()
		case ref.Name().IsTag():
			tags[ref.Name().Short()] = ref.Hash().String()
		}
	}
	for name, id := range tags {
		if p, ok := peeled[name]; ok {
			id = p
		}
		out.Tags = append(out.Tags, Ref{Name: name, ID: id})
	}
	sort.Slice(out.Branches, func(i, j int) bool { return out.Branches[i].Name < out.Branches[j].Name })
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Name < out.Tags[j].Name })
	return out
}
