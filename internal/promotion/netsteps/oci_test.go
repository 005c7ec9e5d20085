package netsteps

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

const (
	chartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	readmeMediaType = "text/markdown"
)

// fakeCreds serves credentials by type and repository URL and records the
// lookups.
type fakeCreds struct {
	mu      sync.Mutex
	creds   map[string]*promotion.Credentials // "type repoURL"
	lookups []string
}

func (f *fakeCreds) Get(_ context.Context, namespace, credType, repoURL string) (*promotion.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, credType+" "+repoURL)
	if namespace != "demo" {
		return nil, nil
	}
	return f.creds[credType+" "+repoURL], nil
}

// artifact is an OCI artifact with one layer per content, of the given
// media types.
func artifact(t *testing.T, layers ...[2]string) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.cncf.helm.config.v1+json")
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer([]byte(l[1]), types.MediaType(l[0]))})
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestOCIDownload(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "charts/app", "1.0.0", artifact(t, [2]string{readmeMediaType, "# readme"}, [2]string{chartMediaType, "chart-bytes"}))
	reg.PushImage(t, "empty", "v1", artifact(t))
	digest := reg.PushImage(t, "files", "v1", artifact(t, [2]string{"text/plain", "by digest"}))
	tests := []struct {
		name     string
		cfg      map[string]any
		existing map[string]string
		want     outcome
		files    map[string]string
	}{{
		name:  "first layer",
		cfg:   map[string]any{"imageRef": reg.Repo("charts/app") + ":1.0.0", "outPath": "out/readme.md"},
		want:  ok,
		files: map[string]string{"out/readme.md": "# readme"},
	}, {
		name:  "layer of a media type, oci:// prefix",
		cfg:   map[string]any{"imageRef": "oci://" + reg.Repo("charts/app") + ":1.0.0", "outPath": "chart.tgz", "mediaType": chartMediaType},
		want:  ok,
		files: map[string]string{"chart.tgz": "chart-bytes"},
	}, {
		name:  "by digest",
		cfg:   map[string]any{"imageRef": reg.Repo("files") + "@" + digest.String(), "outPath": "f.txt"},
		want:  ok,
		files: map[string]string{"f.txt": "by digest"},
	}, {
		name: "no layer of the media type",
		cfg:  map[string]any{"imageRef": reg.Repo("charts/app") + ":1.0.0", "outPath": "x", "mediaType": "application/zip"},
		want: failedWith(`no layer of media type "application/zip"`),
	}, {
		name: "no layers",
		cfg:  map[string]any{"imageRef": reg.Repo("empty") + ":v1", "outPath": "x"},
		want: failedWith("artifact has no layers"),
	}, {
		name:     "existing file without allowOverwrite",
		cfg:      map[string]any{"imageRef": reg.Repo("files") + ":v1", "outPath": "f.txt"},
		existing: map[string]string{"f.txt": "old"},
		want:     failedWith(`file already exists at "f.txt"`),
		files:    map[string]string{"f.txt": "old"},
	}, {
		name:     "existing identical file: the step ran before",
		cfg:      map[string]any{"imageRef": reg.Repo("files") + ":v1", "outPath": "f.txt"},
		existing: map[string]string{"f.txt": "by digest"},
		want:     ok,
		files:    map[string]string{"f.txt": "by digest"},
	}, {
		name:     "existing file with allowOverwrite",
		cfg:      map[string]any{"imageRef": reg.Repo("files") + ":v1", "outPath": "f.txt", "allowOverwrite": true},
		existing: map[string]string{"f.txt": "old"},
		want:     ok,
		files:    map[string]string{"f.txt": "by digest"},
	}, {
		name: "missing tag",
		cfg:  map[string]any{"imageRef": reg.Repo("files") + ":nope", "outPath": "x"},
		want: failedWith("fetching "+reg.Repo("files")+":nope", "MANIFEST_UNKNOWN"),
	}, {
		name: "path leaving the work directory",
		cfg:  map[string]any{"imageRef": reg.Repo("files") + ":v1", "outPath": "../../x"},
		want: failedWith("path escapes the work directory"),
	}, {
		name: "bad reference",
		cfg:  map[string]any{"imageRef": "Not A Ref::", "outPath": "x"},
		want: failedWith(`field "imageRef"`),
	}, {
		name: "missing imageRef",
		cfg:  map[string]any{"outPath": "x"},
		want: failedWith(`field "imageRef" is required`),
	}, {
		name: "unknown field",
		cfg:  map[string]any{"imageRef": reg.Repo("files") + ":v1", "outPath": "x", "layer": 1},
		want: failedWith(`unknown field "layer"`),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := stepContext(t, tc.cfg)
			writeFiles(t, sc.WorkDir, tc.existing)
			res, err := runStep(t, &OCIDownload{}, sc)
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
			checkFiles(t, sc.WorkDir, tc.files)
		})
	}
}

