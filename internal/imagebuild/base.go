package imagebuild

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultCACerts is where Debian (and most Linux distributions) keep the CA
// bundle the base layer copies.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// The same accounts as distroless: root, nonroot and nobody, all without a
// login shell.
func passwd() []byte {
	return []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:" + strconv.Itoa(UID) + ":" + strconv.Itoa(GID) + ":nonroot:" + HomeDir + ":/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")
}

func group() []byte {
	return []byte("root:x:0:\n" +
		"nonroot:x:" + strconv.Itoa(GID) + ":\n" +
		"nobody:x:65534:\n")
}

// baseLayer is what a distroless static base would give: accounts, /tmp, the
// user's home and the CA bundle from caCerts on the build machine (there is no
// base image to pull).
func baseLayer(caCerts string) (v1.Layer, error) {
	if _, err := os.Stat(caCerts); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("CA certificates %s not found: install them (Debian: apt-get install ca-certificates) or pass another bundle", caCerts)
		}
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	return newLayer([]entry{
		{path: "/etc/passwd", mode: 0o644, data: passwd()},
		{path: "/etc/group", mode: 0o644, data: group()},
		{path: CACertsPath, mode: 0o644, src: caCerts},
		{path: "/tmp", dir: true, mode: 0o1777},
		{path: "/root", dir: true, mode: 0o700},
		{path: HomeDir, dir: true, mode: 0o700, uid: UID, gid: GID},
	})
}
