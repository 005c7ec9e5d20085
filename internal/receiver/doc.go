// Package receiver runs the webhook receivers that ProjectConfigs and the
// ClusterConfig configure: it works out each receiver's path and URL for
// their status (Publish), finds the receiver a request's path names
// (Lookup), and serves deliveries on their own listener (Server), rate
// limited per receiver, turning each authentic one into a Warehouse refresh
// that bursts coalesce into (Refresher).
//
// Verifying and parsing what each provider sends is package webhook's.
package receiver
