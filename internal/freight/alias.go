package freight

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Word lists of aliases: short, unambiguous and inoffensive, so that
// "promote brave-otter to prod" reads well. 64 x 64 = 4,096 names.
var (
	adjectives = [...]string{
		"amber", "ancient", "bold", "brave", "breezy", "bright", "calm", "clever",
		"cosmic", "crisp", "curious", "daring", "dapper", "eager", "early", "electric",
		"fancy", "fearless", "fluffy", "frosty", "gentle", "giddy", "golden", "grand",
		"happy", "hardy", "honest", "humble", "jolly", "keen", "kind", "lively",
		"lucky", "mellow", "mighty", "misty", "modest", "nimble", "noble", "patient",
		"plucky", "polite", "proud", "quick", "quiet", "rapid", "rustic", "shiny",
		"silent", "silver", "sleek", "snowy", "steady", "sturdy", "sunny", "swift",
		"tidy", "tranquil", "vivid", "warm", "wise", "witty", "zany", "zesty",
	}
	nouns = [...]string{
		"alpaca", "badger", "beaver", "bison", "bobcat", "camel", "cheetah", "condor",
		"coyote", "crane", "dingo", "dolphin", "eagle", "falcon", "ferret", "finch",
		"gazelle", "gecko", "gibbon", "heron", "hippo", "ibex", "iguana", "jackal",
		"jaguar", "koala", "lemur", "leopard", "llama", "lynx", "marmot", "marten",
		"meerkat", "mole", "moose", "narwhal", "newt", "ocelot", "orca", "otter",
		"owl", "panda", "panther", "pelican", "penguin", "puffin", "quail", "rabbit",
		"raven", "salmon", "seal", "sparrow", "squid", "stork", "tapir", "tiger",
		"toucan", "turtle", "walrus", "weasel", "whale", "wombat", "yak", "zebra",
	}
)

// aliasAttempts is how many word pairs AliasCandidates offers before it
// falls back to names qualified by the Freight ID.
const aliasAttempts = 8

// Alias returns the human-friendly alias of attempt for the Freight id, of
// the form adjective-noun. It is deterministic, so a retried creation
// proposes the same alias; attempt picks another pair when the first is
// taken.
func Alias(id string, attempt int) string {
	sum := sha256.Sum256([]byte(id + "/" + strconv.Itoa(attempt)))
	a := binary.BigEndian.Uint32(sum[0:4]) % uint32(len(adjectives))
	n := binary.BigEndian.Uint32(sum[4:8]) % uint32(len(nouns))
	return adjectives[a] + "-" + nouns[n]
}

// AliasCandidates returns aliases for id in the order to try them: a few
// word pairs, then the first pair qualified by the start of id, which is
// unique as long as the ids differ there. Every candidate is a valid label
// value (at most 63 characters, lower-case letters, digits and dashes).
func AliasCandidates(id string) []string {
	out := make([]string, 0, aliasAttempts+1)
	for i := range aliasAttempts {
		out = append(out, Alias(id, i))
	}
	short := id
	if len(short) > 12 {
		short = short[:12]
	}
	return append(out, Alias(id, 0)+"-"+short)
}

// AliasTakenError says the alias a person asked for is another Freight's.
type AliasTakenError struct {
	Alias string
	// Freight is the name of the Freight that carries Alias.
	Freight string
}

func (e *AliasTakenError) Error() string {
	return fmt.Sprintf("alias %q is already used by freight %s", e.Alias, e.Freight)
}

// ChooseAlias returns the alias f gets: the first of
// AliasCandidates(IDOf(f)) that no other Freight of f's namespace carries,
// or, when every candidate is taken, the last one (qualified by the ID).
// An alias is carried in the alias field, Railyard's alias label or Kargo's,
// so that hand-made and Kargo Freight count too; f itself (by name) never
// blocks its own alias.
//
// want is an alias a person asked for (the CLI's --alias and --new-alias):
// when set it is returned as is if free, and an *AliasTakenError otherwise,
// never replaced by a generated one. Controllers pass "".
func ChooseAlias(ctx context.Context, c client.Reader, f *railyard.Freight, want string) (string, error) {
	var list railyard.FreightList
	if err := c.List(ctx, &list, client.InNamespace(f.Namespace)); err != nil {
		return "", fmt.Errorf("listing Freight aliases in %s: %w", f.Namespace, err)
	}
	taken := make(map[string]string, len(list.Items))
	for i := range list.Items {
		o := &list.Items[i]
		if o.Name == f.Name {
			continue
		}
		for _, a := range []string{o.Alias, o.Labels[railyard.LabelAlias], o.Labels[railyard.LabelKargoAlias]} {
			if a != "" {
				taken[a] = o.Name
			}
		}
	}
	if want != "" {
		if owner, ok := taken[want]; ok {
			return "", &AliasTakenError{Alias: want, Freight: owner}
		}
		return want, nil
	}
	cands := AliasCandidates(IDOf(f))
	for _, a := range cands {
		if _, ok := taken[a]; !ok {
			return a, nil
		}
	}
	return cands[len(cands)-1], nil
}

// AliasOf is the alias a Freight shows: its alias field, else Railyard's
// alias label, else Kargo's (Freight made by Kargo or by hand); "" when it
// has none.
func AliasOf(f *railyard.Freight) string {
	for _, a := range []string{f.Alias, f.Labels[railyard.LabelAlias], f.Labels[railyard.LabelKargoAlias]} {
		if a != "" {
			return a
		}
	}
	return ""
}
