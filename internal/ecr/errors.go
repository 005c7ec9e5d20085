package ecr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Sentinel errors; every error returned by this package that comes from
// configuration or from AWS wraps exactly one of them.
var (
	// ErrInvalidConfig: a malformed or non-ECR repository URL, a Secret with
	// missing keys, a bad endpoint, or a request ECR rejects as invalid.
	// Retrying without a change of configuration will not help.
	ErrInvalidConfig = errors.New("invalid ECR configuration")
	// ErrAccessDenied: no usable AWS credentials, invalid keys, or an identity
	// lacking ecr:GetAuthorizationToken / ecr:DescribeImages.
	ErrAccessDenied = errors.New("ECR access denied")
	// ErrNotFound: the repository does not exist in the registry.
	ErrNotFound = errors.New("ECR repository not found")
	// ErrTransient: throttling, 5xx, network failures and timeouts; retry
	// with backoff.
	ErrTransient = errors.New("transient ECR error")
)

// Error codes from the AWS JSON protocol's __type, by class.
var (
	throttleCodes = set("ThrottlingException", "Throttling", "ThrottledException",
		"TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
		"RequestLimitExceeded", "SlowDown")
	deniedCodes = set("AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
		"InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
		"InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
		"MissingAuthenticationTokenException", "UnauthorizedOperation")
	notFoundCodes = set("RepositoryNotFoundException", "RegistryNotFoundException")
	invalidCodes  = set("InvalidParameterException", "ValidationException")
	serverCodes   = set("ServerException", "InternalFailure", "InternalServerError",
		"ServiceUnavailable", "ServiceUnavailableException")
)

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// ecrError carries a sentinel and the original cause with a message that has
// been redacted once, at construction.
type ecrError struct {
	kind  error // nil when unclassified
	msg   string
	cause error
}

func (e *ecrError) Error() string { return e.msg }

func (e *ecrError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// credentialsError marks a failure of the credential provider itself, as
// opposed to a failure of the ECR call.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "retrieve AWS credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// classify wraps err from an SDK call with its sentinel. target names what was
// accessed (a repository URL without credentials).
func classify(op, target string, creds Credentials, err error) error {
	kind := kindOf(err)
	prefix := "ECR " + op + " " + target
	if kind != nil {
		prefix = kind.Error() + ": " + prefix
	}
	return &ecrError{kind: kind, msg: creds.redact(prefix + ": " + err.Error()), cause: err}
}

func kindOf(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil // the caller gave up; not the registry's fault
	}
	var ce *credentialsError
	if errors.As(err, &ce) {
		if isNetwork(ce.err) {
			return ErrTransient
		}
		return ErrAccessDenied
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case throttleCodes[code], serverCodes[code]:
			return ErrTransient
		case deniedCodes[code]:
			return ErrAccessDenied
		case notFoundCodes[code]:
			return ErrNotFound
		case invalidCodes[code]:
			return ErrInvalidConfig
		}
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		switch s := st.HTTPStatusCode(); {
		case s == http.StatusTooManyRequests, s >= 500:
			return ErrTransient
		case s == http.StatusUnauthorized, s == http.StatusForbidden:
			return ErrAccessDenied
		case s == http.StatusNotFound:
			return ErrNotFound
		}
	}
	if api != nil && api.ErrorFault() == smithy.FaultServer {
		return ErrTransient
	}
	if isNetwork(err) {
		return ErrTransient
	}
	return nil
}

func isNetwork(err error) bool {
	var ne net.Error
	var se *smithyhttp.RequestSendError
	return errors.As(err, &ne) || errors.As(err, &se) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
