package ecrtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDate      = "20060102T150405Z"
	maxSkew      = 15 * time.Minute // AWS's allowance
)

// verifySignature recomputes the SigV4 signature of r from the secret of the
// access key it names, independently of the SDK's signer, and returns the AWS
// error a real endpoint would give when it does not match.
func (s *Server) verifySignature(r *http.Request, body []byte) *Failure {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), sigAlgorithm+" ")
	if !ok {
		return &Failure{http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/") // id/date/region/service/aws4_request
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return &Failure{http.StatusBadRequest, "IncompleteSignatureException", "Authorization header is malformed"}
	}
	id, date, region, service := scope[0], scope[1], scope[2], scope[3]
	s.mu.Lock()
	secret, known := s.keys[id]
	s.mu.Unlock()
	if !known {
		return &Failure{http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if region != s.Region || service != "ecr" || scope[4] != "aws4_request" {
		return &Failure{http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to region " + s.Region + " and service ecr"}
	}
	stamp := r.Header.Get("X-Amz-Date")
	at, err := time.Parse(amzDate, stamp)
	if err != nil || !strings.HasPrefix(stamp, date) || time.Since(at).Abs() > maxSkew {
		return &Failure{http.StatusBadRequest, "InvalidSignatureException", "Signature expired or X-Amz-Date invalid"}
	}

	signed := strings.Split(fields["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) || !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return &Failure{http.StatusBadRequest, "InvalidSignatureException", "SignedHeaders must be sorted and include host and x-amz-date"}
	}
	var canon strings.Builder
	for _, h := range signed {
		canon.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = hexSHA256(body)
	}
	request := strings.Join([]string{r.Method, "/", r.URL.RawQuery, canon.String(), fields["SignedHeaders"], payload}, "\n")
	toSign := strings.Join([]string{sigAlgorithm, stamp, strings.Join(scope[1:], "/"), hexSHA256([]byte(request))}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range []string{date, region, service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return &Failure{http.StatusBadRequest, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if r.Header.Get("Content-Length") == "" {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	}
	var vals []string
	for _, v := range r.Header.Values(name) {
		vals = append(vals, strings.Join(strings.Fields(v), " "))
	}
	return strings.Join(vals, ",")
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
