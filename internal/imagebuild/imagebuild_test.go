package imagebuild

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParsePlatforms(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    []string
		wantErr string
	}{
		"two platforms":          {in: "linux/amd64,linux/arm64", want: []string{"linux/amd64", "linux/arm64"}},
		"spaces and empty items": {in: " linux/arm64 ,,", want: []string{"linux/arm64"}},
		"nothing":                {in: "", wantErr: "no platforms"},
		"not linux":              {in: "windows/amd64", wantErr: "want linux/<arch>"},
		"a variant":              {in: "linux/arm/v7", wantErr: "want linux/<arch>"},
		"twice":                  {in: "linux/amd64,linux/amd64", wantErr: "given twice"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePlatforms(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, p.String())
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", names, tc.want)
			}
		})
	}
}

func TestParseReference(t *testing.T) {
	tests := map[string]struct {
		img     string
		want    string
		wantErr string
	}{
		"tag":          {img: "localhost:5000/railyard:dev", want: "localhost:5000/railyard:dev"},
		"no tag":       {img: "ghcr.io/railyard-dev/railyard", want: "ghcr.io/railyard-dev/railyard:latest"},
		"empty":        {img: "", wantErr: "set IMG"},
		"upper case":   {img: "localhost:5000/Railyard:dev", wantErr: "is not an image reference"},
		"bad tag":      {img: "localhost:5000/railyard:a tag", wantErr: "is not an image reference"},
		"bad digest":   {img: "localhost:5000/railyard@sha256:abc", wantErr: "is not an image reference"},
		"only a colon": {img: ":", wantErr: "is not an image reference"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ref, err := ParseReference(tc.img)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ref.Name() != tc.want {
				t.Errorf("got %s, want %s", ref.Name(), tc.want)
			}
		})
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	got, err := ParseSourceDateEpoch("1700000000")
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "-1", "2026-12-02", "1.5"} {
		if _, err := ParseSourceDateEpoch(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestBaseLayer: the accounts, the only two writable directories and root
// ownership of everything else, with constant metadata.
func TestBaseLayer(t *testing.T) {
	// A bundle of our own: the layer's shape must not depend on whether
	// this machine has ca-certificates installed.
	bundle := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(bundle, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := baseLayer(bundle)
	if err != nil {
		t.Fatal(err)
	}
	files := readLayer(t, l)
	if got := string(files["etc/ssl/certs/ca-certificates.crt"].data); !strings.Contains(got, "BEGIN CERTIFICATE") {
		t.Errorf("the CA bundle in the layer is %q", got)
	}
	if p := string(files["etc/passwd"].data); !strings.Contains(p, "nonroot:x:65532:65532:nonroot:/home/nonroot:") {
		t.Errorf("/etc/passwd has no nonroot 65532:\n%s", p)
	}
	if g := string(files["etc/group"].data); !strings.Contains(g, "nonroot:x:65532:") {
		t.Errorf("/etc/group has no nonroot 65532:\n%s", g)
	}
	tests := map[string]struct {
		mode     int64
		uid, gid int
	}{
		"etc/":                              {0o755, 0, 0},
		"etc/ssl/certs/":                    {0o755, 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0},
		"tmp/":                              {0o1777, 0, 0},
		"home/nonroot/":                     {0o700, UID, GID},
		"root/":                             {0o700, 0, 0},
		"etc/passwd":                        {0o644, 0, 0},
	}
	for name, want := range tests {
		f, ok := files[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		if f.hdr.Mode != want.mode || f.hdr.Uid != want.uid || f.hdr.Gid != want.gid {
			t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", name, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, want.mode, want.uid, want.gid)
		}
		if !f.hdr.ModTime.Equal(fileTime) {
			t.Errorf("%s: mtime %v, want %v", name, f.hdr.ModTime, fileTime)
		}
	}
	again, err := baseLayer(bundle)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := l.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two base layers differ: %s, %s", d1, d2)
	}
}

func TestBaseLayerWithoutCACerts(t *testing.T) {
	_, err := Build(Options{
		Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}},
		CACerts:   "/nonexistent/ca.crt",
	})
	if err == nil || !strings.Contains(err.Error(), "CA certificates /nonexistent/ca.crt not found") {
		t.Errorf("error = %v, want one naming the missing bundle", err)
	}
}

// TestSBOM reads the test binary's own build info (test binaries record no
// dependencies; the image test checks those on real binaries).
func TestSBOM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := Meta{Version: "v1.2.3", Created: time.Unix(1700000000, 0)}
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	bins := []Binary{{Local: exe, Image: ManagerPath, Version: "v1.2.3"}, {Local: exe, Image: CLIPath}}
	doc, err := SBOM(m, p, bins)
	if err != nil {
		t.Fatal(err)
	}
	again, err := SBOM(m, p, bins)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != string(again) {
		t.Error("the SBOM differs between two runs")
	}
	var d spdxDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.SPDXVersion != "SPDX-2.3" || d.CreationInfo.Created != "2023-11-14T22:13:20Z" || !strings.HasPrefix(d.DocumentNamespace, Source+"/spdx/v1.2.3/linux-amd64/") {
		t.Errorf("header: %+v", d)
	}
	validID := regexp.MustCompile(`^SPDXRef-[a-zA-Z0-9.-]+$`)
	ids := map[string]bool{}
	names := map[string]string{}
	for _, pkg := range d.Packages {
		if !validID.MatchString(pkg.SPDXID) || ids[pkg.SPDXID] {
			t.Errorf("invalid or repeated SPDXID %q", pkg.SPDXID)
		}
		ids[pkg.SPDXID] = true
		names[pkg.Name] = pkg.VersionInfo
	}
	for _, want := range []string{ModulePath + "/internal/imagebuild.test", "stdlib", Title} {
		if _, ok := names[want]; !ok {
			t.Errorf("no package %s", want)
		}
	}
	// Two binaries, modules listed once, each binary depending on them.
	dependsOn := 0
	for _, r := range d.Relationships {
		if !ids[r.RelatedSPDXElement] {
			t.Errorf("relationship %+v names an unknown package", r)
		}
		if r.RelationshipType == "DEPENDS_ON" {
			dependsOn++
		}
	}
	if libs := len(d.Packages) - 3; dependsOn != 2*libs {
		t.Errorf("%d DEPENDS_ON for %d modules and 2 binaries", dependsOn, libs)
	}
}

