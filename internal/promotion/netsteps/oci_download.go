package netsteps

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/railyard-dev/railyard/internal/promotion"
)

type ociDownloadConfig struct {
	ImageRef              string `json:"imageRef"`
	OutPath               string `json:"outPath"`
	AllowOverwrite        bool   `json:"allowOverwrite,omitempty"`
	MediaType             string `json:"mediaType,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
}

// OCIDownload is the `oci-download` step: it writes one layer of an OCI
// artifact, as stored (not decompressed), to outPath: the first layer of
// mediaType, or the first layer. Layers over MaxDownloadBytes are refused.
// outPath is handled as by http-download (allowOverwrite). It has no
// outputs.
type OCIDownload struct{ opts Options }

// Name implements promotion.Step.
func (*OCIDownload) Name() string { return "oci-download" }

// Run implements promotion.Step.
func (s *OCIDownload) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg ociDownloadConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	ref, err := parseOCIRef("imageRef", cfg.ImageRef)
	if err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	out, err := prepareOut(root, cfg.OutPath, cfg.AllowOverwrite)
	if err != nil {
		return errored(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ociTimeout())
	defer cancel()
	ropts, err := remoteOptions(ctx, sc, s.opts, ref, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return errored(err)
	}
	img, err := remote.Image(ref.ref, ropts...)
	if err != nil {
		return errored(ociError(fmt.Sprintf("fetching %s", ref.ref), err))
	}
	layer, err := pickLayer(img, cfg.MediaType)
	if err != nil {
		return errored(err)
	}
	if size, err := layer.Size(); err == nil && size > MaxDownloadBytes {
		return failed(fmt.Errorf("layer of %s: %w of %d bytes (size %d)", ref.ref, errTooLarge, MaxDownloadBytes, size))
	}
	rc, err := layer.Compressed()
	if err != nil {
		return errored(ociError(fmt.Sprintf("fetching layer of %s", ref.ref), err))
	}
	defer func() { _ = rc.Close() }()
	if _, err := out.write(rc, MaxDownloadBytes); err != nil {
		return errored(err)
	}
	return succeeded(nil)
}

// pickLayer is the first layer of mediaType, or the first layer.
func pickLayer(img v1.Image, mediaType string) (v1.Layer, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, ociError("reading manifest", err)
	}
	if len(m.Layers) == 0 {
		return nil, promotion.Terminalf("artifact has no layers")
	}
	desc := m.Layers[0]
	if mediaType != "" {
		found := false
		for _, l := range m.Layers {
			if string(l.MediaType) == mediaType {
				desc, found = l, true
				break
			}
		}
		if !found {
			return nil, promotion.Terminalf("artifact has no layer of media type %q", mediaType)
		}
	}
	layer, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, ociError("reading layer", err)
	}
	return layer, nil
}
