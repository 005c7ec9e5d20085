package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/railyard-dev/railyard/internal/imagebuild"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestRunRejectsBadInput: mistakes are reported before anything is compiled.
func TestRunRejectsBadInput(t *testing.T) {
	tests := map[string]struct {
		args    []string
		wantErr string
	}{
		"no IMG and no output": {args: nil, wantErr: "nothing to do: set IMG"},
		"unparsable IMG":       {args: []string{"-img", "localhost:5000/Railyard:dev"}, wantErr: `IMG "localhost:5000/Railyard:dev" is not an image reference`},
		"IMG with a space":     {args: []string{"-img", "railyard:a b"}, wantErr: "is not an image reference"},
		"bad platform":         {args: []string{"-img", "localhost:5000/r:dev", "-platforms", "linux/arm/v7"}, wantErr: "want linux/<arch>"},
		"bad epoch":            {args: []string{"-img", "localhost:5000/r:dev", "-source-date-epoch", "yesterday"}, wantErr: "SOURCE_DATE_EPOCH"},
		"stray argument":       {args: []string{"-img", "localhost:5000/r:dev", "extra"}, wantErr: "unexpected arguments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tc.args, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(stderr.String(), "building") {
				t.Errorf("started building despite the bad input")
			}
		})
	}
}

const testVersion = "v0.0.0-imagetest"

// TestImage builds the real image for both platforms (binaries cached in
// bin/image), pushes it to an in-process registry, pulls it back and checks
// what a cluster would run.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: cross-builds the manager, the helm guard, the CLI and helm for two platforms (minutes on a cold cache); make test and .ci/run run it")
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	reg := registrytest.New(t)
	img := reg.Repo("railyard") + ":test"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	args := []string{"-img", img, "-version", testVersion, "-source-date-epoch", "1700000000", "-repo", root, "-cache", filepath.Join(root, "bin", "image")}
	var out1, stderr bytes.Buffer
	if err := run(ctx, args, &out1, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}

	ref, err := name.ParseReference(img)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out1.String(), digest.String()) {
		t.Errorf("the output does not name the pushed digest %s:\n%s", digest, out1.String())
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s", im.MediaType)
	}
	var plats []string
	for _, m := range im.Manifests {
		plats = append(plats, m.Platform.String())
		if m.MediaType != types.OCIManifestSchema1 || m.ArtifactType != "" {
			t.Errorf("index entry %s: media type %s, artifactType %q; want a plain OCI image", m.Platform, m.MediaType, m.ArtifactType)
		}
	}
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("index platforms %v, want linux/amd64 and linux/arm64", plats)
	}
	if got := im.Annotations[imagebuild.LabelVersion]; got != testVersion {
		t.Errorf("index annotation version = %q", got)
	}

	for _, m := range im.Manifests {
		t.Run(m.Platform.Architecture, func(t *testing.T) {
			image, err := idx.Image(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkConfig(t, image, m.Platform.Architecture)
			files := imageFiles(t, image)
			checkFiles(t, files, m.Platform.Architecture)
			checkSBOM(t, files[strings.TrimPrefix(imagebuild.SBOMPath, "/")].data)
			checkReferrer(t, ctx, ref.Context().Digest(m.Digest.String()))
			if m.Platform.Architecture == runtime.GOARCH {
				checkRuns(t, files)
			}
		})
	}

	// Same inputs, same digest: a second build from the cached binaries,
	// this time also written as an OCI layout.
	dir := filepath.Join(t.TempDir(), "layout")
	var out2 bytes.Buffer
	if err := run(ctx, append(args, "-output", dir), &out2, &stderr); err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(out2.String(), out1.String()) {
		t.Errorf("two builds of the same source differ:\n%s\n%s", out1.String(), out2.String())
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 || tm.Manifests[0].Digest != digest || tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != testVersion {
		t.Errorf("the OCI layout's index.json lists %+v, want the index %s named %s", tm.Manifests, digest, testVersion)
	}
}

func checkConfig(t *testing.T, image v1.Image, arch string) {
	t.Helper()
	cf, err := image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("config platform %s/%s", cf.OS, cf.Architecture)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/manager"}) {
		t.Errorf("entrypoint %q", c.Entrypoint)
	}
	if !slices.Contains(c.Env, "RAILYARD_HELM=/usr/local/bin/helm") {
		t.Errorf("env %q lacks RAILYARD_HELM", c.Env)
	}
	if c.WorkingDir != "/home/nonroot" {
		t.Errorf("working dir %q", c.WorkingDir)
	}
	if !cf.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH", cf.Created)
	}
	wantLabels := map[string]*regexp.Regexp{
		imagebuild.LabelSource:   regexp.MustCompile(`^https://github.com/railyard-dev/railyard$`),
		imagebuild.LabelVersion:  regexp.MustCompile(`^` + regexp.QuoteMeta(testVersion) + `$`),
		imagebuild.LabelRevision: regexp.MustCompile(`^[0-9a-f]{40}$`),
		imagebuild.LabelCreated:  regexp.MustCompile(`^2023-11-14T22:13:20Z$`),
		imagebuild.LabelTitle:    regexp.MustCompile(`^railyard-manager$`),
	}
	for k, re := range wantLabels {
		if !re.MatchString(c.Labels[k]) {
			t.Errorf("label %s = %q, want %s", k, c.Labels[k], re)
		}
	}
}

