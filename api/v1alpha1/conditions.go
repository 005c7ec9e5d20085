package v1alpha1

// Condition types. Ready and Reconciling follow kstatus, so
// `kubectl wait --for=condition=Ready` and Argo CD health checks work.
// Polarity: every type is "normal when True" except Reconciling and Stalled,
// which are "abnormal when True" and are removed when they no longer apply.
const (
	// ConditionReady is True when the object is fully reconciled and usable.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the controller works on the object
	// (for example while a Warehouse discovers artifacts).
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when progress needs a change of the spec.
	ConditionStalled = "Stalled"
	// ConditionHealthy is True when a Warehouse's last discovery succeeded or a
	// Stage's deployed application is healthy.
	ConditionHealthy = "Healthy"
	// ConditionPromoting is True while a Stage has a Promotion running.
	ConditionPromoting = "Promoting"
	// ConditionVerified is True when a Stage's current Freight is verified.
	ConditionVerified = "Verified"
	// ConditionFreightCreationCriteriaSatisfied is True when the newest
	// artifacts satisfy the Warehouse's freightCreationCriteria.
	ConditionFreightCreationCriteriaSatisfied = "FreightCreationCriteriaSatisfied"
	// ConditionFreightCreated is True when the Warehouse produced Freight from
	// its newest artifacts (or found that Freight already existed).
	ConditionFreightCreated = "FreightCreated"
)

// Reasons shared by several kinds.
const (
	// ReasonSucceeded: the last reconcile finished without error.
	ReasonSucceeded = "Succeeded"
	// ReasonProgressing: work is under way.
	ReasonProgressing = "Progressing"
	// ReasonInvalidSpec: the spec cannot be acted on; the message says which
	// field and why. Only a change of the spec clears it.
	ReasonInvalidSpec = "InvalidSpec"
)

// Warehouse reasons.
const (
	// ReasonDiscovering (Reconciling): artifact discovery is running.
	ReasonDiscovering = "Discovering"
	// ReasonDiscoverySucceeded (Ready, Healthy): every subscription answered.
	ReasonDiscoverySucceeded = "DiscoverySucceeded"
	// ReasonDiscoveryFailed (Ready, Healthy): a source could not be reached or
	// answered with an error; the previous artifacts are kept.
	ReasonDiscoveryFailed = "DiscoveryFailed"
	// ReasonNoArtifacts (Ready): discovery succeeded but some subscription
	// matched nothing, so no Freight can be assembled.
	ReasonNoArtifacts = "NoArtifactsDiscovered"
	// ReasonTagListTruncated (Healthy): a repository has more tags than the
	// controller lists; the newest may be missed.
	ReasonTagListTruncated = "TagListTruncated"
	// ReasonCriteriaSatisfied (FreightCreationCriteriaSatisfied).
	ReasonCriteriaSatisfied = "CriteriaSatisfied"
	// ReasonCriteriaNotSatisfied (FreightCreationCriteriaSatisfied).
	ReasonCriteriaNotSatisfied = "CriteriaNotSatisfied"
	// ReasonCriteriaInvalid (FreightCreationCriteriaSatisfied): the expression
	// does not compile or does not yield a boolean.
	ReasonCriteriaInvalid = "CriteriaInvalid"
	// ReasonFreightCreated (FreightCreated): new Freight was created.
	ReasonFreightCreated = "FreightCreated"
	// ReasonFreightExists (FreightCreated): the Freight for the newest
	// artifacts already existed.
	ReasonFreightExists = "FreightAlreadyExists"
	// ReasonManualPolicy (FreightCreated): freightCreationPolicy is Manual.
	ReasonManualPolicy = "ManualPolicy"
	// ReasonFreightCreationFailed (FreightCreated): the API server refused it.
	ReasonFreightCreationFailed = "FreightCreationFailed"
)

