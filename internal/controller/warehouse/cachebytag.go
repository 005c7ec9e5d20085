package warehouse

import (
	"fmt"
	"slices"
)

// CacheByTagPolicy is the installation's rule for image subscriptions'
// cacheByTag, as Kargo's CACHE_BY_TAG_POLICY: trusting a tag once described
// saves a registry request per known tag per discovery but misses re-pushed
// tags, so an operator who knows their tags are immutable can force it and
// one who knows they are not can forbid it.
type CacheByTagPolicy string

const (
	// CacheByTagForbid ignores cacheByTag: every known tag is checked.
	CacheByTagForbid CacheByTagPolicy = "Forbid"
	// CacheByTagAllow lets each subscription choose (the default).
	CacheByTagAllow CacheByTagPolicy = "Allow"
	// CacheByTagRequire fails the discovery of image subscriptions that do
	// not set cacheByTag: the developer acknowledges the behaviour.
	CacheByTagRequire CacheByTagPolicy = "Require"
	// CacheByTagForce caches by tag whatever the subscription says.
	CacheByTagForce CacheByTagPolicy = "Force"
)

var cacheByTagPolicies = []CacheByTagPolicy{CacheByTagForbid, CacheByTagAllow, CacheByTagRequire, CacheByTagForce}

// ParseCacheByTagPolicy accepts the four policies by name; empty is Allow.
func ParseCacheByTagPolicy(s string) (CacheByTagPolicy, error) {
	if s == "" {
		return CacheByTagAllow, nil
	}
	p := CacheByTagPolicy(s)
	if !slices.Contains(cacheByTagPolicies, p) {
		return "", fmt.Errorf("cache-by-tag policy %q: want Forbid, Allow, Require or Force", s)
	}
	return p, nil
}

// cacheByTag applies the policy to a subscription's choice.
func (p CacheByTagPolicy) cacheByTag(requested bool) (bool, error) {
	switch p {
	case CacheByTagForbid:
		return false, nil
	case CacheByTagRequire:
		if !requested {
			return false, fmt.Errorf("%w: cacheByTag must be true: this installation's cache-by-tag policy is Require "+
				"(image metadata is cached by tag, so a re-pushed tag goes unnoticed; set cacheByTag to acknowledge it)", errInvalidSpec)
		}
		return true, nil
	case CacheByTagForce:
		return true, nil
	default:
		return requested, nil
	}
}