func TestModulesOf(t *testing.T) {
	info := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "z.example/b", Version: "v1.0.0"},
		{Path: "a.example/a", Version: "v0.1.0", Replace: &debug.Module{Path: "fork.example/a", Version: "v0.1.1"}},
		{Path: "a.example/c", Version: "v2.0.0"},
	}}
	got := modulesOf(info)
	want := []module{{"a.example/c", "v2.0.0"}, {"fork.example/a", "v0.1.1"}, {"z.example/b", "v1.0.0"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSPDXIDs(t *testing.T) {
	s := newIDs()
	tests := []struct{ name, want string }{
		{"go-sigs.k8s.io/yaml@v1.6.0", "SPDXRef-go-sigs.k8s.io-yaml-v1.6.0"},
		{"go-sigs.k8s.io/yaml@v1.6.0", "SPDXRef-go-sigs.k8s.io-yaml-v1.6.0-2"},
		{"binary/usr/local/bin/helm", "SPDXRef-binary-usr-local-bin-helm"},
	}
	for _, tc := range tests {
		if got := s.make(tc.name); got != tc.want {
			t.Errorf("make(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSBOMNotAGoBinary(t *testing.T) {
	_, err := SBOM(Meta{}, v1.Platform{OS: "linux", Architecture: "amd64"}, []Binary{{Local: DefaultCACerts, Image: "/x"}})
	if err == nil || !strings.Contains(err.Error(), "reading Go build info") {
		t.Errorf("error = %v", err)
	}
}

type tarFile struct {
	hdr  *tar.Header
	data []byte
}

func readLayer(t *testing.T, l v1.Layer) map[string]tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	files := map[string]tarFile{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = tarFile{hdr, data}
	}
}
