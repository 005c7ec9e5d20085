// Package version reports the build's version, set by the linker.
package version

import "runtime/debug"

// Version is set with -ldflags "-X .../internal/version.Version=...".
var Version = ""

// Get returns the version: the linker's value, else the module version
// recorded by `go install`, else "dev".
func Get() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
