// Package actions holds what a person does to a project, shared by the CLI
// (internal/cli) and the web UI (internal/ui): which Freight "promote from
// upstream" picks, the Promotion object a promote creates, the Freight a
// hand-made "create freight" builds from discovered artifacts and its
// creation, and the pipeline view. Approval (freight.Approve) and the abort
// request (railyard.AbortPromotionRequest) live with the API and Freight
// rules the controllers share.
package actions
