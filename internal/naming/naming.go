// Package naming derives the names and label values Railyard gives the
// objects it creates from a Stage's name. Every creator of Promotions (the
// Stage controller's auto-promotion, the CLI) goes through it, so a Stage
// name that is legal for Kubernetes always yields a legal Promotion.
package naming

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

const (
	// maxLabelValue is Kubernetes' limit for a label value.
	maxLabelValue = 63
	// maxName is the limit for a DNS subdomain name such as a Promotion's.
	maxName = 253
	// hashLen is how many hex digits of a hash tell shortened values apart.
	hashLen = 10
	// freightPrefix is how much of a Freight name a Promotion name shows.
	freightPrefix = 7
)

// LabelValue returns v if it is a valid label value, else a valid value
// derived from it: the longest usable prefix followed by a hash of v, so two
// long Stage names that share 63 characters still get different values.
func LabelValue(v string) string {
	if len(v) <= maxLabelValue && isLabelValue(v) {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	prefix := sanitize(v)
	if len(prefix) > maxLabelValue-hashLen-1 {
		prefix = prefix[:maxLabelValue-hashLen-1]
	}
	prefix = strings.TrimRight(prefix, "-_.")
	if prefix == "" {
		return hash
	}
	return prefix + "-" + hash
}

// PromotionName is "<stage>.<ulid>.<freight[:7]>" (the Freight part left
// out when the controller picks the Freight): unique, and in creation order
// among a Stage's Promotions. A Stage name too long to fit is shortened; the
// ULID keeps the name unique.
func PromotionName(stage, freightName string, now time.Time) string {
	ms := now.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	id := strings.ToLower(ulid.MustNew(uint64(ms), rand.Reader).String())
	suffix := "." + id
	if f := trimEdges(prefixOf(freightName, freightPrefix)); f != "" {
		suffix += "." + f
	}
	if len(stage)+len(suffix) > maxName {
		stage = stage[:maxName-len(suffix)]
	}
	stage = trimEdges(stage)
	if stage == "" {
		return strings.TrimPrefix(suffix, ".")
	}
	return stage + suffix
}

func prefixOf(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// trimEdges drops the characters a DNS label may not end with.
func trimEdges(s string) string {
	return strings.Trim(s, "-.")
}

func isLabelValue(v string) bool {
	if v == "" {
		return true
	}
	if !isAlnum(v[0]) || !isAlnum(v[len(v)-1]) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isAlnum(v[i]) && v[i] != '-' && v[i] != '_' && v[i] != '.' {
			return false
		}
	}
	return true
}

// sanitize replaces what a label value may not hold with '-' and drops
// leading characters it may not start with.
func sanitize(v string) string {
	b := []byte(v)
	for i, c := range b {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			b[i] = '-'
		}
	}
	return strings.TrimLeft(string(b), "-_.")
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
