package demo

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ociRegistry is go-containerregistry's in-memory registry on 127.0.0.1.
// It never sends Link headers on tag lists, which is fine for the few tags
// of the demo.
type ociRegistry struct {
	host string
	srv  *http.Server
}

func startRegistry() (*ociRegistry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the OCI registry: %w", err)
	}
	r := &ociRegistry{
		host: l.Addr().String(),
		srv:  &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))},
	}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *ociRegistry) close() { _ = r.srv.Close() }

// repo is the image repository reference of name, e.g. 127.0.0.1:PORT/demo/app.
func (r *ociRegistry) repo(name string) string { return r.host + "/" + name }

// pushImage pushes a small layer-less image as repo:tag, built at created
// (the Warehouse's NewestBuild strategy orders by that time).
func (r *ociRegistry) pushImage(ctx context.Context, repo, tag string, created time.Time) (string, error) {
	ref, err := name.NewTag(r.repo(repo)+":"+tag, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("image reference %s:%s: %w", repo, tag, err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("building image %s: %w", ref, err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: created.UTC()}
	// The version label makes every tag a distinct image.
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.version": tag}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return "", fmt.Errorf("building image %s: %w", ref, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("digest of %s: %w", ref, err)
	}
	return d.String(), nil
}

// validTag reports whether tag is a valid OCI tag.
func validTag(tag string) bool {
	if tag == "" || len(tag) > 128 || strings.HasPrefix(tag, ".") || strings.HasPrefix(tag, "-") {
		return false
	}
	for _, c := range tag {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
