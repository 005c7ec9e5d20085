package expr

import (
	"encoding/json"
	"fmt"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
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

// quote renders any value as a string; as the whole of a template string it
// keeps 42 from becoming a number.
func quote(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("quote(value) takes one argument, got %d", len(args))
	}
	return toText(args[0])
}

// asJSON renders a value as JSON text.
func asJSON(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("asJSON(value) takes one argument, got %d", len(args))
	}
	v, err := normalize(args[0])
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("asJSON: %w", err)
	}
	return string(out), nil
}

// asYAML renders a value as YAML text.
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
	return string(out), nil
}
