// Package policy decides, from a project's ProjectConfig, whether
// auto-promotion is enabled for a Stage.
package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrInvalidPolicy marks a promotion policy whose name pattern or label
// selector cannot be used. Only an edit of the ProjectConfig fixes it, so
// callers treat it as terminal rather than retrying.
var ErrInvalidPolicy = errors.New("invalid promotion policy")

// Name pattern prefixes. Without a prefix a name matches exactly.
const (
	// GlobPrefix introduces a glob such as `glob:test-*`.
	GlobPrefix = "glob:"
	// RegexPrefix introduces a regular expression such as `regex:^test-`;
	// like Go's regexp.MatchString it matches anywhere unless anchored.
	RegexPrefix = "regex:"
	// RegexpPrefix is an accepted spelling of RegexPrefix.
	RegexpPrefix = "regexp:"
)

// AutoPromotionEnabled reports whether the ProjectConfig enables
// auto-promotion for the Stage. Policies are tried in order and the first
// that selects the Stage decides. A nil ProjectConfig, or one not named like
// the Stage's namespace, enables nothing. An invalid policy met before a
// match yields an error wrapping ErrInvalidPolicy: its intent is unknown, so
// the policies after it cannot be trusted either.
func AutoPromotionEnabled(stage *railyard.Stage, cfg *railyard.ProjectConfig) (bool, error) {
	if stage == nil || cfg == nil || cfg.Name != stage.Namespace || cfg.Namespace != stage.Namespace {
		return false, nil
	}
	for i, p := range cfg.Spec.PromotionPolicies {
		ok, err := Selects(p, stage)
		if err != nil {
			return false, fmt.Errorf("promotionPolicies[%d]: %w", i, err)
		}
		if ok {
			return p.AutoPromotionEnabled, nil
		}
	}
	return false, nil
}

// Selects reports whether a policy selects the Stage: its name pattern and
// its label selector (ANDed) both match. A policy's `stage` is shorthand for
// stageSelector.name.
func Selects(p railyard.PromotionPolicy, stage *railyard.Stage) (bool, error) {
	name, sel := selectorOf(p)
	matchName, err := compileName(name)
	if err != nil {
		return false, err
	}
	labelSel, err := compileLabels(sel)
	if err != nil {
		return false, err
	}
	return matchName(stage.Name) && labelSel.Matches(labels.Set(stage.Labels)), nil
}

// Validate checks every policy of the ProjectConfig and returns one error per
// invalid policy (joined), each naming the policy's index and wrapping
// ErrInvalidPolicy.
func Validate(cfg *railyard.ProjectConfig) error {
	var errs []error
	for i, p := range cfg.Spec.PromotionPolicies {
		if err := ValidatePolicy(p); err != nil {
			errs = append(errs, fmt.Errorf("promotionPolicies[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// ValidatePolicy checks a policy's name pattern and label selector.
func ValidatePolicy(p railyard.PromotionPolicy) error {
	name, sel := selectorOf(p)
	if _, err := compileName(name); err != nil {
		return err
	}
	_, err := compileLabels(sel)
	return err
}

func selectorOf(p railyard.PromotionPolicy) (string, *metav1.LabelSelector) {
	if p.StageSelector != nil {
		return p.StageSelector.Name, p.StageSelector.LabelSelector
	}
	return p.Stage, nil
}

// compileName turns a name pattern into a matcher; "" matches every name.
func compileName(pattern string) (func(string) bool, error) {
	switch {
	case pattern == "":
		return func(string) bool { return true }, nil
	case strings.HasPrefix(pattern, GlobPrefix):
		glob := strings.TrimPrefix(pattern, GlobPrefix)
		if !doublestar.ValidatePattern(glob) {
			return nil, fmt.Errorf("%w: glob %q is malformed", ErrInvalidPolicy, glob)
		}
		return func(name string) bool { return doublestar.MatchUnvalidated(glob, name) }, nil
	case strings.HasPrefix(pattern, RegexPrefix), strings.HasPrefix(pattern, RegexpPrefix):
		expr := pattern[strings.Index(pattern, ":")+1:]
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("%w: regular expression %q: %w", ErrInvalidPolicy, expr, err)
		}
		return re.MatchString, nil
	default:
		return func(name string) bool { return name == pattern }, nil
	}
}

// compileLabels turns a label selector into a labels.Selector; nil selects
// everything.
func compileLabels(sel *metav1.LabelSelector) (labels.Selector, error) {
	if sel == nil {
		return labels.Everything(), nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("%w: label selector: %w", ErrInvalidPolicy, err)
	}
	return s, nil
}
