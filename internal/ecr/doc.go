// Package ecr gives Railyard access to private Amazon ECR registries
// (<account>.dkr.ecr.<region>.amazonaws.com and its China, FIPS, dual-stack
// and isolated-partition forms) through aws-sdk-go-v2.
//
// It does two things that a plain OCI client cannot:
//
//   - TokenProvider.Token exchanges AWS credentials for registry basic-auth
//     credentials (user "AWS", password from GetAuthorizationToken) and caches
//     them per account, region and credential identity until shortly before
//     they expire. Credentials are either ambient (the SDK's default chain:
//     environment, IRSA web identity, EKS pod identity, instance role) or
//     static keys read from a Secret with CredentialsFromSecretData.
//   - TokenProvider.ListImages and PushTimes read push times of all images of
//     a repository with DescribeImages, 1,000 images a call, so that the
//     NewestBuild strategy needs ceil(n/1000) API calls instead of a manifest
//     and a config request per tag.
//
// public.ecr.aws is not private ECR: it uses the anonymous registry token
// flow that go-containerregistry already handles, and ParseRepoURL rejects it.
//
// Errors wrap one of ErrInvalidConfig, ErrAccessDenied, ErrNotFound or
// ErrTransient so callers can tell a fix-your-spec problem from an outage
// with errors.Is. Secrets (secret keys, access key ids, tokens) never appear
// in error strings.
//
// Options.Endpoint overrides the ECR API endpoint; users may point it at a VPC
// endpoint, and the tests point it at the stand-in in package ecrtest, since
// the real ECR API cannot be reached from the test environment.
package ecr
