// Package imagebuild builds the Railyard manager image without a container
// engine: a from-scratch base layer (users, /tmp, CA certificates), the helm
// binary, the manager and the CLI, and an SPDX SBOM per platform, assembled
// with go-containerregistry into a reproducible multi-platform OCI index.
//
// The constants below are the image's contract. The Dockerfile builds the same
// content; test/build checks that the two agree.
package imagebuild

import (
	"fmt"
	"strconv"
	"time"
)

// Paths inside the image.
const (
	ManagerPath = "/manager"
	// GuardPath is next to the manager, where the manager looks for it.
	GuardPath   = "/railyard-helm-guard"
	CLIPath     = "/usr/local/bin/railyard"
	HelmPath    = "/usr/local/bin/helm"
	SBOMPath    = "/usr/share/railyard/sbom.spdx.json"
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	HomeDir     = "/home/nonroot"
)

// The non-root user the manager runs as, the same uid and gid as distroless's
// "nonroot" so volumes and securityContexts written for either image work.
const (
	UID  = 65532
	GID  = 65532
	User = "65532:65532"
)

// WorkingDir is the user's home: the only writable place besides /tmp.
const WorkingDir = HomeDir

// ModulePath is the Go module the manager and CLI are built from.
const ModulePath = "github.com/railyard-dev/railyard"

// Label keys (OCI image spec annotations) and the values that never change.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelCreated  = "org.opencontainers.image.created"
	LabelTitle    = "org.opencontainers.image.title"

	Source = "https://github.com/railyard-dev/railyard"
	Title  = "railyard-manager"
)

// Entrypoint is the image's entrypoint.
func Entrypoint() []string { return []string{ManagerPath} }

// Env is the image's environment. PATH and SSL_CERT_FILE are what the
// distroless base sets; RAILYARD_HELM tells kustomize's Helm inflation which
// binary to run.
func Env() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=" + CACertsPath,
		"RAILYARD_HELM=" + HelmPath,
	}
}

// Meta identifies a build: it becomes labels, the config's created time and
// the SBOM's creation info.
type Meta struct {
	Version  string
	Revision string
	// Created is the source's time (SOURCE_DATE_EPOCH or the commit time), not
	// the wall clock, so a rebuild gives the same digest.
	Created time.Time
}

// Labels returns the OCI labels for m; empty values are left out.
func Labels(m Meta) map[string]string {
	l := map[string]string{
		LabelSource:  Source,
		LabelTitle:   Title,
		LabelCreated: m.Created.UTC().Format(time.RFC3339),
	}
	if m.Version != "" {
		l[LabelVersion] = m.Version
	}
	if m.Revision != "" {
		l[LabelRevision] = m.Revision
	}
	return l
}

// LDFlags are the linker flags of `make build` for version: stripped, with the
// version stamped into internal/version.
func LDFlags(version string) string {
	return "-s -w -X " + ModulePath + "/internal/version.Version=" + version
}

// ParseSourceDateEpoch parses a SOURCE_DATE_EPOCH value (seconds since 1970).
func ParseSourceDateEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a non-negative number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}
