package v1alpha1

// Every label, annotation and finalizer Railyard reads or writes. Where a Kargo
// key exists, the Kargo spelling is honoured too so that users can migrate
// without touching Argo CD Applications or credential Secrets.
const (
	// Prefix is the prefix of every Railyard label and annotation key.
	Prefix = "railyard.dev/"
	// KargoPrefix is Kargo's prefix, accepted where noted for migration.
	KargoPrefix = "kargo.akuity.io/"

	// AnnotationRefresh asks for an immediate reconcile of a Warehouse, Stage,
	// Promotion or ProjectConfig when its value changes. The handled value is
	// echoed in status.lastHandledRefresh.
	AnnotationRefresh = Prefix + "refresh"
	// AnnotationKargoRefresh is Kargo's refresh annotation, honoured as well.
	AnnotationKargoRefresh = KargoPrefix + "refresh"

	// AnnotationAbort on a Promotion aborts it; on a Stage, with the ID of
	// the running verification (or a JSON VerificationRequest) as value, it
	// aborts that verification.
	AnnotationAbort = Prefix + "abort"
	// AnnotationKargoAbort is Kargo's abort annotation, honoured as well.
	AnnotationKargoAbort = KargoPrefix + "abort"

	// AnnotationReverify on a Stage starts a new verification of its
	// current Freight. Its value is the ID of the verification to redo (the
	// newest of status.freightHistory[0].verificationHistory), or a JSON
	// VerificationRequest: a request for another ID is ignored, so a stale
	// annotation never starts a second run.
	AnnotationReverify = Prefix + "reverify"
	// AnnotationKargoReverify is Kargo's reverify annotation, honoured as
	// well.
	AnnotationKargoReverify = KargoPrefix + "reverify"

	// AnnotationAuthorizedStage on an Argo CD Application names the
	// "<project>:<stage>" pairs allowed to update it (comma separated).
	AnnotationAuthorizedStage = Prefix + "authorized-stage"
	// AnnotationKargoAuthorizedStage is Kargo's spelling, honoured as well.
	AnnotationKargoAuthorizedStage = KargoPrefix + "authorized-stage"

	// AnnotationKeepNamespace on a Project keeps its namespace when the
	// Project is deleted.
	AnnotationKeepNamespace = Prefix + "keep-namespace"
	// AnnotationKargoKeepNamespace is Kargo's spelling, honoured as well.
	AnnotationKargoKeepNamespace = KargoPrefix + "keep-namespace"
	// AnnotationRollback on a Promotion marks it a rollback
	// (ctx.meta.promotion.rollback); AnnotationKargoRollback is Kargo's.
	AnnotationRollback      = Prefix + "rollback"
	AnnotationKargoRollback = KargoPrefix + "rollback"

	// AnnotationDiscoveredAt is when a Freight's artifacts were discovered,
	// RFC 3339 with nanoseconds: discoveredAt has whole seconds only, and
	// Freight discovered within one second must still be ordered.
	AnnotationDiscoveredAt = Prefix + "discovered-at"
	// AnnotationCreateActor records who created an object (Promotions, Freight).
	AnnotationCreateActor = Prefix + "create-actor"
	// ActorAutoPromotion is the create-actor of Promotions a Stage's
	// auto-promotion creates.
	ActorAutoPromotion = "railyard:auto-promotion"
	// AnnotationDescription is free text for people.
	AnnotationDescription = Prefix + "description"
	// AnnotationPromotion on an Argo CD operation records the Promotion that
	// requested it, so a sync is never requested twice.
	AnnotationPromotion = Prefix + "promotion"

	// AnnotationRejected on a Freight says why it does not fit its
	// Warehouse (artifacts not matching its subscriptions, or a name other
	// than its content address). Rejected Freight is available to no Stage.
	AnnotationRejected = Prefix + "rejected"

	// LabelAlias on a Freight mirrors its human-friendly alias.
	LabelAlias = Prefix + "alias"
	// LabelKargoAlias is Kargo's alias label; a Freight carrying it keeps it.
	LabelKargoAlias = KargoPrefix + "alias"
	// LabelShard assigns a Warehouse, Stage or Promotion to a controller
	// shard. A Warehouse's or Stage's spec.shard wins over it; a
	// Promotion's is set from its Stage's shard (docs/sharding.md).
	LabelShard = Prefix + "shard"
	// LabelKargoShard is Kargo's shard label, honoured after LabelShard.
	LabelKargoShard = KargoPrefix + "shard"
	// LabelStage on a Promotion names its Stage.
	LabelStage = Prefix + "stage"
	// LabelProject marks a Namespace as a Railyard project namespace that a
	// Project of the same name may adopt.
	LabelProject = Prefix + "project"
	// LabelKargoProject is Kargo's project label, honoured for adoption.
	LabelKargoProject = KargoPrefix + "project"

	// LabelCredType marks a Secret as credentials of the given type.
	LabelCredType = Prefix + "cred-type"
	// LabelKargoCredType is Kargo's credential label, honoured as well.
	LabelKargoCredType = KargoPrefix + "cred-type"

	// FinalizerName is the finalizer Railyard puts on objects it must clean up.
	FinalizerName = Prefix + "finalizer"
)

// Credential types, the values of LabelCredType.
const (
	CredTypeGit     = "git"
	CredTypeHelm    = "helm"
	CredTypeImage   = "image"
	CredTypeGeneric = "generic"
)

// Keys of credential Secrets' data.
const (
	CredKeyRepoURL            = "repoURL"
	CredKeyRepoURLIsRegex     = "repoURLIsRegex"
	CredKeyUsername           = "username"
	CredKeyPassword           = "password"
	CredKeySSHPrivateKey      = "sshPrivateKey"
	CredKeyAWSAccessKeyID     = "awsAccessKeyID"
	CredKeyAWSSecretAccessKey = "awsSecretAccessKey"
	CredKeyAWSRegion          = "awsRegion"
)

// KargoKeysHonoured lists every Kargo label and annotation Railyard honours;
// docs/kargo-compatibility.md is checked against it.
var KargoKeysHonoured = []string{
	AnnotationKargoRefresh, AnnotationKargoAbort, AnnotationKargoAuthorizedStage, AnnotationKargoKeepNamespace,
	AnnotationKargoRollback, AnnotationKargoReverify, LabelKargoAlias, LabelKargoProject, LabelKargoCredType, LabelKargoShard,
}

// KeyValue returns the value of a key Railyard and Kargo both define:
// Railyard's spelling when it is present (even empty), else Kargo's. Every
// "Railyard's key, else Kargo's" lookup goes through it, so they all agree
// on which one wins.
func KeyValue(m map[string]string, railyardKey, kargoKey string) (string, bool) {
	if v, ok := m[railyardKey]; ok {
		return v, true
	}
	v, ok := m[kargoKey]
	return v, ok
}

// RefreshValue returns an object's refresh annotation, Railyard's spelling
// first, then Kargo's.
func RefreshValue(annotations map[string]string) (string, bool) {
	return KeyValue(annotations, AnnotationRefresh, AnnotationKargoRefresh)
}