// TestOCIDownloadCredentials: image credentials for plain references, Helm
// credentials for oci:// ones, and the password never in a message.
func TestOCIDownloadCredentials(t *testing.T) {
	const password = "s3cret-pw"
	reg := registrytest.New(t, registrytest.WithBasicAuth("alice", password))
	reg.PushImage(t, "charts/app", "1.0.0", artifact(t, [2]string{chartMediaType, "chart"}))
	repo := reg.Repo("charts/app")
	good := &promotion.Credentials{Username: "alice", Password: password}
	bad := &promotion.Credentials{Username: "alice", Password: password + "-wrong"}
	tests := []struct {
		name   string
		ref    string
		creds  map[string]*promotion.Credentials
		want   outcome
		lookup string
	}{
		{"image credentials", repo + ":1.0.0", map[string]*promotion.Credentials{"image " + repo: good}, ok, "image " + repo},
		{"helm credentials", "oci://" + repo + ":1.0.0", map[string]*promotion.Credentials{"helm oci://" + repo: good}, ok, "helm oci://" + repo},
		{"helm credentials are not image credentials", "oci://" + repo + ":1.0.0", map[string]*promotion.Credentials{"image " + repo: good}, failedWith("UNAUTHORIZED"), "helm oci://" + repo},
		{"no credentials", repo + ":1.0.0", nil, failedWith("UNAUTHORIZED"), "image " + repo},
		{"wrong password", repo + ":1.0.0", map[string]*promotion.Credentials{"image " + repo: bad}, failedWith("UNAUTHORIZED"), "image " + repo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := &fakeCreds{creds: tc.creds}
			sc := stepContext(t, map[string]any{"imageRef": tc.ref, "outPath": "chart.tgz"})
			sc.Credentials = creds
			res, err := runStep(t, &OCIDownload{}, sc)
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
			noSecret(t, res, err, password)
			if len(creds.lookups) != 1 || creds.lookups[0] != tc.lookup {
				t.Errorf("lookups %v, want [%s]", creds.lookups, tc.lookup)
			}
		})
	}
}

// TestOCIStepsTimeout: a registry that accepts connections but never
// answers ends each oci step at its timeout.
func TestOCIStepsTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	ref := ln.Addr().String() + "/app:v1"
	opts := Options{OCITimeout: 200 * time.Millisecond}
	for _, tc := range []struct {
		step promotion.Step
		cfg  map[string]any
	}{
		{&OCIDownload{opts: opts}, map[string]any{"imageRef": ref, "outPath": "x"}},
		{&OCIPush{opts: opts}, map[string]any{"srcRef": ref, "destRef": ln.Addr().String() + "/app:v2"}},
	} {
		t.Run(tc.step.Name(), func(t *testing.T) {
			res, err := runStep(t, tc.step, stepContext(t, tc.cfg))
			erroredWith("deadline exceeded").check(t, res, err)
		})
	}
}