// Stage reasons.
const (
	// ReasonNoFreight (Ready): the Stage has not received Freight yet.
	ReasonNoFreight = "NoFreight"
	// ReasonPromotionRunning (Promoting): a Promotion is running.
	ReasonPromotionRunning = "PromotionRunning"
	// ReasonNoPromotion (Promoting=False): no Promotion is running.
	ReasonNoPromotion = "NoPromotion"
	// ReasonLastPromotionFailed (Ready): the last Promotion did not succeed.
	ReasonLastPromotionFailed = "LastPromotionFailed"
	// ReasonHealthy, ReasonUnhealthy, ReasonHealthUnknown,
	// ReasonHealthProgressing (Healthy): the aggregated health of the
	// resources the last Promotion updated. As in Kargo, it is Unknown
	// while a Promotion is in progress (running or next).
	ReasonHealthy           = "Healthy"
	ReasonUnhealthy         = "Unhealthy"
	ReasonHealthUnknown     = "HealthUnknown"
	ReasonHealthProgressing = "HealthProgressing"
	// ReasonArgoCDUnreachable (Stage Healthy=Unknown, and Ready once the
	// Stage has Freight): the Stage promotes with argocd-update or
	// argocd-wait, or its health comes from Argo CD, and the Argo CD cluster
	// of --argocd-kubeconfig cannot be reached (kubeconfig not loadable,
	// server not answering, Application CRD not served); the message says
	// which.
	ReasonArgoCDUnreachable = "ArgoCDUnreachable"
	// ReasonVerificationSucceeded (Verified).
	ReasonVerificationSucceeded = "VerificationSucceeded"
	// ReasonVerificationPending (Verified=False): waiting for the Stage to
	// become healthy after its Promotion.
	ReasonVerificationPending = "VerificationPending"
	// ReasonVerificationRunning (Verified=Unknown): an AnalysisRun verifies
	// the current Freight.
	ReasonVerificationRunning = "VerificationRunning"
	// ReasonVerificationFailed, ReasonVerificationError,
	// ReasonVerificationInconclusive and ReasonVerificationAborted
	// (Verified=False): the last verification ended so; the message has
	// the AnalysisRun's.
	ReasonVerificationFailed       = "VerificationFailed"
	ReasonVerificationError        = "VerificationError"
	ReasonVerificationInconclusive = "VerificationInconclusive"
	ReasonVerificationAborted      = "VerificationAborted"
	// ReasonRolloutsNotInstalled (Verified=False): the Stage has analysis
	// templates but the cluster has no Argo Rollouts.
	ReasonRolloutsNotInstalled = "RolloutsNotInstalled"
)

// Stage and Promotion reasons for problems a person must look at.
const (
	// ReasonAutoPromotionFailed (Stage Stalled): auto-promotion could not
	// create a Promotion; the message says why.
	ReasonAutoPromotionFailed = "AutoPromotionFailed"
	// ReasonStageNotFound (Promotion Stalled): the Promotion names a Stage
	// that does not exist; it waits for it.
	ReasonStageNotFound = "StageNotFound"
	// ReasonStageDeleted: the Stage a Promotion was created for was deleted
	// (or replaced by a new Stage of the same name); the Promotion is
	// aborted and never resumes.
	ReasonStageDeleted = "StageDeleted"
	// ReasonStepsNotFromStage: a Promotion's steps or vars are not the ones
	// the controller copied from its Stage; it is refused before any step.
	ReasonStepsNotFromStage = "StepsNotFromStage"
	// ReasonInvalidSteps: the Stage's steps name an unknown step or hold an
	// expression that does not compile; found before any step runs.
	ReasonInvalidSteps = "InvalidSteps"
)

// Project and ProjectConfig reasons.
const (
	// ReasonNamespaceReady (Ready): the project namespace exists and is owned.
	ReasonNamespaceReady = "NamespaceReady"
	// ReasonNamespaceConflict (Ready): a namespace of that name exists and is
	// neither owned by this Project nor labelled for adoption.
	ReasonNamespaceConflict = "NamespaceConflict"
	// ReasonNameMismatch (Ready): a ProjectConfig is not named like its
	// namespace, so it is ignored.
	ReasonNameMismatch = "NameMismatch"
	// ReasonWebhookReceiverInvalid (ProjectConfig and ClusterConfig Ready):
	// a webhook receiver cannot be served, its Secret or the Secret's key
	// being missing; the message names the receiver. The others are served.
	ReasonWebhookReceiverInvalid = "WebhookReceiverInvalid"
)
