// Package webhook is the provider layer of Kargo-compatible webhook
// receivers (ProjectConfig spec.webhookReceivers) for GitHub, GitLab,
// Gitea, Bitbucket, Azure (Container Registry and DevOps), Docker Hub,
// Quay, Harbor and Artifactory: for each provider it verifies a request the
// way that provider signs it, parses the payload into the repositories and
// tags it names, matches those against one project's Warehouses, and serves
// it all through Handler.
//
// Receiver paths mirror Kargo's (see ReceiverPath), so the URL a Kargo
// user registered with a provider keeps working once the host is changed.
//
// Not done here, or done differently from Kargo:
//   - no manager wiring: building the path→Receiver lookup from
//     ProjectConfigs and Secrets, and publishing status, belong to the caller;
//   - no rate limiting and no coalescing of bursts of deliveries: every
//     accepted request calls Refresh once;
//   - matching is by repository only; Kargo additionally skips Warehouses
//     whose branch, tag constraints or path filters exclude what was pushed;
//   - pull-request events (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps), which Kargo uses to refresh
//     Promotions waiting on a merge, are acknowledged and ignored;
//   - the generic receiver, whose expression-driven actions live in fields
//     the Railyard API keeps only as unknown fields, and Artifactory's
//     virtualRepoName option, for the same reason;
//   - a delivery answered "ignored" (2xx) where Kargo answers 400 or 501 for
//     an event type it does not handle, so that providers which disable
//     failing hooks (GitLab) keep delivering.
package webhook