func TestOCIPush(t *testing.T) {
	reg := registrytest.New(t)
	img := registrytest.NewImage(t, registrytest.ImageSpec{Labels: map[string]string{"v": "1"}})
	imgDigest := reg.PushImage(t, "app", "v1", img)
	reg.PushImage(t, "charts/app", "1.0.0", artifact(t, [2]string{chartMediaType, "chart"}))
	amd := registrytest.NewImage(t, registrytest.ImageSpec{Arch: "amd64"})
	arm := registrytest.NewImage(t, registrytest.ImageSpec{Arch: "arm64"})
	idxDigest := reg.PushIndex(t, "multi", "v1", registrytest.NewIndex(t, map[string]string{"source": "ci"}, amd, arm))

	t.Run("copy to another repository keeps the digest", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{"srcRef": reg.Repo("app") + ":v1", "destRef": reg.Repo("prod/app") + ":1.2.3"}))
		ok.check(t, res, err)
		assertOutput(t, res.Output, map[string]any{"image": reg.Repo("prod/app") + ":1.2.3", "digest": imgDigest.String(), "tag": "1.2.3"})
		if got := remoteDigest(t, reg.Repo("prod/app")+":1.2.3"); got != imgDigest {
			t.Errorf("pushed digest %s, want %s", got, imgDigest)
		}
	})
	t.Run("retag in place", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{"srcRef": reg.Repo("app") + "@" + imgDigest.String(), "destRef": reg.Repo("app") + ":stable"}))
		ok.check(t, res, err)
		if got := remoteDigest(t, reg.Repo("app")+":stable"); got != imgDigest {
			t.Errorf("pushed digest %s, want %s", got, imgDigest)
		}
	})
	t.Run("helm chart with oci://", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{"srcRef": "oci://" + reg.Repo("charts/app") + ":1.0.0", "destRef": "oci://" + reg.Repo("prod/charts/app") + ":1.0.0"}))
		ok.check(t, res, err)
		if res.Output["tag"] != "1.0.0" {
			t.Errorf("tag output %v", res.Output["tag"])
		}
	})
	t.Run("destination by digest has no tag", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{"srcRef": reg.Repo("app") + ":v1", "destRef": reg.Repo("mirror/app") + "@" + imgDigest.String()}))
		ok.check(t, res, err)
		assertOutput(t, res.Output, map[string]any{"image": reg.Repo("mirror/app") + "@" + imgDigest.String(), "digest": imgDigest.String(), "tag": ""})
	})
	t.Run("annotations on an image", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{
			"srcRef": reg.Repo("app") + ":v1", "destRef": reg.Repo("app") + ":annotated",
			"annotations": map[string]any{"release": "r1", "manifest:team": "a", "index:ignored": "x"},
		}))
		ok.check(t, res, err)
		m := remoteManifest(t, reg.Repo("app")+":annotated")
		if m.Annotations["release"] != "r1" || m.Annotations["team"] != "a" || m.Annotations["ignored"] != "" {
			t.Errorf("annotations %v", m.Annotations)
		}
		if res.Output["digest"] == imgDigest.String() {
			t.Error("digest unchanged by annotations")
		}
	})
	t.Run("index copied in full", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{"srcRef": reg.Repo("multi") + ":v1", "destRef": reg.Repo("prod/multi") + ":v1"}))
		ok.check(t, res, err)
		if res.Output["digest"] != idxDigest.String() {
			t.Errorf("digest %v, want %s", res.Output["digest"], idxDigest)
		}
		for _, child := range []v1.Image{amd, arm} {
			d, _ := child.Digest()
			if got := remoteDigest(t, reg.Repo("prod/multi")+"@"+d.String()); got != d {
				t.Errorf("child %s not copied", d)
			}
		}
	})
	t.Run("index with scoped annotations", func(t *testing.T) {
		res, err := runStep(t, &OCIPush{}, stepContext(t, map[string]any{
			"srcRef": reg.Repo("multi") + ":v1", "destRef": reg.Repo("multi") + ":annotated",
			"annotations": map[string]any{"index:release": "r2", "team": "b"},
		}))
		ok.check(t, res, err)
		idx := remoteIndex(t, reg.Repo("multi")+":annotated")
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if im.Annotations["release"] != "r2" || im.Annotations["source"] != "ci" || im.Annotations["team"] != "" {
			t.Errorf("index annotations %v", im.Annotations)
		}
		if len(im.Manifests) != 2 {
			t.Fatalf("%d manifests, want 2", len(im.Manifests))
		}
		for i, want := range []string{"amd64", "arm64"} {
			d := im.Manifests[i]
			if d.Platform == nil || d.Platform.Architecture != want {
				t.Errorf("manifest %d platform %v, want %s", i, d.Platform, want)
			}
			m := remoteManifest(t, reg.Repo("multi")+"@"+d.Digest.String())
			if m.Annotations["team"] != "b" || m.Annotations["release"] != "" {
				t.Errorf("manifest %d annotations %v", i, m.Annotations)
			}
		}
	})
}

