// Package workdir is the confinement layer every file-touching promotion
// step goes through. Step configuration, checkouts and charts come from
// users and from Git repositories, so any path in them — absolute, `..`, or
// a symbolic link at any component, committed or unpacked from an archive —
// may aim outside the Promotion's work directory, and whatever a step reads
// there can end up pushed to a stage branch. Reads and writes go through
// os.Root, which follows a link only while it stays inside the work
// directory; paths handed to other programs (helm, kustomize) are resolved
// with SecureJoin and the trees they read are checked with CheckTree first.
// Errors name paths relative to the work directory only: they end up in the
// Promotion status.
//
// It depends on the standard library alone, so the helm guard, a separate
// small program, starts in milliseconds.
package workdir
