// Package webhook is the provider layer of Kargo-compatible webhook
// receivers (spec.webhookReceivers of a ProjectConfig or, cluster-wide, a
// ClusterConfig) for GitHub, GitLab, Gitea, Bitbucket, Azure (Container
// Registry and DevOps), Docker Hub, Quay, Harbor, Artifactory, Kargo's
// generic receiver and, Railyard only, Amazon ECR through EventBridge. For
// each provider it verifies a request the way that provider signs it,
// parses the payload into the repositories and refs it names, matches those
// against the receiver's Warehouses (repository, then whether the pushed
// branch, tag, chart version or changed paths can matter to the
// subscription, as Kargo's refresh does), and serves it all through
// Handler. The generic receiver instead runs its configured actions:
// expressions over the request select the Warehouses to refresh.
//
// Receiver paths mirror Kargo's (see ReceiverPath), so the URL a Kargo
// user registered with a provider keeps working once the host is changed.
//
// Not done here, or done differently from Kargo:
//   - no manager wiring: building the path→Receiver lookup from
//     ProjectConfigs, ClusterConfigs and Secrets (including Receiver.Config),
//     serving, and publishing status belong to the caller;
//   - rate limiting is only a hook (Handler.Limit); nothing coalesces bursts
//     of deliveries: every accepted request calls Refresh once (the generic
//     receiver once per selected Warehouse, to report each);
//   - ref filtering errs towards refreshing where Kargo would not: a
//     NewestFromBranch subscription without a branch accepts a push to any
//     branch (Kargo assumes main or master), an invalid constraint, regex or
//     path selector never hides a Warehouse (Kargo answers 500), and the
//     deprecated allowTags/ignoreTags are read as discovery reads them
//     (Kargo v1.11 refuses them);
//   - pull-request events (GitHub, GitLab, Gitea, Bitbucket Cloud, Azure
//     DevOps) that merge or close a pull request wake the Promotions waiting
//     on the repository through Handler.WakePromotions, as Kargo refreshes
//     them; the generic receiver selects Warehouses only (Kargo also
//     Promotions);
//   - generic receiver: parameters may hold ${{ }} expressions (Kargo passes
//     them as literal text), a ${{ }} value yielding nil is an error, one
//     yielding a number is accepted as its text (Kargo refuses non-strings),
//     and the receiverPaths index, which Kargo defines on ProjectConfigs, is
//     refused for Warehouses;
//   - a delivery answered "ignored" (2xx) where Kargo answers 400 or 501 for
//     an event type it does not handle, so that providers which disable
//     failing hooks (GitLab) keep delivering.
package webhook