func TestOCIPushLimitsAndErrors(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "app", "v1", artifact(t, [2]string{"text/plain", strings.Repeat("x", 100)}))
	src := reg.Repo("app") + ":v1"
	tests := []struct {
		name string
		opts Options
		cfg  map[string]any
		want outcome
	}{
		{"over the cap between repositories", Options{MaxArtifactBytes: 50}, map[string]any{"srcRef": src, "destRef": reg.Repo("other") + ":v1"}, failedWith("exceeds the limit of 50 bytes")},
		{"retag is not capped", Options{MaxArtifactBytes: 50}, map[string]any{"srcRef": src, "destRef": reg.Repo("app") + ":v2"}, ok},
		{"cross-repository copies disabled", Options{MaxArtifactBytes: -1}, map[string]any{"srcRef": src, "destRef": reg.Repo("other") + ":v1"}, failedWith("disabled")},
		{"missing source", Options{}, map[string]any{"srcRef": reg.Repo("app") + ":nope", "destRef": reg.Repo("other") + ":v1"}, failedWith("MANIFEST_UNKNOWN")},
		{"bad srcRef", Options{}, map[string]any{"srcRef": "UPPER/Case::", "destRef": reg.Repo("other") + ":v1"}, failedWith(`field "srcRef"`)},
		{"bad destRef", Options{}, map[string]any{"srcRef": src, "destRef": "a b"}, failedWith(`field "destRef"`)},
		{"missing destRef", Options{}, map[string]any{"srcRef": src}, failedWith(`field "destRef" is required`)},
		{"annotations of the wrong type", Options{}, map[string]any{"srcRef": src, "destRef": src, "annotations": map[string]any{"a": 1}}, failedWith(`"annotations`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runStep(t, &OCIPush{opts: tc.opts}, stepContext(t, tc.cfg))
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
		})
	}
}

// TestOCIPushCredentials: source and destination each get their own
// credentials; the passwords never appear in messages or outputs.
func TestOCIPushCredentials(t *testing.T) {
	srcReg := registrytest.New(t, registrytest.WithBasicAuth("reader", "src-pw-1"))
	dstReg := registrytest.New(t, registrytest.WithBasicAuth("writer", "dst-pw-2"))
	srcReg.PushImage(t, "app", "v1", registrytest.RandomImage(t))
	cfg := map[string]any{"srcRef": srcReg.Repo("app") + ":v1", "destRef": dstReg.Repo("app") + ":v1"}
	for _, tc := range []struct {
		name  string
		creds map[string]*promotion.Credentials
		want  outcome
	}{
		{"both", map[string]*promotion.Credentials{
			"image " + srcReg.Repo("app"): {Username: "reader", Password: "src-pw-1"},
			"image " + dstReg.Repo("app"): {Username: "writer", Password: "dst-pw-2"},
		}, ok},
		{"destination refuses", map[string]*promotion.Credentials{
			"image " + srcReg.Repo("app"): {Username: "reader", Password: "src-pw-1"},
			"image " + dstReg.Repo("app"): {Username: "writer", Password: "src-pw-1"},
		}, failedWith("pushing to "+dstReg.Repo("app")+":v1", "401 Unauthorized")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := stepContext(t, cfg)
			sc.Credentials = &fakeCreds{creds: tc.creds}
			res, err := runStep(t, &OCIPush{}, sc)
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
			noSecret(t, res, err, "src-pw-1")
			noSecret(t, res, err, "dst-pw-2")
		})
	}
}

func remoteDescriptor(t *testing.T, ref string) *remote.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return d
}

func remoteDigest(t *testing.T, ref string) v1.Hash { return remoteDescriptor(t, ref).Digest }

func remoteManifest(t *testing.T, ref string) *v1.Manifest {
	t.Helper()
	img, err := remoteDescriptor(t, ref).Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func remoteIndex(t *testing.T, ref string) v1.ImageIndex {
	t.Helper()
	idx, err := remoteDescriptor(t, ref).ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// rawManifest is a manifest pushed as written, to declare sizes the
// registry does not check.
type rawManifest struct{ m *v1.Manifest }

func (r rawManifest) RawManifest() ([]byte, error)        { return json.Marshal(r.m) }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.m.MediaType, nil }

// TestOCIDownloadDeclaredSizeOverLimit: a layer whose manifest declares
// more than MaxDownloadBytes is refused before a byte of it is read.
func TestOCIDownloadDeclaredSizeOverLimit(t *testing.T) {
	reg := registrytest.New(t)
	img := artifact(t, [2]string{chartMediaType, "small"})
	reg.PushImage(t, "huge", "real", img)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	m = m.DeepCopy()
	m.Layers[0].Size = MaxDownloadBytes + 1
	ref, err := name.ParseReference(reg.Repo("huge") + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{m}); err != nil {
		t.Fatal(err)
	}
	reg.ResetCounts()
	sc := stepContext(t, map[string]any{"imageRef": reg.Repo("huge") + ":v1", "outPath": "chart.tgz"})
	res, err := runStep(t, &OCIDownload{}, sc)
	failedWith("exceeds the size limit of 104857600 bytes").check(t, res, err)
	checkFiles(t, sc.WorkDir, map[string]string{"chart.tgz": ""})
	if c := reg.Counts(); c.BlobGet != 0 {
		t.Errorf("layer fetched (%+v), want only the manifest read", c)
	}
}