type file struct {
	hdr  *tar.Header
	data []byte
}

// imageFiles reads every layer in order (later layers win).
func imageFiles(t *testing.T, image v1.Image) map[string]file {
	t.Helper()
	layers, err := image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]file{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimSuffix(hdr.Name, "/")] = file{hdr, data}
		}
		_ = rc.Close()
	}
	return files
}

// checkFiles: the binaries are there for the right CPU, and nothing outside
// /tmp and the home directory belongs to or is writable by the user.
func checkFiles(t *testing.T, files map[string]file, arch string) {
	t.Helper()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	for _, p := range []string{imagebuild.ManagerPath, imagebuild.GuardPath, imagebuild.CLIPath, imagebuild.HelmPath} {
		f, ok := files[strings.TrimPrefix(p, "/")]
		if !ok {
			t.Errorf("%s is missing", p)
			continue
		}
		if f.hdr.Mode != 0o755 {
			t.Errorf("%s mode %o, want 755", p, f.hdr.Mode)
		}
		e, err := elf.NewFile(bytes.NewReader(f.data))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if e.Machine != machine {
			t.Errorf("%s is built for %s, want %s", p, e.Machine, machine)
		}
		if e.Section(".interp") != nil {
			t.Errorf("%s is dynamically linked", p)
		}
	}
	for _, p := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "tmp", "home/nonroot"} {
		if _, ok := files[p]; !ok {
			t.Errorf("/%s is missing", p)
		}
	}
	writable := map[string]bool{"tmp": true, "home/nonroot": true}
	for p, f := range files {
		if writable[p] {
			continue
		}
		if f.hdr.Uid != 0 || f.hdr.Gid != 0 {
			t.Errorf("/%s is owned by %d:%d, want root", p, f.hdr.Uid, f.hdr.Gid)
		}
		if f.hdr.Mode&0o022 != 0 {
			t.Errorf("/%s mode %o is writable by group or others", p, f.hdr.Mode)
		}
	}
	if f := files["tmp"]; f.hdr != nil && f.hdr.Mode != 0o1777 {
		t.Errorf("/tmp mode %o, want 1777", f.hdr.Mode)
	}
	if f := files["home/nonroot"]; f.hdr != nil && (f.hdr.Uid != 65532 || f.hdr.Gid != 65532) {
		t.Errorf("/home/nonroot owned by %d:%d, want 65532:65532", f.hdr.Uid, f.hdr.Gid)
	}
}

func checkSBOM(t *testing.T, data []byte) {
	t.Helper()
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name            string `json:"name"`
			VersionInfo     string `json:"versionInfo"`
			PackageFileName string `json:"packageFileName"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the SBOM at %s: %v", imagebuild.SBOMPath, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion %q", doc.SPDXVersion)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		got[p.Name+" "+p.PackageFileName] = p.VersionInfo
	}
	for _, want := range []string{
		"sigs.k8s.io/controller-runtime ",
		"github.com/google/go-containerregistry ",
		"helm.sh/helm/v3/cmd/helm /usr/local/bin/helm",
		imagebuild.ModulePath + "/cmd/manager /manager",
		imagebuild.ModulePath + "/cmd/railyard /usr/local/bin/railyard",
		"stdlib ",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("the SBOM lacks %q", want)
		}
	}
	if v := got[imagebuild.ModulePath+"/cmd/manager /manager"]; v != testVersion {
		t.Errorf("the SBOM's manager version = %q", v)
	}
}

func checkReferrer(t *testing.T, ctx context.Context, subject name.Digest) {
	t.Helper()
	refs, err := remote.Referrers(subject, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("referrers of %s: %v", subject, err)
	}
	m, err := refs.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].ArtifactType != imagebuild.SBOMMediaType {
		t.Errorf("referrers of %s: %+v, want one %s", subject, m.Manifests, imagebuild.SBOMMediaType)
	}
}

// checkRuns executes the host platform's binaries from the image.
func checkRuns(t *testing.T, files map[string]file) {
	t.Helper()
	dir := t.TempDir()
	tests := map[string]struct {
		path string
		args []string
		want string
	}{
		"manager": {imagebuild.ManagerPath, []string{"--version"}, "manager " + testVersion},
		"cli":     {imagebuild.CLIPath, []string{"version"}, "railyard " + testVersion},
		"helm":    {imagebuild.HelmPath, []string{"version", "--short"}, "v3.22.0"},
	}
	for name, tc := range tests {
		exe := filepath.Join(dir, name)
		if err := os.WriteFile(exe, files[strings.TrimPrefix(tc.path, "/")].data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, tc.args...)
		cmd.Env = []string{"HOME=" + dir}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %v: %v\n%s", tc.path, tc.args, err, out)
			continue
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%s %v printed %q, want %q", tc.path, tc.args, out, tc.want)
		}
	}
}
