// Package actions holds what a person does to a project, shared by the CLI
// (internal/cli) and the web UI (internal/ui): which Freight "promote from
// upstream" picks, the Promotion object a promote creates, the Freight a
// hand-made "create freight" builds from discovered artifacts, and the abort
// request. It reads and builds objects; callers talk to the API server.
package actions
