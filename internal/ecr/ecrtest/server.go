// Package ecrtest is a local stand-in for the Amazon ECR API, for tests.
//
// AWS's ECR API cannot run in tests (and the test machine cannot reach AWS),
// so this httptest server speaks just enough of the AWS JSON 1.1 protocol
// (X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*) for
// GetAuthorizationToken and DescribeImages, with nextToken pagination. Code
// under test keeps the real aws-sdk-go-v2 client path (serialization, SigV4
// signing, retries, error deserialization) and only has its endpoint pointed
// here. The server verifies each request's SigV4 signature against the access
// keys it was given, and counts calls per operation.
package ecrtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// Operation names, as passed to Calls and FailNext.
const (
	OpGetAuthorizationToken = "GetAuthorizationToken"
	OpDescribeImages        = "DescribeImages"
)

// Image is an image stored in the stand-in.
type Image struct {
	Digest    string
	Tags      []string // none: untagged
	PushedAt  time.Time
	SizeBytes int64
	MediaType string // manifest media type
}

// Failure is an AWS error the stand-in answers with instead of a result.
type Failure struct {
	Status  int    // HTTP status, e.g. 400 for ThrottlingException
	Code    string // the __type, e.g. "ThrottlingException"
	Message string
}

// Server is the stand-in. Create it with New.
type Server struct {
	URL     string // base URL, for the SDK's BaseEndpoint
	Account string
	Region  string

	srv *httptest.Server

	mu       sync.Mutex
	keys     map[string]string // access key id -> secret access key
	repos    map[string][]Image
	calls    map[string]int
	failures map[string][]Failure
	tokenTTL time.Duration
	now      func() time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithAccessKey accepts requests signed with this key pair; give it once per
// identity the test uses. Requests signed with any other key are answered
// with UnrecognizedClientException.
func WithAccessKey(id, secret string) Option {
	return func(s *Server) { s.keys[id] = secret }
}

// WithRegion sets the region requests must be signed for (default us-east-1).
func WithRegion(region string) Option { return func(s *Server) { s.Region = region } }

// WithAccount sets the registry ID (default 123456789012).
func WithAccount(account string) Option { return func(s *Server) { s.Account = account } }

// WithTokenTTL sets how long issued tokens are valid (default 12h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// WithClock sets the clock used for token expiry (default time.Now), so a
// test can share one fake clock with the code under test.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New starts a stand-in on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		Account:  "123456789012",
		Region:   "us-east-1",
		keys:     map[string]string{},
		repos:    map[string][]Image{},
		calls:    map[string]int{},
		failures: map[string][]Failure{},
		tokenTTL: 12 * time.Hour,
		now:      time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// RepoURL returns the private ECR repository URL that this stand-in serves.
func (s *Server) RepoURL(repository string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", s.Account, s.Region, repository)
}

// SetImages replaces the images of a repository, creating it if needed.
// DescribeImages returns them in this order.
func (s *Server) SetImages(repository string, images []Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[repository] = append([]Image(nil), images...)
}

// Calls returns how many requests for op reached the server, signed or not,
// including those answered with an injected Failure.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// FailNext makes the next requests for op fail, one Failure each, in order.
func (s *Server) FailNext(op string, failures ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[op] = append(s.failures[op], failures...)
}

// Password returns the registry password the stand-in issues with its n-th
// token (1-based), so tests can tell tokens apart.
func Password(n int) string { return "ecr-token-" + strconv.Itoa(n) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok {
		writeError(w, Failure{http.StatusBadRequest, "UnknownOperationException", "unknown operation"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, Failure{http.StatusBadRequest, "SerializationException", "unreadable body"})
		return
	}
	s.mu.Lock()
	s.calls[op]++
	n := s.calls[op]
	var fail *Failure
	if q := s.failures[op]; len(q) > 0 {
		fail, s.failures[op] = &q[0], q[1:]
	}
	s.mu.Unlock()

	if f := s.verifySignature(r, body); f != nil {
		writeError(w, *f)
		return
	}
	if fail != nil {
		writeError(w, *fail)
		return
	}
	switch op {
	case OpGetAuthorizationToken:
		s.getAuthorizationToken(w, n)
	case OpDescribeImages:
		s.describeImages(w, body)
	default:
		writeError(w, Failure{http.StatusBadRequest, "UnknownOperationException", "operation " + op + " is not part of the stand-in"})
	}
}

func (s *Server) getAuthorizationToken(w http.ResponseWriter, n int) {
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + Password(n)))
	writeJSON(w, map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": token,
		"expiresAt":          epoch(s.now().Add(s.tokenTTL)),
		"proxyEndpoint":      "https://" + strings.SplitN(s.RepoURL(""), "/", 2)[0],
	}}})
}

type describeImagesInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	MaxResults     *int   `json:"maxResults"`
	NextToken      string `json:"nextToken"`
	Filter         struct {
		TagStatus string `json:"tagStatus"`
	} `json:"filter"`
}

func (s *Server) describeImages(w http.ResponseWriter, body []byte) {
	var in describeImagesInput
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, Failure{http.StatusBadRequest, "SerializationException", "malformed request body"})
		return
	}
	limit := 100 // ECR's default page size
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	if limit < 1 || limit > 1000 {
		writeError(w, Failure{http.StatusBadRequest, "InvalidParameterException", "maxResults must be between 1 and 1000"})
		return
	}
	s.mu.Lock()
	images, ok := s.repos[in.RepositoryName]
	s.mu.Unlock()
	if !ok || (in.RegistryID != "" && in.RegistryID != s.Account) {
		writeError(w, Failure{http.StatusBadRequest, "RepositoryNotFoundException", fmt.Sprintf(
			"The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, s.Account)})
		return
	}
	var matching []Image
	for _, img := range images {
		tagged := len(img.Tags) > 0
		if (in.Filter.TagStatus == "TAGGED" && !tagged) || (in.Filter.TagStatus == "UNTAGGED" && tagged) {
			continue
		}
		matching = append(matching, img)
	}
	start := 0
	if in.NextToken != "" {
		raw, decodeErr := base64.RawURLEncoding.DecodeString(in.NextToken)
		off, ok := strings.CutPrefix(string(raw), "offset:")
		var err error
		if start, err = strconv.Atoi(off); decodeErr != nil || err != nil || !ok || start < 0 || start > len(matching) {
			writeError(w, Failure{http.StatusBadRequest, "InvalidParameterException", "invalid nextToken"})
			return
		}
	}
	end := min(start+limit, len(matching))
	details := make([]map[string]any, 0, end-start)
	for _, img := range matching[start:end] {
		d := map[string]any{
			"registryId":             s.Account,
			"repositoryName":         in.RepositoryName,
			"imageDigest":            img.Digest,
			"imagePushedAt":          epoch(img.PushedAt),
			"imageSizeInBytes":       img.SizeBytes,
			"imageManifestMediaType": img.MediaType,
			"imageStatus":            "ACTIVE",
		}
		if len(img.Tags) > 0 {
			d["imageTags"] = img.Tags
		}
		details = append(details, d)
	}
	out := map[string]any{"imageDetails": details}
	if end < len(matching) {
		out["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	writeJSON(w, out)
}

// epoch is the AWS JSON protocol's timestamp: seconds as a JSON number.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "stand-in")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, f Failure) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "stand-in")
	w.WriteHeader(f.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": f.Code, "message": f.Message})
}
