package v1alpha1

// RepoSubscription subscribes a Warehouse to exactly one source of artifacts.
// +kubebuilder:validation:XValidation:rule="[has(self.image), has(self.chart), has(self.git)].filter(x, x).size() == 1",message="a subscription must set exactly one of image, chart or git"
type RepoSubscription struct {
	// Name optionally identifies the subscription. When set it is recorded on
	// discovered artifacts and becomes part of the Freight's identity.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name,omitempty"`
	// Image subscribes to a container image repository.
	// +optional
	Image *ImageSubscription `json:"image,omitempty"`
	// Chart subscribes to a Helm chart.
	// +optional
	Chart *ChartSubscription `json:"chart,omitempty"`
	// Git subscribes to a git repository.
	// +optional
	Git *GitSubscription `json:"git,omitempty"`
}

// ImageSelectionStrategy decides which image tags are newest.
// +kubebuilder:validation:Enum=SemVer;Lexical;NewestBuild;Digest
type ImageSelectionStrategy string

// Image selection strategies.
const (
	// ImageSelectionStrategySemVer orders tags as semantic versions.
	ImageSelectionStrategySemVer ImageSelectionStrategy = "SemVer"
	// ImageSelectionStrategyLexical orders tags as strings.
	ImageSelectionStrategyLexical ImageSelectionStrategy = "Lexical"
	// ImageSelectionStrategyNewestBuild orders images by build time.
	ImageSelectionStrategyNewestBuild ImageSelectionStrategy = "NewestBuild"
	// ImageSelectionStrategyDigest follows the digest of one mutable tag.
	ImageSelectionStrategyDigest ImageSelectionStrategy = "Digest"
)

