package imagebuild

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SBOMMediaType is the media type of the SPDX documents (inside the image and
// as a referrer artifact).
const SBOMMediaType = "application/spdx+json"

// Binary is a Go executable on the build machine and where it goes in the image.
type Binary struct {
	Local string // path on the build machine
	Image string // absolute path in the image
	// Version of the main module; built from a work tree or the module cache,
	// the build info says only "(devel)".
	Version string
}

// SPDX 2.3 JSON, only the fields we fill.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name                  string         `json:"name"`
	SPDXID                string         `json:"SPDXID"`
	VersionInfo           string         `json:"versionInfo,omitempty"`
	PackageFileName       string         `json:"packageFileName,omitempty"`
	Supplier              string         `json:"supplier"`
	DownloadLocation      string         `json:"downloadLocation"`
	FilesAnalyzed         bool           `json:"filesAnalyzed"`
	Checksums             []spdxChecksum `json:"checksums,omitempty"`
	LicenseConcluded      string         `json:"licenseConcluded"`
	LicenseDeclared       string         `json:"licenseDeclared"`
	CopyrightText         string         `json:"copyrightText"`
	PrimaryPackagePurpose string         `json:"primaryPackagePurpose"`
	ExternalRefs          []spdxRef      `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

// SBOM returns an SPDX 2.3 JSON document for one platform of the image: the
// image contains each binary, and each binary depends on the Go modules (and
// the standard library) its build info records. Output depends only on the
// inputs, so it does not break reproducibility.
func SBOM(m Meta, p v1.Platform, bins []Binary) ([]byte, error) {
	plat := p.OS + "-" + p.Architecture
	version := m.Version
	if version == "" {
		version = "dev"
	}
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        Title + "-" + version + "-" + plat,
		CreationInfo: spdxCreationInfo{
			Created:  m.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Organization: Railyard", "Tool: railyard-imagebuild"},
		},
	}
	const imageID = "SPDXRef-image"
	doc.DocumentDescribes = []string{imageID}
	doc.Packages = append(doc.Packages, spdxPackage{
		Name:                  Title,
		SPDXID:                imageID,
		VersionInfo:           version,
		Supplier:              "Organization: Railyard",
		DownloadLocation:      Source,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       noAssertion,
		CopyrightText:         noAssertion,
		PrimaryPackagePurpose: "CONTAINER",
	})
	doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", imageID})

	ids := newIDs()
	modules := map[string]string{} // path@version -> SPDXID, shared between binaries
	for _, b := range bins {
		info, err := buildinfo.ReadFile(b.Local)
		if err != nil {
			return nil, fmt.Errorf("reading Go build info of %s: %w", b.Local, err)
		}
		sum, err := fileSHA256(b.Local)
		if err != nil {
			return nil, err
		}
		mainVersion := info.Main.Version
		if b.Version != "" {
			mainVersion = b.Version
		}
		binID := ids.make("binary" + b.Image)
		doc.Packages = append(doc.Packages, spdxPackage{
			Name:                  info.Path,
			SPDXID:                binID,
			VersionInfo:           mainVersion,
			PackageFileName:       b.Image,
			Supplier:              noAssertion,
			DownloadLocation:      noAssertion,
			Checksums:             []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: sum}},
			LicenseConcluded:      noAssertion,
			LicenseDeclared:       noAssertion,
			CopyrightText:         noAssertion,
			PrimaryPackagePurpose: "APPLICATION",
			ExternalRefs:          purl(info.Main.Path, mainVersion),
		})
		doc.Relationships = append(doc.Relationships, spdxRelationship{imageID, "CONTAINS", binID})

		deps := append([]module{{"stdlib", info.GoVersion}}, modulesOf(info)...)
		for _, d := range deps {
			key := d.path + "@" + d.version
			id, ok := modules[key]
			if !ok {
				id = ids.make("go-" + key)
				modules[key] = id
				doc.Packages = append(doc.Packages, spdxPackage{
					Name:                  d.path,
					SPDXID:                id,
					VersionInfo:           d.version,
					Supplier:              noAssertion,
					DownloadLocation:      noAssertion,
					LicenseConcluded:      noAssertion,
					LicenseDeclared:       noAssertion,
					CopyrightText:         noAssertion,
					PrimaryPackagePurpose: "LIBRARY",
					ExternalRefs:          purl(d.path, d.version),
				})
			}
			doc.Relationships = append(doc.Relationships, spdxRelationship{binID, "DEPENDS_ON", id})
		}
	}

	// SPDX wants a unique namespace URI; derive it from the content so that it
	// is unique per input yet reproducible.
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(body)
	doc.DocumentNamespace = Source + "/spdx/" + version + "/" + plat + "/" + hex.EncodeToString(h[:8])
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

type module struct{ path, version string }

// modulesOf lists the dependencies compiled in, as the code that was built:
// a replaced module is reported as its replacement. Sorted for stable output.
func modulesOf(info *debug.BuildInfo) []module {
	var out []module
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		out = append(out, module{d.Path, d.Version})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].version < out[j].version
	})
	return out
}

func purl(path, version string) []spdxRef {
	if version == "" || version == "(devel)" {
		return nil
	}
	return []spdxRef{{
		ReferenceCategory: "PACKAGE-MANAGER",
		ReferenceType:     "purl",
		ReferenceLocator:  "pkg:golang/" + path + "@" + version,
	}}
}

// ids makes valid, unique SPDX identifiers from readable names.
type ids map[string]bool

var idUnsafe = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

func newIDs() ids { return ids{} }

func (s ids) make(name string) string {
	base := "SPDXRef-" + idUnsafe.ReplaceAllString(name, "-")
	id := base
	for n := 2; s[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	s[id] = true
	return id
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
