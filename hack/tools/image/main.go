// Command image builds the Railyard manager image without a container engine
// (see docs/image.md) and pushes it to a registry or writes an OCI layout.
// It is a development tool behind `make image`, not part of a release.
//
//	go run ./hack/tools/image -img localhost:5000/railyard:dev -version v0.3.0
//	go run ./hack/tools/image -output dist/railyard-image
//	go run ./hack/tools/image sbom -platform linux/amd64 -manager bin/manager ... -o sbom.spdx.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/railyard-dev/railyard/internal/imagebuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sbom" {
		return runSBOM(ctx, args[1:], stdout, stderr)
	}
	return runBuild(ctx, args, stdout, stderr)
}

// source are the flags that say what is built, shared by both commands.
type source struct {
	version, revision, epoch, helmVersion string
}

func (s *source) bind(fs *flag.FlagSet) {
	fs.StringVar(&s.version, "version", "dev", "Railyard version, stamped into the binaries and labels")
	fs.StringVar(&s.revision, "revision", "", "git commit of the source (default: git rev-parse HEAD)")
	fs.StringVar(&s.epoch, "source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "image creation time in seconds since 1970 (default: $SOURCE_DATE_EPOCH, else the commit time)")
	fs.StringVar(&s.helmVersion, "helm-version", imagebuild.DefaultHelmVersion, "helm release built into the image")
}

// meta resolves the revision and created time, from git when not given, so
// that two builds of one commit carry the same labels and digest.
func (s *source) meta(ctx context.Context, dir string) (imagebuild.Meta, error) {
	m := imagebuild.Meta{Version: s.version, Revision: s.revision}
	if m.Revision == "" {
		out, err := git(ctx, dir, "rev-parse", "HEAD")
		if err != nil {
			return m, fmt.Errorf("finding the revision (pass -revision): %w", err)
		}
		m.Revision = out
	}
	epoch := s.epoch
	if epoch == "" {
		out, err := git(ctx, dir, "log", "-1", "--format=%ct", m.Revision)
		if err != nil {
			return m, fmt.Errorf("finding the commit time (set SOURCE_DATE_EPOCH): %w", err)
		}
		epoch = out
	}
	t, err := imagebuild.ParseSourceDateEpoch(epoch)
	if err != nil {
		return m, err
	}
	m.Created = t
	return m, nil
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.bind(fs)
	var (
		img       = fs.String("img", "", "push the image to this reference, e.g. localhost:5000/railyard:dev")
		output    = fs.String("output", "", "write the image as an OCI layout into this directory")
		platforms = fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated platforms")
		ldflags   = fs.String("ldflags", "", "linker flags of the manager and CLI (default: those of make build for -version)")
		repo      = fs.String("repo", ".", "the Railyard source tree")
		cache     = fs.String("cache", "bin/image", "directory of cached binaries, keyed by version and platform")
		caCerts   = fs.String("ca-certs", imagebuild.DefaultCACerts, "CA bundle on this machine to copy into the image")
		insecure  = fs.Bool("insecure", false, "talk plain HTTP to the registry (localhost and 127.0.0.1 always are)")
		timeout   = fs.Duration("timeout", 10*time.Minute, "deadline for pushing to the registry")
		buildTime = fs.Duration("build-timeout", time.Hour, "deadline for compiling (a cold arm64 build takes minutes; it fetches modules through the proxy)")
		verbose   = fs.Bool("v", false, "show the go commands' output")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *img == "" && *output == "" {
		return errors.New("nothing to do: set IMG (-img) to push, or -output to write an OCI layout")
	}
	// Check everything cheap before minutes of compiling.
	var ref name.Reference
	if *img != "" {
		var opts []name.Option
		if *insecure {
			opts = append(opts, name.Insecure)
		}
		var err error
		if ref, err = imagebuild.ParseReference(*img, opts...); err != nil {
			return err
		}
	}
	plats, err := imagebuild.ParsePlatforms(*platforms)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(*repo)
	if err != nil {
		return err
	}
	meta, err := src.meta(ctx, root)
	if err != nil {
		return err
	}
	cacheDir := *cache
	if !filepath.IsAbs(cacheDir) {
		cacheDir = filepath.Join(root, cacheDir)
	}

	var log io.Writer
	if *verbose {
		log = stderr
	}
	fmt.Fprintf(stderr, "building manager, railyard and helm %s for %s\n", src.helmVersion, *platforms)
	bctx, cancel := context.WithTimeout(ctx, *buildTime)
	defer cancel()
	bins, err := imagebuild.BuildBinaries(bctx, imagebuild.BuildOptions{
		RepoRoot:    root,
		CacheDir:    cacheDir,
		Version:     meta.Version,
		LDFlags:     *ldflags,
		HelmVersion: src.helmVersion,
		Platforms:   plats,
		Log:         log,
	})
	if err != nil {
		return err
	}
	res, err := imagebuild.Build(imagebuild.Options{
		Meta:        meta,
		Platforms:   plats,
		Binaries:    bins,
		CACerts:     *caCerts,
		HelmVersion: src.helmVersion,
	})
	if err != nil {
		return err
	}
	digest, err := res.Index.Digest()
	if err != nil {
		return err
	}
	if *output != "" {
		if err := imagebuild.WriteLayout(*output, meta.Version, res); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (index %s)\n", *output, digest)
	}
	if ref != nil {
		pctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if _, err := imagebuild.Push(pctx, ref, res, remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent("railyard-image")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pushed %s@%s\n", ref.Context().Name(), digest)
	}
	for _, p := range plats {
		d, err := res.Images[p.String()].Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %s %s\n", p, d)
	}
	return nil
}

// runSBOM writes the SBOM of binaries built elsewhere (the Dockerfile's build
// stage), so both images carry the same document.
func runSBOM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image sbom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.bind(fs)
	var (
		platform = fs.String("platform", "linux/amd64", "platform of the binaries")
		manager  = fs.String("manager", "bin/manager", "the manager binary")
		cli      = fs.String("cli", "bin/railyard", "the railyard binary")
		guard    = fs.String("guard", "bin/railyard-helm-guard", "the helm guard binary")
		helm     = fs.String("helm", "bin/k8s/helm", "the helm binary")
		out      = fs.String("o", "-", "output file, - for standard output")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := v1.ParsePlatform(*platform)
	if err != nil {
		return fmt.Errorf("platform %q: %w", *platform, err)
	}
	// The Dockerfile has no git: it passes -revision and SOURCE_DATE_EPOCH.
	meta := imagebuild.Meta{Version: src.version, Revision: src.revision}
	if src.epoch != "" {
		if meta.Created, err = imagebuild.ParseSourceDateEpoch(src.epoch); err != nil {
			return err
		}
	} else if meta, err = src.meta(ctx, "."); err != nil {
		return err
	}
	doc, err := imagebuild.SBOM(meta, *p, []imagebuild.Binary{
		{Local: *manager, Image: imagebuild.ManagerPath, Version: meta.Version},
		{Local: *cli, Image: imagebuild.CLIPath, Version: meta.Version},
		{Local: *guard, Image: imagebuild.GuardPath, Version: meta.Version},
		{Local: *helm, Image: imagebuild.HelmPath, Version: src.helmVersion},
	})
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(doc)
		return err
	}
	return os.WriteFile(*out, doc, 0o644)
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
