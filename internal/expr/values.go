package expr

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
)

// semverParse returns a *semver.Version; expressions call its methods:
// semverParse(v).Major(), .Minor(), .Patch(), .Prerelease(), .Metadata().
func semverParse(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("semverParse(version) takes one argument, got %d", len(args))
	}
	s, err := stringArg("semverParse", args, 0, "version")
	if err != nil {
		return nil, err
	}
	v, err := semver.NewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("semverParse(%q): %w", s, err)
	}
	return v, nil
}

// semverDiff names the most significant part in which two versions differ:
// "Major", "Minor", "Patch", "Metadata" (pre-release or build metadata),
// "None", or "Incomparable" when either is not a version.
func semverDiff(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("semverDiff(a, b) takes two arguments, got %d", len(args))
	}
	var vs [2]*semver.Version
	for i := range vs {
		s, err := stringArg("semverDiff", args, i, "version")
		if err != nil {
			return nil, err
		}
		if vs[i], err = semver.NewVersion(s); err != nil {
			return "Incomparable", nil
		}
	}
	a, b := vs[0], vs[1]
	switch {
	case a.Major() != b.Major():
		return "Major", nil
	case a.Minor() != b.Minor():
		return "Minor", nil
	case a.Patch() != b.Patch():
		return "Patch", nil
	case a.Prerelease() != b.Prerelease() || a.Metadata() != b.Metadata():
		return "Metadata", nil
	}
	return "None", nil
}

// The four functions below return text wrapped in double quotes, as
// Kargo's do: when the quotes enclose a whole template they mark its result
// as a string and are removed (see reparse); anywhere else they stay.

// quote renders a value as a string: a string as Go quotes it (so escapes
// such as \n stay visible, as in Kargo), anything else as JSON.
func quote(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("quote(value) takes one argument, got %d", len(args))
	}
	if s, ok := args[0].(string); ok {
		return strconv.Quote(s), nil
	}
	return unsafeQuote(args...)
}

// unsafeQuote renders any value as JSON, strings included: unsafeQuote("a")
// is the string "\"a\"" with its quotes.
func unsafeQuote(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("unsafeQuote(value) takes one argument, got %d", len(args))
	}
	text, err := jsonText(args[0], "unsafeQuote", false)
	if err != nil {
		return nil, err
	}
	return `"` + text + `"`, nil
}

// asJSON renders a value as JSON indented by two spaces, with a final
// newline.
func asJSON(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("asJSON(value) takes one argument, got %d", len(args))
	}
	text, err := jsonText(args[0], "asJSON", true)
	if err != nil {
		return nil, err
	}
	return `"` + text + "\n\"", nil
}

// asYAML renders a value as YAML, indented as Kargo's YAML library does.
func asYAML(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("asYAML(value) takes one argument, got %d", len(args))
	}
	v, err := normalize(args[0])
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("asYAML: %w", err)
	}
	return `"` + string(out) + `"`, nil
}

func jsonText(v any, fn string, indent bool) (string, error) {
	n, err := normalize(v)
	if err != nil {
		return "", err
	}
	var out []byte
	if indent {
		out, err = json.MarshalIndent(n, "", "  ")
	} else {
		out, err = json.Marshal(n)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", fn, err)
	}
	return string(out), nil
}
