// Package chart discovers the versions of a Helm chart for a Warehouse chart
// subscription, from a classic HTTP repository (index.yaml) or an OCI
// registry.
//
// A Discoverer is meant to live as long as the controller: it keeps the
// validators (ETag, Last-Modified) of every index it read, so an unchanged
// index costs one request answered 304 and no download. Reading an index
// is streaming: only the subscribed chart's entries are decoded, so memory
// stays bounded by that chart, not by the whole repository.
//
// Version selection (Select) is pure and separate from I/O.
package chart
