package imagebuild

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options are the inputs of an image build.
type Options struct {
	Meta Meta
	// Platforms in index order.
	Platforms []v1.Platform
	// Binaries per platform, keyed by v1.Platform.String() ("linux/amd64").
	Binaries map[string]Binaries
	// CACerts is the CA bundle on the build machine; empty means
	// DefaultCACerts.
	CACerts string
	// HelmVersion is recorded in the SBOM.
	HelmVersion string
}

// Result is a built image.
type Result struct {
	Index v1.ImageIndex
	// Images and SBOMs per platform, keyed like Options.Binaries.
	Images map[string]v1.Image
	SBOMs  map[string][]byte
}

// ParsePlatforms parses "linux/amd64,linux/arm64".
func ParsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	seen := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := v1.ParsePlatform(f)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", f, err)
		}
		if p.OS != "linux" || p.Architecture == "" || p.Variant != "" {
			return nil, fmt.Errorf("platform %q: want linux/<arch>", f)
		}
		if seen[p.String()] {
			return nil, fmt.Errorf("platform %q given twice", f)
		}
		seen[p.String()] = true
		out = append(out, *p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no platforms in %q", s)
	}
	return out, nil
}

// Build assembles the image index. Every platform has three layers, ordered
// from least to most often changed: the base, helm, and Railyard (manager,
// CLI, SBOM). Nothing depends on the clock or the file system's metadata, so
// the same inputs give the same digest.
func Build(o Options) (*Result, error) {
	if o.CACerts == "" {
		o.CACerts = DefaultCACerts
	}
	if len(o.Platforms) == 0 {
		return nil, fmt.Errorf("no platforms to build")
	}
	base, err := baseLayer(o.CACerts)
	if err != nil {
		return nil, err
	}
	labels := Labels(o.Meta)
	res := &Result{Images: map[string]v1.Image{}, SBOMs: map[string][]byte{}}
	var adds []mutate.IndexAddendum
	for _, p := range o.Platforms {
		bins, ok := o.Binaries[p.String()]
		if !ok {
			return nil, fmt.Errorf("no binaries for %s", p)
		}
		img, sbom, err := platformImage(o, p, bins, base, labels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		res.Images[p.String()], res.SBOMs[p.String()] = img, sbom
		adds = append(adds, mutate.IndexAddendum{
			Add:        plainImage{img},
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture}},
		})
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	// Registries and UIs show the index's annotations, not the configs' labels.
	res.Index = mutate.Annotations(idx, labels).(v1.ImageIndex)
	return res, nil
}

func platformImage(o Options, p v1.Platform, bins Binaries, base v1.Layer, labels map[string]string) (v1.Image, []byte, error) {
	helm, err := newLayer([]entry{{path: HelmPath, mode: 0o755, src: bins.Helm}})
	if err != nil {
		return nil, nil, fmt.Errorf("helm layer: %w", err)
	}
	sbom, err := SBOM(o.Meta, p, []Binary{
		{Local: bins.Manager, Image: ManagerPath, Version: o.Meta.Version},
		{Local: bins.CLI, Image: CLIPath, Version: o.Meta.Version},
		{Local: bins.Guard, Image: GuardPath, Version: o.Meta.Version},
		{Local: bins.Helm, Image: HelmPath, Version: o.HelmVersion},
	})
	if err != nil {
		return nil, nil, err
	}
	app, err := newLayer([]entry{
		{path: ManagerPath, mode: 0o755, src: bins.Manager},
		{path: CLIPath, mode: 0o755, src: bins.CLI},
		{path: GuardPath, mode: 0o755, src: bins.Guard},
		{path: SBOMPath, mode: 0o644, data: sbom},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("railyard layer: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: o.Meta.Created.UTC()}
	history := func(by string) v1.History {
		return v1.History{Created: created, CreatedBy: by, Comment: "railyard imagebuild"}
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: history("base: accounts, /tmp, " + HomeDir + ", CA certificates")},
		mutate.Addendum{Layer: helm, History: history("helm " + o.HelmVersion)},
		mutate.Addendum{Layer: app, History: history("railyard " + o.Meta.Version + ": manager, CLI, SBOM")},
	)
	if err != nil {
		return nil, nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	cf.Created = created
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: Entrypoint(),
		Env:        Env(),
		WorkingDir: WorkingDir,
		Labels:     labels,
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, nil, err
	}
	return img, sbom, nil
}

// plainImage keeps go-containerregistry from setting the index entry's
// artifactType to the config media type: these are runnable images, not
// artifacts, and some clients treat an entry with an artifactType as one.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }
