package image

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// platform is a wanted os/arch[/variant].
type platform struct {
	os, arch, variant string
}

func (p platform) String() string {
	if p.variant == "" {
		return p.os + "/" + p.arch
	}
	return p.os + "/" + p.arch + "/" + p.variant
}

func parsePlatform(s string) (*platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("%q is not os/arch or os/arch/variant", s)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t") {
			return nil, fmt.Errorf("%q is not os/arch or os/arch/variant", s)
		}
	}
	p := &platform{os: parts[0], arch: parts[1]}
	if len(parts) == 3 {
		p.variant = parts[2]
	}
	return p, nil
}

// matches reports whether an image's os/arch/variant satisfies p. A wanted
// variant must match, treating arm64's implicit variant as v8.
func (p platform) matches(os, arch, variant string) bool {
	if os != p.os || arch != p.arch {
		return false
	}
	if p.variant == "" {
		return true
	}
	return normVariant(arch, variant) == normVariant(p.arch, p.variant)
}

func normVariant(arch, variant string) string {
	if arch == "arm64" && variant == "" {
		return "v8"
	}
	return variant
}

// pickManifest returns the index entry for p, or false.
func (p platform) pickManifest(descs []v1.Descriptor) (v1.Descriptor, bool) {
	for _, d := range descs {
		if d.Platform != nil && p.matches(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant) {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}

// representative picks the index entry whose build time stands for the
// index when no platform is wanted: the first real platform, skipping
// attestation manifests (unknown/unknown).
func representative(descs []v1.Descriptor) (v1.Descriptor, bool) {
	for _, d := range descs {
		if d.Platform == nil || d.Platform.OS != "unknown" {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}