// ImageSubscription describes how to discover images in one repository.
// +kubebuilder:validation:XValidation:rule="!has(self.imageSelectionStrategy) || self.imageSelectionStrategy != 'Digest' || (has(self.constraint) && size(self.constraint) > 0) || (has(self.semverConstraint) && size(self.semverConstraint) > 0)",message="image.constraint must name the tag to follow when imageSelectionStrategy is Digest"
type ImageSubscription struct {
	// RepoURL is the image repository, without tag or digest.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^(\w+([\.-]\w+)*(:[\d]+)?/)?(\w+([\.-]\w+)*)(/\w+([\.-]\w+)*)*$`
	RepoURL string `json:"repoURL"`
	// ImageSelectionStrategy decides which tags are newest.
	// +optional
	// +kubebuilder:default=SemVer
	ImageSelectionStrategy ImageSelectionStrategy `json:"imageSelectionStrategy,omitempty"`
	// Constraint is a semver constraint for SemVer, or the tag to follow for
	// Digest. Lexical and NewestBuild ignore it.
	// +optional
	Constraint string `json:"constraint,omitempty"`
	// SemverConstraint is the deprecated name of Constraint, accepted as an
	// alias for manifests written for older Kargo versions.
	// +optional
	SemverConstraint string `json:"semverConstraint,omitempty"`
	// StrictSemvers admits only tags with major, minor and patch (SemVer only).
	// +optional
	// +kubebuilder:default=true
	StrictSemvers *bool `json:"strictSemvers,omitempty"`
	// AllowTagsRegexes admits only tags matching one of these expressions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	AllowTagsRegexes []string `json:"allowTagsRegexes,omitempty"`
	// IgnoreTagsRegexes drops tags matching one of these; it wins over allow.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	IgnoreTagsRegexes []string `json:"ignoreTagsRegexes,omitempty"`
	// AllowTags is a deprecated single regular expression, read as one entry
	// of AllowTagsRegexes.
	// +optional
	AllowTags string `json:"allowTags,omitempty"`
	// IgnoreTags is a deprecated list of literal tags to ignore.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	IgnoreTags []string `json:"ignoreTags,omitempty"`
	// Platform selects one platform of multi-platform images, as os/arch or
	// os/arch/variant. Single-platform images not matching it are skipped.
	// +optional
	// +kubebuilder:validation:Pattern=`^\w+/\w+(/\w+)?$`
	Platform string `json:"platform,omitempty"`
	// DiscoveryLimit is the number of images kept after filtering.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	DiscoveryLimit int32 `json:"discoveryLimit,omitempty"`
	// CacheByTag trusts a tag once described: discovery no longer asks the
	// registry what a known tag points to, saving a request per tag per
	// discovery, and a re-pushed tag goes unnoticed. Use it only for
	// immutable tags. The manager's --cache-by-tag-policy may forbid,
	// require or force it; the Digest strategy ignores it.
	// +optional
	CacheByTag bool `json:"cacheByTag,omitempty"`
	// InsecureSkipTLSVerify disables TLS verification of the registry.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}

// EffectiveConstraint returns Constraint, or the deprecated SemverConstraint.
func (s *ImageSubscription) EffectiveConstraint() string {
	if s.Constraint != "" {
		return s.Constraint
	}
	return s.SemverConstraint
}

// IsStrictSemvers reports StrictSemvers, which defaults to true.
func (s *ImageSubscription) IsStrictSemvers() bool {
	return s.StrictSemvers == nil || *s.StrictSemvers
}

// ChartSubscription describes how to discover versions of one Helm chart.
// +kubebuilder:validation:XValidation:rule="self.repoURL.startsWith('oci://') || (has(self.name) && size(self.name) > 0)",message="chart.name is required for an HTTP(S) chart repository"
// +kubebuilder:validation:XValidation:rule="!self.repoURL.startsWith('oci://') || !has(self.name) || size(self.name) == 0",message="chart.name must be empty for an oci:// repoURL, which already names the chart"
type ChartSubscription struct {
	// RepoURL is an http(s):// chart repository or an oci:// chart reference.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^(((https?)|(oci))://)([\w\d\.\-]+)(:[\d]+)?(/.*)*$`
	RepoURL string `json:"repoURL"`
	// Name of the chart within an HTTP(S) repository.
	// +optional
	Name string `json:"name,omitempty"`
	// SemverConstraint limits the versions considered; empty means newest.
	// +optional
	SemverConstraint string `json:"semverConstraint,omitempty"`
	// DiscoveryLimit is the number of versions kept.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	DiscoveryLimit int32 `json:"discoveryLimit,omitempty"`
	// InsecureSkipTLSVerify disables TLS verification of the repository.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}

// CommitSelectionStrategy decides which commits are newest.
// +kubebuilder:validation:Enum=NewestFromBranch;SemVer;Lexical;NewestTag
type CommitSelectionStrategy string

// Commit selection strategies.
const (
	// CommitSelectionStrategyNewestFromBranch follows the head of a branch.
	CommitSelectionStrategyNewestFromBranch CommitSelectionStrategy = "NewestFromBranch"
	// CommitSelectionStrategySemVer orders tags as semantic versions.
	CommitSelectionStrategySemVer CommitSelectionStrategy = "SemVer"
	// CommitSelectionStrategyLexical orders tags as strings.
	CommitSelectionStrategyLexical CommitSelectionStrategy = "Lexical"
	// CommitSelectionStrategyNewestTag orders tags by creation time.
	CommitSelectionStrategyNewestTag CommitSelectionStrategy = "NewestTag"
)

// GitSubscription describes how to discover commits in one git repository.
// +kubebuilder:validation:XValidation:rule="!has(self.branch) || !has(self.commitSelectionStrategy) || self.commitSelectionStrategy == 'NewestFromBranch'",message="git.branch applies only to commitSelectionStrategy NewestFromBranch"
type GitSubscription struct {
	// RepoURL is the repository's URL: https://, ssh:// or git@host:path.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^(https?://[\w\d\.\-]+(:[\d]+)?(/.*)?|ssh://.+|[\w\-\.]+@[\w\d\.\-]+:.+)$`
	RepoURL string `json:"repoURL"`
	// CommitSelectionStrategy decides which commits are newest.
	// +optional
	// +kubebuilder:default=NewestFromBranch
	CommitSelectionStrategy CommitSelectionStrategy `json:"commitSelectionStrategy,omitempty"`
	// Branch to follow with NewestFromBranch; empty means the default branch.
	// +optional
	// +kubebuilder:validation:Pattern=`^[\w\-\._/]+$`
	// +kubebuilder:validation:MaxLength=255
	Branch string `json:"branch,omitempty"`
	// SemverConstraint limits tags with the SemVer strategy.
	// +optional
	SemverConstraint string `json:"semverConstraint,omitempty"`
	// StrictSemvers admits only tags with major, minor and patch.
	// +optional
	// +kubebuilder:default=true
	StrictSemvers *bool `json:"strictSemvers,omitempty"`
	// AllowTagsRegexes admits only tags matching one of these expressions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	AllowTagsRegexes []string `json:"allowTagsRegexes,omitempty"`
	// IgnoreTagsRegexes drops tags matching one of these; it wins over allow.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	IgnoreTagsRegexes []string `json:"ignoreTagsRegexes,omitempty"`
	// AllowTags is a deprecated single regular expression.
	// +optional
	AllowTags string `json:"allowTags,omitempty"`
	// IgnoreTags is a deprecated list of literal tags to ignore.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	IgnoreTags []string `json:"ignoreTags,omitempty"`
	// ExpressionFilter is an expression over commit or tag metadata; only
	// commits for which it is true are kept.
	// +optional
	ExpressionFilter string `json:"expressionFilter,omitempty"`
	// IncludePaths keeps only commits touching one of these paths: a plain
	// directory prefix, `glob:<pattern>` or `regex:<expression>`.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	IncludePaths []string `json:"includePaths,omitempty"`
	// ExcludePaths drops changes to these paths, in the same forms.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ExcludePaths []string `json:"excludePaths,omitempty"`
	// DiscoveryLimit is the number of commits kept.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	DiscoveryLimit int32 `json:"discoveryLimit,omitempty"`
	// Since stops discovery at commits older than this time (RFC 3339).
	// +optional
	// +kubebuilder:validation:Format=date-time
	Since string `json:"since,omitempty"`
	// Blobless fetches without file contents where paths are not filtered.
	// +optional
	Blobless bool `json:"blobless,omitempty"`
	// InsecureSkipTLSVerify disables TLS verification of the server.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}

// IsStrictSemvers reports StrictSemvers, which defaults to true.
func (s *GitSubscription) IsStrictSemvers() bool {
	return s.StrictSemvers == nil || *s.StrictSemvers
}
