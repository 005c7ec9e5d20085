package freight

import (
	"crypto/sha1" //nolint:gosec // a content address, not a security boundary
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// MaxHistory is how many Freight collections a Stage remembers.
const MaxHistory = 10

// Ref copies the identity and artifacts of f, as Stage and Promotion status
// hold them.
func Ref(f *railyard.Freight) railyard.FreightReference {
	return railyard.FreightReference{
		Name:    f.Name,
		Origin:  f.Origin,
		Commits: append([]railyard.GitCommit(nil), f.Commits...),
		Images:  append([]railyard.Image(nil), f.Images...),
		Charts:  append([]railyard.Chart(nil), f.Charts...),
	}
}

// NewCollection returns a collection of the given Freight, keyed by origin,
// with its ID computed from the member names.
func NewCollection(refs ...railyard.FreightReference) railyard.FreightCollection {
	c := railyard.FreightCollection{Freight: make(map[string]railyard.FreightReference, len(refs))}
	for _, ref := range refs {
		c.Freight[ref.Origin.String()] = ref
	}
	c.ID = CollectionID(c)
	return c
}

// WithFreight returns a copy of base in which ref replaces the Freight of its
// origin; Freight of other origins is kept. Verification history is not
// carried over: the result is a new collection.
func WithFreight(base *railyard.FreightCollection, ref railyard.FreightReference) railyard.FreightCollection {
	var refs []railyard.FreightReference
	if base != nil {
		for origin, r := range base.Freight {
			if origin != ref.Origin.String() {
				refs = append(refs, r)
			}
		}
	}
	return NewCollection(append(refs, ref)...)
}

// CollectionID hashes the sorted names of a collection's Freight, so equal
// collections have equal IDs.
func CollectionID(c railyard.FreightCollection) string {
	names := make([]string, 0, len(c.Freight))
	for _, ref := range c.Freight {
		names = append(names, ref.Name)
	}
	sort.Strings(names)
	sum := sha1.Sum([]byte(strings.Join(names, ","))) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// PushHistory puts c at the front of a Stage's history, newest first, and
// keeps at most MaxHistory entries. A collection equal to the current one
// (same ID) replaces it instead of being added twice.
func PushHistory(history []railyard.FreightCollection, c railyard.FreightCollection) []railyard.FreightCollection {
	if len(history) > 0 && history[0].ID == c.ID {
		c.VerificationHistory = history[0].VerificationHistory
		history = history[1:]
	}
	out := append([]railyard.FreightCollection{c}, history...)
	if len(out) > MaxHistory {
		out = out[:MaxHistory]
	}
	return out
}

// Summary describes a Stage's current Freight for `kubectl get stages`: the
// Freight's alias or name when one origin is requested, else how many of the
// requested origins have Freight.
func Summary(requested int, current *railyard.FreightCollection, aliases map[string]string) string {
	if current == nil || len(current.Freight) == 0 {
		if requested == 0 {
			return "N/A"
		}
		return "0/" + strconv.Itoa(requested) + " Fulfilled"
	}
	if requested == 1 && len(current.Freight) == 1 {
		for _, ref := range current.Freight {
			if a := aliases[ref.Name]; a != "" {
				return a
			}
			return ref.Name
		}
	}
	return strconv.Itoa(len(current.Freight)) + "/" + strconv.Itoa(requested) + " Fulfilled"
}
